package decoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"kvcache/kvsim/model"
)

// CacheMode picks which paths Run measures.
type CacheMode string

// Cache modes of Run.
const (
	CacheOn   CacheMode = "on"   // with a K/V cache only
	CacheOff  CacheMode = "off"  // without one only
	CacheBoth CacheMode = "both" // both, compared token by token
)

// ParseCacheMode reads on, off or both.
func ParseCacheMode(s string) (CacheMode, error) {
	switch m := CacheMode(strings.ToLower(strings.TrimSpace(s))); m {
	case CacheOn, CacheOff, CacheBoth:
		return m, nil
	}
	return "", fmt.Errorf("decoder: unknown cache mode %q: use on, off or both", s)
}

// Defaults of Run.
const (
	DefaultPrompt = 32
	DefaultNew    = 64
)

// BenchOptions configure Run. Zero values take the defaults.
type BenchOptions struct {
	Prompt       int       // prompt tokens, drawn at random from Seed; 0: DefaultPrompt
	New          int       // tokens to generate; 0: DefaultNew
	Cache        CacheMode // "": CacheBoth
	CacheTokens  int       // cache capacity in tokens; 0: every position (nothing evicted)
	Policy       Policy    // what a bounded cache does: Recompute or Window
	Sinks        int       // Window: attention-sink tokens kept; 0: DefaultSinks
	Seed         uint64    // seed of the weights and the prompt
	Threads      int       // 0: one per core
	WeightsFile  string    // safetensors weights instead of random ones
	MemAvailable int64     // 0: sysmem.Available (MemAvailable or the cgroup limit, less a margin)

	OnToken  func(path string, ev TokenEvent) // each token as it arrives; path is "cached", "uncached" or "reference"
	Progress func(p Progress)                 // coarse progress, for a terminal line
}

// Progress says how far Run is.
type Progress struct {
	Phase       string // "weights", "cached", "uncached" or "reference"
	Done, Total int    // tokens generated in this phase, of Total
}

// Breakdown splits latency, in seconds.
type Breakdown struct {
	MatmulS    float64 `json:"matmul_s"`
	AttentionS float64 `json:"attention_s"`
	KVIOS      float64 `json:"kv_io_s"`
	RecomputeS float64 `json:"recompute_s"`
	OtherS     float64 `json:"other_s"`
}

// PathResult is one path's measurement: every array has one entry per
// generated token (entry 0 is the prompt's prefill).
type PathResult struct {
	Tokens            []int       `json:"tokens"`
	PerTokenS         []float64   `json:"per_token_s"`
	PerTokenBreakdown []Breakdown `json:"per_token_breakdown"`
	PerTokenFLOPs     []float64   `json:"per_token_flops"`
	TotalS            float64     `json:"total_s"`
	DecodeTokensPerS  float64     `json:"decode_tokens_per_s"` // tokens 1..N-1 / their summed latency (prefill excluded)
	Breakdown         Breakdown   `json:"breakdown"`
	FLOPs             float64     `json:"flops"`
	RecomputeFLOPs    float64     `json:"recompute_flops"`
	KVReadBytes       int64       `json:"kv_read_bytes"`
	KVWriteBytes      int64       `json:"kv_write_bytes"`
	KVBytesPeak       int64       `json:"kv_bytes_peak"`
	KVBytesAllocated  int64       `json:"kv_bytes_allocated"`
	HitRate           float64     `json:"hit_rate"`
	Recomputed        int         `json:"recomputed_positions"`
}

// DivergenceStats compare an approximate run's next-token distributions
// with a full-cache run's, step by step, on the same tokens.
type DivergenceStats struct {
	Top1Agreement float64   `json:"top1_agreement"` // share of steps whose argmax matches
	MeanKL        float64   `json:"mean_kl"`        // mean KL(P_full ‖ P_approx), nats
	MaxKL         float64   `json:"max_kl"`
	PerTokenKL    []float64 `json:"per_token_kl"`
}

// BenchResult is what Run measured. The top-level keys describe the cached
// path (or the only path run); *_uncached keys the uncached one.
type BenchResult struct {
	Model       string    `json:"model"`
	Prompt      int       `json:"prompt"`
	New         int       `json:"new"`
	Cache       CacheMode `json:"cache"`
	CacheTokens int       `json:"cache_tokens"` // 0: unbounded
	Policy      Policy    `json:"policy,omitempty"`
	Sinks       int       `json:"sinks,omitempty"`
	Seed        uint64    `json:"seed"`
	Threads     int       `json:"threads"`
	Weights     string    `json:"weights"` // "random" or the file

	PerTokenSCached   []float64 `json:"per_token_s_cached"`
	PerTokenSUncached []float64 `json:"per_token_s_uncached"`
	TotalSCached      float64   `json:"total_s_cached"`
	TotalSUncached    float64   `json:"total_s_uncached"`
	Speedup           float64   `json:"speedup"` // total_s_uncached / total_s_cached (both runs only)

	MaxAbsLogitDiff float64 `json:"max_abs_logit_diff"` // cached vs uncached, over every step (both runs only)
	MaxRelLogitDiff float64 `json:"max_rel_logit_diff"` // the same over max |logit| of the step
	SameTokens      bool    `json:"same_tokens"`

	KVBytesPeak int64     `json:"kv_bytes_peak"`
	HitRate     float64   `json:"hit_rate"`
	Breakdown   Breakdown `json:"breakdown"` // the cached path's (the uncached one's when run alone)

	Cached     *PathResult      `json:"cached,omitempty"`
	Uncached   *PathResult      `json:"uncached,omitempty"`
	Divergence *DivergenceStats `json:"divergence,omitempty"` // window policy: against a full cache
	Memory     Memory           `json:"memory"`
}

