package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
	"kvcache/kvsim/workload/workloadtest"
)

func mustTiers(t testing.TB, s string) []cache.TierSpec {
	t.Helper()
	tiers, err := cache.ParseTiers(s)
	if err != nil {
		t.Fatal(err)
	}
	return tiers
}

func mustTiered(t testing.TB, p *Prepared, cfg TieredConfig) TieredResult {
	t.Helper()
	r, err := p.ReplayTiered(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// One hbm tier and one instance is Replay: the same Summary and Series, bit
// for bit, for every policy (Belady included), capacity and workload, with
// and without a timer.
func TestTieredOneTierMatchesReplay(t *testing.T) {
	check := func(t *testing.T, p *Prepared, policy string, capacity int, timer StepTimer) {
		t.Helper()
		want, err := p.Replay(Config{Policy: policy, CapacityBlocks: capacity, BytesPerBlock: 1000, Timer: timer})
		if err != nil {
			t.Fatal(err)
		}
		got := mustTiered(t, p, TieredConfig{Tiers: []cache.TierSpec{{Medium: cache.HBM, Blocks: capacity}}, Policy: policy, BytesPerBlock: 1000, Timer: timer})
		if !reflect.DeepEqual(got.Summary, want.Summary) {
			t.Errorf("%s %s at %d blocks:\n tiered %+v\n replay %+v", p.w.Name, policy, capacity, got.Summary, want.Summary)
		}
		if !reflect.DeepEqual(got.Series, want.Series) {
			t.Errorf("%s %s at %d blocks: series differ", p.w.Name, policy, capacity)
		}
		if got.Offload.GPUHitBlocks != want.Summary.HitBlocks || got.PerTier[0].UsedBlocks != want.Summary.HitBlocks {
			t.Errorf("%s %s at %d: gpu hits %d, tier used %d, replay %d", p.w.Name, policy, capacity, got.Offload.GPUHitBlocks, got.PerTier[0].UsedBlocks, want.Summary.HitBlocks)
		}
	}
	for _, name := range workload.Names() {
		p := mustPrepare(t, smallWorkload(t, name, 5, 64, 300))
		for _, pol := range cache.PolicyNames() {
			for _, capacity := range []int{1, 50, 700, cache.Unbounded} {
				for _, timer := range []StepTimer{nil, linearTimer{}} {
					check(t, p, pol, capacity, timer)
				}
			}
		}
	}
	for _, trace := range []string{workloadtest.Conversation, workloadtest.Synthetic} {
		t.Run(trace, func(t *testing.T) {
			p := loadTrace(t, trace)
			for _, pol := range []string{cache.LRUName, cache.S3FIFOName, cache.BeladyName} {
				check(t, p, pol, 5000, linearTimer{})
			}
		})
	}
}

// checkTiered asserts the accounting identities every tiered replay holds.
func checkTiered(t *testing.T, label string, p *Prepared, cfg TieredConfig, r TieredResult) {
	t.Helper()
	s, o := r.Summary, r.Offload
	var used, hit int64
	for i, tr := range r.PerTier {
		used += tr.UsedBlocks
		hit += tr.HitBlocks
		if i > 0 && tr.HitBlocks != tr.UsedBlocks+tr.RecomputedBlocks {
			t.Errorf("%s: %s hit %d != used %d + recomputed %d", label, tr.Medium, tr.HitBlocks, tr.UsedBlocks, tr.RecomputedBlocks)
		}
		if tr.CapacityBlocks != cache.Unbounded && tr.PeakBlocks > tr.CapacityBlocks {
			t.Errorf("%s: %s peak %d blocks over capacity %d", label, tr.Medium, tr.PeakBlocks, tr.CapacityBlocks)
		}
		if want := ratio(tr.HitBlocks, s.PromptBlocks); tr.HitRate != want {
			t.Errorf("%s: %s hit rate %g, want %g", label, tr.Medium, tr.HitRate, want)
		}
	}
	if used != s.HitBlocks || o.UsedBlocks != s.HitBlocks || hit != o.ReusableBlocks {
		t.Errorf("%s: used %d, offload used %d, summary hits %d; tier hits %d, reusable %d", label, used, o.UsedBlocks, s.HitBlocks, hit, o.ReusableBlocks)
	}
	if !(o.GPUHitBlocks <= o.UsedBlocks && o.UsedBlocks <= o.ReusableBlocks) {
		t.Errorf("%s: gpu %d <= used %d <= reusable %d fails", label, o.GPUHitBlocks, o.UsedBlocks, o.ReusableBlocks)
	}
	if o.LoadedBlocks != o.UsedBlocks-r.PerTier[0].UsedBlocks {
		t.Errorf("%s: loaded %d, used %d, gpu used %d", label, o.LoadedBlocks, o.UsedBlocks, r.PerTier[0].UsedBlocks)
	}
	if cfg.Timer == nil && (o.UsedBlocks != o.ReusableBlocks || o.RecomputedBlocks != 0) {
		t.Errorf("%s: without a timer every cached block loads: used %d of %d, recomputed %d", label, o.UsedBlocks, o.ReusableBlocks, o.RecomputedBlocks)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("%s: result does not encode as JSON (kvsim replay --json): %v", label, err)
	}
	reqs, prompt := 0, int64(0)
	for _, in := range r.PerInst {
		reqs += in.Requests
		prompt += in.Summary.PromptBlocks
	}
	if reqs != len(p.w.Requests) || s.Requests != reqs || prompt != p.promptBlocks || s.PromptBlocks != prompt {
		t.Errorf("%s: %d requests over instances, summary %d, workload %d; prompt blocks %d / %d", label, reqs, s.Requests, len(p.w.Requests), prompt, s.PromptBlocks)
	}
	if cfg.Timer != nil {
		// Each request's tiered prefill is at most its no-offload one (m = the
		// GPU prefix is a candidate), which is at most its uncached one, so
		// in the same FCFS queues every TTFT is too.
		if r.TTFT == nil {
			t.Fatalf("%s: no TTFT with a timer", label)
		}
		a, b, c := r.TTFT.Tiered, r.TTFT.NoOffload, r.TTFT.NoCache
		if !(a.Mean <= b.Mean && b.Mean <= c.Mean && a.P99 <= b.P99 && b.P99 <= c.P99 && a.Max <= b.Max && b.Max <= c.Max) {
			t.Errorf("%s: TTFT tiered %+v, no offload %+v, no cache %+v", label, a, b, c)
		}
		if o.PrefillSeconds > o.PrefillSecondsNoOffload*(1+1e-12) || o.PrefillSecondsNoOffload > o.PrefillSecondsNoCache*(1+1e-12) {
			t.Errorf("%s: prefill work tiered %g > no offload %g or > no cache %g", label, o.PrefillSeconds, o.PrefillSecondsNoOffload, o.PrefillSecondsNoCache)
		}
	}
}

// Every combination of sharing, routing, write-through and timer keeps the
// accounting, on every synthetic workload.
func TestTieredInvariants(t *testing.T) {
	tiers := mustTiers(t, "hbm:40blocks,dram:150blocks@pcie4,ssd:600blocks")
	for _, name := range workload.Names() {
		p := mustPrepare(t, smallWorkload(t, name, 7, 64, 300))
		for _, shared := range []bool{false, true} {
			for _, router := range RouterNames() {
				for _, wt := range []bool{false, true} {
					for _, timer := range []StepTimer{nil, linearTimer{}} {
						if timer == nil && (router == LeastLoaded || router == MinTTFT) {
							continue
						}
						cfg := TieredConfig{Tiers: tiers, Instances: 3, Shared: shared, Router: router, WriteThrough: wt, BytesPerBlock: 64 * 131072, Timer: timer}
						label := fmt.Sprintf("%s shared=%v %s wt=%v timer=%v", name, shared, router, wt, timer != nil)
						checkTiered(t, label, p, cfg, mustTiered(t, p, cfg))
					}
				}
			}
		}
	}
}

// The GPU tier sees the same accesses with or without tiers below it, so
// with one instance the "no offload" hits are Replay's; and with an
// unbounded tier below, every block ever seen is somewhere, so the reusable
// prefixes are the theoretical maximum.
func TestTieredLowerTiersAddToReplay(t *testing.T) {
	for _, name := range workload.Names() {
		w := smallWorkload(t, name, 9, 64, 400)
		p := mustPrepare(t, w)
		alone := mustReplay(t, p, cache.LRUName, 30)
		for _, lower := range []string{"dram:unbounded", "dram:100blocks,ssd:unbounded"} {
			r := mustTiered(t, p, TieredConfig{Tiers: mustTiers(t, "hbm:30blocks,"+lower)})
			if r.Offload.GPUHitBlocks != alone.HitBlocks {
				t.Errorf("%s %s: gpu hits %d, Replay at 30 blocks %d", name, lower, r.Offload.GPUHitBlocks, alone.HitBlocks)
			}
			if want := theoreticalMax(w); r.Offload.ReusableBlocks != want {
				t.Errorf("%s %s: reusable %d, theoretical maximum %d", name, lower, r.Offload.ReusableBlocks, want)
			}
		}
	}
}

// A shared store written through by every instance holds every block any
// instance computed: with it unbounded, any routing reaches the maximum.
func TestSharedWriteThroughReachesMaximum(t *testing.T) {
	w := smallWorkload(t, "multi-turn", 3, 64, 400)
	p := mustPrepare(t, w)
	want := theoreticalMax(w)
	for _, router := range []string{RoundRobin, RandomRoute, CacheAware} {
		r := mustTiered(t, p, TieredConfig{Tiers: mustTiers(t, "hbm:20blocks,dram:unbounded"), Instances: 4, Shared: true, WriteThrough: true, Router: router})
		if r.Offload.ReusableBlocks != want {
			t.Errorf("%s: reusable %d, maximum %d", router, r.Offload.ReusableBlocks, want)
		}
		private := mustTiered(t, p, TieredConfig{Tiers: mustTiers(t, "hbm:20blocks,dram:unbounded"), Instances: 4, Router: router})
		if private.Offload.ReusableBlocks > r.Offload.ReusableBlocks {
			t.Errorf("%s: private stores found %d reusable blocks, more than the shared store's %d", router, private.Offload.ReusableBlocks, r.Offload.ReusableBlocks)
		}
	}
}

// Load or recompute, by hand. Request A (8 blocks of 4 tokens) passes
// through a 1-block hbm, so blocks 1-7 end in dram and block 8 in hbm.
// Request B repeats them and adds block 9. With linearTimer,
//
//	recompute all (m = 0): 1e-3 + 1e-4 x 36                 = 4.6e-3 s
//	load 7, use block 8 (m = 8): load + 1e-3 + 1e-4 x 4 + 1e-7 x 32
//
// so a fast link loads and a slow one recomputes.
func TestLoadOrRecomputeByHand(t *testing.T) {
	a := []cache.BlockHash{1, 2, 3, 4, 5, 6, 7, 8}
	w := workload.Workload{Name: "hand", BlockTokens: 4, Requests: []workload.Request{
		{ArrivalSeconds: 0, InputTokens: 32, OutputTokens: 1, Blocks: a},
		{ArrivalSeconds: 100, InputTokens: 36, OutputTokens: 1, Blocks: append(append([]cache.BlockHash(nil), a...), 9)},
	}}
	p := mustPrepare(t, w)
	const bpb = 100
	for _, tc := range []struct {
		bandwidth      float64
		used, recomp   int64
		prefillSeconds float64
	}{
		{1e12, 8, 0, 700/1e12 + 1e-3 + 1e-4*4 + 1e-7*32},
		{1e3, 0, 7, 1e-3 + 1e-4*36},
	} {
		link := cache.Link{Name: "test", BytesPerSecond: tc.bandwidth}
		tiers := []cache.TierSpec{{Medium: cache.HBM, Blocks: 1}, {Medium: cache.DRAM, Blocks: 20, Link: link}}
		r := mustTiered(t, p, TieredConfig{Tiers: tiers, BytesPerBlock: bpb, Timer: linearTimer{}})
		if r.Summary.HitBlocks != tc.used || r.Offload.RecomputedBlocks != tc.recomp || r.PerTier[1].HitBlocks != 7 || r.PerTier[0].HitBlocks != 1 {
			t.Errorf("bandwidth %g: used %d (want %d), recomputed %d (want %d), dram hits %d, hbm hits %d",
				tc.bandwidth, r.Summary.HitBlocks, tc.used, r.Offload.RecomputedBlocks, tc.recomp, r.PerTier[1].HitBlocks, r.PerTier[0].HitBlocks)
		}
		first := 1e-3 + 1e-4*32
		if got := r.Offload.PrefillSeconds; math.Abs(got-(first+tc.prefillSeconds)) > 1e-15 {
			t.Errorf("bandwidth %g: prefill work %.9g, want %.9g", tc.bandwidth, got, first+tc.prefillSeconds)
		}
		// Arrivals far apart: TTFT is the prefill work itself.
		if got := r.TTFT.Tiered.Max; math.Abs(got-math.Max(first, tc.prefillSeconds)) > 1e-12 {
			t.Errorf("bandwidth %g: largest TTFT %g", tc.bandwidth, got)
		}
		if r.Offload.LoadedBytes != tc.used*bpb-bpb*int64(min(tc.used, 1)) {
			t.Errorf("bandwidth %g: %d bytes loaded", tc.bandwidth, r.Offload.LoadedBytes)
		}
	}
}

// quadTimer charges attention quadratically, so the prefill a cached block
// saves grows with its position: the case decide's boundary rule assumes.
type quadTimer struct{}

func (quadTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	n, c := float64(newTokens), float64(cachedTokens)
	return 2e-3 + 3e-5*n + 4e-9*n*(c+n/2)
}
func (quadTimer) DecodeSeconds(batch, totalContext int) float64 { return 5e-3 }

// decide evaluates T(m) at run boundaries only; with a timer whose savings
// grow with the context it finds the same minimum as trying every m.
func TestDecideMatchesExhaustiveSearch(t *testing.T) {
	w := smallWorkload(t, "multi-turn", 11, 64, 200)
	p := mustPrepare(t, w)
	cfg := TieredConfig{Tiers: mustTiers(t, "hbm:15blocks,dram:40blocks@pcie4,ssd:unbounded"), BytesPerBlock: 64 * 131072, Timer: quadTimer{}, Instances: 2, Shared: true,
		Fabric: cache.Link{Name: "slow", BytesPerSecond: 2e9, LatencySeconds: 1e-4}}
	pl, err := p.planTiered(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.newEngine(pl)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, req := range w.Requests {
		// Probe instance 0's state before the request is replayed.
		e.cur, e.pf = req, e.pf[:0]
		for range len(req.Blocks) + 1 {
			e.pf = append(e.pf, -1)
		}
		reusable, gpu := e.locateAt(e.insts[0])
		m, load := e.decide(req, reusable, gpu)
		got := load + e.prefill(req.InputTokens, m)
		best := math.Inf(1)
		for k := gpu; k <= reusable; k++ {
			for t := range e.groups {
				e.groups[t] = [2]int64{}
			}
			for j := gpu; j < k; j++ {
				e.addGroup(j)
			}
			best = math.Min(best, e.loadSeconds(e.groups)+e.prefill(req.InputTokens, k))
		}
		if got > best*(1+1e-12) {
			t.Errorf("request %d: decide chose m=%d at %.9g s, the best is %.9g s", i, m, got, best)
		}
		if reusable > gpu {
			checked++
		}
		if err := e.request(i, req); err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Errorf("only %d requests had blocks below hbm to decide on", checked)
	}
}

func TestRouters(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "system-prompt", 2, 64, 400))
	tiers := mustTiers(t, "hbm:60blocks,dram:200blocks")
	rr := mustTiered(t, p, TieredConfig{Tiers: tiers, Instances: 3})
	for _, in := range rr.PerInst {
		if d := in.Requests - len(p.w.Requests)/3; d < 0 || d > 1 {
			t.Errorf("round-robin gave instance %d %d requests of %d", in.Instance, in.Requests, len(p.w.Requests))
		}
	}
	if rr.Balance.RequestsMaxOverMean > 1.01 {
		t.Errorf("round-robin balance %+v", rr.Balance)
	}
	a := mustTiered(t, p, TieredConfig{Tiers: tiers, Instances: 3, Router: "random", Seed: 4})
	b := mustTiered(t, p, TieredConfig{Tiers: tiers, Instances: 3, Router: "random", Seed: 4})
	c := mustTiered(t, p, TieredConfig{Tiers: tiers, Instances: 3, Router: "random", Seed: 5})
	if !reflect.DeepEqual(a.Summary, b.Summary) || reflect.DeepEqual(a.PerInst[0].Requests, c.PerInst[0].Requests) && a.PerInst[1].Requests == c.PerInst[1].Requests {
		t.Errorf("random routing: same seed differs or different seeds agree")
	}
	// Shared system prompts: sending requests where their prompt is cached
	// beats spreading them blindly.
	ca := mustTiered(t, p, TieredConfig{Tiers: tiers, Instances: 3, Router: CacheAware})
	if ca.Summary.BlockHitRate <= rr.Summary.BlockHitRate {
		t.Errorf("cache-aware hit rate %.3f, round-robin %.3f", ca.Summary.BlockHitRate, rr.Summary.BlockHitRate)
	}
	timed := TieredConfig{Tiers: tiers, Instances: 3, Timer: linearTimer{}, BytesPerBlock: 1 << 20}
	for _, router := range []string{LeastLoaded, MinTTFT} {
		cfg := timed
		cfg.Router = router
		r := mustTiered(t, p, cfg)
		if r.Router != router || r.TTFT == nil {
			t.Errorf("%s: router %q, ttft %v", router, r.Router, r.TTFT)
		}
	}
	for _, tc := range []struct {
		cfg  TieredConfig
		want string
	}{
		{TieredConfig{Tiers: tiers, Instances: 2, Router: "least-loaded"}, "needs a StepTimer"},
		{TieredConfig{Tiers: tiers, Instances: 2, Router: "min-ttft"}, "needs a StepTimer"},
		{TieredConfig{Tiers: tiers, Instances: 2, Router: "fastest"}, `unknown router "fastest"`},
		{TieredConfig{Tiers: tiers, Instances: 2, Router: "cache-aware", CacheAware: CacheAwareConfig{Threshold: 2}}, "cache-aware thresholds"},
	} {
		if _, err := p.ReplayTiered(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg.Router, err, tc.want)
		}
	}
}

