package decoder

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"kvcache/kvsim/timing"
)

// Bench times the paths in the rounds timing.Schedule gives: each round
// runs every path once, the first path rotating; the warm-up reports no
// token; the first run of each path checks it against the reference.
func TestBenchInterleavesTimedRunsAfterAWarmUp(t *testing.T) {
	spec := testSpecs()[1]
	d := newTestDecoder(t, spec, 2)
	paths := []BenchPath{
		{Name: "full", Cache: CacheConfig{Enabled: true}},
		{Name: "uncached", Check: SameLogits},
		{Name: "recompute 6", Cache: CacheConfig{Enabled: true, Capacity: 6, Policy: Recompute}, Check: SameLogits},
		{Name: "window 6", Cache: CacheConfig{Enabled: true, Capacity: 6, Policy: Window}, Check: Diverge},
	}
	type event struct {
		path          string
		repeat, index int
	}
	var events []event
	var phases []string
	const repeat, newTokens = 3, 10
	res, err := d.Bench([]int{1, 2, 3, 4}, newTokens, paths, BenchRuns{Repeat: repeat, WarmUp: 2,
		OnToken:  func(path string, ev TokenEvent) { events = append(events, event{path, ev.Repeat, ev.Index}) },
		Progress: func(p Progress) { phases = append(phases, p.Phase) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(paths)*repeat*newTokens {
		t.Fatalf("%d token events, want %d (timed runs only)", len(events), len(paths)*repeat*newTokens)
	}
	if phases[0] != "warm-up" {
		t.Errorf("first phase %q, want the warm-up", phases[0])
	}
	for k, turn := range timing.Schedule(len(paths), repeat) {
		run := events[k*newTokens : (k+1)*newTokens]
		for i, ev := range run {
			if ev.path != paths[turn.Path].Name || ev.repeat != turn.Repeat || ev.index != i {
				t.Fatalf("run %d, token %d: %+v; want path %q repeat %d", k, i, ev, paths[turn.Path].Name, turn.Repeat)
			}
		}
	}
	for i, r := range res {
		if r.Name != paths[i].Name || r.Repeats != repeat || len(r.TotalsS) != repeat || r.TotalSSpread.N != repeat {
			t.Errorf("path %q: %d repeats, totals %v", r.Name, r.Repeats, r.TotalsS)
		}
		if len(r.PerTokenS) != newTokens || len(r.PerTokenSMin) != newTokens || len(r.PerTokenSMax) != newTokens || len(r.PerTokenBreakdown) != newTokens {
			t.Errorf("path %q: per-token arrays of %d, %d, %d", r.Name, len(r.PerTokenS), len(r.PerTokenSMin), len(r.PerTokenSMax))
		}
		for j := range r.PerTokenS {
			if !(r.PerTokenSMin[j] <= r.PerTokenS[j] && r.PerTokenS[j] <= r.PerTokenSMax[j]) || r.PerTokenSMin[j] <= 0 {
				t.Fatalf("path %q token %d: %g not inside [%g, %g]", r.Name, j, r.PerTokenS[j], r.PerTokenSMin[j], r.PerTokenSMax[j])
			}
		}
		if !(r.TotalSSpread.Min <= r.TotalS && r.TotalS <= r.TotalSSpread.Max) {
			t.Errorf("path %q: total %g outside %+v", r.Name, r.TotalS, r.TotalSSpread)
		}
	}
	if p := res[1].Parity; p == nil || !p.SameTokens || p.MaxRelLogitDiff > 1e-4 {
		t.Errorf("uncached parity %+v", p)
	}
	if p := res[2].Parity; p == nil || !p.SameTokens || res[2].Recomputed == 0 {
		t.Errorf("recompute parity %+v, %d recomputed", p, res[2].Recomputed)
	}
	if dv := res[3].Divergence; dv == nil || len(dv.PerTokenKL) != newTokens {
		t.Errorf("window divergence %+v", dv)
	}
	if res[0].Parity != nil || res[0].Divergence != nil {
		t.Error("the reference is checked against itself")
	}
	// Work: recompute and uncached do more than the full cache, the window less.
	full, rec, win, unc := res[0].Work(), res[2].Work(), res[3].Work(), res[1].Work()
	if !(rec.FLOPs > full.FLOPs && rec.Bytes == full.Bytes && unc.FLOPs > full.FLOPs && unc.Bytes == full.Bytes) {
		t.Errorf("work: full %+v, recompute %+v, uncached %+v", full, rec, unc)
	}
	if !(win.FLOPs < full.FLOPs && win.Bytes < full.Bytes) {
		t.Errorf("work: full %+v, window %+v", full, win)
	}
}

// The medians and spreads of a path come from its runs, token by token.
func TestPathResultTakesMediansOverRuns(t *testing.T) {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	run := func(total float64, lat ...float64) *Generation {
		g := &Generation{Tokens: []int{5, 6, 7}, Total: ms(total), KVReads: 30, KVHits: 20}
		for i, l := range lat {
			g.Steps = append(g.Steps, Step{Latency: ms(l), Matmul: ms(l / 2), Other: ms(l / 2), FLOPs: float64(100 + i)})
		}
		return g
	}
	gens := []*Generation{run(12, 4, 2, 6), run(9, 3, 1, 5), run(30, 10, 8, 12)}
	p := pathResult("cached", gens, false)
	want := []float64{4e-3, 2e-3, 6e-3}
	for i := range want {
		if math.Abs(p.PerTokenS[i]-want[i]) > 1e-12 {
			t.Errorf("token %d: median %g, want %g", i, p.PerTokenS[i], want[i])
		}
	}
	if p.PerTokenSMin[1] != 1e-3 || p.PerTokenSMax[1] != 8e-3 {
		t.Errorf("token 1 band [%g, %g]", p.PerTokenSMin[1], p.PerTokenSMax[1])
	}
	if p.TotalS != 12e-3 || p.TotalSSpread.Min != 9e-3 || p.TotalSSpread.Max != 30e-3 || !slices.Equal(p.TotalsS, []float64{12e-3, 9e-3, 30e-3}) {
		t.Errorf("totals %v, median %g, spread %+v", p.TotalsS, p.TotalS, p.TotalSSpread)
	}
	// decode rates per run: 2 tokens over 8, 6 and 20 ms
	if math.Abs(p.DecodeTokensPerS-2/8e-3) > 1e-9 || math.Abs(p.DecodeSpread.Max-2/6e-3) > 1e-9 {
		t.Errorf("decode rate %g, spread %+v", p.DecodeTokensPerS, p.DecodeSpread)
	}
	if math.Abs(p.Breakdown.MatmulS-6e-3) > 1e-12 || p.PerTokenBreakdown[2].MatmulS != 3e-3 {
		t.Errorf("breakdown %+v", p.Breakdown)
	}
	if p.FLOPs != 303 || p.KVPositionsAttended != 30 || pathResult("w", gens, true).KVPositionsAttended != 20 {
		t.Errorf("counts: flops %g, attended %d", p.FLOPs, p.KVPositionsAttended)
	}
	fast, slow := &PathResult{TotalsS: []float64{1, 2, 4}}, &PathResult{TotalsS: []float64{3, 4, 20}}
	if s := SpeedupSpread(fast, slow); s.Median != 3 || s.Min != 2 || s.Max != 5 {
		t.Errorf("speedups paired run by run: %+v, want 3 (2 to 5)", s)
	}
}

// Run reports medians, spreads and the ranking beside its old keys, and a
// window keeps its reference.
func TestRunRepeatsAndRanks(t *testing.T) {
	spec := testSpecs()[0]
	res, err := Run(spec, BenchOptions{Prompt: 4, New: 8, Repeat: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Repeat != 3 || res.WarmUpTokens != DefaultWarmUp || res.TotalSCachedSpread.N != 3 || res.TotalSUncachedSpread.N != 3 || res.SpeedupSpread.N != 3 {
		t.Fatalf("repeat %d, warm-up %d, spreads %+v %+v %+v", res.Repeat, res.WarmUpTokens, res.TotalSCachedSpread, res.TotalSUncachedSpread, res.SpeedupSpread)
	}
	if res.TotalSCached != res.TotalSCachedSpread.Median || res.Speedup != res.SpeedupSpread.Median || res.Ranking == nil || res.Ranking.Verdict == "" {
		t.Errorf("medians: total %g vs %+v, speedup %g vs %+v, ranking %+v", res.TotalSCached, res.TotalSCachedSpread, res.Speedup, res.SpeedupSpread, res.Ranking)
	}
	if !res.SameTokens || res.Reference != nil {
		t.Errorf("same tokens %v, reference %v", res.SameTokens, res.Reference)
	}
	win, err := Run(spec, BenchOptions{Prompt: 4, New: 12, CacheTokens: 8, Policy: Window, Cache: CacheOn, WarmUp: -1})
	if err != nil {
		t.Fatal(err)
	}
	if win.Reference == nil || win.Divergence == nil || win.Uncached != nil || win.WarmUpTokens != 0 || win.Repeat != 1 {
		t.Errorf("window run: reference %v, divergence %v, warm-up %d, repeat %d", win.Reference != nil, win.Divergence != nil, win.WarmUpTokens, win.Repeat)
	}
}

func TestBenchRefusesBadPaths(t *testing.T) {
	d := newTestDecoder(t, testSpecs()[0], 1)
	for _, c := range []struct {
		paths []BenchPath
		runs  BenchRuns
		want  string
	}{
		{nil, BenchRuns{}, "at least one path"},
		{[]BenchPath{{Name: "a"}, {Name: "a"}}, BenchRuns{}, "its own name"},
		{[]BenchPath{{Name: ""}}, BenchRuns{}, "its own name"},
		{[]BenchPath{{Name: "a", Check: SameLogits}}, BenchRuns{}, "reference"},
		{[]BenchPath{{Name: "a"}}, BenchRuns{Repeat: -1}, "repeats"},
	} {
		if _, err := d.Bench([]int{1, 2}, 3, c.paths, c.runs); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %q", c.paths, err, c.want)
		}
	}
}

// A session run twice gives the same tokens and logits: reuse leaves nothing behind.
func TestSessionGenerateReuses(t *testing.T) {
	d := newTestDecoder(t, testSpecs()[2], 1)
	s, err := d.NewSession(12, CacheConfig{Enabled: true, Capacity: 6, Policy: Recompute})
	if err != nil {
		t.Fatal(err)
	}
	opt := GenerateOptions{Prompt: []int{3, 1, 4}, NewTokens: 10, KeepLogits: true}
	a, err := s.Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Tokens, b.Tokens) || parity(a, b).MaxAbsLogitDiff != 0 {
		t.Error("a reused session gave other tokens or logits")
	}
	if _, err := s.Generate(GenerateOptions{Prompt: []int{1, 2, 3}, NewTokens: 11}); err == nil || !strings.Contains(err.Error(), "holds 12") {
		t.Errorf("a run longer than the session: %v", err)
	}
}
