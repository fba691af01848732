package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }

// The hand-made workload of TestServeTimingByHand, its latencies by hand.
func TestServeLatenciesByHand(t *testing.T) {
	w := workload.Workload{Name: "hand", BlockTokens: 4, Requests: []workload.Request{
		{ArrivalSeconds: 0, InputTokens: 8, OutputTokens: 3, Blocks: []cache.BlockHash{1, 2}},
		{ArrivalSeconds: 100, InputTokens: 8, OutputTokens: 1, Blocks: []cache.BlockHash{1, 2}},
	}}
	res, err := mustPrepare(t, w).Serve(ServeConfig{Config: Config{CapacityBlocks: 10, Timer: linearTimer{}}})
	if err != nil {
		t.Fatal(err)
	}
	tm := linearTimer{}
	first := tm.PrefillSeconds(8, 0)
	d1, d2 := tm.DecodeSeconds(1, 9), tm.DecodeSeconds(1, 10) // contexts 8+1, 8+2
	second := tm.PrefillSeconds(1, 7)
	r0, r1 := res.Requests[0], res.Requests[1]
	if r0.FirstTokenSeconds != first || !near(r0.FinishSeconds, first+d1+d2) || r0.HitBlocks != 0 || r0.CachedTokens != 0 || r0.NewTokens != 8 {
		t.Errorf("request 0: %+v", r0)
	}
	if r1.AdmittedSeconds != 100 || r1.FirstTokenSeconds != 100+second || r1.FinishSeconds != 100+second || r1.HitBlocks != 2 || r1.CachedTokens != 7 || r1.NewTokens != 1 {
		t.Errorf("request 1: %+v", r1)
	}
	if tpot, ok := r0.TPOTSeconds(); !ok || !near(tpot, (d1+d2)/2) {
		t.Errorf("TPOT %g, want %g", tpot, (d1+d2)/2)
	}
	if _, ok := r1.TPOTSeconds(); ok {
		t.Error("a one-token request has a TPOT")
	}
	sv := res.Serving
	if !near(sv.MeanTPOTSeconds, (d1+d2)/2) || !near(sv.MeanITLSeconds, (d1+d2)/2) || sv.P50ITLSeconds != min(d1, d2) || sv.P99ITLSeconds != max(d1, d2) {
		t.Errorf("TPOT/ITL: %+v", sv)
	}
	if !near(sv.MeanE2ESeconds, (first+d1+d2+second)/2) || !near(sv.P50E2ESeconds, second) || !near(sv.P99E2ESeconds, first+d1+d2) {
		t.Errorf("E2E: %+v", sv)
	}
	if !near(sv.RequestsPerSecond, 2/sv.MakespanSeconds) || !near(sv.TotalTokensPerSecond, 20/sv.MakespanSeconds) || sv.Scheduler != PrefillFirst || sv.DecodeMemory != DecodeReserve {
		t.Errorf("throughput: %+v", sv)
	}
	l := res.Latencies()
	if len(l.TTFT) != 2 || !near(l.TTFT[0], second) || len(l.TPOT) != 1 || !slices.IsSorted(l.E2E) {
		t.Errorf("latencies %+v", l)
	}
	if p := CDF(l.E2E); len(p) != 2 || p[0] != 0.5 || p[1] != 1 {
		t.Errorf("CDF %v", p)
	}
}

// Quantile is the nearest-rank quantile, as the timed replay always
// reported it.
func TestQuantileIsNearestRank(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 60; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.Float64() * 10)
		}
		slices.Sort(xs)
		for _, q := range []float64{0, 0.01, 0.5, 0.9, 0.99, 1} {
			i := max(0, min(int(math.Ceil(q*float64(n)))-1, n-1))
			if got := Quantile(xs, q); got != xs[i] {
				t.Fatalf("n=%d q=%g: %g, nearest rank %g", n, q, got, xs[i])
			}
		}
	}
	if Quantile(nil, 0.5) != 0 {
		t.Error("no values: want 0")
	}
}