func TestTieredRejects(t *testing.T) {
	w := smallWorkload(t, "rag", 1, 64, 50)
	p := mustPrepare(t, w)
	two := mustTiers(t, "hbm:10blocks,dram:100blocks")
	bytesTiers := mustTiers(t, "hbm:1GiB,dram:2GiB")
	unsorted := w
	unsorted.Requests = append([]workload.Request(nil), w.Requests...)
	unsorted.Requests[0], unsorted.Requests[1] = unsorted.Requests[1], unsorted.Requests[0]
	pu := mustPrepare(t, unsorted)
	for _, tc := range []struct {
		p    *Prepared
		cfg  TieredConfig
		want string
	}{
		{p, TieredConfig{}, "no tiers"},
		{p, TieredConfig{Tiers: two, Instances: -1}, "-1 instances"},
		{p, TieredConfig{Tiers: two, Instances: MaxInstances + 1}, "instances: give 1 to"},
		{p, TieredConfig{Tiers: two, Policy: "belady"}, "needs the future"},
		{p, TieredConfig{Tiers: two[:1], Policy: "belady", Instances: 2}, "needs the future"},
		{p, TieredConfig{Tiers: bytesTiers}, "bytes per block are unknown"},
		{p, TieredConfig{Tiers: two, Timer: linearTimer{}}, "needs the bytes per block"},
		{p, TieredConfig{Tiers: two, Fabric: cache.Link{Name: "x", BytesPerSecond: 1}}, "only applies to a shared store"},
		{p, TieredConfig{Tiers: two, ServeEach: true}, "ServeEach"},
		{p, TieredConfig{Tiers: two, Policy: "mru"}, "unknown policy"},
		{p, TieredConfig{Tiers: two, MaxPoints: -1}, "MaxPoints"},
		{p, TieredConfig{Tiers: mustTiers(t, "hbm:10blocks,dram:2000000000blocks"), Shared: true, Instances: 4}, "more than a pool can index"},
		{pu, TieredConfig{Tiers: two, Timer: linearTimer{}, BytesPerBlock: 10}, "sorted by arrival"},
	} {
		_, err := tc.p.ReplayTiered(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sim: ") {
			t.Errorf("%+v: error %v, want one starting sim: and containing %q", tc.cfg, err, tc.want)
		}
	}
}

