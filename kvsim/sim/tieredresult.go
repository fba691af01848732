package sim

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// TieredResult is a tiered, multi-instance replay's outcome: everything a
// table or a chart of tiers and instances shows. doc.go defines the terms.
type TieredResult struct {
	Workload     string           `json:"workload"`
	Tiers        []cache.TierSpec `json:"tiers"`
	TierNames    []string         `json:"tier_names"` // as ParseTiers reads them
	Instances    int              `json:"instances"`
	Router       string           `json:"router"`
	Shared       bool             `json:"shared"`
	WriteThrough bool             `json:"write_through,omitempty"`
	Fabric       *cache.Link      `json:"fabric,omitempty"`
	Decision     string           `json:"decision"` // how loads were chosen: load-or-recompute, or load-all without a timer

	Summary Summary          `json:"summary"`         // all instances; one instance: exactly Replay's summary of its GPU tier
	Series  Series           `json:"series,omitzero"` // one instance only: exactly Replay's series; empty otherwise
	PerTier []TierResult     `json:"per_tier"`
	Offload Offload          `json:"offload"`
	PerInst []InstanceResult `json:"per_instance"`
	Balance LoadBalance      `json:"load_balance"`
	TTFT    *TTFTResult      `json:"ttft,omitempty"` // with a StepTimer
	Tiered  TieredSeries     `json:"tiered_series"`
	Notes   []string         `json:"notes,omitempty"`
	Served  *ServedResult    `json:"served,omitempty"` // with ServeEach
}

// TierResult is one tier, summed over the instances' stores (private) or
// the one shared store. Request-side counts cover reusable prefixes only:
// Hit = Used + Recomputed below hbm. hbm's hits include blocks found there
// after a block from a lower tier, so its hit rate can exceed the GPU-alone
// rate (Offload.GPUHitBlocks, leading hbm blocks only).
type TierResult struct {
	Medium         string     `json:"medium"`
	Spec           string     `json:"spec"`
	Policy         string     `json:"policy"`
	Shared         bool       `json:"shared"`
	Stores         int        `json:"stores"`          // caches at this tier: N private, or 1 shared
	CapacityBlocks int        `json:"capacity_blocks"` // per store (a shared store pools N x the spec); -1 unbounded
	CapacityBytes  int64      `json:"capacity_bytes,omitempty"`
	Link           cache.Link `json:"link,omitzero"` // zero for hbm

	HitBlocks        int64   `json:"hit_blocks"`  // prefix blocks found first in this tier
	HitRate          float64 `json:"hit_rate"`    // HitBlocks / prompt blocks
	UsedBlocks       int64   `json:"used_blocks"` // of those, used (hbm) or loaded (below)
	UsedRate         float64 `json:"used_rate"`   // UsedBlocks / prompt blocks
	RecomputedBlocks int64   `json:"recomputed_blocks,omitempty"`
	FabricBlocks     int64   `json:"fabric_blocks,omitempty"` // loaded across the fabric from another instance's memory
	LoadedBytes      int64   `json:"loaded_bytes,omitempty"`
	LoadSeconds      float64 `json:"load_seconds,omitempty"`

	StoredBlocks       int64       `json:"stored_blocks,omitempty"` // copies placed here (demotions and write-through)
	StoredBytes        int64       `json:"stored_bytes,omitempty"`
	WriteThroughBlocks int64       `json:"write_through_blocks,omitempty"`
	RefreshedBlocks    int64       `json:"refreshed_blocks,omitempty"` // stores that found the block here already
	DroppedBlocks      int64       `json:"dropped_blocks,omitempty"`   // evicted with no tier below
	PeakBlocks         int         `json:"peak_blocks"`                // the fullest store's most blocks used
	Cache              cache.Stats `json:"cache"`                      // the stores' own counters, summed (loads and stores are accesses)
}

