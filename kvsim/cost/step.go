package cost

import (
	"math"

	"kvcache/kvsim/model"
)

// Phase names the kind of forward pass.
type Phase string

// Phases.
const (
	PrefillPhase Phase = "prefill"
	DecodePhase  Phase = "decode"
)

// Bound says what limits an operation or a step.
type Bound string

// Bounds.
const (
	ComputeBound       Bound = "compute"       // FLOPs / achievable FLOP/s is the larger roofline term
	MemoryBound        Bound = "memory"        // bytes / achievable bandwidth is the larger term
	OverheadBound      Bound = "overhead"      // kernel launches and gaps take the most time
	CommunicationBound Bound = "communication" // tensor-parallel all-reduces take the most time
)

// Op is one operation of the breakdown, summed over layers, on one device.
type Op struct {
	Name            string  `json:"name"`
	Kernels         int     `json:"kernels"` // launches per step
	FLOPs           float64 `json:"flops"`
	WeightBytes     float64 `json:"weight_bytes"`     // weights read
	KVBytes         float64 `json:"kv_bytes"`         // KV cache read or written
	ActivationBytes float64 `json:"activation_bytes"` // activations read and written (all_reduce: sent over the link)
	ComputeSeconds  float64 `json:"compute_s"`        // FLOPs / achievable FLOP/s
	MemorySeconds   float64 `json:"memory_s"`         // bytes / achievable bandwidth (link bandwidth for all_reduce)
	Seconds         float64 `json:"seconds"`          // max of the two; launch_overhead: the time launches add
	Bound           Bound   `json:"bound"`
}

// Bytes is every byte the operation moves.
func (o Op) Bytes() float64 { return o.WeightBytes + o.KVBytes + o.ActivationBytes }

// Footprint is the device memory a step needs, per device.
type Footprint struct {
	WeightBytes     int64 `json:"weight_bytes"`
	KVBytes         int64 `json:"kv_bytes"`         // the cache after the step
	ActivationBytes int64 `json:"activation_bytes"` // transient: one layer's activations for a chunk, and the logits
	TotalBytes      int64 `json:"total_bytes"`
	UsableBytes     int64 `json:"usable_bytes"` // device memory x memory fraction
	Fits            bool  `json:"fits"`
}

// Step is the prediction for one forward pass. FLOPs, bytes and memory are
// per device; with tensor parallelism every device does 1/TP of the work.
// A step that does not fit has Fits false, zero Seconds and no Ops.
type Step struct {
	Phase     Phase     `json:"phase"`
	Cached    bool      `json:"cached"`     // K/V come from (and go to) a cache
	Batch     int       `json:"batch"`      // requests
	NewTokens float64   `json:"new_tokens"` // per request
	Context   float64   `json:"context"`    // tokens before the new ones, per request
	TP        int       `json:"tp"`
	Fits      bool      `json:"fits"`
	Seconds   float64   `json:"seconds"`
	Bound     Bound     `json:"bound,omitempty"`
	FLOPs     float64   `json:"flops"` // per device
	Bytes     float64   `json:"bytes"` // per device
	Kernels   int       `json:"kernels"`
	Memory    Footprint `json:"memory"`
	Ops       []Op      `json:"ops,omitempty"`
}

// TotalFLOPs is the step's work over all devices.
func (s Step) TotalFLOPs() float64 { return s.FLOPs * float64(s.TP) }

// work is one operation of one layer (or of the step) before pricing.
type work struct {
	name          string
	kernels       int
	flops         float64
	weight, kv, a float64 // bytes
	reuse         float64 // rows sharing each weight (or K/V) load, for matrix-vector caps
	comm          float64 // bytes all-reduced over the TP group
	cpu           cpuWork // what the decoder does for it on this-cpu
}

// priced is a work item with its roofline terms.
type priced struct {
	work
	compute, memory, seconds float64
	bound                    Bound
}

func (p *Predictor) price(w work) priced {
	if p.hw.CPU != nil && w.comm == 0 {
		return p.priceCPU(w)
	}
	if w.comm > 0 {
		t := float64(p.opt.TP)
		sec := p.hw.AllReduceLatency + 2*(t-1)/t*w.comm/(p.hw.LinkBandwidth*p.hw.LinkEfficiency)
		return priced{work: w, memory: sec, seconds: sec, bound: CommunicationBound}
	}
	out := priced{work: w}
	if w.flops > 0 {
		rate := p.peak
		if p.matvec > 0 {
			rate = min(rate, max(w.reuse, 1)*p.matvec)
		}
		out.compute = w.flops / rate
	}
	out.memory = (w.weight + w.kv + w.a) / p.bandwidth
	out.seconds = max(out.compute, out.memory)
	out.bound = MemoryBound
	if out.compute > out.memory {
		out.bound = ComputeBound
	}
	return out
}

