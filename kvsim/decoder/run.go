package decoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"kvcache/kvsim/model"
	"kvcache/kvsim/timing"
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
	// DefaultWarmUp is how many tokens each path generates, untimed, before
	// the timed runs: enough to wake the worker pool, pull the weights
	// through the caches and run every code path of a step once.
	DefaultWarmUp = 4
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
	Repeat       int       // timed runs of each path, interleaved (Bench); 0: 1
	WarmUp       int       // untimed tokens of each path first; 0: DefaultWarmUp; negative: none

	OnToken  func(path string, ev TokenEvent) // each timed token as it arrives; path is "cached", "uncached" or "reference"
	Progress func(p Progress)                 // coarse progress, for a terminal line
}

// Progress says how far Run or Bench is.
type Progress struct {
	Model       string // Run: the model
	Phase       string // "weights", "warm-up", or the path being timed ("cached", "uncached", "reference", a BenchPath's name)
	Done, Total int    // tokens generated in this phase, of Total
	Repeat      int    // the timed run, from 1 (0: weights, warm-up)
	Repeats     int
}

// Breakdown splits latency, in seconds.
type Breakdown struct {
	MatmulS    float64 `json:"matmul_s"`
	AttentionS float64 `json:"attention_s"`
	KVIOS      float64 `json:"kv_io_s"`
	RecomputeS float64 `json:"recompute_s"`
	OtherS     float64 `json:"other_s"`
}

// PathResult is one path's measurement over its timed runs: every array
// has one entry per generated token (entry 0 is the prompt's prefill).
// Times are medians over the runs, token by token (PerTokenS, each part of
// PerTokenBreakdown) or of the runs' totals (TotalS), with their spreads
// beside them; counts (tokens, FLOPs, bytes) are the same in every run.
type PathResult struct {
	Name              string        `json:"name"`
	Repeats           int           `json:"repeats"`
	Tokens            []int         `json:"tokens"`
	PerTokenS         []float64     `json:"per_token_s"`     // median over the runs
	PerTokenSMin      []float64     `json:"per_token_s_min"` // fastest run, token by token
	PerTokenSMax      []float64     `json:"per_token_s_max"` // slowest
	PerTokenBreakdown []Breakdown   `json:"per_token_breakdown"`
	PerTokenFLOPs     []float64     `json:"per_token_flops"`
	TotalS            float64       `json:"total_s"`             // median of the runs' totals
	TotalSSpread      timing.Spread `json:"total_s_spread"`      // of the runs' totals
	TotalsS           []float64     `json:"totals_s"`            // each run's total, in run order
	DecodeTokensPerS  float64       `json:"decode_tokens_per_s"` // tokens 1..N-1 / their summed latency (prefill excluded), median over runs
	DecodeSpread      timing.Spread `json:"decode_tokens_per_s_spread"`
	Breakdown         Breakdown     `json:"breakdown"` // sums of the per-token medians
	FLOPs             float64       `json:"flops"`
	RecomputeFLOPs    float64       `json:"recompute_flops"`
	KVReadBytes       int64         `json:"kv_read_bytes"`
	KVWriteBytes      int64         `json:"kv_write_bytes"`
	KVBytesPeak       int64         `json:"kv_bytes_peak"`
	KVBytesAllocated  int64         `json:"kv_bytes_allocated"`
	// KVPositionsAttended counts (position, layer) pairs the attention
	// read, from the cache or recomputed: what a window saves.
	KVPositionsAttended int64            `json:"kv_positions_attended"`
	HitRate             float64          `json:"hit_rate"`
	Recomputed          int              `json:"recomputed_positions"`
	Parity              *Parity          `json:"parity,omitempty"`     // SameLogits: against the reference path
	Divergence          *DivergenceStats `json:"divergence,omitempty"` // Diverge: against the reference path
}

// Work is what the path computed and read, counted: the ranking of two
// paths (timing.Rank) calls an ordering impossible when the one doing at
// least this much in every count came out faster.
func (p *PathResult) Work() timing.Work {
	return timing.Work{FLOPs: p.FLOPs + p.RecomputeFLOPs, Bytes: float64(p.KVPositionsAttended)}
}

