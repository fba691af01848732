package study

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/units"
	"kvcache/kvsim/workload"
)

// Store names of the private-or-shared switch, in TiersStudy.Stores order.
const (
	Private = "private" // each instance has its own tiers below hbm
	Shared  = "shared"  // one store below hbm for all instances, pooling N x each tier
)

// TiersSettings set up section 5b: the workload replayed over N serving
// instances, each with GPU memory (hbm, sized by the capacity slider) above
// the tiers of a hierarchy, private or one store shared by all, behind a
// router. Every combination of the pickers is one sim.ReplayTiered run.
type TiersSettings struct {
	Workload       Source
	Model          model.Spec    // its KV bytes size the blocks; its prefills are timed (load or recompute, TTFT)
	Hardware       cost.Hardware // Devices(Model) of it run one instance
	KVDType        model.DType   // "": fp16
	CapacityPoints int           // hbm slider positions, SliderCapacities; 0: 8
	Hierarchies    []string      // the tier picker: each instance's tiers below hbm, as cache.ParseTiers reads them ("" = hbm alone); nil: DefaultHierarchies
	Instances      []int         // the instance picker; nil: 1, 2, 4, 8
	Routers        []string      // the router picker (sim.RouterNames); nil: round-robin, cache-aware
	Policy         string        // eviction in every tier; "": lru
	WriteThrough   bool          // store every block placed in hbm in the tier below at once (LMCache, Mooncake), not only when hbm evicts it
	MemoryFraction float64       // share of each device the engine may use; 0: the default engine's (vllm: 0.9)
}

// DefaultHierarchies are the tier picker's choices: the GPU alone, then
// host memory and an SSD below it, per instance, at the sizes of issue 16's
// example (a 256 GiB share of a node's DRAM, a 2 TiB NVMe drive).
func DefaultHierarchies() []string { return []string{"", "dram:256GiB", "dram:256GiB,ssd:2TiB"} }

// DefaultInstances are the instance picker's counts.
func DefaultInstances() []int { return []int{1, 2, 4, 8} }

// DefaultRouters are the router picker's choices: no affinity, and the
// affinity SGLang's and vLLM's routers give (sim.CacheAware).
func DefaultRouters() []string { return []string{sim.RoundRobin, sim.CacheAware} }

// TiersStudy is every run of the grid: capacities x hierarchies x
// instance counts x routers x stores (Run indexes it), and the most reuse
// any cache could give (one unbounded cache seeing every request).
type TiersStudy struct {
	Workload      string         `json:"workload"`
	Stats         workload.Stats `json:"stats"`
	Notes         []string       `json:"notes,omitempty"`
	Model         string         `json:"model"`
	Hardware      string         `json:"hardware"`
	TP            int            `json:"tp"` // devices per instance (Devices); prefills are timed there
	KVDType       model.DType    `json:"kv_dtype"`
	BytesPerBlock int64          `json:"bytes_per_block"`
	NodeKVBytes   int64          `json:"node_kv_bytes"` // KV memory one instance's devices leave
	TTFTBand      cost.Band      `json:"ttft_band"`     // how far the cost model's prefill/TTFT predictions fall from published runs
	Policy        string         `json:"policy"`
	WriteThrough  bool           `json:"write_through"`

	Capacities  []int    `json:"capacities"`  // hbm blocks per instance: the slider
	Hierarchies []string `json:"hierarchies"` // tiers below hbm: the tier picker
	Instances   []int    `json:"instances"`
	Routers     []string `json:"routers"`
	Stores      []string `json:"stores"` // Private, Shared

	Maximum sim.Summary `json:"maximum"` // one unbounded cache, every request: the most reuse there is
	Runs    []TierRun   `json:"runs"`    // in Run's order
	Replays int         `json:"replays"` // distinct replays run (identical combinations share one)
	Provenance
}

// TierRun is one combination of the grid: what the instances reused, from
// where, and the time to first token. Rates are shares of prompt blocks
// (kvsim/sim's glossary: block hit rate).
type TierRun struct {
	HitRate    float64         `json:"hit_rate"`     // used from a cache: in hbm or loaded from below (sum m_r)
	GPUHitRate float64         `json:"gpu_hit_rate"` // found in the instances' hbm alone (no offload, sum g_r)
	FoundRate  float64         `json:"found_rate"`   // found in any tier (sum u_r); found - used were recomputed, being quicker
	Tiers      []TierShare     `json:"tiers"`
	LoadedGiB  float64         `json:"loaded_gib"` // moved up from the tiers below hbm
	TTFT       sim.TTFTResult  `json:"ttft"`       // the prefill-queue model's percentiles: with the tiers, hbm only, no cache
	Balance    sim.LoadBalance `json:"load_balance"`
}

