package sim

import (
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// TestReplayInvariants runs every policy over random synthetic workloads at
// random capacities: counts add up, the pool never holds more than its
// capacity, the unbounded run reaches the theoretical maximum, and Belady's
// block hit rate is at least every online policy's.
func TestReplayInvariants(t *testing.T) {
	names := workload.Names()
	for seed := uint64(1); seed <= 24; seed++ {
		rng := workload.NewRand(seed)
		name := names[rng.IntN(len(names))]
		block := []int{16, 64, 512}[rng.IntN(3)]
		w := smallWorkload(t, name, seed, block, 100+rng.IntN(300))
		p := mustPrepare(t, w)
		capacity := 1 + rng.IntN(400)
		unbounded := mustReplay(t, p, cache.LRUName, cache.Unbounded)
		if want := theoreticalMax(w); unbounded.HitBlocks != want || unbounded.Evictions != 0 {
			t.Errorf("%s seed %d unbounded: %d hit blocks, %d evictions; theoretical maximum %d", name, seed, unbounded.HitBlocks, unbounded.Evictions, want)
		}
		rates := map[string]float64{}
		for _, pol := range cache.PolicyNames() {
			r, err := p.Replay(Config{Policy: pol, CapacityBlocks: capacity})
			if err != nil {
				t.Fatal(err)
			}
			s := r.Summary
			if s.HitTokens+s.RecomputedTokens != s.PromptTokens || s.HitBlocks > s.PromptBlocks || s.PromptBlocks != r.Cache.Lookups {
				t.Errorf("%s %s: counts do not add up: %+v", name, pol, s)
			}
			if c := r.Cache; c.Hits+c.Misses != c.Lookups {
				t.Errorf("%s %s: hits %d + misses %d != lookups %d", name, pol, c.Hits, c.Misses, c.Lookups)
			}
			if s.PeakBlocks > capacity || s.MeanBlocks > float64(s.PeakBlocks) {
				t.Errorf("%s %s: peak %d, mean %g blocks at capacity %d", name, pol, s.PeakBlocks, s.MeanBlocks, capacity)
			}
			if s.HitBlocks > unbounded.HitBlocks {
				t.Errorf("%s %s: %d hit blocks beat the unbounded cache's %d", name, pol, s.HitBlocks, unbounded.HitBlocks)
			}
			rates[pol] = s.BlockHitRate
		}
		for pol, rate := range rates {
			if rate > rates[cache.BeladyName] {
				t.Errorf("%s seed %d capacity %d: %s block hit rate %.4f > belady %.4f", name, seed, capacity, pol, rate, rates[cache.BeladyName])
			}
		}
	}
}

// LRU has the inclusion property (a bigger LRU cache holds everything a
// smaller one does), so its hit rate never falls as capacity grows.
func TestLRUHitRateGrowsWithCapacity(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "multi-turn", 5, 64, 400))
	prev := -1.0
	for _, capacity := range []int{1, 3, 10, 30, 100, 300, 1000, 3000} {
		s := mustReplay(t, p, cache.LRUName, capacity)
		if s.BlockHitRate < prev {
			t.Errorf("capacity %d: hit rate %.4f fell below %.4f", capacity, s.BlockHitRate, prev)
		}
		prev = s.BlockHitRate
	}
}

// A hand-made workload with 4-token blocks: request 2 shares 2 full blocks
// with request 1; request 3 shares only 3 tokens (less than a block), so it
// hits nothing.
func TestReplayByHand(t *testing.T) {
	req := func(in int, hs ...cache.BlockHash) workload.Request {
		return workload.Request{InputTokens: in, OutputTokens: 1, Blocks: hs}
	}
	w := workload.Workload{Name: "hand", BlockTokens: 4, Requests: []workload.Request{
		req(10, 1, 2, 3), // 4 + 4 + 2 tokens
		req(9, 1, 2, 4),  // shares blocks 1, 2
		req(10, 5, 6, 7), // shares 3 tokens of block 1's content: another hash
		req(10, 1, 2, 3), // the same prompt as request 1: all three blocks
	}}
	r, err := Replay(w, Config{CapacityBlocks: 100, BytesPerBlock: 1000, Timer: linearTimer{}})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Summary
	// hits: 0 + 2 + 0 + 3 blocks; tokens 0 + 8 + 0 + 10.
	if s.HitBlocks != 5 || s.PromptBlocks != 12 || s.HitTokens != 18 || s.PromptTokens != 39 || s.RecomputedTokens != 21 {
		t.Fatalf("summary %+v", s)
	}
	if s.PeakBlocks != 7 || s.PeakBytes != 7000 || s.Evictions != 0 || s.AvgInputTokens != 9.75 {
		t.Errorf("peak %d blocks %d bytes, evictions %d, avg input %g", s.PeakBlocks, s.PeakBytes, s.Evictions, s.AvgInputTokens)
	}
	if want := (0 + 8.0/9 + 0 + 1) / 4; math.Abs(s.MeanRequestTokenHitRate-want) > 1e-12 {
		t.Errorf("mean request token hit rate %g, want %g", s.MeanRequestTokenHitRate, want)
	}
	// TTFT saved: request 2 skips 8 tokens, request 4 skips 9 (the last
	// token is always recomputed).
	tm := linearTimer{}
	want := tm.PrefillSeconds(9, 0) - tm.PrefillSeconds(1, 8) + tm.PrefillSeconds(10, 0) - tm.PrefillSeconds(1, 9)
	if math.Abs(s.TTFTSavedSeconds-want) > 1e-12 || math.Abs(s.MeanTTFTSavedSeconds-want/4) > 1e-12 {
		t.Errorf("TTFT saved %g, want %g", s.TTFTSavedSeconds, want)
	}
	// Without a timer the TTFT fields stay 0 and a note says why.
	r, _ = Replay(w, Config{CapacityBlocks: 100})
	if r.Summary.TTFTSavedSeconds != 0 || !strings.Contains(strings.Join(r.Summary.Notes, " "), "no step timer") {
		t.Errorf("no timer: saved %g, notes %v", r.Summary.TTFTSavedSeconds, r.Summary.Notes)
	}
	// Two blocks of capacity: LRU keeps the last two blocks of each request,
	// never a first block, so nothing hits and every block after the
	// second is an eviction (12 - 2).
	r, _ = Replay(w, Config{CapacityBlocks: 2})
	if r.Summary.HitBlocks != 0 || r.Summary.PeakBlocks != 2 || r.Summary.Evictions != 10 {
		t.Errorf("capacity 2: %d hits, peak %d, %d evictions", r.Summary.HitBlocks, r.Summary.PeakBlocks, r.Summary.Evictions)
	}
}