// Sample is the path's timed totals and work, for timing.Rank.
func (p *PathResult) Sample() timing.Sample {
	return timing.Sample{Name: p.Name, Seconds: p.TotalSSpread, Work: p.Work()}
}

// Parity compares an exact path's logits with the reference path's.
type Parity struct {
	MaxAbsLogitDiff float64 `json:"max_abs_logit_diff"`
	MaxRelLogitDiff float64 `json:"max_rel_logit_diff"` // over max |logit| of the step
	SameTokens      bool    `json:"same_tokens"`
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
// path (or the only path run); *_uncached keys the uncached one. Times are
// medians over Repeat interleaved runs, each with its spread (*_spread:
// n, median, quartiles, 10th and 90th percentiles, min, max).
type BenchResult struct {
	Model        string    `json:"model"`
	Prompt       int       `json:"prompt"`
	New          int       `json:"new"`
	Cache        CacheMode `json:"cache"`
	CacheTokens  int       `json:"cache_tokens"` // 0: unbounded
	Policy       Policy    `json:"policy,omitempty"`
	Sinks        int       `json:"sinks,omitempty"`
	Seed         uint64    `json:"seed"`
	Threads      int       `json:"threads"`
	Weights      string    `json:"weights"`        // "random" or the file
	Repeat       int       `json:"repeat"`         // timed runs of each path, interleaved
	WarmUpTokens int       `json:"warm_up_tokens"` // untimed tokens each path generated first
	// OthersBusy is how many cores other processes kept busy during the
	// timed runs (absent where it cannot be read): a busy machine shows here.
	OthersBusy *float64 `json:"others_busy_cores,omitempty"`

	PerTokenSCached      []float64     `json:"per_token_s_cached"` // medians
	PerTokenSUncached    []float64     `json:"per_token_s_uncached"`
	TotalSCached         float64       `json:"total_s_cached"` // median
	TotalSUncached       float64       `json:"total_s_uncached"`
	TotalSCachedSpread   timing.Spread `json:"total_s_cached_spread"`
	TotalSUncachedSpread timing.Spread `json:"total_s_uncached_spread"`
	Speedup              float64       `json:"speedup"`        // median over runs of total_s_uncached / total_s_cached of the same run (both paths only)
	SpeedupSpread        timing.Spread `json:"speedup_spread"` // of those ratios
	// Ranking of the cached against the uncached path: faster beyond the
	// noise, within noise, or an impossible ordering flagged as noise.
	Ranking *timing.Ranking `json:"ranking,omitempty"`

	MaxAbsLogitDiff float64 `json:"max_abs_logit_diff"` // cached (or the window's reference) vs uncached, over every step (both runs only)
	MaxRelLogitDiff float64 `json:"max_rel_logit_diff"` // the same over max |logit| of the step
	SameTokens      bool    `json:"same_tokens"`

	KVBytesPeak int64     `json:"kv_bytes_peak"`
	HitRate     float64   `json:"hit_rate"`
	Breakdown   Breakdown `json:"breakdown"` // the cached path's (the uncached one's when run alone)

	Cached     *PathResult      `json:"cached,omitempty"`
	Uncached   *PathResult      `json:"uncached,omitempty"`
	Reference  *PathResult      `json:"reference,omitempty"`  // window: the full cache the window is compared with
	Divergence *DivergenceStats `json:"divergence,omitempty"` // window policy: against a full cache
	Memory     Memory           `json:"memory"`
}

// Run builds the model and measures greedy generation with and/or without
// a K/V cache, through Bench: a warm-up, then Repeat runs of each path in
// turn. The notebook and `kvsim bench` both call it.
func Run(spec model.Spec, opt BenchOptions) (*BenchResult, error) {
	opt, paths, mem, err := planRun(spec, opt)
	if err != nil {
		return nil, err
	}
	if report := opt.Progress; report != nil { // every report names the model
		opt.Progress = func(p Progress) { p.Model = spec.Name; report(p) }
		opt.Progress(Progress{Phase: "weights", Total: 1})
	}
	d, err := New(spec, Options{Seed: opt.Seed, WeightsFile: opt.WeightsFile, Threads: opt.Threads, MemAvailable: opt.MemAvailable})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if opt.Progress != nil {
		opt.Progress(Progress{Phase: "weights", Done: 1, Total: 1})
	}

	repeat := max(opt.Repeat, 1)
	res := &BenchResult{Model: spec.Name, Prompt: opt.Prompt, New: opt.New, Cache: opt.Cache,
		CacheTokens: opt.CacheTokens, Seed: opt.Seed, Threads: d.Threads(), Weights: "random", Memory: mem,
		Repeat: repeat, WarmUpTokens: warmUpTokens(opt.WarmUp, opt.New)}
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
	load := timing.StartLoad()
	results, err := d.Bench(RandomPrompt(spec.Vocab, opt.Prompt, opt.Seed), opt.New, paths,
		BenchRuns{Repeat: repeat, WarmUp: opt.WarmUp, OnToken: opt.OnToken, Progress: opt.Progress})
	if err != nil {
		return nil, err
	}
	if busy, ok := load.OthersBusy(); ok {
		res.OthersBusy = &busy
	}
	byName := map[string]*PathResult{}
	for _, r := range results {
		byName[r.Name] = r
	}
	res.Cached, res.Uncached, res.Reference = byName["cached"], byName["uncached"], byName["reference"]
	if c := res.Cached; c != nil {
		res.PerTokenSCached, res.TotalSCached, res.TotalSCachedSpread = c.PerTokenS, c.TotalS, c.TotalSSpread
		res.Divergence = c.Divergence
	}
	if u := res.Uncached; u != nil {
		res.PerTokenSUncached, res.TotalSUncached, res.TotalSUncachedSpread = u.PerTokenS, u.TotalS, u.TotalSSpread
		if u.Parity != nil {
			res.MaxAbsLogitDiff, res.MaxRelLogitDiff, res.SameTokens = u.Parity.MaxAbsLogitDiff, u.Parity.MaxRelLogitDiff, u.Parity.SameTokens
		}
	}
	main := res.Cached
	if main == nil {
		main = res.Uncached
	}
	res.KVBytesPeak, res.HitRate, res.Breakdown = main.KVBytesPeak, main.HitRate, main.Breakdown
	if res.Cached != nil && res.Uncached != nil {
		res.SpeedupSpread = SpeedupSpread(res.Cached, res.Uncached)
		res.Speedup = res.SpeedupSpread.Median
		r := timing.Rank(res.Cached.Sample(), res.Uncached.Sample())
		res.Ranking = &r
	}
	return res, nil
}

// RunMemory is what Run would allocate for spec under opt: the weights,
// every path's session and the logits the checks keep. err says why Run
// would refuse (bad options, or more memory than is available).
func RunMemory(spec model.Spec, opt BenchOptions) (Memory, error) {
	_, _, mem, err := planRun(spec, opt)
	return mem, err
}

// planRun fills opt's defaults, checks it, lists the paths (the reference
// first) and checks their memory.
func planRun(spec model.Spec, opt BenchOptions) (BenchOptions, []BenchPath, Memory, error) {
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
		return opt, nil, Memory{}, err
	}
	switch {
	case opt.Prompt < 0 || opt.New < 0:
		return opt, nil, Memory{}, fmt.Errorf("decoder: prompt %d and new %d tokens: both must be at least 1", opt.Prompt, opt.New)
	case opt.Prompt > spec.MaxContext-opt.New: // prompt + new > context, without overflow
		return opt, nil, Memory{}, fmt.Errorf("decoder: prompt %d + new %d tokens exceed model %s's context of %d; use fewer tokens",
			opt.Prompt, opt.New, spec.Name, spec.MaxContext)
	case opt.CacheTokens < 0:
		return opt, nil, Memory{}, fmt.Errorf("decoder: cache capacity %d tokens: it must be positive (or 0 for unbounded)", opt.CacheTokens)
	case opt.Repeat < 0:
		return opt, nil, Memory{}, fmt.Errorf("decoder: %d repeats: give at least 1", opt.Repeat)
	}
	if opt.Policy != "" {
		if _, err := ParsePolicy(string(opt.Policy)); err != nil {
			return opt, nil, Memory{}, err
		}
	}
	maxTokens := opt.Prompt + opt.New - 1
	cacheCfg := CacheConfig{Enabled: true, Capacity: opt.CacheTokens, Policy: opt.Policy, Sinks: opt.Sinks}
	window := opt.Cache != CacheOff && opt.Policy == Window && opt.CacheTokens > 0 && opt.CacheTokens < maxTokens
	var paths []BenchPath
	if window {
		paths = append(paths, BenchPath{Name: "reference", Cache: CacheConfig{Enabled: true}},
			BenchPath{Name: "cached", Cache: cacheCfg, Check: Diverge})
	} else if opt.Cache != CacheOff {
		paths = append(paths, BenchPath{Name: "cached", Cache: cacheCfg})
	}
	if opt.Cache != CacheOn {
		check := SameLogits
		if len(paths) == 0 {
			check = NoCheck
		}
		paths = append(paths, BenchPath{Name: "uncached", Cache: CacheConfig{}, Check: check})
	}
	mem, err := BenchMemory(spec, maxTokens, opt.New, paths, opt.Threads)
	if err != nil {
		return opt, nil, Memory{}, err
	}
	mem.Weights = WeightBytes(spec)
	mem.Total += mem.Weights
	return opt, paths, mem, checkMemory(spec.Name, mem, opt.MemAvailable)
}