// Chunked prefill by hand: B = 4, 4 tokens per step.
//
//	step 1: r0 prefills tokens 0-3                  (r1 waits: no budget left)
//	step 2: r0 prefills 4-7
//	step 3: r0 prefills 8-9 (first token); r1 is admitted and prefills 0-1
//	step 4: r0 decodes; r1 prefills 2 (first token)
//	step 5: r0 and r1 decode (r0 done)
//	step 6: r1 decodes (done)
func TestChunkedPrefillByHand(t *testing.T) {
	w := workload.Workload{Name: "hand", BlockTokens: 4, Requests: []workload.Request{
		{ArrivalSeconds: 0, InputTokens: 10, OutputTokens: 3, Blocks: []cache.BlockHash{1, 2, 3}},
		{ArrivalSeconds: 0, InputTokens: 3, OutputTokens: 3, Blocks: []cache.BlockHash{9}},
	}}
	res, err := mustPrepare(t, w).Serve(ServeConfig{Config: Config{CapacityBlocks: 20, Timer: linearTimer{}}, Scheduler: ChunkedPrefill, ChunkTokens: 4})
	if err != nil {
		t.Fatal(err)
	}
	tm := linearTimer{}
	s1 := tm.PrefillSeconds(4, 0)
	s2 := tm.PrefillSeconds(4, 4)
	s3 := tm.PrefillSeconds(2, 8) + tm.PrefillSeconds(2, 0)
	s4 := tm.DecodeSeconds(1, 11) + tm.PrefillSeconds(1, 2)
	s5 := tm.DecodeSeconds(2, 12+4)
	s6 := tm.DecodeSeconds(1, 5)
	t3 := s1 + s2 + s3
	r0, r1 := res.Requests[0], res.Requests[1]
	if !near(r0.FirstTokenSeconds, t3) || !near(r0.FinishSeconds, t3+s4+s5) {
		t.Errorf("request 0: first %g finish %g, want %g %g", r0.FirstTokenSeconds, r0.FinishSeconds, t3, t3+s4+s5)
	}
	if !near(r1.AdmittedSeconds, s1+s2) || !near(r1.FirstTokenSeconds, t3+s4) || !near(r1.FinishSeconds, t3+s4+s5+s6) {
		t.Errorf("request 1: %+v", r1)
	}
	sv := res.Serving
	if sv.PrefillSteps != 4 || sv.DecodeSteps != 3 || sv.MixedSteps != 1 || sv.ChunkTokens != 4 || sv.Scheduler != ChunkedPrefill || sv.Completed != 2 {
		t.Errorf("steps: %+v", sv)
	}
}

// Two identical prompts arriving together: prefill-first computes both in
// one step, so the second reuses the first's blocks (as it always did).
// Chunked prefill with room for both admits the second in the step that
// computes the first's blocks, so it cannot reuse them; with 8 tokens per
// step the second waits for budget until the first's blocks are computed,
// and reuses them.
func TestChunkedPrefillReusesComputedBlocksOnly(t *testing.T) {
	blocks := []cache.BlockHash{1, 2, 3, 4}
	w := workload.Workload{Name: "twins", BlockTokens: 4, Requests: []workload.Request{
		{ArrivalSeconds: 0, InputTokens: 16, OutputTokens: 2, Blocks: blocks},
		{ArrivalSeconds: 0, InputTokens: 16, OutputTokens: 2, Blocks: blocks},
		{ArrivalSeconds: 50, InputTokens: 16, OutputTokens: 2, Blocks: blocks},
	}}
	p := mustPrepare(t, w)
	for _, tc := range []struct {
		sched string
		chunk int
		hits  []int
	}{
		{PrefillFirst, 0, []int{0, 4, 4}},
		{ChunkedPrefill, 64, []int{0, 0, 4}},
		{ChunkedPrefill, 8, []int{0, 4, 4}},
	} {
		res, err := p.Serve(ServeConfig{Config: Config{CapacityBlocks: cache.Unbounded, Timer: linearTimer{}}, Scheduler: tc.sched, ChunkTokens: tc.chunk})
		if err != nil {
			t.Fatal(err)
		}
		var hits []int
		for _, r := range res.Requests {
			hits = append(hits, r.HitBlocks)
		}
		if !slices.Equal(hits, tc.hits) || res.Summary.HitBlocks != int64(tc.hits[1]+tc.hits[2]) {
			t.Errorf("%s/%d: hit blocks %v, want %v (summary %d)", tc.sched, tc.chunk, hits, tc.hits, res.Summary.HitBlocks)
		}
	}
}

