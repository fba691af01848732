package cost

import (
	"math"
	"sync"

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
	Engine    string    `json:"engine"` // execution profile
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
	allToAll      float64 // bytes one device sends to the others in an all-to-all
	fixed         float64 // device seconds measured for the work beyond its roofline (a sort)
	cpu           cpuWork // what the decoder does for it on this-cpu
}

// priced is a work item with its roofline terms.
type priced struct {
	work
	compute, memory, seconds float64
	bound                    Bound
}

func (p *Predictor) price(w work) priced {
	if p.hw.CPU != nil && w.comm == 0 && w.allToAll == 0 {
		return p.priceCPU(w)
	}
	t := float64(p.opt.TP)
	link := p.hw.LinkBandwidth * p.hw.LinkEfficiency
	switch {
	case w.comm > 0: // ring all-reduce
		sec := p.allReduceLatency() + 2*(t-1)/t*w.comm/link
		return priced{work: w, memory: sec, seconds: sec, bound: CommunicationBound}
	case w.allToAll > 0: // dispatch or combine of routed tokens
		sec := p.allReduceLatency() + w.allToAll/link
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
	out.seconds = max(out.compute, out.memory) + w.fixed
	out.bound = MemoryBound
	if out.compute > out.memory {
		out.bound = ComputeBound
	}
	return out
}

// allReduceLatency is the fixed cost of one all-reduce (or all-to-all):
// the engine's when it states one; a custom one-shot all-reduce costs the
// hardware's AllReduceLatency; NCCL's ring costs what NCCL's own tuning
// model says, NCCLBaseSeconds + 2 (T-1) hops. Custom all-reduces fall back
// to NCCL on more than two PCIe-only devices (as vLLM's do).
func (p *Predictor) allReduceLatency() float64 {
	if p.eng.AllReduceSeconds > 0 {
		return p.eng.AllReduceSeconds
	}
	t := p.opt.TP
	custom := p.eng.AllReduce == CustomAllReduce && !(p.hw.PCIeOnly && t > 2)
	if custom || p.hw.NCCLHopSeconds <= 0 {
		return p.hw.AllReduceLatency
	}
	return NCCLBaseSeconds + 2*float64(t-1)*p.hw.NCCLHopSeconds
}

// execution is how the engine runs a pass: cached decode steps one way,
// prompts and uncached steps (a prefill of the whole prefix) another.
func (p *Predictor) execution(ps pass) Execution {
	if ps.phase == DecodePhase && ps.cached {
		return p.eng.Decode
	}
	return p.eng.Prefill
}

// step prices a pass: builds the per-layer work, runs the launch pipeline
// over every kernel of every layer, and sums the breakdown.
func (p *Predictor) step(ps pass) Step {
	st := Step{Phase: ps.phase, Cached: ps.cached, Batch: ps.batch, NewTokens: ps.newTokens,
		Context: ps.context, TP: p.opt.TP, Engine: p.eng.Name}
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
			o.ActivationBytes += n * (w.a + w.comm + w.allToAll)
			o.ComputeSeconds += n * w.compute
			o.MemorySeconds += n * w.memory
			o.Seconds += n * w.seconds
		}
	}
	add(head, 1)
	add(dense, p.spec.DenseLayers())
	add(moe, p.spec.MoELayers())
	add(tail, 1)

	tm := p.pipeline(p.execution(ps), head, dense, moe, tail)
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
	overhead := max(tm.total-busy, 0)
	stepShare := min(tm.stepHost, overhead)
	st.Ops = append(st.Ops,
		Op{Name: "launch_overhead", Kernels: st.Kernels, Seconds: overhead - stepShare, Bound: OverheadBound},
		Op{Name: "step_overhead", Seconds: stepShare, Bound: OverheadBound})
	byBound[OverheadBound] = overhead
	st.Seconds = tm.total
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
	w := passWorks.Get().(*passWork)
	defer passWorks.Put(w)
	p.build(ps, w)
	return p.pipeline(p.execution(ps), w.head, w.dense, w.moe, w.tail).total
}

