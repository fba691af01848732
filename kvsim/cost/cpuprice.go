package cost

import "kvcache/kvsim/model"

// cpuWork is an operation as the kvsim decoder runs it, for this-cpu
// presets that carry CPUOps.
type cpuWork struct {
	forks     int     // Pool.Run or Pool.MatMul calls each time it runs (per layer for a layer's ops); 0: inline
	matmul    bool    // its weights go through Pool.MatMul
	outputs   float64 // matmul: output values per input row (rows of its matrices)
	matvec    float64 // FLOP/s of a matrix's first row for this pass's working set (bytes: twice that)
	items     float64 // attention: (query row, head) pairs
	positions float64 // attention: positions attended, summed over the items
	headDim   float64
	spread    float64 // rows its element-wise work is split over; 1: inline
	values    elementValues
}

// elementValues counts the values each element-wise step goes over;
// handoff counts values read fresh (written by the pool) by a step whose
// cost was measured on values in cache.
type elementValues struct {
	layerNorm, rmsNorm, gelu, swiGLU, rope, add, addFresh, copy, handoff float64
}

// seconds is the one-thread time of the values.
func (v elementValues) seconds(o *CPUOps) float64 {
	return v.layerNorm*o.LayerNormSeconds + v.rmsNorm*o.RMSNormSeconds + v.gelu*o.GELUSeconds +
		v.swiGLU*o.SwiGLUSeconds + v.rope*o.RoPESeconds + v.add*o.AddSeconds + v.addFresh*o.AddFreshSeconds +
		v.copy*o.CopySeconds + v.handoff*max(o.AddFreshSeconds-o.AddSeconds, 0)
}

// cpuPassFacts are what every operation of one pass shares on this-cpu.
type cpuPassFacts struct {
	eachRow  int     // 1 when per-row steps go through the pool (more than one row), else 0
	rows     float64 // rows of the pass
	matvec   float64 // first-row matrix rate for the pass's working set
	normKind model.Norm
	act      model.Activation
}

// cpuPass gathers the facts of a pass: the decoder splits per-row steps
// over its pool only when there is more than one row, and its weights,
// with the K/V the pass holds, are the working set its matrices cycle
// through.
func (p *Predictor) cpuPass(ps pass) cpuPassFacts {
	f := cpuPassFacts{rows: ps.rows, normKind: p.spec.Norm, act: p.spec.Activation}
	if ps.rows > 1 {
		f.eachRow = 1
	}
	if o := p.hw.CPU; o != nil {
		weights := float64(p.spec.MatmulParams()) * p.weightBytes / float64(p.opt.TP)
		kv := ps.kvHeld * float64(p.spec.Layers) * p.kvBytesDev
		f.matvec = o.MatvecFLOPSAt(weights + kv)
	}
	return f
}

// inline is work the decoder does on the calling goroutine.
func (f cpuPassFacts) inline(v elementValues) cpuWork { return cpuWork{spread: 1, values: v} }

// perRow is per-row work: forks pool runs when the pass has several rows.
func (f cpuPassFacts) perRow(forks int, v elementValues) cpuWork {
	return cpuWork{forks: forks * f.eachRow, spread: f.rows, values: v}
}

// matmul is forks pooled matrix products with outputs values per row,
// followed by per-row values.
func (f cpuPassFacts) matmul(forks int, outputs float64, v elementValues) cpuWork {
	return cpuWork{forks: forks, matmul: true, outputs: outputs, matvec: f.matvec, spread: f.rows, values: v}
}

// attention is items (query row, head) pairs over positions, head_dim hd.
func (f cpuPassFacts) attention(items, positions, hd float64) cpuWork {
	return cpuWork{forks: 1, matvec: f.matvec, items: items, positions: positions, headDim: hd}
}

// norm counts n values through the model's norm.
func (f cpuPassFacts) norm(n float64) elementValues {
	if f.normKind == model.LayerNorm {
		return elementValues{layerNorm: n}
	}
	return elementValues{rmsNorm: n}
}

// activation counts n hidden values through the MLP's non-linearity: a
// fresh bias add first when biased (GELU's cost is measured after it),
// else SwiGLU reads them fresh, or GELU pays the handoff.
func (f cpuPassFacts) activation(n float64, biased bool) elementValues {
	switch {
	case f.act == model.SwiGLU:
		return elementValues{swiGLU: n, addFresh: boolValue(biased) * n}
	case biased:
		return elementValues{gelu: n, addFresh: n}
	}
	return elementValues{gelu: n, handoff: n}
}

// residual counts n values through a residual add of a projection, after
// its bias when biased: the first add reads the projection fresh.
func residual(n float64, biased bool) elementValues {
	return elementValues{addFresh: n, add: boolValue(biased) * n}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// priceCPU prices an operation with the decoder's measured costs:
//
//	memory  = 2 W / matvec(ws)                 the weights' pass with each matrix's first row
//	        + KV bytes / (2 matvec(ws))        cached K/V streamed like weights
//	compute = R (outputs x output + 2 W / row rate)             every further row, weights in cache
//	        + (items x item + positions x (position + hd x dim)) / min(threads, items)
//	        + Σ values x seconds per value / min(threads, rows)   (1 when inline)
//	seconds = memory + compute
//
// with W the weights read, R = FLOPs / 2W - 1 the further rows, ws the
// pass's working set. Fork-joins are added per pooled call by the pipeline
// (KernelGapSeconds).
func (p *Predictor) priceCPU(w work) priced {
	parts := p.cpuParts(w)
	out := priced{work: w}
	out.kernels = w.cpu.forks
	out.memory = parts.weights + parts.kv
	out.compute = parts.rows + parts.attention + parts.elementwise
	out.seconds = out.compute + out.memory
	out.bound = ComputeBound
	if out.memory > out.compute {
		out.bound = MemoryBound
	}
	return out
}

// cpuParts is an operation's time on this-cpu by class of work.
type cpuParts struct {
	weights     float64 // the weights' pass with each matrix's first row
	kv          float64 // cached K/V streamed in
	rows        float64 // further rows through the matrices
	attention   float64
	elementwise float64
}

func (p *Predictor) cpuParts(w work) cpuParts {
	o, c := p.hw.CPU, w.cpu
	threads := float64(o.Threads)
	var out cpuParts
	if c.matmul && w.flops > 0 {
		first := min(2*w.weight/p.weightBytes, w.flops)
		out.weights = first / c.matvec
		out.rows = (w.flops-first)/o.MatmulRowFLOPS + (w.flops-first)/first*c.outputs*o.MatmulOutputSeconds
	}
	if c.items > 0 {
		out.kv = w.kv / (2 * c.matvec)
		thread := c.items*o.AttentionItemSeconds + c.positions*(o.AttentionPositionSeconds+c.headDim*o.AttentionDimSeconds)
		out.attention = thread / max(1, min(threads, c.items))
	}
	out.elementwise = c.values.seconds(o) / max(1, min(threads, c.spread))
	return out
}