// Run builds the model and measures greedy generation with and/or without
// a K/V cache. The notebook and `kvsim bench` both call it.
func Run(spec model.Spec, opt BenchOptions) (*BenchResult, error) {
	if opt.Prompt == 0 {
		opt.Prompt = DefaultPrompt
	}
	if opt.New == 0 {
		opt.New = DefaultNew
	}
	if opt.Cache == "" {
		opt.Cache = CacheBoth
	}
	if _, err := ParseCacheMode(string(opt.Cache)); err != nil {
		return nil, err
	}
	switch {
	case opt.Prompt < 0 || opt.New < 0:
		return nil, fmt.Errorf("decoder: prompt %d and new %d tokens: both must be at least 1", opt.Prompt, opt.New)
	case opt.Prompt > spec.MaxContext-opt.New: // prompt + new > context, without overflow
		return nil, fmt.Errorf("decoder: prompt %d + new %d tokens exceed model %s's context of %d; use fewer tokens",
			opt.Prompt, opt.New, spec.Name, spec.MaxContext)
	case opt.CacheTokens < 0:
		return nil, fmt.Errorf("decoder: cache capacity %d tokens: it must be positive (or 0 for unbounded)", opt.CacheTokens)
	}
	if opt.Policy != "" {
		if _, err := ParsePolicy(string(opt.Policy)); err != nil {
			return nil, err
		}
	}
	maxTokens := opt.Prompt + opt.New - 1
	cacheCfg := CacheConfig{Enabled: true, Capacity: opt.CacheTokens, Policy: opt.Policy, Sinks: opt.Sinks}
	window := opt.Cache != CacheOff && opt.Policy == Window && opt.CacheTokens > 0 && opt.CacheTokens < maxTokens

	// memory: weights + the largest session + the logits kept
	mem, err := SessionMemory(spec, maxTokens, cacheCfg, opt.Threads)
	if err != nil {
		return nil, err
	}
	if opt.Cache == CacheOff {
		mem, _ = SessionMemory(spec, maxTokens, CacheConfig{}, opt.Threads)
	}
	mem.Weights = WeightBytes(spec)
	if opt.Cache == CacheBoth || window {
		mem.Logits = 2 * int64(opt.New) * int64(spec.Vocab) * 4
	}
	mem.Total = mem.Weights + mem.KVCache + mem.Activation + mem.Logits
	if err := checkMemory(spec.Name, mem, opt.MemAvailable); err != nil {
		return nil, err
	}

	progress := func(phase string, done, total int) {
		if opt.Progress != nil {
			opt.Progress(Progress{Phase: phase, Done: done, Total: total})
		}
	}
	progress("weights", 0, 1)
	d, err := New(spec, Options{Seed: opt.Seed, WeightsFile: opt.WeightsFile, Threads: opt.Threads, MemAvailable: opt.MemAvailable})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	progress("weights", 1, 1)

	res := &BenchResult{Model: spec.Name, Prompt: opt.Prompt, New: opt.New, Cache: opt.Cache,
		CacheTokens: opt.CacheTokens, Seed: opt.Seed, Threads: d.Threads(), Weights: "random", Memory: mem}
	if opt.WeightsFile != "" {
		res.Weights = opt.WeightsFile
	}
	if opt.CacheTokens > 0 && opt.Cache != CacheOff {
		res.Policy = opt.Policy
		if opt.Policy == Window {
			res.Sinks = opt.Sinks
			if res.Sinks == 0 {
				res.Sinks = DefaultSinks
			}
		}
	}
	prompt := randomPrompt(spec.Vocab, opt.Prompt, opt.Seed)
	keep := opt.Cache == CacheBoth || window
	gen := func(phase string, c CacheConfig, force []int) (*Generation, error) {
		return d.Generate(GenerateOptions{Prompt: prompt, NewTokens: opt.New, Cache: c, Force: force, KeepLogits: keep,
			OnToken: func(ev TokenEvent) {
				if opt.OnToken != nil {
					opt.OnToken(phase, ev)
				}
				progress(phase, ev.Index+1, opt.New)
			}})
	}

	var cached, uncached, reference *Generation
	if window {
		if reference, err = gen("reference", CacheConfig{Enabled: true}, nil); err != nil {
			return nil, err
		}
	}
	if opt.Cache != CacheOff {
		var force []int
		if window {
			force = reference.Tokens // compare distributions on the same context
		}
		if cached, err = gen("cached", cacheCfg, force); err != nil {
			return nil, err
		}
		res.Cached = pathResult(cached)
		res.PerTokenSCached, res.TotalSCached = res.Cached.PerTokenS, res.Cached.TotalS
	}
	if opt.Cache != CacheOn {
		if uncached, err = gen("uncached", CacheConfig{}, nil); err != nil {
			return nil, err
		}
		res.Uncached = pathResult(uncached)
		res.PerTokenSUncached, res.TotalSUncached = res.Uncached.PerTokenS, res.Uncached.TotalS
	}
	main := res.Cached
	if main == nil {
		main = res.Uncached
	}
	res.KVBytesPeak, res.HitRate, res.Breakdown = main.KVBytesPeak, main.HitRate, main.Breakdown
	if cached != nil && uncached != nil {
		res.Speedup = res.TotalSUncached / res.TotalSCached
		res.SameTokens = slices.Equal(cached.Tokens, uncached.Tokens)
		for i := range cached.Logits {
			abs, rel := logitDiff(cached.Logits[i], uncached.Logits[i])
			res.MaxAbsLogitDiff = math.Max(res.MaxAbsLogitDiff, abs)
			res.MaxRelLogitDiff = math.Max(res.MaxRelLogitDiff, rel)
		}
	}
	if window {
		div := Divergence(reference.Logits, cached.Logits)
		res.Divergence = &div
	}
	return res, nil
}