// passWork is one pass's work, priced: the embedding (head), one dense
// layer, one MoE layer, and the final norm, LM head and sampler (tail),
// with the scratch they are built in. A sweep prices thousands of passes;
// seconds reuses passWorks' buffers so that pricing one allocates nothing.
type passWork struct {
	head, dense, moe, tail []priced
	layer, experts         []work
}

// passWorks are the buffers seconds reuses.
var passWorks = sync.Pool{New: func() any { return new(passWork) }}

// timing is a pass's time and the part of it the host's per-step work
// accounts for.
type timing struct {
	total    float64
	stepHost float64 // per-step host work that adds to the step (sync), or shows past the device (async)
}

// pipeline runs the kernels in order through a host queue and a device
// queue. Every kernel costs its share of its operation's roofline time plus
// KernelGapSeconds on the device. Eager: the host spends LaunchSeconds
// issuing each kernel (plus its layer's share of calls that launch nothing)
// and may run ahead; a kernel starts when it is issued and the previous one
// is done. Graph: the host replays the whole pass at once.
//
// An engine that waits for each step's tokens (SyncPerStep) adds its
// per-step host work to the device's time; one whose host runs ahead takes
// the larger of the host's work and the device's:
//
//	sync:  step = StepSeconds + end of the last kernel
//	async: step = max(StepSeconds + host launch work, device work)
func (p *Predictor) pipeline(x Execution, head, dense, moe, tail []priced) timing {
	e := p.eng
	q := queues{issue: e.LaunchSeconds}
	hostOp := e.HostOpSeconds * float64(planKernels[x.Plan].hostOpsPerLayer)
	if x.Exec == Graph {
		q.host, q.issue, hostOp = e.ReplaySeconds, 0, 0
	}
	gap := p.hw.KernelGapSeconds
	var buf [48]launch // a layer's launches, priced once for all its layers
	q.run(launches(buf[:0], head, gap))
	for _, l := range []struct {
		layers int
		list   []priced
	}{{p.spec.DenseLayers(), dense}, {p.spec.MoELayers(), moe}} {
		layer := launches(buf[:0], l.list, gap)
		for range l.layers {
			q.host += hostOp
			q.run(layer)
		}
	}
	q.run(launches(buf[:0], tail, gap))
	if e.SyncPerStep {
		return timing{total: e.StepSeconds + q.dev, stepHost: e.StepSeconds}
	}
	hostWork := e.StepSeconds + q.host
	if hostWork <= q.busy {
		return timing{total: q.busy}
	}
	return timing{total: hostWork, stepHost: min(e.StepSeconds, hostWork-q.busy)}
}

// launch is one operation as the pipeline runs it: kernels launches of
// per seconds each on the device (its roofline share plus the gap), or,
// with kernels 0, per seconds of work done inline (this-cpu).
type launch struct {
	kernels int
	per     float64
}

// launches appends the launches of list to out: what every layer repeats,
// computed once a pass.
func launches(out []launch, list []priced, gap float64) []launch {
	for i := range list {
		w := &list[i]
		if w.kernels == 0 {
			out = append(out, launch{per: w.seconds})
			continue
		}
		out = append(out, launch{kernels: w.kernels, per: w.seconds/float64(w.kernels) + gap})
	}
	return out
}

// queues are the host's and the device's clocks as kernels go through
// them, and the device's busy time.
type queues struct {
	host, dev, busy float64
	issue           float64 // host seconds to launch one kernel
}

// run passes ls through the queues in order: a kernel starts when the host
// has issued it and the device has finished the one before.
func (q *queues) run(ls []launch) {
	host, dev, busy, issue := q.host, q.dev, q.busy, q.issue
	for _, l := range ls {
		if l.kernels == 0 { // inline: no launch, no gap
			if host > dev {
				dev = host
			}
			dev += l.per
			busy += l.per
			continue
		}
		for range l.kernels {
			host += issue
			if host > dev { // max(dev, host), as a branch the loop predicts
				dev = host
			}
			dev += l.per
			busy += l.per
		}
	}
	q.host, q.dev, q.busy = host, dev, busy
}