// SpeedupSpread is the spread of slow's total over fast's, run by run (the
// two paths' i-th runs were timed in the same round of Bench, so drift
// hits both).
func SpeedupSpread(fast, slow *PathResult) timing.Spread {
	n := min(len(fast.TotalsS), len(slow.TotalsS))
	ratios := make([]float64, n)
	for i := range n {
		ratios[i] = slow.TotalsS[i] / fast.TotalsS[i]
	}
	return timing.Of(ratios)
}

// PathCheck says what Bench checks a path against its first (reference)
// path, in the first timed run.
type PathCheck int

// Checks of a BenchPath.
const (
	NoCheck    PathCheck = iota
	SameLogits           // exact path: its logits and tokens against the reference's (Parity)
	Diverge              // approximate path, fed the reference's tokens: its distributions against the reference's (DivergenceStats)
)

// BenchPath is one way of decoding that Bench times.
type BenchPath struct {
	Name  string // unique: "cached", "uncached", "recompute 64", ...
	Cache CacheConfig
	Check PathCheck // the first path is the reference and has none
}

// BenchRuns say how Bench repeats its paths.
type BenchRuns struct {
	Repeat int // timed runs of each path; 0: 1
	WarmUp int // untimed tokens each path generates first; 0: DefaultWarmUp; negative: none

	OnToken  func(path string, ev TokenEvent) // each timed token; ev.Repeat says which run
	Progress func(Progress)
}