// step prices a pass: builds the per-layer work, runs the launch pipeline
// over every kernel of every layer, and sums the breakdown.
func (p *Predictor) step(ps pass) Step {
	st := Step{Phase: ps.phase, Cached: ps.cached, Batch: ps.batch, NewTokens: ps.newTokens,
		Context: ps.context, TP: p.opt.TP}
	st.Memory = p.footprint(ps)
	st.Fits = st.Memory.Fits
	if !st.Fits {
		return st
	}
	head, dense, moe, tail := p.works(ps)
	var order []string
	sum := map[string]*Op{}
	add := func(list []priced, times int) {
		for _, w := range list {
			o, ok := sum[w.name]
			if !ok {
				o = &Op{Name: w.name, Bound: w.bound}
				sum[w.name] = o
				order = append(order, w.name)
			}
			n := float64(times)
			o.Kernels += w.kernels * times
			o.FLOPs += n * w.flops
			o.WeightBytes += n * w.weight
			o.KVBytes += n * w.kv
			o.ActivationBytes += n * w.a
			o.ComputeSeconds += n * w.compute
			o.MemorySeconds += n * w.memory
			o.Seconds += n * w.seconds
			if w.comm > 0 {
				o.ActivationBytes += n * w.comm
			}
		}
	}
	add(head, 1)
	add(dense, p.spec.DenseLayers())
	add(moe, p.spec.MoELayers())
	add(tail, 1)

	total := p.pipeline(head, dense, moe, tail)
	var busy float64
	byBound := map[Bound]float64{}
	for _, name := range order {
		o := sum[name]
		st.Ops = append(st.Ops, *o)
		st.FLOPs += o.FLOPs
		if o.Bound != CommunicationBound { // link traffic is not memory traffic
			st.Bytes += o.Bytes()
		}
		st.Kernels += o.Kernels
		busy += o.Seconds
		byBound[o.Bound] += o.Seconds
	}
	overhead := max(total-busy, 0)
	st.Ops = append(st.Ops, Op{Name: "launch_overhead", Kernels: st.Kernels, Seconds: overhead, Bound: OverheadBound})
	byBound[OverheadBound] = overhead
	st.Seconds = total
	st.Bound = ComputeBound
	for _, b := range []Bound{MemoryBound, OverheadBound, CommunicationBound} {
		if byBound[b] > byBound[st.Bound] {
			st.Bound = b
		}
	}
	return st
}

// seconds prices a pass without the breakdown or the memory check: the
// fast path for sweeps and the serving interface.
func (p *Predictor) seconds(ps pass) float64 {
	return p.pipeline(p.works(ps))
}

// pipeline runs the kernels in order through a host queue and a device
// queue. Eager: the host spends LaunchSeconds issuing each kernel and may
// run ahead; a kernel starts when it is issued and the previous one is done.
// Graph: the host issues the whole step once. Every kernel costs its share
// of its operation's roofline time plus KernelGapSeconds on the device.
func (p *Predictor) pipeline(head, dense, moe, tail []priced) float64 {
	issue := p.hw.LaunchSeconds
	host, dev := 0.0, 0.0
	if p.opt.Exec == Graph {
		host, issue = p.hw.LaunchSeconds, 0
	}
	gap := p.hw.KernelGapSeconds
	run := func(list []priced) {
		for _, w := range list {
			if w.kernels == 0 { // this-cpu: work done inline, no fork-join
				dev = max(dev, host) + w.seconds
				continue
			}
			per := w.seconds/float64(w.kernels) + gap
			for range w.kernels {
				host += issue
				dev = max(dev, host) + per
			}
		}
	}
	run(head)
	for range p.spec.DenseLayers() {
		run(dense)
	}
	for range p.spec.MoELayers() {
		run(moe)
	}
	run(tail)
	return dev
}

// Eager kernel counts, after HF transformers' LlamaDecoderLayer and
// GPT2Block with SDPA attention; graph counts after vLLM's fused kernels.
const (
	eagerRMSNormKernels = 8  // to fp32, pow, mean, add eps, rsqrt, mul, to dtype, mul weight
	eagerRoPEKernels    = 10 // per q and k: mul cos, rotate_half (neg, cat), mul sin, add
	eagerSamplerKernels = 2  // softmax/argmax over the last logits
)

