package cost

import (
	"fmt"
	"strings"

	"kvcache/kvsim/model"
)

// ExecMode says how kernels reach the device.
type ExecMode string

// Execution modes.
const (
	// Eager issues one launch per operation from the host, as PyTorch and
	// HF transformers do by default.
	Eager ExecMode = "eager"
	// Graph replays fused kernels from one launch per step, as CUDA graphs,
	// torch.compile(mode="reduce-overhead"), vLLM and TensorRT-LLM do.
	Graph ExecMode = "graph"
)

// ParseExecMode reads "eager" or "graph".
func ParseExecMode(s string) (ExecMode, error) {
	switch ExecMode(strings.ToLower(strings.TrimSpace(s))) {
	case Eager:
		return Eager, nil
	case Graph:
		return Graph, nil
	}
	return "", fmt.Errorf("cost: unknown execution mode %q: use eager or graph", s)
}

// Defaults for Options left zero.
const (
	DefaultMemoryFraction = 0.9  // vLLM's --gpu-memory-utilization default (the default engine's)
	DefaultPrefillChunk   = 8192 // tokens per forward pass whose activations are held at once
)

// Options choose how a model runs on the hardware. Zero values pick the
// defaults: the hardware's default dtype, the engine Exec stands for (vllm
// for graph or nothing, pytorch-eager for eager; kvsim-decoder on
// this-cpu), one device, the engine's memory fraction, chunks of 8,192
// tokens.
type Options struct {
	DType            model.DType // weights, KV cache and compute rate; activations are bf16 (fp32 when DType is fp32)
	Exec             ExecMode    // kept for callers that pick by mode: an alias of an engine (EngineForExec)
	Engine           string      // execution profile (Engines); wins over Exec
	TP               int         // tensor-parallel devices; 0 means 1
	MemoryFraction   float64     // share of device memory the engine may use; 0: the engine's
	PrefillChunk     int         // tokens whose activations are live at once (chunked prefill)
	AllowLongContext bool        // predict contexts beyond the model's trained maximum
	ExpertParallel   bool        // place whole experts on each device instead of sharding every expert
}

// Predictor prices forward passes of one model on one hardware setup.
// It is immutable and safe for concurrent use.
type Predictor struct {
	spec model.Spec
	hw   Hardware
	opt  Options // resolved: no zero values left
	eng  Engine  // execution profile

	w           model.MatmulWeights
	weightBytes float64 // bytes per weight value
	actBytes    float64 // bytes per activation value
	actDType    model.DType
	kvHeadsDev  float64 // K/V heads one device holds (MLA: the latent is replicated)
	kvValsDev   float64 // cached values per token per layer on one device
	kvBytesDev  float64 // cached bytes per token per layer on one device
	peak        float64 // achievable FLOP/s
	matvec      float64 // achievable matrix-vector FLOP/s; 0 when not capped
	bandwidth   float64 // achievable bytes/s
}