// warmUpTokens is the warm-up BenchRuns.WarmUp asks for, at most newTokens.
func warmUpTokens(warmUp, newTokens int) int {
	switch {
	case warmUp < 0:
		return 0
	case warmUp == 0:
		warmUp = DefaultWarmUp
	}
	return min(warmUp, newTokens)
}

// BenchMemory is what Bench allocates beside the weights: one session per
// path, held together, and the logits the checks keep (the reference's and
// one checked path's, newTokens steps each).
func BenchMemory(spec model.Spec, maxTokens, newTokens int, paths []BenchPath, threads int) (Memory, error) {
	var m Memory
	checks := false
	for _, p := range paths {
		s, err := SessionMemory(spec, maxTokens, p.Cache, threads)
		if err != nil {
			return Memory{}, err
		}
		m.KVCache += s.KVCache
		m.Activation += s.Activation
		checks = checks || p.Check != NoCheck
	}
	if checks {
		m.Logits = 2 * int64(newTokens) * int64(spec.Vocab) * 4
	}
	m.Total = m.KVCache + m.Activation + m.Logits
	return m, nil
}

// Bench times greedy generation of newTokens after prompt along each path:
//
//  1. one session per path, its buffers touched before any timing (first-touch
//     page faults are not a step's cost);
//  2. a warm-up: every path generates BenchRuns.WarmUp tokens, untimed;
//  3. Repeat timed runs of every path, interleaved (timing.Schedule: each
//     round runs every path once, the first path rotating), so drift in the
//     machine's speed hits every path alike.
//
// The first timed run of each path keeps its logits for the checks against
// paths[0], the reference (copying them is not timed). Results come in the
// order of paths, each with the medians and spreads of its runs.
func (d *Decoder) Bench(prompt []int, newTokens int, paths []BenchPath, runs BenchRuns) ([]*PathResult, error) {
	if err := d.checkRun(len(prompt), newTokens); err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("decoder: Bench needs at least one path")
	}
	seen := map[string]bool{}
	for i, p := range paths {
		switch {
		case p.Name == "" || seen[p.Name]:
			return nil, fmt.Errorf("decoder: bench path %d is named %q: give every path its own name", i, p.Name)
		case i == 0 && p.Check != NoCheck:
			return nil, fmt.Errorf("decoder: bench path %q is the reference (the first) and cannot be checked against itself", p.Name)
		}
		seen[p.Name] = true
	}
	if runs.Repeat < 0 {
		return nil, fmt.Errorf("decoder: %d repeats: give at least 1", runs.Repeat)
	}
	repeat := max(runs.Repeat, 1)
	maxTokens := len(prompt) + newTokens - 1
	need, err := BenchMemory(d.h.spec, maxTokens, newTokens, paths, d.pool.Threads())
	if err != nil {
		return nil, err
	}
	if err := checkMemory(d.h.spec.Name, need, d.memAvail); err != nil {
		return nil, err
	}
	sessions := make([]*Session, len(paths))
	for i, p := range paths {
		if sessions[i], err = d.NewSession(maxTokens, p.Cache); err != nil {
			return nil, fmt.Errorf("decoder: bench path %q: %w", p.Name, err)
		}
	}
	progress := func(pr Progress) {
		if runs.Progress != nil {
			runs.Progress(pr)
		}
	}

	if warm := warmUpTokens(runs.WarmUp, newTokens); warm > 0 {
		for i := range paths {
			progress(Progress{Phase: "warm-up", Done: i, Total: len(paths)})
			if _, err := sessions[i].Generate(GenerateOptions{Prompt: prompt, NewTokens: warm}); err != nil {
				return nil, err
			}
		}
		progress(Progress{Phase: "warm-up", Done: len(paths), Total: len(paths)})
	}

	gens := make([][]*Generation, len(paths)) // [path][run]
	results := make([]*PathResult, len(paths))
	for _, turn := range timing.Schedule(len(paths), repeat) {
		i, p := turn.Path, paths[turn.Path]
		first := turn.Repeat == 0
		opt := GenerateOptions{Prompt: prompt, NewTokens: newTokens, KeepLogits: first && (p.Check != NoCheck || i == 0 && len(paths) > 1)}
		if p.Check == Diverge {
			opt.Force = gens[0][0].Tokens // compare distributions on the same context
		}
		opt.OnToken = func(ev TokenEvent) {
			ev.Repeat = turn.Repeat
			if runs.OnToken != nil {
				runs.OnToken(p.Name, ev)
			}
			progress(Progress{Phase: p.Name, Done: ev.Index + 1, Total: newTokens, Repeat: turn.Repeat + 1, Repeats: repeat})
		}
		g, err := sessions[i].Generate(opt)
		if err != nil {
			return nil, err
		}
		gens[i] = append(gens[i], g)
		if first && i > 0 {
			results[i] = &PathResult{}
			ref := gens[0][0]
			switch p.Check {
			case SameLogits:
				results[i].Parity = parity(ref, g)
			case Diverge:
				div := Divergence(ref.Logits, g.Logits)
				results[i].Divergence = &div
			}
			g.Logits = nil // checked: let it go
		}
	}
	for i, p := range paths {
		r := pathResult(p.Name, gens[i], p.Cache.Enabled && p.Cache.Policy == Window)
		if results[i] != nil {
			r.Parity, r.Divergence = results[i].Parity, results[i].Divergence
		}
		results[i] = r
	}
	return results, nil
}

