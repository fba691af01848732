package sim

import (
	"fmt"
	"math"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// MaxInstances bounds TieredConfig.Instances.
const MaxInstances = 4096

// TieredConfig sets up a replay over cache tiers and serving instances
// (ReplayTiered). With one hbm tier and one instance it is Replay.
type TieredConfig struct {
	Tiers         []cache.TierSpec // each instance's tiers, fastest first; Tiers[0] is hbm (cache.ParseTiers)
	Instances     int              // data-parallel replicas replaying the one workload; 0 means 1
	Shared        bool             // the tiers below hbm are one store for all instances, pooling N x their size
	Router        string           // RouterNames(); "" means round-robin
	Policy        string           // eviction policy of every tier without its own; "" means lru
	BytesPerBlock int64            // memory per block (cache.BlockBytes); needed for byte sizes and, with a Timer, load times
	Timer         StepTimer        // optional: load-or-recompute decisions, TTFT, least-loaded routing
	WriteThrough  bool             // also store every block placed in hbm in the second tier at once (LMCache, Mooncake), not only when hbm evicts it
	Fabric        cache.Link       // shared store: the network a block placed by another instance crosses (zero: every instance shares one host)
	MaxPoints     int              // series points at most; 0 means DefaultMaxPoints
	Seed          uint64           // the random router's seed
	CacheAware    CacheAwareConfig // the cache-aware router's thresholds; zero means DefaultCacheAware
	ServeEach     bool             // also run each instance's requests through Serve (timed, continuous batching, hbm only); needs Timer
	MaxBatch      int              // Serve's limit with ServeEach; 0 means DefaultMaxBatch
}

// tieredPlan is a checked TieredConfig with the tiers' capacities resolved.
type tieredPlan struct {
	cfg      TieredConfig
	router   string
	policies []string // per tier
	capacity []int    // per tier, per store (a shared store holds N x the spec)
	single   Config   // the GPU tier as a one-tier replay: the recorder's config
}

func (p *Prepared) planTiered(cfg TieredConfig) (tieredPlan, error) {
	if cfg.Instances == 0 {
		cfg.Instances = 1
	}
	if cfg.Instances < 1 || cfg.Instances > MaxInstances {
		return tieredPlan{}, fmt.Errorf("sim: %d instances: give 1 to %d", cfg.Instances, MaxInstances)
	}
	if err := cache.ValidateTiers(cfg.Tiers); err != nil {
		return tieredPlan{}, fmt.Errorf("sim: %w", err)
	}
	if cfg.Policy == "" {
		cfg.Policy = cache.LRUName
	}
	base, err := cache.CanonicalPolicy(cfg.Policy)
	if err != nil {
		return tieredPlan{}, fmt.Errorf("sim: %w", err)
	}
	cfg.Policy = base
	router, err := CanonicalRouter(cfg.Router)
	if err != nil {
		return tieredPlan{}, err
	}
	cfg.Router = router
	if cfg.MaxPoints == 0 {
		cfg.MaxPoints = DefaultMaxPoints
	}
	if cfg.MaxPoints < 1 {
		return tieredPlan{}, fmt.Errorf("sim: MaxPoints %d: must be >= 1 (0 means %d)", cfg.MaxPoints, DefaultMaxPoints)
	}
	if cfg.BytesPerBlock < 0 {
		return tieredPlan{}, fmt.Errorf("sim: %d bytes per block: must be >= 0", cfg.BytesPerBlock)
	}
	lower := len(cfg.Tiers) > 1
	if cfg.Timer != nil && lower && cfg.BytesPerBlock == 0 {
		return tieredPlan{}, fmt.Errorf("sim: timing loads from %s needs the bytes per block: name the model (cache.BlockBytes)", cfg.Tiers[1].Medium)
	}
	if !cfg.Fabric.IsZero() {
		if !cfg.Shared || !lower {
			return tieredPlan{}, fmt.Errorf("sim: a fabric link only applies to a shared store: set Shared and give a tier below hbm")
		}
		if !(cfg.Fabric.BytesPerSecond > 0) || cfg.Fabric.LatencySeconds < 0 {
			return tieredPlan{}, fmt.Errorf("sim: fabric %q: give a positive bandwidth and a latency >= 0 (cache.LookupLink)", cfg.Fabric.Name)
		}
	}
	if cfg.ServeEach && cfg.Timer == nil {
		return tieredPlan{}, fmt.Errorf("sim: ServeEach times each instance's requests and needs a StepTimer (--model and --hardware)")
	}
	if cfg.Timer != nil {
		reqs := p.w.Requests
		for i := 1; i < len(reqs); i++ {
			if reqs[i].ArrivalSeconds < reqs[i-1].ArrivalSeconds {
				return tieredPlan{}, fmt.Errorf("sim: timed instances need requests sorted by arrival: request %d arrives at %g s, before request %d at %g s",
					i, reqs[i].ArrivalSeconds, i-1, reqs[i-1].ArrivalSeconds)
			}
		}
	}
	pl := tieredPlan{cfg: cfg, router: router}
	for i, t := range cfg.Tiers {
		pol := base
		if t.Policy != "" {
			if pol, err = cache.CanonicalPolicy(t.Policy); err != nil {
				return tieredPlan{}, fmt.Errorf("sim: %w", err)
			}
		}
		if cache.IsOffline(pol) && (i > 0 || cfg.Instances > 1) {
			return tieredPlan{}, fmt.Errorf("sim: policy %s needs the future access sequence, known only for the GPU tier of a single instance: use an online policy (%s) for %s",
				pol, "lru, s3fifo, ...", describeTier(i, cfg.Instances))
		}
		n, err := t.CapacityBlocks(p.w.BlockTokens, cfg.BytesPerBlock)
		if err != nil {
			return tieredPlan{}, fmt.Errorf("sim: %w", err)
		}
		if i > 0 && cfg.Shared && n != cache.Unbounded {
			pooled := int64(n) * int64(cfg.Instances)
			if pooled > math.MaxInt32-1 {
				return tieredPlan{}, fmt.Errorf("sim: shared %s of %d instances x %d blocks is more than a pool can index: use fewer instances or a smaller tier", t.Medium, cfg.Instances, n)
			}
			n = int(pooled)
		}
		pl.policies = append(pl.policies, pol)
		pl.capacity = append(pl.capacity, n)
	}
	pl.single = Config{Policy: pl.policies[0], CapacityBlocks: pl.capacity[0], BytesPerBlock: cfg.BytesPerBlock, Timer: cfg.Timer, MaxPoints: cfg.MaxPoints}
	return pl, nil
}

func describeTier(i, instances int) string {
	if i > 0 {
		return "the tiers below hbm"
	}
	return fmt.Sprintf("hbm with %d instances (each sees a sequence the routing decides)", instances)
}

// ReplayTiered prepares w and replays it over tiers and instances (see
// Prepared.ReplayTiered).
func ReplayTiered(w workload.Workload, cfg TieredConfig) (TieredResult, error) {
	p, err := Prepare(w)
	if err != nil {
		return TieredResult{}, err
	}
	return p.ReplayTiered(cfg)
}

// ReplayTiered replays the workload in arrival order over N instances,
// each with the tiers of cfg (hbm private, the rest private or one shared
// store). For each request:
//
//  1. The router picks an instance (round-robin, least-loaded, cache-aware
//     or random).
//  2. Each prompt block is located in the fastest of the instance's tiers
//     holding it, up to the first block no tier holds: the reusable prefix.
//  3. Load or recompute: blocks of the prefix in hbm are used as they are;
//     for the rest the replay picks how far to load, m, minimising
//     load time + prefill time (see doc.go); without a Timer it loads them
//     all. Blocks past m are computed again.
//  4. Every prompt block is then accessed in hbm in prompt order, exactly as
//     Replay does, so hbm sees the same sequence with or without the tiers
//     below it; blocks hbm evicts are demoted down the hierarchy (and with
//     WriteThrough every block placed in hbm is stored in the second tier
//     at once).
//  5. With a Timer, the request joins its instance's prefill queue (FCFS,
//     one prefill at a time, as a Mooncake prefill instance): its TTFT is
//     the wait plus its load and prefill time. The same queue is kept for
//     the same routing without lower tiers (no offload) and without any
//     cache.
//
// Used blocks never exceed any tier's capacity: the replay checks it after
// every request.
func (p *Prepared) ReplayTiered(cfg TieredConfig) (TieredResult, error) {
	pl, err := p.planTiered(cfg)
	if err != nil {
		return TieredResult{}, err
	}
	e, err := p.newEngine(pl)
	if err != nil {
		return TieredResult{}, err
	}
	for i, req := range p.w.Requests {
		if err := e.request(i, req); err != nil {
			return TieredResult{}, fmt.Errorf("sim: request %d: %w", i, err)
		}
	}
	return e.result()
}

// ReplayTieredMany runs one ReplayTiered per config over workers goroutines
// (0 means GOMAXPROCS): a grid of tier sizes, instance counts and routers
// for a slider to step through. Runs are independent and deterministic, so
// the results do not depend on workers; the first failing config's error
// is returned.
func (p *Prepared) ReplayTieredMany(cfgs []TieredConfig, workers int) ([]TieredResult, error) {
	out := make([]TieredResult, len(cfgs))
	err := parallel(len(cfgs), workers, func(i int) error {
		r, err := p.ReplayTiered(cfgs[i])
		if err != nil {
			return fmt.Errorf("sim: config %d: %w", i, err)
		}
		out[i] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
