package sim

import (
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// With an unbounded cache nothing is evicted and requests are admitted in
// arrival order, so the timed replay finds the same prefixes as the
// sequential one.
func TestServeUnboundedMatchesSequential(t *testing.T) {
	for _, name := range workload.Names() {
		p := mustPrepare(t, smallWorkload(t, name, 3, 64, 300))
		seq := mustReplay(t, p, cache.LRUName, cache.Unbounded)
		r, err := p.Serve(ServeConfig{Config: Config{CapacityBlocks: cache.Unbounded, Timer: linearTimer{}}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Summary.HitBlocks != seq.HitBlocks || r.Summary.HitTokens != seq.HitTokens || r.Serving.Completed != len(p.w.Requests) {
			t.Errorf("%s: timed %d hit blocks, sequential %d; completed %d", name, r.Summary.HitBlocks, seq.HitBlocks, r.Serving.Completed)
		}
		if r.Summary.TTFTSavedSeconds != seq.TTFTSavedSeconds && seq.TTFTSavedSeconds != 0 {
			t.Errorf("%s: TTFT saved differs", name)
		}
	}
}

// A tight cache: running requests pin their blocks, so requests queue
// (capacity stalls); pinned blocks never exceed the capacity and everything
// still completes.
func TestServeUnderPressure(t *testing.T) {
	w := smallWorkload(t, "multi-turn", 4, 64, 400)
	// Make arrivals dense so requests overlap.
	for i := range w.Requests {
		w.Requests[i].ArrivalSeconds /= 100
	}
	p := mustPrepare(t, w)
	largest := 0
	for _, r := range w.Requests {
		largest = max(largest, workload.BlocksFor(r.InputTokens+r.OutputTokens, 64))
	}
	capacity := largest + 10
	res, err := p.Serve(ServeConfig{Config: Config{CapacityBlocks: capacity, Timer: linearTimer{}}, MaxBatch: 64})
	if err != nil {
		t.Fatal(err)
	}
	sv := res.Serving
	if sv.Completed != len(w.Requests) || sv.Rejected != 0 || sv.CapacityStalls == 0 || sv.MaxQueued < 2 {
		t.Errorf("serving %+v", sv)
	}
	if sv.PeakPinnedBlocks > capacity || res.Summary.PeakBlocks > capacity {
		t.Errorf("pinned %d, peak %d blocks at capacity %d", sv.PeakPinnedBlocks, res.Summary.PeakBlocks, capacity)
	}
	if !(sv.P99TTFTSeconds >= sv.P50TTFTSeconds && sv.MeanTTFTSeconds > 0 && sv.MakespanSeconds > w.Requests[len(w.Requests)-1].ArrivalSeconds) {
		t.Errorf("timings %+v", sv)
	}
	for i, pinned := range res.Series.PinnedBlocks {
		if pinned > capacity || res.Series.BlocksUsed[i] > capacity {
			t.Fatalf("point %d: %d pinned, %d used at capacity %d", i, pinned, res.Series.BlocksUsed[i], capacity)
		}
	}
	// A cache too small for the largest request rejects it and serves the rest.
	res, err = p.Serve(ServeConfig{Config: Config{CapacityBlocks: largest - 1, Timer: linearTimer{}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Serving.Rejected == 0 || res.Serving.Completed+res.Serving.Rejected != len(w.Requests) {
		t.Errorf("small cache: %+v", res.Serving)
	}
}

// One request at a time, by hand: TTFT = prefill, then output-1 decode steps.
func TestServeTimingByHand(t *testing.T) {
	w := workload.Workload{Name: "hand", BlockTokens: 4, Requests: []workload.Request{
		{ArrivalSeconds: 0, InputTokens: 8, OutputTokens: 3, Blocks: []cache.BlockHash{1, 2}},
		{ArrivalSeconds: 100, InputTokens: 8, OutputTokens: 1, Blocks: []cache.BlockHash{1, 2}},
	}}
	r, err := Replay(w, Config{CapacityBlocks: 10})
	if err != nil || r.Summary.HitBlocks != 2 {
		t.Fatalf("sequential: %v %+v", err, r.Summary)
	}
	p := mustPrepare(t, w)
	res, err := p.Serve(ServeConfig{Config: Config{CapacityBlocks: 10, Timer: linearTimer{}}})
	if err != nil {
		t.Fatal(err)
	}
	tm := linearTimer{}
	first := tm.PrefillSeconds(8, 0)
	second := tm.PrefillSeconds(1, 7)
	end := 100 + second
	sv := res.Serving
	if sv.DecodeSteps != 2 || sv.PrefillSteps != 2 || sv.Completed != 2 || res.Summary.HitBlocks != 2 {
		t.Fatalf("serving %+v", sv)
	}
	if d := sv.MeanTTFTSeconds - (first+second)/2; d > 1e-12 || d < -1e-12 || sv.MakespanSeconds != end {
		t.Errorf("mean TTFT %g, want %g; makespan %g, want %g", sv.MeanTTFTSeconds, (first+second)/2, sv.MakespanSeconds, end)
	}
	// Decode blocks: ceil(11/4) - 2 = 1 private block for request 1.
	if res.Summary.PeakBlocks != 3 {
		t.Errorf("peak %d blocks, want 2 prompt + 1 decode", res.Summary.PeakBlocks)
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "rag", 1, 64, 20))
	for _, tc := range []struct {
		cfg ServeConfig
		msg string
	}{
		{ServeConfig{Config: Config{CapacityBlocks: 10}}, "StepTimer"},
		{ServeConfig{Config: Config{CapacityBlocks: 10, Timer: linearTimer{}, Policy: "belady"}}, "future"},
		{ServeConfig{Config: Config{CapacityBlocks: 10, Timer: linearTimer{}}, MaxBatch: -1}, "MaxBatch"},
		{ServeConfig{Config: Config{CapacityBlocks: 0, Timer: linearTimer{}}}, "capacity 0"},
	} {
		if _, err := p.Serve(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
	w := smallWorkload(t, "rag", 1, 64, 20)
	w.Requests[5].ArrivalSeconds = 1e9
	if _, err := mustPrepare(t, w).Serve(ServeConfig{Config: Config{CapacityBlocks: 10, Timer: linearTimer{}}}); err == nil || !strings.Contains(err.Error(), "sorted by arrival") {
		t.Errorf("unsorted arrivals: %v", err)
	}
}