// A shared store reached across a fabric: blocks placed by another instance
// load over the slower path, so loading the same blocks takes longer.
func TestFabric(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "multi-turn", 6, 64, 300))
	cfg := TieredConfig{Tiers: mustTiers(t, "hbm:20blocks,dram:unbounded"), Instances: 4, Shared: true, BytesPerBlock: 64 * 131072}
	local := mustTiered(t, p, cfg)
	rdma, err := cache.LookupLink("rdma200")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Fabric = rdma
	remote := mustTiered(t, p, cfg)
	if remote.PerTier[1].FabricBlocks == 0 || remote.Offload.LoadSeconds <= local.Offload.LoadSeconds || remote.Summary.HitBlocks != local.Summary.HitBlocks {
		t.Errorf("fabric blocks %d; load %g s across the fabric vs %g s on one host; hits %d vs %d",
			remote.PerTier[1].FabricBlocks, remote.Offload.LoadSeconds, local.Offload.LoadSeconds, remote.Summary.HitBlocks, local.Summary.HitBlocks)
	}
	if local.PerTier[1].FabricBlocks != 0 || remote.Fabric == nil || remote.Fabric.Name != "rdma200" {
		t.Errorf("fabric accounting: local %d, fabric %v", local.PerTier[1].FabricBlocks, remote.Fabric)
	}
}