// TierShare is one tier of a run: the prompt blocks found first there and
// those used (hbm) or loaded (below).
type TierShare struct {
	Medium   string  `json:"medium"`
	HitRate  float64 `json:"hit_rate"`
	UsedRate float64 `json:"used_rate"`
}

// Study names the result: data/tiers.json.
func (TiersStudy) Study() string { return "tiers" }

// Summary says what was replayed.
func (st TiersStudy) Summary() string {
	return fmt.Sprintf("replayed %s (%d requests) over tiers and instances: %d combinations, %d replays, in %.1f s",
		st.Workload, st.Stats.Requests, len(st.Runs), st.Replays, st.Took)
}

// Index is the position in Runs of capacity c, hierarchy h, instance
// count n, router r and store s (indexes into the study's lists).
func (st TiersStudy) Index(c, h, n, r, s int) int {
	return (((c*len(st.Hierarchies)+h)*len(st.Instances)+n)*len(st.Routers)+r)*len(st.Stores) + s
}

// Run is the run at those indexes.
func (st TiersStudy) Run(c, h, n, r, s int) TierRun { return st.Runs[st.Index(c, h, n, r, s)] }

// HierarchyLabel names hierarchy h for a picker: "hbm + dram:256GiB".
func HierarchyLabel(below string) string {
	if strings.TrimSpace(below) == "" {
		return "hbm only"
	}
	return "hbm + " + strings.Join(splitTiers(below), " + ")
}