func TestSeriesIsBoundedAndConsistent(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "system-prompt", 2, 64, 1234))
	for _, points := range []int{1, 7, 500, 5000} {
		r, err := p.Replay(Config{CapacityBlocks: 200, MaxPoints: points, BytesPerBlock: 10})
		if err != nil {
			t.Fatal(err)
		}
		s := r.Series
		n := len(p.w.Requests)
		if s.Len() > points || s.Len() == 0 || s.Request[s.Len()-1] != n {
			t.Fatalf("MaxPoints %d: %d points, last at request %v of %d", points, s.Len(), s.Request[s.Len()-1], n)
		}
		for _, l := range []int{len(s.Seconds), len(s.BlockHitRate), len(s.WindowBlockHitRate), len(s.TokenHitRate), len(s.WindowTokenHitRate), len(s.BlocksUsed), len(s.BytesUsed), len(s.Evictions)} {
			if l != s.Len() {
				t.Fatalf("MaxPoints %d: a column has %d points, not %d", points, l, s.Len())
			}
		}
		last := s.Len() - 1
		if s.BlockHitRate[last] != r.Summary.BlockHitRate || s.Evictions[last] != r.Summary.Evictions || s.BytesUsed[last] != 10*int64(s.BlocksUsed[last]) {
			t.Errorf("last point %v %v disagrees with the summary", s.BlockHitRate[last], s.Evictions[last])
		}
		// A single window covers everything: windowed equals cumulative.
		if points == 1 && s.WindowBlockHitRate[0] != s.BlockHitRate[0] {
			t.Errorf("one window: %g vs %g", s.WindowBlockHitRate[0], s.BlockHitRate[0])
		}
		for i := 1; i < s.Len(); i++ {
			if s.Request[i] <= s.Request[i-1] || s.Seconds[i] < s.Seconds[i-1] || s.Evictions[i] < s.Evictions[i-1] {
				t.Fatalf("point %d goes backwards", i)
			}
		}
	}
	if r, _ := p.Replay(Config{CapacityBlocks: 5}); r.Series.BytesUsed != nil {
		t.Error("bytes series without bytes per block")
	}
}

func TestReplayRejectsBadInput(t *testing.T) {
	good := smallWorkload(t, "rag", 1, 64, 20)
	for _, tc := range []struct {
		name string
		w    func() workload.Workload
		cfg  Config
		msg  string
	}{
		{"zero capacity", func() workload.Workload { return good }, Config{CapacityBlocks: 0}, "capacity 0 blocks"},
		{"negative capacity", func() workload.Workload { return good }, Config{CapacityBlocks: -7}, "capacity -7 blocks"},
		{"unknown policy", func() workload.Workload { return good }, Config{Policy: "mru", CapacityBlocks: 5}, `unknown policy "mru"`},
		{"bad points", func() workload.Workload { return good }, Config{CapacityBlocks: 5, MaxPoints: -1}, "MaxPoints"},
		{"negative bytes", func() workload.Workload { return good }, Config{CapacityBlocks: 5, BytesPerBlock: -1}, "bytes per block"},
		{"no requests", func() workload.Workload { return workload.Workload{Name: "empty", BlockTokens: 16} }, Config{CapacityBlocks: 5}, "no requests"},
		{"wrong block count", func() workload.Workload {
			w := good
			w.Requests = append([]workload.Request(nil), good.Requests...)
			w.Requests[3].Blocks = w.Requests[3].Blocks[1:]
			return w
		}, Config{CapacityBlocks: 5}, "request 3"},
		{"zero input", func() workload.Workload {
			return workload.Workload{Name: "z", BlockTokens: 16, Requests: []workload.Request{{InputTokens: 0}}}
		}, Config{CapacityBlocks: 5}, "0 input tokens"},
		{"NaN arrival", func() workload.Workload {
			return workload.Workload{Name: "z", BlockTokens: 16, Requests: []workload.Request{{InputTokens: 1, Blocks: []cache.BlockHash{1}, ArrivalSeconds: math.NaN()}}}
		}, Config{CapacityBlocks: 5}, "arrival"},
	} {
		_, err := Replay(tc.w(), tc.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "sim: ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