// Offload is what the tiers below hbm added, over all requests.
type Offload struct {
	ReusableBlocks   int64   `json:"reusable_blocks"`   // sum of prefixes found in any tier
	GPUHitBlocks     int64   `json:"gpu_hit_blocks"`    // sum of prefixes found in hbm: "no offload"
	UsedBlocks       int64   `json:"used_blocks"`       // sum of prefixes used (hbm + loaded)
	LoadedBlocks     int64   `json:"loaded_blocks"`     // from tiers below hbm
	RecomputedBlocks int64   `json:"recomputed_blocks"` // cached below, computed again because it was quicker
	LoadedBytes      int64   `json:"loaded_bytes"`
	LoadSeconds      float64 `json:"load_seconds"`

	// With a StepTimer: prefill work (load + compute) summed over requests.
	PrefillSecondsNoCache   float64 `json:"prefill_seconds_no_cache,omitempty"`
	PrefillSecondsNoOffload float64 `json:"prefill_seconds_no_offload,omitempty"`
	PrefillSeconds          float64 `json:"prefill_seconds,omitempty"`
	TTFTSavedSeconds        float64 `json:"ttft_saved_seconds,omitempty"` // against no offload, queueing excluded
	MeanTTFTSavedSeconds    float64 `json:"mean_ttft_saved_seconds,omitempty"`
}

// InstanceResult is one instance's share.
type InstanceResult struct {
	Instance       int          `json:"instance"`
	Requests       int          `json:"requests"`
	Summary        Summary      `json:"summary"` // its GPU tier, as Replay reports one
	PerTier        []TierResult `json:"per_tier"`
	ComputedTokens int64        `json:"computed_tokens"`           // prompt tokens prefilled
	PrefillSeconds float64      `json:"prefill_seconds,omitempty"` // busy time of its prefill queue (timer)
	TTFT           *Percentiles `json:"ttft,omitempty"`            // timer
	Serving        *Serving     `json:"serving,omitempty"`         // ServeEach
}

// LoadBalance says how evenly the router spread the work: max / mean over
// instances (1 is perfect) and the coefficient of variation (stddev / mean).
// Work is prefill seconds with a timer, else prompt tokens computed.
type LoadBalance struct {
	RequestsMaxOverMean float64 `json:"requests_max_over_mean"`
	RequestsCV          float64 `json:"requests_cv"`
	WorkMaxOverMean     float64 `json:"work_max_over_mean"`
	WorkCV              float64 `json:"work_cv"`
	Work                string  `json:"work"`
}

// Percentiles of a set of times, in seconds (nearest rank).
type Percentiles struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// TTFTResult is the time to first token in the prefill-queue model (see
// Prepared.ReplayTiered), with the tiers, with hbm only (no offload, same
// routing) and with no cache at all.
type TTFTResult struct {
	Model     string      `json:"model"`
	Tiered    Percentiles `json:"tiered"`
	NoOffload Percentiles `json:"no_offload"`
	NoCache   Percentiles `json:"no_cache"`
}

// TieredSeries is the replay over time, at most MaxPoints points, all
// cumulative: per tier the share of prompt blocks found first there
// (stacked, they make the reusable share), the share used, bytes loaded.
type TieredSeries struct {
	Request     []int       `json:"request"`
	Seconds     []float64   `json:"seconds"`
	TierHitRate [][]float64 `json:"tier_hit_rate"` // [tier][point]
	UsedRate    []float64   `json:"used_rate"`
	LoadedBytes []int64     `json:"loaded_bytes"`
}

// ServedResult sums the timed replays of ServeEach: each instance's
// requests through Serve (continuous batching, its GPU tier only).
type ServedResult struct {
	Model           string  `json:"model"`
	MeanTTFTSeconds float64 `json:"mean_ttft_seconds"` // over all requests
	WorstP50TTFT    float64 `json:"worst_p50_ttft_seconds"`
	WorstP99TTFT    float64 `json:"worst_p99_ttft_seconds"`
	MakespanSeconds float64 `json:"makespan_seconds"`
	Completed       int     `json:"completed"`
	Rejected        int     `json:"rejected"`
}