// parity compares an exact path's logits and tokens with the reference's.
func parity(ref, g *Generation) *Parity {
	p := &Parity{SameTokens: slices.Equal(ref.Tokens, g.Tokens)}
	for i := range min(len(ref.Logits), len(g.Logits)) {
		abs, rel := logitDiff(ref.Logits[i], g.Logits[i])
		p.MaxAbsLogitDiff = math.Max(p.MaxAbsLogitDiff, abs)
		p.MaxRelLogitDiff = math.Max(p.MaxRelLogitDiff, rel)
	}
	return p
}

// RandomPrompt is the prompt Run uses: n token ids below vocab drawn from
// seed.
func RandomPrompt(vocab, n int, seed uint64) []int { return randomPrompt(vocab, n, seed) }

func randomPrompt(vocab, n int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 0x70726f6d7074)) // "prompt"
	p := make([]int, n)
	for i := range p {
		p[i] = r.IntN(vocab)
	}
	return p
}

// pathResult gathers a path's runs: counts from the first, times as medians
// and spreads over all. window: the attention read only the positions
// held (hits); other paths read every earlier position, from the cache or
// recomputed.
func pathResult(name string, gens []*Generation, window bool) *PathResult {
	g := gens[0]
	p := &PathResult{Name: name, Repeats: len(gens), Tokens: g.Tokens, KVBytesPeak: g.KVBytesPeak,
		KVBytesAllocated: g.KVBytesAllocated, HitRate: g.HitRate(), KVPositionsAttended: g.KVReads}
	if window {
		p.KVPositionsAttended = g.KVHits
	}
	for _, st := range g.Steps {
		p.PerTokenFLOPs = append(p.PerTokenFLOPs, st.FLOPs)
		p.FLOPs += st.FLOPs
		p.RecomputeFLOPs += st.RecomputeFLOPs
		p.KVReadBytes += st.KVReadBytes
		p.KVWriteBytes += st.KVWriteBytes
		p.Recomputed += st.Recomputed
	}
	part := func(f func(Step) time.Duration) []float64 {
		runs := make([][]float64, len(gens))
		for r, g := range gens {
			for _, st := range g.Steps {
				runs[r] = append(runs[r], f(st).Seconds())
			}
		}
		return timing.Medians(timing.PerIndex(runs))
	}
	latency := make([][]float64, len(gens))
	var rates []float64
	for r, g := range gens {
		var decodeS float64
		for i, st := range g.Steps {
			latency[r] = append(latency[r], st.Latency.Seconds())
			if i > 0 {
				decodeS += st.Latency.Seconds()
			}
		}
		p.TotalsS = append(p.TotalsS, g.Total.Seconds())
		if decodeS > 0 {
			rates = append(rates, float64(len(g.Steps)-1)/decodeS)
		}
	}
	perToken := timing.PerIndex(latency)
	p.PerTokenS, p.PerTokenSMin, p.PerTokenSMax = timing.Medians(perToken), timing.Mins(perToken), timing.Maxes(perToken)
	p.TotalSSpread = timing.Of(p.TotalsS)
	p.TotalS = p.TotalSSpread.Median
	p.DecodeSpread = timing.Of(rates)
	p.DecodeTokensPerS = p.DecodeSpread.Median
	mm, at, kv := part(func(s Step) time.Duration { return s.Matmul }), part(func(s Step) time.Duration { return s.Attention }), part(func(s Step) time.Duration { return s.KVIO })
	rc, ot := part(func(s Step) time.Duration { return s.Recompute }), part(func(s Step) time.Duration { return s.Other })
	for i := range mm {
		b := Breakdown{MatmulS: mm[i], AttentionS: at[i], KVIOS: kv[i], RecomputeS: rc[i], OtherS: ot[i]}
		p.PerTokenBreakdown = append(p.PerTokenBreakdown, b)
		p.Breakdown.MatmulS += b.MatmulS
		p.Breakdown.AttentionS += b.AttentionS
		p.Breakdown.KVIOS += b.KVIOS
		p.Breakdown.RecomputeS += b.RecomputeS
		p.Breakdown.OtherS += b.OtherS
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