// On-demand decode memory by hand: 6 blocks of 4 tokens, two requests of
// one prompt block and 9 output tokens (4 blocks each at the end). Both
// start; at their 9th token both need a 4th block, 7 > 6, so the later one
// is preempted. The earlier finishes; the later is readmitted, finds its
// prompt block still cached and recomputes its 4 + 8 tokens less the 4
// cached ones. Reserving whole, the second waits for the first instead.
func TestOnDemandPreemptsAndRecomputes(t *testing.T) {
	w := workload.Workload{Name: "hand", BlockTokens: 4, Requests: []workload.Request{
		{ArrivalSeconds: 0, InputTokens: 4, OutputTokens: 9, Blocks: []cache.BlockHash{1}},
		{ArrivalSeconds: 0, InputTokens: 4, OutputTokens: 9, Blocks: []cache.BlockHash{2}},
	}}
	p := mustPrepare(t, w)
	for _, sched := range SchedulerNames() {
		res, err := p.Serve(ServeConfig{Config: Config{CapacityBlocks: 6, Timer: linearTimer{}}, Scheduler: sched, DecodeMemory: DecodeOnDemand})
		if err != nil {
			t.Fatal(err)
		}
		sv, r1 := res.Serving, res.Requests[1]
		if sv.Preemptions != 1 || sv.PreemptedRequests != 1 || sv.PreemptionRecomputedTokens != 8 || r1.Preemptions != 1 || r1.RecomputedTokens != 8 || sv.Completed != 2 || sv.PeakPinnedBlocks != 6 {
			t.Errorf("%s on demand: %+v\nrequest 1: %+v", sched, sv, r1)
		}
		if sv.P99ITLSeconds <= sv.P50ITLSeconds || res.Requests[0].FinishSeconds >= r1.FinishSeconds {
			t.Errorf("%s: the preempted request's stall should show in its inter-token latency: %+v", sched, sv)
		}
		res, err = p.Serve(ServeConfig{Config: Config{CapacityBlocks: 6, Timer: linearTimer{}}, Scheduler: sched})
		if err != nil {
			t.Fatal(err)
		}
		if sv := res.Serving; sv.Preemptions != 0 || sv.CapacityStalls == 0 || res.Requests[1].AdmittedSeconds < res.Requests[0].FinishSeconds {
			t.Errorf("%s reserved: %+v", sched, sv)
		}
	}
}

// Every scheduler and decode memory mode, on every synthetic workload under
// pressure: everything completes or is rejected, pinned blocks stay within
// the capacity, and every row is consistent with the summary.
func TestServeInvariantsEveryScheduler(t *testing.T) {
	for _, name := range workload.Names() {
		w := smallWorkload(t, name, 4, 64, 300)
		for i := range w.Requests {
			w.Requests[i].ArrivalSeconds /= 50
		}
		p := mustPrepare(t, w)
		largest := 0
		for _, r := range w.Requests {
			largest = max(largest, workload.BlocksFor(r.InputTokens+r.OutputTokens, 64))
		}
		for _, sched := range SchedulerNames() {
			for _, memory := range DecodeMemoryNames() {
				for _, capacity := range []int{largest - 1, largest + 20, cache.Unbounded} {
					cfg := ServeConfig{Config: Config{Policy: cache.SIEVEName, CapacityBlocks: capacity, Timer: linearTimer{}}, MaxBatch: 32, Scheduler: sched, DecodeMemory: memory}
					res, err := p.Serve(cfg)
					if err != nil {
						t.Fatalf("%s %s %s %d: %v", name, sched, memory, capacity, err)
					}
					checkServe(t, name+" "+sched+" "+memory, p, res, capacity)
				}
			}
		}
	}
}