func (e *engine) result() (TieredResult, error) {
	cfg := e.pl.cfg
	r := TieredResult{Workload: e.p.w.Name, Tiers: cfg.Tiers, Instances: cfg.Instances, Router: e.pl.router,
		Shared: cfg.Shared && len(cfg.Tiers) > 1, WriteThrough: cfg.WriteThrough, Offload: e.off, Tiered: e.series}
	for _, t := range cfg.Tiers {
		r.TierNames = append(r.TierNames, t.String())
	}
	if !cfg.Fabric.IsZero() {
		f := cfg.Fabric
		r.Fabric = &f
	}
	r.Decision = "load-all: no step timer, every cached block is loaded"
	if e.timer != nil {
		r.Decision = "load-or-recompute: per request, load up to the block that minimises load + prefill time"
	}
	var parts []Summary
	for _, in := range e.insts {
		s := in.rec.finish(in.stack[0].Cache())
		if len(e.insts) > 1 { // the recorder counted the whole workload's requests
			s.Requests = len(in.requests)
			s.AvgInputTokens, s.AvgOutputTokens = 0, 0
			if n := float64(len(in.requests)); n > 0 {
				s.AvgInputTokens, s.AvgOutputTokens = float64(in.inTok)/n, float64(in.outTok)/n
			}
		}
		parts = append(parts, s)
		ir := InstanceResult{Instance: in.id, Requests: len(in.requests), Summary: s, ComputedTokens: in.computed}
		for t := range in.stack {
			ir.PerTier = append(ir.PerTier, e.tierResult(t, []*instance{in}))
		}
		if e.timer != nil {
			ir.PrefillSeconds = in.busy[0]
			pc := percentiles(in.ttft)
			ir.TTFT = &pc
		}
		r.PerInst = append(r.PerInst, ir)
	}
	r.Summary = mergeSummaries(parts)
	if len(e.insts) == 1 {
		r.Series = e.insts[0].rec.series
	}
	for t := range cfg.Tiers {
		r.PerTier = append(r.PerTier, e.tierResult(t, e.insts))
	}
	r.Balance = e.balance()
	if e.timer != nil {
		o := &r.Offload
		for _, in := range e.insts {
			o.PrefillSeconds += in.busy[0]
			o.PrefillSecondsNoOffload += in.busy[1]
			o.PrefillSecondsNoCache += in.busy[2]
		}
		o.TTFTSavedSeconds = o.PrefillSecondsNoOffload - o.PrefillSeconds
		o.MeanTTFTSavedSeconds = o.TTFTSavedSeconds / float64(len(e.p.w.Requests))
		r.TTFT = &TTFTResult{Model: "a FCFS prefill queue per instance, one prefill at a time (decode on other instances, as in Mooncake)",
			Tiered: percentiles(e.ttfts[0]), NoOffload: percentiles(e.ttfts[1]), NoCache: percentiles(e.ttfts[2])}
	}
	r.Notes = r.Summary.Notes
	if len(cfg.Tiers) > 1 {
		r.Notes = append(slices.Clone(r.Notes), "load times use each link's peak bandwidth: lower bounds")
	}
	if cfg.ServeEach {
		if err := e.serveEach(&r); err != nil {
			return TieredResult{}, err
		}
	}
	return r, nil
}