// New checks the combination and returns a predictor. Errors name the
// problem and the fix: a dtype the hardware has no figure for, a TP degree
// that does not divide the heads or exceeds the node, a fraction out of range.
func New(spec model.Spec, hw Hardware, opt Options) (*Predictor, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("cost: %w", err)
	}
	if err := hw.Validate(); err != nil {
		return nil, err
	}
	if opt.DType == "" {
		opt.DType = hw.DefaultDType
	}
	if opt.DType.Bits() == 0 {
		return nil, fmt.Errorf("cost: unknown dtype %q: use one of %s", opt.DType, sortedDTypes(model.DTypes()))
	}
	if hw.PeakFLOPS[opt.DType] <= 0 {
		return nil, fmt.Errorf("cost: hardware %s has no %s figure in its datasheet; use one of %s",
			hw.Name, opt.DType, sortedDTypes(hw.DTypes()))
	}
	eng, err := resolveEngine(hw, &opt)
	if err != nil {
		return nil, err
	}
	if err := checkTP(spec, hw, &opt.TP); err != nil {
		return nil, err
	}
	if opt.MemoryFraction == 0 {
		opt.MemoryFraction = eng.Fraction(opt.TP)
	}
	if !(opt.MemoryFraction > 0 && opt.MemoryFraction <= 1) {
		return nil, fmt.Errorf("cost: memory fraction %g must be in (0, 1]", opt.MemoryFraction)
	}
	if opt.ExpertParallel && spec.MoE != nil && spec.MoE.RoutedExperts%opt.TP != 0 {
		return nil, fmt.Errorf("cost: expert parallelism over %d devices does not divide %s's %d experts", opt.TP, spec.Name, spec.MoE.RoutedExperts)
	}
	if opt.PrefillChunk == 0 {
		opt.PrefillChunk = DefaultPrefillChunk
	}
	if opt.PrefillChunk < 0 {
		return nil, fmt.Errorf("cost: prefill chunk %d must be positive", opt.PrefillChunk)
	}

	p := &Predictor{spec: spec, hw: hw, opt: opt, eng: eng, w: spec.MatmulWeights()}
	p.weightBytes = float64(opt.DType.Bits()) / 8
	p.actDType = model.BF16
	if opt.DType == model.FP32 {
		p.actDType = model.FP32
	}
	p.actBytes = float64(p.actDType.Bits()) / 8
	tp := float64(opt.TP)
	switch {
	case spec.Attention == model.MLA:
		p.kvHeadsDev = float64(spec.Heads) / tp // K/V are up-projected per head
		p.kvValsDev = float64(spec.KVValuesPerTokenPerLayer())
	default:
		p.kvHeadsDev = max(1, float64(spec.KVHeads)/tp) // fewer K/V heads than devices: replicated
		p.kvValsDev = 2 * p.kvHeadsDev * float64(spec.HeadDim)
	}
	p.kvBytesDev = p.kvValsDev * p.weightBytes
	p.peak = hw.PeakFLOPS[opt.DType] * hw.ComputeEfficiency
	if eng.FP16Accumulate && opt.DType == model.FP16 && hw.FP16AccumulateFLOPS > 0 {
		p.peak = hw.FP16AccumulateFLOPS * hw.ComputeEfficiency
	}
	p.matvec = hw.MatvecFLOPS[opt.DType] * hw.ComputeEfficiency
	p.bandwidth = hw.MemoryBandwidth * hw.BandwidthEfficiency
	return p, nil
}

// checkTP resolves a zero TP to 1 and checks the degree against the node
// size and the head counts (vLLM's rules: heads split evenly; K/V heads split
// evenly or replicated).
func checkTP(spec model.Spec, hw Hardware, tp *int) error {
	if *tp == 0 {
		*tp = 1
	}
	t := *tp
	switch {
	case t < 0:
		return fmt.Errorf("cost: tensor parallelism %d must be 1 or more", t)
	case t > hw.MaxTP && hw.MaxTP == 1:
		return fmt.Errorf("cost: %s is a single device: tensor parallelism must be 1, got %d", hw.Name, t)
	case t > hw.MaxTP:
		return fmt.Errorf("cost: tensor parallelism %d exceeds the %d devices of one %s node", t, hw.MaxTP, hw.Name)
	case spec.Heads%t != 0:
		return fmt.Errorf("cost: tensor parallelism %d does not divide %s's %d attention heads", t, spec.Name, spec.Heads)
	case spec.Attention != model.MLA && spec.KVHeads%t != 0 && t%spec.KVHeads != 0:
		return fmt.Errorf("cost: tensor parallelism %d neither divides nor is a multiple of %s's %d K/V heads", t, spec.Name, spec.KVHeads)
	}
	return nil
}