// works builds the work of one forward pass: the embedding (head), one
// dense layer, one MoE layer, and the final norm, LM head and sampler (tail).
func (p *Predictor) works(ps pass) (head, dense, moe []priced, tail []priced) {
	var w passWork
	p.build(ps, &w)
	return w.head, w.dense, w.moe, w.tail
}

// build fills w with the work of pass ps, reusing its buffers.
func (p *Predictor) build(ps pass, w *passWork) {
	s := p.spec
	x := p.execution(ps)
	k := planKernels[x.Plan]
	t := float64(p.opt.TP)
	d, rows, ab, wb := float64(s.DModel), ps.rows, p.actBytes, p.weightBytes
	hDev := float64(s.Heads) / t
	qk, v := float64(s.QKHeadDim()), float64(s.VHeadDim())
	qOut, attnOut := hDev*qk, hDev*v
	kvOut := p.kvHeadsDev * (qk + v) // K and V as the attention kernel reads them
	absorbed := s.Attention == model.MLA && s.MLA != nil && p.eng.MLAAbsorbed && ps.phase == DecodePhase && ps.cached
	cpu := p.cpuPass(ps)
	mlpBias := s.Bias && s.Activation != model.SwiGLU // biases of the up and down projections (the decoder's layout)

	// Embedding lookup (and learned positions): gather rows, write activations.
	embed := work{name: "embedding", kernels: k.embedding, weight: rows * d * wb, a: rows * d * ab,
		cpu: cpu.inline(elementValues{copy: rows * d})}
	if s.Positions == model.Learned {
		embed.kernels += k.learnedPositions
		embed.weight *= 2
		embed.a *= 3
		embed.cpu.values.add = rows * d
	}
	w.head = append(w.head[:0], p.price(embed))

	// Attention half of a layer.
	norms, adds := 2, 2
	if s.ParallelBlock {
		norms = 1
	}
	layer := w.layer[:0]
	normValues := cpu.norm(float64(norms) * rows * d)
	outRes, downRes := residual(rows*d, s.Bias), residual(rows*d, mlpBias)
	normValues.addFresh, normValues.add = outRes.addFresh+downRes.addFresh, outRes.add+downRes.add
	layer = append(layer, work{name: "norm_residual", kernels: norms*k.norm(s) + adds*k.residual,
		a: rows * d * ab * float64(2*norms+3*adds), cpu: cpu.perRow(norms+adds, normValues)})
	qkvKernels := k.qkvFused
	switch {
	case s.Attention == model.MLA:
		qkvKernels = k.mlaProj + k.norm(s) // q down/up, kv down/up, latent norm
	case s.Positions == model.RoPE && !s.ParallelBlock:
		qkvKernels = k.qkvRotary
	}
	ain := float64(p.w.AttentionIn)
	var upProj float64 // MLA: the latent's up-projections, absorbed into query and output in decode
	if absorbed {
		m := s.MLA
		upProj = float64(m.KVLoRARank) * float64(s.Heads) * float64(m.QKNopeHeadDim+m.VHeadDim)
		ain -= upProj
	}
	qkv := work{name: "qkv_proj", kernels: qkvKernels, flops: 2 * rows * ain / t,
		weight: ain * wb / t, a: rows * ab * (d + qOut + kvOut), reuse: rows,
		cpu: cpu.matmul(1, qOut+kvOut, elementValues{addFresh: boolValue(s.Bias) * rows * (qOut + kvOut)})}
	if s.Positions != model.RoPE { // the bias step runs on its own
		qkv.cpu.forks += cpu.eachRow
	}
	layer = append(layer, qkv)
	if absorbed {
		// W_UK turns each head's query into the latent's space, W_UV turns
		// the attention output back: two batched products per layer.
		latent := float64(s.MLA.KVLoRARank)
		layer = append(layer, work{name: "mla_up_proj", kernels: 2, flops: 2 * rows * upProj / t,
			weight: upProj * wb / t, a: rows * ab * hDev * 2 * (latent + qk), reuse: rows})
	}
	if s.Positions == model.RoPE {
		layer = append(layer, work{name: "rope", kernels: k.rope,
			a: rows * ab * 2 * (qOut + p.kvHeadsDev*qk), cpu: cpu.perRow(1, elementValues{rope: rows * (qOut + p.kvHeadsDev*qk)})})
	}
	if ps.kvWrite > 0 {
		layer = append(layer, work{name: "kv_write", kernels: k.kvWrite,
			kv: ps.kvWrite * p.kvBytesDev, a: ps.kvWrite * p.kvValsDev * ab,
			cpu: cpu.inline(elementValues{copy: ps.kvWrite * p.kvValsDev, handoff: boolValue(!s.Bias) * ps.kvWrite * p.kvValsDev / 2})})
	}
	layer = append(layer, p.attentionWork(ps, k, hDev, qOut, attnOut, kvOut, absorbed, cpu))
	aout := float64(p.w.AttentionOut)
	layer = append(layer, work{name: "o_proj", kernels: k.oProj, flops: 2 * rows * aout / t,
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
	dm := float64(p.w.DenseMLP)
	denseMLP := work{name: "mlp", kernels: k.mlp(s), flops: 2 * rows * dm / t, weight: dm * wb / t,
		a: rows * ab * (2*d + 2*perMatrix*float64(s.FFN)/t), reuse: rows,
		cpu: cpu.matmul(2+cpu.eachRow, (perMatrix-1)*float64(s.FFN)/t+d, cpu.activation(rows*float64(s.FFN)/t, mlpBias))}
	w.layer = layer
	w.dense = append(p.priceAll(w.dense[:0], layer), p.price(denseMLP))
	if p.opt.TP > 1 {
		w.dense = append(w.dense, p.price(allReduce))
	}
	w.moe = w.moe[:0]
	if s.MoE != nil {
		w.experts = p.moeWorks(w.experts[:0], ps, k, cpu)
		w.moe = p.priceAll(p.priceAll(w.moe, layer), w.experts)
		if p.opt.TP > 1 {
			w.moe = append(w.moe, p.price(allReduce))
		}
	}

	// Final norm over every row, LM head over the last row of each request
	// (logits written in fp32), and the engine's sampler over the logits.
	// (The decoder norms the last row only.)
	// An engine whose tensor parallelism leaves the LM head whole
	// (ReplicatedLMHead) reads all of it on every device.
	lm := float64(p.w.LMHead)
	vocab := float64(s.Vocab)
	lmShards := t
	if p.eng.ReplicatedLMHead {
		lmShards = 1
	}
	w.tail = append(w.tail[:0],
		p.price(work{name: "norm_residual", kernels: k.norm(s), a: rows * d * ab * 2, cpu: cpu.inline(cpu.norm(ps.logitRows * d))}),
		p.price(work{name: "lm_head", kernels: k.lmHead, flops: 2 * ps.logitRows * lm / lmShards,
			weight: lm * wb / lmShards, a: ps.logitRows * (d*ab + vocab/lmShards*4), reuse: ps.logitRows,
			cpu: cpu.matmul(1, vocab/t, elementValues{})}))
	if n := p.eng.SamplerKernels; n > 0 {
		sampler := work{name: "sampler", kernels: n, a: float64(n) * 2 * ps.logitRows * vocab * 4}
		if c := p.eng.TopP; c != nil {
			sampler.fixed = c.StepSeconds(ps.batch, s.Vocab)
		}
		w.tail = append(w.tail, p.price(sampler))
	}
}

// attentionWork is one layer's attention. Fused (FlashAttention-style)
// kernels read Q, K and V once and write O once; without them (an engine's
// ScoreBytes) every score of the whole new-tokens x cached-and-new-tokens
// rectangle is computed, the causal mask applied afterwards, and the score
// matrix moves ScoreBytes bytes per element between the product with K, the
// softmax and the product with V. MLA with absorbed weights attends over the
// cached latent: per position and head 2 (latent + rope) FLOPs for the
// score and 2 latent for the value.
func (p *Predictor) attentionWork(ps pass, k kernelCounts, hDev, qOut, attnOut, kvOut float64, absorbed bool, cpu cpuPassFacts) work {
	s := p.spec
	rows, ab := ps.rows, p.actBytes
	qk, v := float64(s.QKHeadDim()), float64(s.VHeadDim())
	group := float64(s.Heads) / float64(s.KVHeads) // queries sharing one K/V head
	if s.Attention == model.MLA {
		group = float64(s.Heads)
	}
	perPosition := 2 * hDev * (qk + v)
	if absorbed {
		latent, rope := float64(s.MLA.KVLoRARank), float64(s.MLA.QKRopeHeadDim)
		perPosition = 2 * hDev * (2*latent + rope)
		kvOut = 0 // the latent is read from the cache, not written per head
	}
	kernels := k.attention
	if group > 1 && s.Attention != model.MLA {
		kernels += k.gqaExpand
	}
	kvRead := ps.kvRead * p.kvBytesDev
	positions := ps.attended
	if !p.eng.FlashAttention {
		positions = float64(ps.batch) * ps.newTokens * p.window(ps.span())
	}
	w := work{name: "attention", kernels: kernels, flops: perPosition * positions,
		kv: kvRead, a: rows * ab * (qOut + attnOut + kvOut),
		reuse: ps.rows / float64(ps.batch) * group,
		cpu:   cpu.attention(rows*hDev, hDev*ps.attended, (qk+v)/2)}
	if !p.eng.FlashAttention {
		w.a += p.eng.ScoreBytes * hDev * positions
	}
	if group > 1 && s.Attention != model.MLA {
		switch {
		case p.eng.ExpandKV: // the copy is written, then read by attention
			w.a += 2 * kvRead * min(group, hDev)
		case p.eng.KVReadsPerQueryHead && ps.phase == DecodePhase && ps.cached:
			w.kv = kvRead * min(group, hDev)
		}
	}
	return w
}

// moeWorks is one MoE layer's MLP: the router, the experts the batch's
// tokens are routed to, and, with expert parallelism, the all-to-alls that
// carry tokens to their experts and back.
//
// With E routed experts of which each token uses k, under uniform routing
// a batch of R rows hits E (1 - (1 - k/E)^R) distinct experts; each one hit
// is read whole. Tensor parallelism shards every expert over the T devices;
// expert parallelism places E/T whole experts on each device instead, and
// the step waits for the device whose experts the batch hits most.
func (p *Predictor) moeWorks(out []work, ps pass, k kernelCounts, cpu cpuPassFacts) []work {
	s, m := p.spec, p.spec.MoE
	rows, ab, wb := ps.rows, p.actBytes, p.weightBytes
	t := float64(p.opt.TP)
	d := float64(s.DModel)
	e, active, shared := float64(m.RoutedExperts), float64(m.ActiveExperts), float64(m.SharedExperts)
	touched := expertsHit(e, active, rows)
	per := active + shared
	ex, router := float64(p.w.Expert), float64(p.w.Router)
	kernels := k.moeFixed + k.moePerExpert*int(math.Ceil(touched)) + k.sharedExpert*min(m.SharedExperts, 1)
	out = append(out, work{name: "moe_router", kernels: 2, flops: 2 * rows * router / t, weight: router * wb / t,
		a: rows * ab * (d + e), reuse: rows})
	experts := work{name: "mlp", kernels: kernels - 2, flops: 2 * rows * per * ex / t,
		weight: (shared + touched) * ex * wb / t,
		a:      rows * ab * (2*d + 2*3*per*float64(m.ExpertFFN)/t),
		reuse:  rows * per / (shared + touched),
		cpu:    cpu.matmul(3+cpu.eachRow, per*(2*float64(m.ExpertFFN)/t+d), cpu.activation(rows*per*float64(m.ExpertFFN)/t, false))}
	if p.opt.ExpertParallel && p.opt.TP > 1 {
		busiest := busiestDeviceExperts(m.RoutedExperts/p.opt.TP, p.opt.TP, expertHitProbability(e, active, rows))
		imbalance := busiest / max(touched/t, 1e-12)
		experts.weight = (shared/t + busiest) * ex * wb
		experts.flops = 2 * rows * (shared/t + active/t*imbalance) * ex
		experts.reuse = rows * active / t * imbalance / max(busiest, 1e-12)
		sent := rows * active * d * ab * (t - 1) / t
		out = append(out, work{name: "moe_all_to_all", kernels: 1, allToAll: sent}, experts,
			work{name: "moe_all_to_all", kernels: 1, allToAll: sent})
		return out
	}
	return append(out, experts)
}

// expertHitProbability is the chance that a given expert is used by at
// least one of rows tokens, each routed to active of e experts uniformly.
func expertHitProbability(e, active, rows float64) float64 {
	return 1 - math.Pow(1-active/e, rows)
}

// expertsHit is the expected number of distinct experts rows tokens use.
func expertsHit(e, active, rows float64) float64 {
	return e * expertHitProbability(e, active, rows)
}

// busiestDeviceExperts is the expected largest number of experts hit on
// one of devices devices holding perDevice experts each, each hit with
// probability q (taken independent):
//
//	E[max] = sum over j = 1..perDevice of 1 - P(X < j)^devices,  X ~ Binomial(perDevice, q)
func busiestDeviceExperts(perDevice, devices int, q float64) float64 {
	var out, cdf float64
	pmf := math.Pow(1-q, float64(perDevice)) // P(X = 0)
	for j := 1; j <= perDevice; j++ {
		cdf += pmf // P(X <= j-1)
		out += 1 - math.Pow(cdf, float64(devices))
		if q < 1 {
			pmf *= float64(perDevice-j+1) / float64(j) * q / (1 - q)
		}
	}
	return out
}

// priceAll appends the priced ws to out.
func (p *Predictor) priceAll(out []priced, ws []work) []priced {
	for _, w := range ws {
		out = append(out, p.price(w))
	}
	return out
}

// Logit rows that capacity planning reserves: vLLM's default max_num_seqs.
const reservedLogitRows = 256

// footprint sizes a pass's memory on one device: weights / TP, the cache
// after the pass, and the activations of at most PrefillChunk rows at once
// plus the fp32 logits. Callers check the sizes first (checkSizes).
func (p *Predictor) footprint(ps pass) Footprint {
	f := Footprint{
		WeightBytes:     p.weightsPerDevice(),
		KVBytes:         bytesOf(ps.kvHeld * float64(p.spec.Layers) * p.kvBytesDev),
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

// usableBytes is what the engine lets itself use on one device: the memory
// fraction of the device (vLLM, SGLang), or, for an engine that sizes its
// cache from what is left after loading (TensorRT-LLM), the weights and
// reserved activations plus the fraction of the rest. Never more than the
// device holds.
func (p *Predictor) usableBytes() int64 {
	mem := float64(p.hw.MemoryBytes)
	if !p.eng.MemoryOfFree {
		return int64(mem * p.opt.MemoryFraction)
	}
	fixed := float64(p.weightsPerDevice() + p.activationBytes(float64(p.opt.PrefillChunk), reservedLogitRows))
	return int64(min(mem, fixed+p.opt.MemoryFraction*max(mem-fixed, 0)))
}

// activationBytes is the transient memory of a pass over rows tokens, held
// at most PrefillChunk rows at a time, plus logitRows rows of fp32 logits.
// Activations are not divided by TP (the residual stream is replicated):
// an upper bound.
func (p *Predictor) activationBytes(rows, logitRows float64) int64 {
	live := int(math.Ceil(min(rows, float64(p.opt.PrefillChunk))))
	logits := bytesOf(math.Ceil(logitRows) * float64(p.spec.Vocab) * 4)
	return p.spec.ActivationBytes(live, p.actDType) + logits
}