// tierResult sums tier t over the given instances' request-side counts and
// over the stores they use at that tier.
func (e *engine) tierResult(t int, insts []*instance) TierResult {
	cfg := e.pl.cfg
	spec := cfg.Tiers[t]
	tr := TierResult{Medium: string(spec.Medium), Spec: spec.String(), Policy: e.pl.policies[t], Link: spec.Link,
		CapacityBlocks: e.pl.capacity[t], Shared: t > 0 && cfg.Shared}
	if tr.CapacityBlocks != cache.Unbounded {
		tr.CapacityBytes = int64(tr.CapacityBlocks) * e.bpb
	}
	var prompt int64
	for _, in := range insts {
		c := in.counts[t]
		tr.HitBlocks += c.hit
		tr.UsedBlocks += c.used
		tr.RecomputedBlocks += c.recomputed
		tr.FabricBlocks += c.fabric
		tr.LoadSeconds += c.loadSeconds
		tr.WriteThroughBlocks += c.writeThrough
		prompt += in.rec.sum.PromptBlocks
	}
	if t > 0 {
		tr.LoadedBytes = tr.UsedBlocks * e.bpb
	}
	tr.HitRate, tr.UsedRate = ratio(tr.HitBlocks, prompt), ratio(tr.UsedBlocks, prompt)
	var stores []*cache.Tier
	var peaks []int
	if tr.Shared {
		stores, peaks = e.levels[t], e.peaks[t]
		if len(insts) == 1 && len(e.insts) > 1 {
			stores = nil // one instance's view: the store belongs to all
		}
	} else {
		for _, in := range insts {
			stores = append(stores, in.stack[t])
			peaks = append(peaks, e.peaks[t][in.id])
		}
	}
	tr.Stores = len(stores)
	for k, st := range stores {
		s := st.Stats()
		tr.StoredBlocks += s.Stored
		tr.RefreshedBlocks += s.Refreshed
		tr.DroppedBlocks += s.Dropped
		cs := st.Cache().Stats()
		tr.Cache.Lookups += cs.Lookups
		tr.Cache.Hits += cs.Hits
		tr.Cache.Misses += cs.Misses
		tr.Cache.Inserts += cs.Inserts
		tr.Cache.Bypassed += cs.Bypassed
		tr.Cache.Refused += cs.Refused
		tr.Cache.Evictions += cs.Evictions
		tr.Cache.EvictedBytes += cs.EvictedBytes
		tr.PeakBlocks = max(tr.PeakBlocks, peaks[k])
	}
	tr.StoredBytes = tr.StoredBlocks * e.bpb
	return tr
}

func (e *engine) balance() LoadBalance {
	var reqs, work []float64
	b := LoadBalance{Work: "prompt tokens computed"}
	for _, in := range e.insts {
		reqs = append(reqs, float64(len(in.requests)))
		if e.timer != nil {
			work = append(work, in.busy[0])
		} else {
			work = append(work, float64(in.computed))
		}
	}
	if e.timer != nil {
		b.Work = "prefill seconds (load + compute)"
	}
	b.RequestsMaxOverMean, b.RequestsCV = spread(reqs)
	b.WorkMaxOverMean, b.WorkCV = spread(work)
	return b
}

// spread returns max/mean and stddev/mean (population), 0 when the mean is 0.
func spread(xs []float64) (maxOverMean, cv float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	m := mean(xs)
	if m == 0 {
		return 0, 0
	}
	v, hi := 0.0, xs[0]
	for _, x := range xs {
		v += (x - m) * (x - m)
		hi = math.Max(hi, x)
	}
	return hi / m, math.Sqrt(v/float64(len(xs))) / m
}

func percentiles(xs []float64) Percentiles {
	if len(xs) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return Percentiles{Mean: mean(s), P50: Quantile(s, 0.5), P90: Quantile(s, 0.9), P99: Quantile(s, 0.99), Max: s[len(s)-1]}
}

