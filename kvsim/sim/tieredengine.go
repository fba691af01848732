package sim

import (
	"fmt"
	"math"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// engine runs a tiered, multi-instance replay one request at a time.
type engine struct {
	p      *Prepared
	pl     tieredPlan
	timer  StepTimer
	bpb    int64
	router *router
	insts  []*instance
	levels [][]*cache.Tier // by tier: the distinct stores (N private, or 1 shared)
	peaks  [][]int         // by tier, by store: most blocks used

	links [][2]cache.Link // by tier: from a local store, across the fabric

	// per-request scratch
	now    float64
	cur    workload.Request
	loc    []int8     // tier holding each block of the reusable prefix
	cross  []bool     // the block crosses the fabric
	groups [][2]int64 // blocks to load, by tier and by local / across the fabric
	best   [][2]int64 // the groups of the best choice so far
	pf     []float64  // prefill seconds by cached blocks, this request (-1: not yet)

	// global counters
	off     Offload
	ttfts   [3][]float64 // tiered, no offload, no cache
	served  int
	stride  int
	series  TieredSeries
	tierHit []int64 // by tier, cumulative, for the series
	prompt  int64
	used    int64
}

// instance is one serving replica: its tiers, its recorder (a Summary of
// the GPU tier as Replay keeps it) and its prefill queues.
type instance struct {
	id       int
	stack    []*cache.Tier
	rec      *recorder
	counts   []tierCounts // by tier, request side
	requests []int        // indices of the requests routed here
	free     [3]float64   // prefill queue empties at: tiered, no offload, no cache
	busy     [3]float64   // prefill seconds served
	computed int64        // prompt tokens prefilled
	inTok    int64        // prompt tokens routed here
	outTok   int64        // output tokens routed here
	ttft     []float64    // tiered
	finish   []float64    // prefill end of each request, in order (timed)
	done     int          // finish[:done] are over by now
}

// tierCounts is what one instance's requests found and took in one tier.
type tierCounts struct {
	hit, used, recomputed, fabric int64
	loadSeconds                   float64
	writeThrough                  int64
}

func (p *Prepared) newEngine(pl tieredPlan) (*engine, error) {
	cfg := pl.cfg
	if cfg.Timer != nil {
		// The recorder asks the timer what the engine just asked it.
		pl.single.Timer = &memoTimer{t: cfg.Timer}
	}
	r, err := newRouter(pl.router, cfg.Seed, cfg.Timer != nil, cfg.CacheAware)
	if err != nil {
		return nil, err
	}
	nt := len(cfg.Tiers)
	e := &engine{p: p, pl: pl, timer: pl.single.Timer, bpb: cfg.BytesPerBlock, router: r,
		levels: make([][]*cache.Tier, nt), peaks: make([][]int, nt), groups: make([][2]int64, nt), best: make([][2]int64, nt),
		links: make([][2]cache.Link, nt), tierHit: make([]int64, nt)}
	for t := 1; t < nt; t++ {
		e.links[t][0] = cfg.Tiers[t].Link
		if !cfg.Fabric.IsZero() {
			e.links[t][1] = cfg.Fabric.Through(cfg.Tiers[t].Link)
		}
	}
	n := len(p.w.Requests)
	e.stride = (n + cfg.MaxPoints - 1) / cfg.MaxPoints
	shared := make([]*cache.Tier, nt)
	for t := 1; t < nt && cfg.Shared; t++ {
		tier, err := e.newTier(t, -1, true)
		if err != nil {
			return nil, err
		}
		shared[t] = tier
		if t > 1 {
			shared[t-1].DemoteTo(tier)
		}
	}
	for i := range cfg.Instances {
		in := &instance{id: i, counts: make([]tierCounts, nt)}
		for t := range nt {
			tier := shared[t]
			if tier == nil {
				if tier, err = e.newTier(t, i, false); err != nil {
					return nil, err
				}
			}
			if t > 0 && !(cfg.Shared && t > 1) {
				in.stack[t-1].DemoteTo(tier)
			}
			in.stack = append(in.stack, tier)
		}
		in.rec = newRecorder(p, pl.single)
		e.insts = append(e.insts, in)
	}
	for t := range nt {
		e.peaks[t] = make([]int, len(e.levels[t]))
	}
	return e, nil
}

// newTier builds tier t's cache for instance owner (-1: the shared store).
func (e *engine) newTier(t, owner int, shared bool) (*cache.Tier, error) {
	cfg := e.pl.cfg
	var c *cache.Cache
	var err error
	if t == 0 {
		c, err = e.p.newCache(e.pl.single)
	} else {
		var pol cache.Policy
		if pol, err = cache.NewPolicy(e.pl.policies[t], nil); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
		c, err = cache.New(cache.Config{CapacityBlocks: e.pl.capacity[t], BlockTokens: e.p.w.BlockTokens, BytesPerBlock: cfg.BytesPerBlock}, pol)
		if err != nil {
			err = fmt.Errorf("sim: %w", err)
		}
	}
	if err != nil {
		return nil, err
	}
	// Origins matter only when a fabric charges loads across instances.
	tier, err := cache.NewTier(cfg.Tiers[t], c, int32(owner), shared && !cfg.Fabric.IsZero())
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	e.levels[t] = append(e.levels[t], tier)
	return tier, nil
}

// routeView for the router.
func (e *engine) queued(i int) float64 { return math.Max(0, e.insts[i].free[0]-e.now) }
func (e *engine) routed(i int) int     { return len(e.insts[i].requests) }
func (e *engine) cached(i int) int     { return e.insts[i].stack[0].Cache().Len() }

func (e *engine) load(i int) int {
	in := e.insts[i]
	if e.timer == nil {
		return len(in.requests)
	}
	for in.done < len(in.finish) && in.finish[in.done] <= e.now {
		in.done++
	}
	return len(in.finish) - in.done
}

func (e *engine) matched(i int) float64 {
	a, _ := e.prefix(i)
	return float64(hitTokens(a, e.p.w.BlockTokens, e.cur.InputTokens)) / float64(e.cur.InputTokens)
}
func (e *engine) prefix(i int) (any, gpu int) {
	return locate(e.insts[i].stack, e.cur.Blocks, nil)
}

// ttft is instance i's estimated TTFT for the current request: its queue,
// then the load and prefill of its best load-or-recompute choice.
func (e *engine) ttft(i int) float64 {
	in := e.insts[i]
	reusable, gpu := e.locateAt(in)
	m, load := e.decide(e.cur, reusable, gpu)
	return e.queued(i) + load + e.prefill(e.cur.InputTokens, m)
}

// locateAt fills e.loc and e.cross for the current request on in.
func (e *engine) locateAt(in *instance) (reusable, gpu int) {
	e.loc, e.cross = e.loc[:0], e.cross[:0]
	reusable, gpu = locate(in.stack, e.cur.Blocks, &e.loc)
	for j := range reusable {
		e.cross = append(e.cross, e.crosses(in, int(e.loc[j]), e.cur.Blocks[j]))
	}
	return reusable, gpu
}

// locate finds, for each leading block, the fastest tier of stack holding
// it, up to the first block no tier holds, appending to loc if non-nil. It
// returns the reusable prefix (blocks found in some tier) and the GPU
// prefix (blocks found in tier 0). It changes nothing.
func locate(stack []*cache.Tier, blocks []cache.BlockHash, loc *[]int8) (reusable, gpu int) {
	gpu = -1
	for j, h := range blocks {
		at := -1
		for t, tier := range stack {
			if tier.Contains(h) {
				at = t
				break
			}
		}
		if at < 0 {
			if gpu < 0 {
				gpu = j
			}
			return j, gpu
		}
		if at != 0 && gpu < 0 {
			gpu = j
		}
		if loc != nil {
			*loc = append(*loc, int8(at))
		}
	}
	if gpu < 0 {
		gpu = len(blocks)
	}
	return len(blocks), gpu
}

// request replays one request (see Prepared.ReplayTiered).
func (e *engine) request(ri int, req workload.Request) error {
	e.now, e.cur = req.ArrivalSeconds, req
	e.pf = e.pf[:0]
	for range len(req.Blocks) + 1 {
		e.pf = append(e.pf, -1)
	}
	in := e.insts[e.router.pick(len(e.insts), e)]
	in.requests = append(in.requests, ri)
	in.inTok += int64(req.InputTokens)
	in.outTok += int64(req.OutputTokens)
	reusable, gpu := e.locateAt(in)
	m, load := e.decide(req, reusable, gpu)

	// Load the chosen blocks from their tiers; count what each tier held.
	var loaded, recomputed int64
	for j := range reusable {
		t := int(e.loc[j])
		c := &in.counts[t]
		c.hit++
		e.tierHit[t]++
		switch {
		case j < m:
			c.used++
			if t > 0 {
				loaded++
				if e.cross[j] {
					c.fabric++
				}
				if err := in.stack[t].Read(req.Blocks[j]); err != nil {
					return err
				}
			}
		case t > 0:
			c.recomputed++
			recomputed++
		}
	}
	for t := 1; t < len(in.stack); t++ {
		c := &in.counts[t]
		c.loadSeconds += e.groupSeconds(t, e.groups[t])
	}

	// The GPU tier sees every block in prompt order, as in Replay.
	hbm := in.stack[0]
	for _, h := range req.Blocks {
		out, err := hbm.Cache().Access(h)
		if err != nil {
			return err
		}
		if out.Inserted && e.pl.cfg.WriteThrough && len(in.stack) > 1 {
			copied, err := in.stack[1].Store(h, int32(in.id))
			if err != nil {
				return err
			}
			if copied {
				in.counts[1].writeThrough++
			}
		}
	}
	if err := e.account(in); err != nil {
		return err
	}

	in.rec.request(req, m, req.ArrivalSeconds, hbm.Cache(), 0, 0, false)
	o := &e.off
	o.ReusableBlocks += int64(reusable)
	o.GPUHitBlocks += int64(gpu)
	o.UsedBlocks += int64(m)
	o.LoadedBlocks += loaded
	o.RecomputedBlocks += recomputed
	o.LoadedBytes += loaded * e.bpb
	newTok, _ := prefillSplit(req.InputTokens, hitTokens(m, e.p.w.BlockTokens, req.InputTokens))
	in.computed += int64(newTok)
	o.LoadSeconds += load
	if e.timer != nil {
		in.rec.prefill1 += load
		svc := [3]float64{load + e.prefill(req.InputTokens, m), e.prefill(req.InputTokens, gpu), e.prefill(req.InputTokens, 0)}
		for q, s := range svc {
			start := math.Max(req.ArrivalSeconds, in.free[q])
			in.free[q] = start + s
			in.busy[q] += s
			e.ttfts[q] = append(e.ttfts[q], in.free[q]-req.ArrivalSeconds)
		}
		in.ttft = append(in.ttft, in.free[0]-req.ArrivalSeconds)
		in.finish = append(in.finish, in.free[0])
	}
	e.point(req, len(req.Blocks), m)
	return nil
}

// crosses reports whether block h, found in tier t of in, lies in a shared
// store's memory of another instance, so loading it crosses the fabric.
func (e *engine) crosses(in *instance, t int, h cache.BlockHash) bool {
	return t > 0 && e.pl.cfg.Shared && !e.pl.cfg.Fabric.IsZero() && int(in.stack[t].Origin(h)) != in.id
}

// decide picks m, the blocks of the reusable prefix to use: blocks below
// hbm up to m are loaded, the rest computed again. It minimises
//
//	T(m) = sum over tiers and paths of link.Seconds(blocks x bytes) + prefill(P, m)
//
// over m in [gpu, reusable], evaluated where the tier (or path) of the
// next block changes and at the end. Within such a run each block adds the
// same transfer time while the prefill it saves grows with its context, so
// T is concave there and its minimum lies at a run's end. Without a timer
// every reusable block is loaded. e.groups holds the chosen loads.
func (e *engine) decide(req workload.Request, reusable, gpu int) (m int, load float64) {
	for t := range e.groups {
		e.groups[t], e.best[t] = [2]int64{}, [2]int64{}
	}
	if reusable == gpu {
		return gpu, 0
	}
	if e.timer == nil {
		for j := gpu; j < reusable; j++ {
			e.addGroup(j)
		}
		return reusable, e.loadSeconds(e.groups)
	}
	p := req.InputTokens
	best, m := e.prefill(p, gpu), gpu
	for j := gpu; j < reusable; j++ {
		e.addGroup(j)
		if j+1 < reusable && e.loc[j+1] == e.loc[j] && e.cross[j+1] == e.cross[j] {
			continue
		}
		if t := e.loadSeconds(e.groups) + e.prefill(p, j+1); t <= best {
			best, m = t, j+1
			copy(e.best, e.groups)
		}
	}
	copy(e.groups, e.best)
	return m, e.loadSeconds(e.groups)
}

func (e *engine) addGroup(j int) {
	if t := e.loc[j]; t > 0 {
		path := 0
		if e.cross[j] {
			path = 1
		}
		e.groups[t][path]++
	}
}

// loadSeconds is the time to load the grouped blocks, one transfer per
// tier and path, one after another.
func (e *engine) loadSeconds(groups [][2]int64) float64 {
	s := 0.0
	for t := 1; t < len(groups); t++ {
		s += e.groupSeconds(t, groups[t])
	}
	return s
}

func (e *engine) groupSeconds(t int, g [2]int64) float64 {
	return e.links[t][0].Seconds(g[0]*e.bpb) + e.links[t][1].Seconds(g[1]*e.bpb)
}

// prefill is the prefill time of the current request (p tokens) whose
// first k blocks are cached, asked of the timer once per k.
func (e *engine) prefill(p, k int) float64 {
	if s := e.pf[k]; s >= 0 {
		return s
	}
	newTok, cachedTok := prefillSplit(p, hitTokens(k, e.p.w.BlockTokens, p))
	s := e.timer.PrefillSeconds(newTok, cachedTok)
	e.pf[k] = s
	return s
}

// account checks every tier of in against its capacity and records peaks.
func (e *engine) account(in *instance) error {
	for t, tier := range in.stack {
		if err := tier.Err(); err != nil {
			return err
		}
		pool := tier.Cache().Pool()
		used := pool.Used()
		if pool.Capacity() != cache.Unbounded && used > pool.Capacity() {
			return fmt.Errorf("sim: block accounting: %s tier of instance %d uses %d blocks of %d", tier.Spec().Medium, in.id, used, pool.Capacity())
		}
		store := in.id
		if t > 0 && e.pl.cfg.Shared {
			store = 0
		}
		e.peaks[t][store] = max(e.peaks[t][store], used)
	}
	return nil
}

// point appends a series point every stride requests and at the last.
func (e *engine) point(req workload.Request, blocks, m int) {
	e.served++
	e.prompt += int64(blocks)
	e.used += int64(m)
	if e.served%e.stride != 0 && e.served != len(e.p.w.Requests) {
		return
	}
	s := &e.series
	s.Request = append(s.Request, e.served)
	s.Seconds = append(s.Seconds, req.ArrivalSeconds)
	if s.TierHitRate == nil {
		s.TierHitRate = make([][]float64, len(e.tierHit))
	}
	for t, h := range e.tierHit {
		s.TierHitRate[t] = append(s.TierHitRate[t], ratio(h, e.prompt))
	}
	s.UsedRate = append(s.UsedRate, ratio(e.used, e.prompt))
	s.LoadedBytes = append(s.LoadedBytes, e.off.LoadedBytes)
}

// memoTimer remembers the last few prefill times it was asked: the cost
// model takes microseconds a call, and the recorder repeats the engine's
// questions. Answers are the wrapped timer's, bit for bit.
type memoTimer struct {
	t    StepTimer
	keys [8][2]int
	vals [8]float64
	n    int
}

func (m *memoTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	k := [2]int{newTokens, cachedTokens}
	for i := range min(m.n, len(m.keys)) {
		if m.keys[i] == k {
			return m.vals[i]
		}
	}
	v := m.t.PrefillSeconds(newTokens, cachedTokens)
	i := m.n % len(m.keys)
	m.keys[i], m.vals[i] = k, v
	m.n++
	return v
}

func (m *memoTimer) DecodeSeconds(batch, totalContext int) float64 {
	return m.t.DecodeSeconds(batch, totalContext)
}