// resolveEngine picks the execution profile: opt.Engine by name, else the
// one opt.Exec stands for; this-cpu runs only kvsim's decoder, and the
// decoder runs only on this-cpu. It fills opt.Engine and opt.Exec.
func resolveEngine(hw Hardware, opt *Options) (Engine, error) {
	if opt.Exec != "" {
		if _, err := ParseExecMode(string(opt.Exec)); err != nil {
			return Engine{}, err
		}
	}
	name := opt.Engine
	thisCPU := hw.CPU != nil || hw.Name == ThisCPU
	switch {
	case name == "" && thisCPU:
		name = ThisCPUEngine
	case name == "":
		name = EngineForExec(opt.Exec)
	}
	eng, err := LookupEngine(name)
	if err != nil {
		return Engine{}, err
	}
	if err := eng.Validate(); err != nil {
		return Engine{}, err
	}
	isDecoder := eng.Decode.Plan == DecoderPlan
	switch {
	case thisCPU && !isDecoder:
		return Engine{}, fmt.Errorf("cost: %s is priced with kvsim's own decoder; engine %s runs on GPUs: leave --engine unset or use %s", hw.Name, eng.Name, ThisCPUEngine)
	case !thisCPU && isDecoder:
		return Engine{}, fmt.Errorf("cost: engine %s is kvsim's decoder on this CPU; pick hardware this-cpu or another engine (%s)", eng.Name, strings.Join(EngineNames(), ", "))
	}
	opt.Engine, opt.Exec = eng.Name, eng.Decode.Exec
	return eng, nil
}

// Engine is the execution profile being priced.
func (p *Predictor) Engine() Engine { return p.eng }

// Spec is the model being priced.
func (p *Predictor) Spec() model.Spec { return p.spec }

// Hardware is the device being priced.
func (p *Predictor) Hardware() Hardware { return p.hw }

// Options are the resolved options (defaults filled in).
func (p *Predictor) Options() Options { return p.opt }

// checkContext refuses a context whose next token has no position in the
// model's window, unless long contexts are allowed.
func (p *Predictor) checkContext(context int) error {
	if context < 0 {
		return fmt.Errorf("cost: context %d must be 0 or more tokens", context)
	}
	if err := checkRange("context", context, MaxContextTokens-1); err != nil { // context+1 tokens are sized
		return err
	}
	if context+1 > p.spec.MaxContext && !p.opt.AllowLongContext {
		return &ContextError{Model: p.spec.Name, Context: context, MaxContext: p.spec.MaxContext}
	}
	return nil
}

// ContextError reports a context beyond the model's trained window.
type ContextError struct {
	Model      string
	Context    int // tokens before the new one
	MaxContext int // positions the model was trained on
}

func (e *ContextError) Error() string {
	return fmt.Sprintf("cost: context %d exceeds %s's maximum: its window holds %d positions, so the context before a new token is at most %d; allow longer contexts explicitly (--allow-long) to extrapolate",
		e.Context, e.Model, e.MaxContext, e.MaxContext-1)
}

func checkBatch(batch int) error {
	if batch <= 0 {
		return fmt.Errorf("cost: batch %d must be 1 or more requests", batch)
	}
	return checkRange("batch", batch, MaxBatch)
}

// Decode predicts one decode step for batch requests, each with context
// tokens before the new one. With a cache the step runs the batch's new
// tokens only and reads the cached K/V; without one every request runs its
// whole prefix again: a prefill of context+1 tokens (model.DecodeFLOPs).
func (p *Predictor) Decode(batch, context int, cached bool) (Step, error) {
	if err := checkBatch(batch); err != nil {
		return Step{}, err
	}
	if err := p.checkContext(context); err != nil {
		return Step{}, err
	}
	ps := p.decodePass(batch, float64(context), cached)
	if err := p.checkSizes(ps); err != nil {
		return Step{}, err
	}
	return p.step(ps), nil
}

// Prefill predicts the forward pass over a prompt of promptTokens for each
// of batch requests, writing their K/V to the cache.
func (p *Predictor) Prefill(batch, promptTokens int) (Step, error) {
	return p.PrefillAfter(batch, promptTokens, 0)
}

