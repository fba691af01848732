package timing

import (
	"math"
	"strings"
	"testing"
)

func TestSpreadOnKnownValues(t *testing.T) {
	cases := []struct {
		xs                          []float64
		median, q1, q3, p10, p90, n float64
	}{
		{[]float64{3}, 3, 3, 3, 3, 3, 1},
		{[]float64{2, 1}, 1.5, 1.25, 1.75, 1.1, 1.9, 2},
		{[]float64{5, 1, 4, 2, 3}, 3, 2, 4, 1.4, 4.6, 5},
		{[]float64{1, 2, 3, 4}, 2.5, 1.75, 3.25, 1.3, 3.7, 4},
		{[]float64{math.NaN(), 7, 9}, 8, 7.5, 8.5, 7.2, 8.8, 2}, // NaN left out
	}
	for _, c := range cases {
		s := Of(c.xs)
		got := []float64{s.Median, s.Q1, s.Q3, s.P10, s.P90, float64(s.N)}
		want := []float64{c.median, c.q1, c.q3, c.p10, c.p90, c.n}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Errorf("Of(%v) = %+v; field %d is %g, want %g", c.xs, s, i, got[i], want[i])
			}
		}
		if s.Min > s.Q1 || s.Q1 > s.Median || s.Median > s.Q3 || s.Q3 > s.Max {
			t.Errorf("Of(%v) out of order: %+v", c.xs, s)
		}
	}
	if s := Of(nil); s != (Spread{}) || !math.IsNaN(Median(nil)) {
		t.Errorf("empty: %+v", s)
	}
	if n := Of([]float64{0.9, 1.1, 1.0}).Noise(); math.Abs(n-0.2) > 1e-12 {
		t.Errorf("noise %g, want 0.2", n)
	}
	if !math.IsNaN(Spread{}.Noise()) || Of([]float64{2}).Noise() != 0 {
		t.Error("noise of no and of one measurement")
	}
}

func TestPerIndexTakesEachTokenAcrossRepeats(t *testing.T) {
	ss := PerIndex([][]float64{{1, 10, 100}, {3, 30, 300, 9}, {2, 20, 200}})
	if len(ss) != 3 {
		t.Fatalf("%d spreads for the shortest series of 3", len(ss))
	}
	if m := Medians(ss); m[0] != 2 || m[1] != 20 || m[2] != 200 {
		t.Errorf("medians %v", m)
	}
	if lo, hi := Mins(ss), Maxes(ss); lo[2] != 100 || hi[2] != 300 {
		t.Errorf("band %v %v", lo, hi)
	}
}

func TestScheduleInterleavesAndRotates(t *testing.T) {
	turns := Schedule(3, 4)
	if len(turns) != 12 {
		t.Fatalf("%d turns", len(turns))
	}
	firsts := map[int]int{}
	for r := range 4 {
		seen := map[int]bool{}
		for i, tn := range turns[3*r : 3*r+3] {
			if tn.Repeat != r {
				t.Fatalf("turn %d of repeat %d is in repeat %d: repeats must not mix", i, r, tn.Repeat)
			}
			seen[tn.Path] = true
		}
		if len(seen) != 3 {
			t.Errorf("repeat %d runs paths %v, want each of 3 once", r, turns[3*r:3*r+3])
		}
		firsts[turns[3*r].Path]++
	}
	if firsts[0] != 2 || firsts[1] != 1 || firsts[2] != 1 {
		t.Errorf("first paths %v: the start must rotate", firsts)
	}
	// Positions: every path runs in each slot as often as the others.
	if turns[0].Path != 0 || turns[3].Path != 1 || turns[6].Path != 2 {
		t.Errorf("turns %v", turns)
	}
	if Schedule(0, 3) != nil || Schedule(2, 0) != nil {
		t.Error("empty schedules")
	}
}

func TestRankCallsNoiseNoise(t *testing.T) {
	full := Work{FLOPs: 100, Bytes: 50}
	more := Work{FLOPs: 180, Bytes: 50}
	less := Work{FLOPs: 90, Bytes: 20}
	sp := func(xs ...float64) Spread { return Of(xs) }
	cases := []struct {
		name          string
		a, b          Sample
		faster        string
		within, wrong bool
	}{
		{"overlap", Sample{"cached", sp(1.0, 1.2, 1.4), full}, Sample{"uncached", sp(1.3, 1.5, 1.6), more}, "", true, false},
		{"cached faster beyond the noise", Sample{"cached", sp(1.0, 1.1, 1.2), full}, Sample{"uncached", sp(4, 4.4, 5), more}, "cached", false, false},
		{"recompute faster than the full cache", Sample{"full cache", sp(2.0, 2.1, 2.2), full}, Sample{"recompute", sp(0.6, 0.7, 0.8), more}, "", false, true},
		{"the other way round", Sample{"recompute", sp(0.6, 0.7, 0.8), more}, Sample{"full cache", sp(2.0, 2.1, 2.2), full}, "", false, true},
		{"less work faster is a result", Sample{"full cache", sp(2.0, 2.1, 2.2), full}, Sample{"window", sp(1.0, 1.1, 1.2), less}, "window", false, false},
		{"unknown work is ranked", Sample{"a", sp(2.0, 2.1), Work{}}, Sample{"b", sp(1.0, 1.1), Work{}}, "b", false, false},
		{"equal work is ranked", Sample{"a", sp(2.0, 2.1), full}, Sample{"b", sp(1.0, 1.1), full}, "b", false, false},
	}
	for _, c := range cases {
		r := Rank(c.a, c.b)
		if r.Faster != c.faster || r.WithinNoise != c.within || r.Impossible != c.wrong {
			t.Errorf("%s: %+v", c.name, r)
		}
		if r.Ranked() != (c.faster != "") || r.Verdict == "" {
			t.Errorf("%s: ranked %v, verdict %q", c.name, r.Ranked(), r.Verdict)
		}
		if c.wrong && !strings.HasPrefix(r.Verdict, "noise") {
			t.Errorf("%s: verdict %q does not call it noise", c.name, r.Verdict)
		}
		if want := map[bool]string{true: "within noise"}[c.within]; c.within && r.Label() != want || c.wrong && r.Label() != "flagged as noise" || c.faster != "" && r.Label() != "beyond the noise" {
			t.Errorf("%s: label %q", c.name, r.Label())
		}
		if c.within && !strings.Contains(r.Verdict, "within noise") {
			t.Errorf("%s: verdict %q", c.name, r.Verdict)
		}
	}
	if r := Rank(Sample{"a", sp(1, 1.2), full}, Sample{"b", sp(3, 3.3), more}); math.Abs(r.Ratio-3.15/1.1) > 1e-12 {
		t.Errorf("ratio %g", r.Ratio)
	}
}

func TestOthersBusyArithmetic(t *testing.T) {
	if got := othersBusy(3, 1, 2); got != 1 {
		t.Errorf("3 s busy, 1 s ours, over 2 s: %g cores, want 1", got)
	}
	if got := othersBusy(1, 1.01, 1); got != 0 {
		t.Errorf("ticks rounding below our own time: %g, want 0", got)
	}
	if got := othersBusy(1, 0, 0); got != 0 {
		t.Errorf("no time passed: %g", got)
	}
	if busy, ok := StartLoad().OthersBusy(); ok && busy < 0 {
		t.Error("negative load")
	}
}