func checkServe(t *testing.T, label string, p *Prepared, res ServeResult, capacity int) {
	t.Helper()
	sv := res.Serving
	if sv.Completed+sv.Rejected != len(p.w.Requests) || len(res.Requests) != len(p.w.Requests) {
		t.Errorf("%s: %d completed + %d rejected of %d", label, sv.Completed, sv.Rejected, len(p.w.Requests))
	}
	if capacity != cache.Unbounded && sv.PeakPinnedBlocks > capacity {
		t.Errorf("%s: %d pinned blocks at capacity %d", label, sv.PeakPinnedBlocks, capacity)
	}
	var hits, preempt, recomputed int64
	for _, r := range res.Requests {
		if r.Rejected {
			if !math.IsNaN(r.FinishSeconds) {
				t.Errorf("%s: rejected request %d finished", label, r.Request)
			}
			continue
		}
		hits += int64(r.HitBlocks)
		preempt += int64(r.Preemptions)
		recomputed += int64(r.RecomputedTokens)
		if !(r.ArrivalSeconds <= r.AdmittedSeconds && r.AdmittedSeconds < r.FirstTokenSeconds && r.FirstTokenSeconds <= r.FinishSeconds) ||
			r.CachedTokens+r.NewTokens != r.PromptTokens || r.NewTokens < 1 {
			t.Fatalf("%s: request %+v", label, r)
		}
	}
	if hits != res.Summary.HitBlocks || preempt != sv.Preemptions || recomputed != sv.PreemptionRecomputedTokens {
		t.Errorf("%s: rows give %d hits, %d preemptions, %d recomputed; totals %d, %d, %d", label, hits, preempt, recomputed, res.Summary.HitBlocks, sv.Preemptions, sv.PreemptionRecomputedTokens)
	}
	if sv.DecodeMemory == DecodeReserve && sv.Preemptions != 0 {
		t.Errorf("%s: reserved decode memory preempted %d times", label, sv.Preemptions)
	}
	for _, q := range [][4]float64{
		{sv.P50TTFTSeconds, sv.P90TTFTSeconds, sv.P99TTFTSeconds, sv.MeanTTFTSeconds},
		{sv.P50TPOTSeconds, sv.P90TPOTSeconds, sv.P99TPOTSeconds, sv.MeanTPOTSeconds},
		{sv.P50ITLSeconds, sv.P90ITLSeconds, sv.P99ITLSeconds, sv.MeanITLSeconds},
		{sv.P50E2ESeconds, sv.P90E2ESeconds, sv.P99E2ESeconds, sv.MeanE2ESeconds},
	} {
		if !(q[0] > 0 && q[0] <= q[1] && q[1] <= q[2] && q[3] > 0) {
			t.Errorf("%s: percentiles %v out of order", label, q)
		}
	}
}

func TestServeRejectsBadSchedule(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "rag", 1, 64, 20))
	for _, tc := range []struct {
		cfg ServeConfig
		msg string
	}{
		{ServeConfig{Scheduler: "fastest"}, `unknown scheduler "fastest"`},
		{ServeConfig{DecodeMemory: "swap"}, `unknown decode memory "swap"`},
		{ServeConfig{ChunkTokens: 512}, "is for the chunked-prefill scheduler"},
		{ServeConfig{Scheduler: ChunkedPrefill, ChunkTokens: -1}, "ChunkTokens -1"},
	} {
		tc.cfg.Config = Config{CapacityBlocks: 10, Timer: linearTimer{}}
		if _, err := p.Serve(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
}