// PrefillAfter predicts a prefill of newTokens per request whose first
// cachedTokens already sit in the cache (a prefix-cache hit): only the new
// tokens run through the weights, but their attention covers the cached ones.
func (p *Predictor) PrefillAfter(batch, newTokens, cachedTokens int) (Step, error) {
	if err := checkBatch(batch); err != nil {
		return Step{}, err
	}
	if newTokens <= 0 {
		return Step{}, fmt.Errorf("cost: a prefill needs at least 1 new token, got %d", newTokens)
	}
	if cachedTokens < 0 {
		return Step{}, fmt.Errorf("cost: cached tokens %d must be 0 or more", cachedTokens)
	}
	if err := checkRange("prompt", newTokens, MaxContextTokens); err != nil {
		return Step{}, err
	}
	if err := checkRange("cached prefix", cachedTokens, MaxContextTokens); err != nil {
		return Step{}, err
	}
	if err := p.checkContext(cachedTokens + newTokens - 1); err != nil {
		return Step{}, err
	}
	ps := p.prefillPass(batch, newTokens, cachedTokens)
	if err := p.checkSizes(ps); err != nil {
		return Step{}, err
	}
	return p.step(ps), nil
}

// pass is the work of one forward pass, summed over the batch.
type pass struct {
	phase     Phase
	cached    bool
	batch     int
	newTokens float64 // per request
	context   float64 // tokens before the new ones, per request
	rows      float64 // new tokens across the batch: the M of every GEMM
	attended  float64 // sum over new tokens of the positions each attends to
	kvRead    float64 // cached tokens whose K/V are read, summed over requests
	kvWrite   float64 // tokens whose K/V are written to the cache
	kvHeld    float64 // tokens the cache holds after the pass, summed over requests
	logitRows float64 // rows through the LM head: one per request
}

// span is the positions a pass's last new token sees, before any window:
// the cached tokens before the pass and the pass's own. An uncached pass
// runs its whole prefix as new tokens, so nothing comes before them.
func (ps pass) span() float64 {
	if ps.cached {
		return ps.context + ps.newTokens
	}
	return ps.newTokens
}

// decodePass describes a decode step at a (possibly fractional, for mean
// contexts) context per request.
func (p *Predictor) decodePass(batch int, context float64, cached bool) pass {
	b := float64(batch)
	if !cached {
		n := context + 1
		return pass{phase: DecodePhase, batch: batch, newTokens: n, context: context,
			rows: b * n, attended: b * p.attended(0, n), logitRows: b}
	}
	span := p.attended(context, 1) // min(context+1, window)
	return pass{phase: DecodePhase, cached: true, batch: batch, newTokens: 1, context: context,
		rows: b, attended: b * span, kvRead: b * (span - 1), kvWrite: b, kvHeld: b * span, logitRows: b}
}

func (p *Predictor) prefillPass(batch, newTokens, cachedTokens int) pass {
	b, n, c := float64(batch), float64(newTokens), float64(cachedTokens)
	return pass{phase: PrefillPhase, cached: true, batch: batch, newTokens: n, context: c,
		rows: b * n, attended: b * p.attended(c, n), kvRead: b * p.window(c), kvWrite: b * n,
		kvHeld: b * p.window(c+n), logitRows: b}
}

// attended is model.AttendedPositions for fractional arguments (mean
// contexts in a batch): sum over i=1..n of min(cached+i, window).
func (p *Predictor) attended(cached, n float64) float64 {
	if n <= 0 {
		return 0
	}
	if p.spec.SlidingWindow <= 0 {
		return n*cached + n*(n+1)/2
	}
	w := float64(p.spec.SlidingWindow)
	k := min(max(w-cached, 0), n)
	return k*cached + k*(k+1)/2 + (n-k)*w
}

// window caps a token count at the sliding window.
func (p *Predictor) window(n float64) float64 {
	if p.spec.SlidingWindow > 0 {
		return min(n, float64(p.spec.SlidingWindow))
	}
	return n
}