// ServeEach runs each instance's share through Serve as a black box.
func TestServeEach(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "system-prompt", 3, 64, 200))
	r := mustTiered(t, p, TieredConfig{Tiers: mustTiers(t, "hbm:400blocks,dram:1000blocks"), Instances: 3, Router: CacheAware,
		BytesPerBlock: 1 << 20, Timer: linearTimer{}, ServeEach: true})
	if r.Served == nil || r.Served.Completed+r.Served.Rejected != len(p.w.Requests) || !(r.Served.MeanTTFTSeconds > 0) {
		t.Fatalf("served %+v", r.Served)
	}
	for _, in := range r.PerInst {
		if in.Serving == nil || in.Serving.Completed+in.Serving.Rejected != in.Requests {
			t.Errorf("instance %d: %d requests, serving %+v", in.Instance, in.Requests, in.Serving)
		}
	}
}

// Both Mooncake traces, three tiers and eight instances, every router:
// the accounting holds on real data.
func TestTieredTraces(t *testing.T) {
	for _, trace := range []string{workloadtest.Conversation, workloadtest.Synthetic} {
		t.Run(trace, func(t *testing.T) {
			p := loadTrace(t, trace)
			tiers := mustTiers(t, "hbm:2000blocks,dram:10000blocks,ssd:50000blocks")
			for _, shared := range []bool{false, true} {
				for _, router := range RouterNames() {
					cfg := TieredConfig{Tiers: tiers, Instances: 8, Shared: shared, Router: router, BytesPerBlock: 512 * 327680, Timer: linearTimer{}}
					r := mustTiered(t, p, cfg)
					checkTiered(t, fmt.Sprintf("%s shared=%v", router, shared), p, cfg, r)
				}
			}
		})
	}
}

// A grid run in parallel gives each config's sequential result.
func TestReplayTieredMany(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "few-shot", 4, 64, 200))
	var cfgs []TieredConfig
	for _, n := range []int{1, 2, 4} {
		for _, router := range []string{RoundRobin, CacheAware, MinTTFT} {
			cfgs = append(cfgs, TieredConfig{Tiers: mustTiers(t, "hbm:30blocks,dram:90blocks"), Instances: n, Router: router, Shared: n > 2,
				BytesPerBlock: 1 << 20, Timer: linearTimer{}})
		}
	}
	many, err := p.ReplayTieredMany(cfgs, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, cfg := range cfgs {
		if one := mustTiered(t, p, cfg); !reflect.DeepEqual(one, many[i]) {
			t.Errorf("config %d: parallel result differs from the sequential one", i)
		}
	}
	cfgs[4].Router = "nearest"
	if _, err := p.ReplayTieredMany(cfgs, 2); err == nil || !strings.Contains(err.Error(), "config 4") {
		t.Errorf("bad config: %v", err)
	}
}