func splitTiers(below string) []string {
	var out []string
	for _, f := range strings.Split(below, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// hierarchy is hbm of capacity blocks above the tiers below.
func hierarchy(blocks int, below string) ([]cache.TierSpec, error) {
	spec := fmt.Sprintf("hbm:%dblocks", blocks)
	if b := strings.Join(splitTiers(below), ","); b != "" {
		spec += "," + b
	}
	tiers, err := cache.ParseTiers(spec)
	if err != nil {
		return nil, badSettings("tiers below hbm %q: %v", below, err)
	}
	return tiers, nil
}

func (s TiersSettings) withDefaults() (TiersSettings, error) {
	s.KVDType = orDefault(s.KVDType, model.FP16)
	s.CapacityPoints = orDefault(s.CapacityPoints, 8)
	s.Policy = orDefault(s.Policy, LRU)
	if s.Hierarchies == nil {
		s.Hierarchies = DefaultHierarchies()
	}
	if s.Instances == nil {
		s.Instances = DefaultInstances()
	}
	if s.Routers == nil {
		s.Routers = DefaultRouters()
	}
	if len(s.Hierarchies) == 0 || len(s.Instances) == 0 || len(s.Routers) == 0 {
		return s, badSettings("the tier, instance and router pickers need at least one choice each (nil takes the defaults)")
	}
	for _, n := range s.Instances {
		if n < 1 || n > sim.MaxInstances {
			return s, badSettings("%d instances: give 1 to %d", n, sim.MaxInstances)
		}
	}
	routers := make([]string, len(s.Routers))
	for i, r := range s.Routers {
		name, err := sim.CanonicalRouter(r)
		if err != nil {
			return s, badSettings("%v", err)
		}
		routers[i] = name
	}
	s.Routers = routers
	for _, h := range s.Hierarchies {
		if _, err := hierarchy(1, h); err != nil {
			return s, err
		}
	}
	return s, nil
}

// Tiers replays the workload at every combination of the pickers, the
// replays in parallel (sim.Prepared.ReplayTieredMany). Combinations that
// cannot differ run once: one instance has nothing to route and nothing
// to share, and hbm alone has no store to share.
func Tiers(ctx context.Context, s TiersSettings) (TiersStudy, error) {
	start := time.Now()
	s, err := s.withDefaults()
	if err != nil {
		return TiersStudy{}, err
	}
	w, err := s.Workload.Load()
	if err != nil {
		return TiersStudy{}, err
	}
	p, err := sim.Prepare(w)
	if err != nil {
		return TiersStudy{}, fmt.Errorf("study: %w", err)
	}
	w = p.Workload()
	st := TiersStudy{Workload: w.Name, Stats: w.Stats(), Notes: w.Notes, Model: s.Model.Name, Hardware: s.Hardware.Name, KVDType: s.KVDType,
		Policy: s.Policy, WriteThrough: s.WriteThrough, Hierarchies: s.Hierarchies, Instances: s.Instances, Routers: s.Routers, Stores: []string{Private, Shared}}
	if st.BytesPerBlock, err = cache.BlockBytes(s.Model, s.KVDType, w.BlockTokens); err != nil {
		return TiersStudy{}, fmt.Errorf("study: %w", err)
	}
	if fit := kvFit(s.Model, s.Hardware, cost.Options{DType: s.KVDType, MemoryFraction: s.MemoryFraction}); fit.Error == "" {
		st.NodeKVBytes = fit.NodeKVBytes
	}
	timer, tp, err := ServingTimerWith(s.Model, s.Hardware, cost.Options{DType: s.KVDType, MemoryFraction: s.MemoryFraction})
	if err != nil {
		return TiersStudy{}, err
	}
	st.TP = tp
	if st.TTFTBand, err = predictionBand(s.Model, s.Hardware, s.KVDType, tp, cost.PrefillTTFT); err != nil {
		return TiersStudy{}, err
	}
	if st.Capacities, err = SliderCapacities(st.Stats.DistinctBlocks, s.CapacityPoints); err != nil {
		return TiersStudy{}, err
	}
	most, err := p.Replay(sim.Config{CapacityBlocks: cache.Unbounded, MaxPoints: 1})
	if err != nil {
		return TiersStudy{}, fmt.Errorf("study: %w", err)
	}
	st.Maximum = most.Summary

	// One config per distinct combination; each run points at its config.
	var cfgs []sim.TieredConfig
	seen := map[string]int{}
	which := make([]int, len(st.Capacities)*len(st.Hierarchies)*len(st.Instances)*len(st.Routers)*len(st.Stores))
	for c, blocks := range st.Capacities {
		for h, below := range st.Hierarchies {
			tiers, err := hierarchy(blocks, below)
			if err != nil {
				return TiersStudy{}, err
			}
			for n, count := range st.Instances {
				for r, router := range st.Routers {
					if count == 1 {
						router = sim.RoundRobin // nothing to route
					}
					for k, store := range st.Stores {
						shared := store == Shared && len(tiers) > 1 && count > 1
						key := fmt.Sprintf("%d|%d|%d|%s|%v", c, h, count, router, shared)
						i, ok := seen[key]
						if !ok {
							i = len(cfgs)
							seen[key] = i
							cfgs = append(cfgs, sim.TieredConfig{Tiers: tiers, Instances: count, Router: router, Shared: shared, Policy: s.Policy,
								WriteThrough:  s.WriteThrough && len(tiers) > 1,
								BytesPerBlock: st.BytesPerBlock, Timer: timer, MaxPoints: 1, Seed: s.Workload.Seed})
						}
						which[st.Index(c, h, n, r, k)] = i
					}
				}
			}
		}
	}
	if err := checkVisits(w, st.Stats.PromptBlocks, len(cfgs)); err != nil {
		return TiersStudy{}, err
	}
	if err := ctx.Err(); err != nil {
		return TiersStudy{}, err
	}
	results, err := p.ReplayTieredMany(cfgs, 0)
	if err != nil {
		return TiersStudy{}, fmt.Errorf("study: %w", err)
	}
	st.Replays = len(cfgs)
	st.Runs = make([]TierRun, len(which))
	for i, j := range which {
		st.Runs[i] = tierRun(results[j])
	}
	st.Provenance = stamp(start)
	return st, nil
}

// tierRun keeps what the figure and the finding read of a replay.
func tierRun(r sim.TieredResult) TierRun {
	prompt := float64(r.Summary.PromptBlocks)
	share := func(n int64) float64 {
		if prompt == 0 {
			return 0
		}
		return float64(n) / prompt
	}
	run := TierRun{HitRate: r.Summary.BlockHitRate, GPUHitRate: share(r.Offload.GPUHitBlocks), FoundRate: share(r.Offload.ReusableBlocks),
		LoadedGiB: float64(r.Offload.LoadedBytes) / (1 << 30), Balance: r.Balance}
	for _, t := range r.PerTier {
		run.Tiers = append(run.Tiers, TierShare{Medium: t.Medium, HitRate: t.HitRate, UsedRate: t.UsedRate})
	}
	if r.TTFT != nil {
		run.TTFT = *r.TTFT
	}
	return run
}

// TiersSettings: the picked workload or trace through the serving model's
// KV blocks on the lab's hardware, Sizes.TierPoints hbm capacities, the
// default pickers, and write-through, as LMCache and Mooncake store what a
// prefill computed (with demotion only, a bigger hbm would feed the tiers
// below less).
func (l *Lab) TiersSettings() TiersSettings {
	sz := l.Sizes.withDefaults()
	return TiersSettings{Workload: l.Picks.Source(), Model: l.Serving, Hardware: l.Hardware, CapacityPoints: sz.TierPoints,
		Hierarchies: DefaultHierarchies(), Instances: DefaultInstances(), Routers: DefaultRouters(), WriteThrough: true,
		MemoryFraction: l.Picks.MemoryFraction}
}

// tiersMetrics are section 5b's headline numbers: at the capacity the
// cache-sharing finding reads, with the most instances and the deepest
// hierarchy, the reuse per router and store.
func (r Results) tiersMetrics() []Metric {
	st := r.Tiers
	h := -1
	if st != nil {
		h = deepest(st.Hierarchies)
	}
	if st == nil || len(st.Runs) == 0 || h < 0 {
		return nil
	}
	n := 0
	for i, v := range st.Instances {
		if v > st.Instances[n] {
			n = i
		}
	}
	c := nearestCapacity(st)
	const sec = "5b tiers and instances"
	base := fmt.Sprintf("%s, %s KV blocks, %d instances, %s of hbm each above %s", st.Workload, st.Model, st.Instances[n],
		units.GiBLabel(units.GiB(float64(st.Capacities[c])*float64(st.BytesPerBlock))), strings.Join(splitTiers(st.Hierarchies[h]), " + "))
	out := []Metric{{Section: sec, Name: "most reuse (one unbounded cache)", Value: 100 * st.Maximum.BlockHitRate, Unit: "%", Conditions: st.Workload + ", block hit rate"}}
	for k, router := range st.Routers {
		for s, store := range st.Stores {
			run := st.Run(c, h, n, k, s)
			cond := fmt.Sprintf("%s, %s routing, %s store", base, router, store)
			out = append(out, Metric{Section: sec, Name: fmt.Sprintf("block hit rate, %s, %s", router, store), Value: 100 * run.HitRate, Unit: "%", Conditions: cond},
				Metric{Section: sec, Name: fmt.Sprintf("TTFT p50, %s, %s", router, store), Value: 1e3 * run.TTFT.Tiered.P50, Unit: "ms",
					Conditions: cond + fmt.Sprintf(", prefill queues on %d× %s, predicted: %s", st.TP, st.Hardware, st.TTFTBand)})
			if s == 0 {
				out = append(out, Metric{Section: sec, Name: fmt.Sprintf("block hit rate, %s, GPU memory alone", router), Value: 100 * run.GPUHitRate, Unit: "%", Conditions: cond})
			}
		}
	}
	return out
}

// predictionBand is the validated band of the cost model's predictions in
// regime for the engine it prices model on tp devices of hw with.
func predictionBand(m model.Spec, hw cost.Hardware, dtype model.DType, tp int, regime cost.Regime) (cost.Band, error) {
	p, err := cost.New(m, hw, cost.Options{DType: dtype, TP: tp, AllowLongContext: true})
	if err != nil {
		return cost.Band{}, fmt.Errorf("study: %w", err)
	}
	b, err := cost.PublishedBand(p.Engine().Name, regime)
	if err != nil {
		return cost.Band{}, fmt.Errorf("study: %w", err)
	}
	return b, nil
}

// checkTiers refuses a tiers grid (section 5b) beyond the work limits
// before any study runs: at most every combination, replayed once.
func (l *Lab) checkTiers(w workload.Workload) error {
	s, err := l.TiersSettings().withDefaults()
	if err != nil {
		return err
	}
	caps, err := SliderCapacities(w.Stats().DistinctBlocks, s.CapacityPoints)
	if err != nil {
		return err
	}
	return checkVisits(w, w.Stats().PromptBlocks, len(caps)*len(s.Hierarchies)*len(s.Instances)*len(s.Routers)*2)
}