// randomPrompt draws n token ids below vocab from seed.
func randomPrompt(vocab, n int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 0x70726f6d7074)) // "prompt"
	p := make([]int, n)
	for i := range p {
		p[i] = r.IntN(vocab)
	}
	return p
}

func pathResult(g *Generation) *PathResult {
	p := &PathResult{Tokens: g.Tokens, TotalS: g.Total.Seconds(), KVBytesPeak: g.KVBytesPeak,
		KVBytesAllocated: g.KVBytesAllocated, HitRate: g.HitRate()}
	var decodeS float64
	for i, st := range g.Steps {
		b := Breakdown{MatmulS: st.Matmul.Seconds(), AttentionS: st.Attention.Seconds(), KVIOS: st.KVIO.Seconds(),
			RecomputeS: st.Recompute.Seconds(), OtherS: st.Other.Seconds()}
		p.PerTokenS = append(p.PerTokenS, st.Latency.Seconds())
		p.PerTokenBreakdown = append(p.PerTokenBreakdown, b)
		p.PerTokenFLOPs = append(p.PerTokenFLOPs, st.FLOPs)
		p.Breakdown.MatmulS += b.MatmulS
		p.Breakdown.AttentionS += b.AttentionS
		p.Breakdown.KVIOS += b.KVIOS
		p.Breakdown.RecomputeS += b.RecomputeS
		p.Breakdown.OtherS += b.OtherS
		p.FLOPs += st.FLOPs
		p.RecomputeFLOPs += st.RecomputeFLOPs
		p.KVReadBytes += st.KVReadBytes
		p.KVWriteBytes += st.KVWriteBytes
		p.Recomputed += st.Recomputed
		if i > 0 {
			decodeS += st.Latency.Seconds()
		}
	}
	if decodeS > 0 {
		p.DecodeTokensPerS = float64(len(g.Steps)-1) / decodeS
	}
	return p
}

// logitDiff is max |a-b| and that over max |b|.
func logitDiff(a, b []float32) (abs, rel float64) {
	var scale float64
	for i := range a {
		abs = math.Max(abs, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	if scale == 0 {
		return abs, 0
	}
	return abs, abs / scale
}

// Divergence compares, step by step, the next-token distributions of an
// approximate run with those of a reference run fed the same tokens:
// top-1 agreement (argmax equal) and KL(P_ref ‖ P_approx) = Σ P_ref log(P_ref/P_approx)
// with P = softmax(logits), in float64.
func Divergence(reference, approx [][]float32) DivergenceStats {
	var s DivergenceStats
	n := min(len(reference), len(approx))
	if n == 0 {
		return s
	}
	agree := 0
	for i := 0; i < n; i++ {
		if argmax(reference[i]) == argmax(approx[i]) {
			agree++
		}
		kl := klDivergence(reference[i], approx[i])
		s.PerTokenKL = append(s.PerTokenKL, kl)
		s.MeanKL += kl / float64(n)
		s.MaxKL = math.Max(s.MaxKL, kl)
	}
	s.Top1Agreement = float64(agree) / float64(n)
	return s
}

func klDivergence(p, q []float32) float64 {
	lp, lq := logSoftmax(p), logSoftmax(q)
	var kl float64
	for i := range lp {
		kl += math.Exp(lp[i]) * (lp[i] - lq[i])
	}
	return math.Max(kl, 0)
}

func logSoftmax(x []float32) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var z float64
	for _, v := range x {
		z += math.Exp(float64(v) - m)
	}
	lz := m + math.Log(z)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v) - lz
	}
	return out
}