// mergeSummaries adds instances' summaries into one: counts and sums add,
// rates are recomputed from them, the mean per-request hit rate is weighed
// by requests, capacities and peaks add (peaks of different moments: an
// upper bound on the simultaneous peak). One summary is returned unchanged.
func mergeSummaries(parts []Summary) Summary {
	if len(parts) == 1 {
		return parts[0]
	}
	s := parts[0]
	s.Notes = nil
	s.Requests, s.PromptBlocks, s.HitBlocks, s.PromptTokens, s.HitTokens = 0, 0, 0, 0, 0
	s.Evictions, s.EvictedBytes, s.Bypassed, s.PeakBlocks, s.MeanBlocks = 0, 0, 0, 0, 0
	s.CapacityBytes, s.TTFTSavedSeconds = 0, 0
	var rateSum, in, out, pre0, pre1 float64
	capacity := 0
	for _, p := range parts {
		s.Requests += p.Requests
		s.PromptBlocks += p.PromptBlocks
		s.HitBlocks += p.HitBlocks
		s.PromptTokens += p.PromptTokens
		s.HitTokens += p.HitTokens
		s.Evictions += p.Evictions
		s.EvictedBytes += p.EvictedBytes
		s.Bypassed += p.Bypassed
		s.PeakBlocks += p.PeakBlocks
		s.MeanBlocks += p.MeanBlocks
		s.CapacityBytes += p.CapacityBytes
		s.TTFTSavedSeconds += p.TTFTSavedSeconds
		capacity += p.CapacityBlocks
		n := float64(p.Requests)
		rateSum += p.MeanRequestTokenHitRate * n
		in += p.AvgInputTokens * n
		out += p.AvgOutputTokens * n
		pre0 += p.MeanPrefillSecondsUncached * n
		pre1 += p.MeanPrefillSecondsCached * n
		for _, note := range p.Notes {
			if !slices.Contains(s.Notes, note) {
				s.Notes = append(s.Notes, note)
			}
		}
	}
	if !s.Unbounded {
		s.CapacityBlocks = capacity
	}
	n := float64(s.Requests)
	if n > 0 {
		s.AvgInputTokens, s.AvgOutputTokens = in/n, out/n
		s.MeanRequestTokenHitRate = rateSum / n
		s.MeanTTFTSavedSeconds = s.TTFTSavedSeconds / n
		s.MeanPrefillSecondsUncached, s.MeanPrefillSecondsCached = pre0/n, pre1/n
	}
	s.BlockHitRate = ratio(s.HitBlocks, s.PromptBlocks)
	s.TokenHitRate = ratio(s.HitTokens, s.PromptTokens)
	s.RecomputedTokens = s.PromptTokens - s.HitTokens
	s.PeakBytes, s.MeanBytes = 0, 0
	for _, p := range parts {
		s.PeakBytes += p.PeakBytes
		s.MeanBytes += p.MeanBytes
	}
	return s
}

// serveEach runs every instance's requests through Serve, in parallel, as
// a black box: its GPU tier only (Serve has no tiers), the routing of this
// replay, the timed engine's queueing and batching.
func (e *engine) serveEach(r *TieredResult) error {
	cfg := e.pl.cfg
	out := make([]*ServeResult, len(e.insts))
	err := parallel(len(e.insts), 0, func(i int) error {
		in := e.insts[i]
		if len(in.requests) == 0 {
			return nil
		}
		w := workload.Workload{Name: fmt.Sprintf("%s#%d", e.p.w.Name, i), BlockTokens: e.p.w.BlockTokens}
		for _, ri := range in.requests {
			w.Requests = append(w.Requests, e.p.w.Requests[ri])
		}
		p, err := Prepare(w)
		if err != nil {
			return err
		}
		sr, err := p.Serve(ServeConfig{Config: Config{Policy: e.pl.policies[0], CapacityBlocks: e.pl.capacity[0], BytesPerBlock: cfg.BytesPerBlock, Timer: cfg.Timer, MaxPoints: 1}, MaxBatch: cfg.MaxBatch})
		if err != nil {
			return fmt.Errorf("sim: serve instance %d: %w", i, err)
		}
		out[i] = &sr
		return nil
	})
	if err != nil {
		return err
	}
	sv := &ServedResult{Model: "each instance's requests through Serve: continuous batching, prefill and decode on the instance, GPU tier only"}
	var ttftSum float64
	for i, sr := range out {
		if sr == nil {
			continue
		}
		s := sr.Serving
		r.PerInst[i].Serving = &s
		ttftSum += s.MeanTTFTSeconds * float64(s.Completed)
		sv.Completed += s.Completed
		sv.Rejected += s.Rejected
		sv.WorstP50TTFT = math.Max(sv.WorstP50TTFT, s.P50TTFTSeconds)
		sv.WorstP99TTFT = math.Max(sv.WorstP99TTFT, s.P99TTFTSeconds)
		sv.MakespanSeconds = math.Max(sv.MakespanSeconds, s.MakespanSeconds)
	}
	if sv.Completed > 0 {
		sv.MeanTTFTSeconds = ttftSum / float64(sv.Completed)
	}
	r.Served = sv
	return nil
}