// works builds the work of one forward pass: the embedding (head), one
// dense layer, one MoE layer, and the final norm, LM head and sampler (tail).
func (p *Predictor) works(ps pass) (head, dense, moe []priced, tail []priced) {
	s, eager := p.spec, p.opt.Exec == Eager
	t := float64(p.opt.TP)
	d, rows, ab, wb := float64(s.DModel), ps.rows, p.actBytes, p.weightBytes
	hDev := float64(s.Heads) / t
	qk, v := float64(s.QKHeadDim()), float64(s.VHeadDim())
	qOut, attnOut := hDev*qk, hDev*v
	kvOut := p.kvHeadsDev * (qk + v) // K and V as the attention kernel reads them

	normKernels := 1
	if s.Norm == model.RMSNorm && eager {
		normKernels = eagerRMSNormKernels
	}
	kernels := func(eagerCount, graphCount int) int {
		if eager {
			return eagerCount
		}
		return graphCount
	}
	cpu := p.cpuPass(ps)
	mlpBias := s.Bias && s.Activation != model.SwiGLU // biases of the up and down projections (the decoder's layout)

	// Embedding lookup (and learned positions): gather rows, write activations.
	embed := work{name: "embedding", kernels: 1, weight: rows * d * wb, a: rows * d * ab,
		cpu: cpu.inline(elementValues{copy: rows * d})}
	if s.Positions == model.Learned {
		embed.kernels = kernels(3, 1)
		embed.weight *= 2
		embed.a *= 3
		embed.cpu.values.add = rows * d
	}
	head = []priced{p.price(embed)}

	// Attention half of a layer.
	norms, adds := 2, 2
	if s.ParallelBlock {
		norms = 1
	}
	var layer []work
	normValues := cpu.norm(float64(norms) * rows * d)
	outRes, downRes := residual(rows*d, s.Bias), residual(rows*d, mlpBias)
	normValues.addFresh, normValues.add = outRes.addFresh+downRes.addFresh, outRes.add+downRes.add
	layer = append(layer, work{name: "norm_residual", kernels: kernels(norms*normKernels+adds, norms),
		a: rows * d * ab * float64(2*norms+3*adds), cpu: cpu.perRow(norms+adds, normValues)})
	qkvKernels := 1
	switch {
	case s.Attention == model.MLA:
		qkvKernels = kernels(4+normKernels, 3) // q down/up, kv down/up, latent norm
	case s.Positions == model.RoPE && !s.ParallelBlock && eager:
		qkvKernels = 3 // separate q_proj, k_proj, v_proj
	}
	ain := float64(p.w.AttentionIn)
	qkv := work{name: "qkv_proj", kernels: qkvKernels, flops: 2 * rows * ain / t,
		weight: ain * wb / t, a: rows * ab * (d + qOut + kvOut), reuse: rows,
		cpu: cpu.matmul(1, qOut+kvOut, elementValues{addFresh: boolValue(s.Bias) * rows * (qOut + kvOut)})}
	if s.Positions != model.RoPE { // the bias step runs on its own
		qkv.cpu.forks += cpu.eachRow
	}
	layer = append(layer, qkv)
	if s.Positions == model.RoPE {
		layer = append(layer, work{name: "rope", kernels: kernels(eagerRoPEKernels, 1),
			a: rows * ab * 2 * (qOut + p.kvHeadsDev*qk), cpu: cpu.perRow(1, elementValues{rope: rows * (qOut + p.kvHeadsDev*qk)})})
	}
	if ps.kvWrite > 0 {
		layer = append(layer, work{name: "kv_write", kernels: kernels(2, 1),
			kv: ps.kvWrite * p.kvBytesDev, a: ps.kvWrite * p.kvValsDev * ab,
			cpu: cpu.inline(elementValues{copy: ps.kvWrite * p.kvValsDev, handoff: boolValue(!s.Bias) * ps.kvWrite * p.kvValsDev / 2})})
	}
	group := float64(s.Heads) / float64(s.KVHeads) // queries sharing one K/V head
	if s.Attention == model.MLA {
		group = float64(s.Heads)
	}
	perPosition := 2 * hDev * (qk + v)
	layer = append(layer, work{name: "attention", kernels: kernels(2, 1), flops: perPosition * ps.attended,
		kv: ps.kvRead * p.kvBytesDev, a: rows * ab * (qOut + attnOut + kvOut),
		reuse: ps.rows / float64(ps.batch) * group,
		cpu:   cpu.attention(rows*hDev, hDev*ps.attended, (qk+v)/2)})
	aout := float64(p.w.AttentionOut)
	layer = append(layer, work{name: "o_proj", kernels: 1, flops: 2 * rows * aout / t,
		weight: aout * wb / t, a: rows * ab * (attnOut + d), reuse: rows, cpu: cpu.matmul(1, d, elementValues{})})
	allReduce := work{name: "all_reduce", kernels: 1, comm: rows * d * ab}
	if p.opt.TP > 1 && !s.ParallelBlock {
		layer = append(layer, allReduce)
	}

	// MLP half: a dense MLP, or experts.
	perMatrix := 2.0 // GELU: fc out and activation
	if s.Activation == model.SwiGLU {
		perMatrix = 3 // gate, up, product
	}
	mlpKernels := kernels(3, 3)
	if s.Activation == model.SwiGLU {
		mlpKernels = kernels(5, 3) // gate, up, silu, mul, down | gate_up, silu_and_mul, down
	}
	dm := float64(p.w.DenseMLP)
	denseMLP := work{name: "mlp", kernels: mlpKernels, flops: 2 * rows * dm / t, weight: dm * wb / t,
		a: rows * ab * (2*d + 2*perMatrix*float64(s.FFN)/t), reuse: rows,
		cpu: cpu.matmul(2+cpu.eachRow, (perMatrix-1)*float64(s.FFN)/t+d, cpu.activation(rows*float64(s.FFN)/t, mlpBias))}
	tailOfLayer := []work{}
	if p.opt.TP > 1 {
		tailOfLayer = append(tailOfLayer, allReduce)
	}
	dense = p.priceAll(append(append(append([]work{}, layer...), denseMLP), tailOfLayer...))
	if m := s.MoE; m != nil {
		e := float64(m.RoutedExperts)
		touched := e * (1 - math.Pow(1-float64(m.ActiveExperts)/e, rows)) // distinct experts hit, uniform routing
		per := float64(m.ActiveExperts + m.SharedExperts)
		ex, router := float64(p.w.Expert), float64(p.w.Router)
		moeKernels := kernels(7+9*int(math.Ceil(touched))+5*m.SharedExperts, 7+3*min(m.SharedExperts, 1))
		experts := work{name: "mlp", kernels: moeKernels, flops: 2 * rows * (per*ex + router) / t,
			weight: (router + (float64(m.SharedExperts)+touched)*ex) * wb / t,
			a:      rows * ab * (2*d + 2*3*per*float64(m.ExpertFFN)/t + e),
			reuse:  rows * per / (float64(m.SharedExperts) + touched),
			cpu:    cpu.matmul(3+cpu.eachRow, per*(2*float64(m.ExpertFFN)/t+d), cpu.activation(rows*per*float64(m.ExpertFFN)/t, false))}
		moe = p.priceAll(append(append(append([]work{}, layer...), experts), tailOfLayer...))
	}

	// Final norm over every row, LM head and sampler over the last row of
	// each request; logits are written in fp32. (The decoder norms the last
	// row only.)
	lm := float64(p.w.LMHead)
	tail = p.priceAll([]work{
		{name: "norm_residual", kernels: normKernels, a: rows * d * ab * 2, cpu: cpu.inline(cpu.norm(ps.logitRows * d))},
		{name: "lm_head", kernels: kernels(1+eagerSamplerKernels, 2), flops: 2 * ps.logitRows * lm / t,
			weight: lm * wb / t, a: ps.logitRows * (d*ab + float64(s.Vocab)/t*4), reuse: ps.logitRows,
			cpu: cpu.matmul(1, float64(s.Vocab)/t, elementValues{})},
	})
	return head, dense, moe, tail
}

func (p *Predictor) priceAll(ws []work) []priced {
	out := make([]priced, len(ws))
	for i, w := range ws {
		out[i] = p.price(w)
	}
	return out
}

// Logit rows that capacity planning reserves: vLLM's default max_num_seqs.
const reservedLogitRows = 256

// footprint sizes a pass's memory on one device: weights / TP, the cache
// after the pass, and the activations of at most PrefillChunk rows at once
// plus the fp32 logits.
func (p *Predictor) footprint(ps pass) Footprint {
	f := Footprint{
		WeightBytes:     p.weightsPerDevice(),
		KVBytes:         int64(math.Ceil(ps.kvHeld * float64(p.spec.Layers) * p.kvBytesDev)),
		ActivationBytes: p.activationBytes(ps.rows, ps.logitRows),
		UsableBytes:     p.usableBytes(),
	}
	f.TotalBytes = f.WeightBytes + f.KVBytes + f.ActivationBytes
	f.Fits = f.TotalBytes <= f.UsableBytes
	return f
}

func (p *Predictor) weightsPerDevice() int64 {
	return int64(math.Ceil(float64(p.spec.WeightBytes(p.opt.DType)) / float64(p.opt.TP)))
}

func (p *Predictor) usableBytes() int64 {
	return int64(float64(p.hw.MemoryBytes) * p.opt.MemoryFraction)
}

// activationBytes is the transient memory of a pass over rows tokens, held
// at most PrefillChunk rows at a time, plus logitRows rows of fp32 logits.
// Activations are not divided by TP (the residual stream is replicated):
// an upper bound.
func (p *Predictor) activationBytes(rows, logitRows float64) int64 {
	live := int(math.Ceil(min(rows, float64(p.opt.PrefillChunk))))
	return p.spec.ActivationBytes(live, p.actDType) + p.spec.LogitsBytes(int(math.Ceil(logitRows)), model.FP32)
}
