package figures

import (
	"strings"
	"testing"
	"time"

	"kvcache/kvsim/decoder"
)

// tinyLab runs the decoder studies at a size that takes well under a second.
func tinyLab(t *testing.T) *Lab {
	t.Helper()
	lab, err := NewLab(DefaultSettings(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lab.Log, lab.Live = nil, false
	lab.Sizes = Sizes{Prompt: 4, New: 10, LongPrompt: 4, LongNew: 24, CacheTokens: []int{8, 16}}
	return lab
}

func TestMeasuredLatencyAndTheModel(t *testing.T) {
	lab := tinyLab(t)
	run, err := lab.Measure()
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Positions) != 10 || run.Positions[1] != 4 || len(run.Cached.PerTokenS) != 10 || len(run.Uncached.MatmulS) != 10 {
		t.Fatalf("run shape: positions %v, %d cached steps", run.Positions, len(run.Cached.PerTokenS))
	}
	if !run.SameTokens || run.Speedup <= 0 || run.Params != lab.Small.TotalParams() {
		t.Errorf("run %+v", run)
	}
	pn := render(t, MeasuredLatency(run))
	if len(pn.Controls) != 1 || len(pn.Controls[0].Labels) != 2 || len(pn.States) != 2 {
		t.Fatalf("controls %+v states %d", pn.Controls, len(pn.States))
	}
	if pn.States[0][0] != pn.States[1][0] || pn.States[0][1] == pn.States[1][1] {
		t.Error("the path picker must change the breakdown chart (and only it)")
	}
	lines := decode(t, pn.Options[pn.States[0][0]])
	if len(lines.Series) != 2 || len(points(t, lines, 0)) != 9 || !strings.Contains(lines.YAxis[0].Name, "(ms)") {
		t.Errorf("latency chart %+v", lines)
	}
	// The cached path writes K/V, the uncached one does not: its breakdown has no KV series.
	if c, u := decode(t, pn.Options[pn.States[0][1]]), decode(t, pn.Options[pn.States[1][1]]); len(c.Series) <= len(u.Series) {
		t.Errorf("breakdown series: cached %d, uncached %d", len(c.Series), len(u.Series))
	}

	cmp, err := lab.CompareCPU()
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Contexts) != 9 || cmp.Calibration.MatmulFLOPS <= 0 || cmp.PredictedSpeedup <= 0 {
		t.Errorf("comparison %+v", cmp)
	}
	pc := render(t, ModelVsMeasurement(cmp))
	if len(pc.Controls) != 0 || len(pc.Options) != 2 || len(decode(t, pc.Options[0]).Series) != 4 {
		t.Errorf("comparison figure: %d controls, %d options", len(pc.Controls), len(pc.Options))
	}
	r, err := lab.Results()
	if err != nil || r.Measured == nil || r.CPU == nil {
		t.Fatalf("results after measuring: %v, missing %v", err, r.Missing)
	}
}

func TestLiveLatencyGrowsWithTokens(t *testing.T) {
	spec := specs(t, "gpt-tiny")[0]
	l := NewLiveLatency(spec, 4, 3)
	if _, err := l.HTML(); err == nil {
		t.Error("a live chart with no token rendered")
	}
	for _, path := range []string{"cached", "uncached"} {
		for i := range 3 {
			l.OnToken(path, decoder.TokenEvent{Index: i, Position: 3 + i, Step: decoder.Step{Latency: time.Duration(i+1) * time.Millisecond}})
		}
	}
	l.OnToken("reference", decoder.TokenEvent{Index: 1, Position: 4})
	if err := l.Done(); err != nil {
		t.Fatal(err)
	}
	c := decode(t, render(t, l).Options[0])
	if len(c.Series) != 2 || len(points(t, c, 0)) != 2 || len(points(t, c, 1)) != 2 {
		t.Errorf("live chart series %+v (the prefill and other paths are not drawn)", c.Series)
	}
}

func TestBoundedCache(t *testing.T) {
	lab := tinyLab(t)
	ps, err := lab.Policies()
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.Recompute) != 2 || len(ps.Window) != 2 || len(ps.WindowKL[0]) != 24 {
		t.Fatalf("study %d recompute, %d window, %d KL", len(ps.Recompute), len(ps.Window), len(ps.WindowKL[0]))
	}
	for i := range ps.Capacities {
		if ps.Recompute[i].Recomputed == 0 || ps.WindowTop1[i] < 0 || ps.WindowTop1[i] > 1 || ps.Recompute[i].HitRate >= 1 {
			t.Errorf("capacity %d: recomputed %d, top-1 %g, hit rate %g", ps.Capacities[i], ps.Recompute[i].Recomputed, ps.WindowTop1[i], ps.Recompute[i].HitRate)
		}
	}
	pn := render(t, BoundedCache(ps))
	if len(pn.Controls) != 1 || len(pn.States) != 2 || len(pn.Views) != 5 || pn.Views[2].MarkX != 0 {
		t.Fatalf("controls %d states %d views %d", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.States[0][0] == pn.States[1][0] || pn.States[0][2] != pn.States[1][2] {
		t.Error("the slider must change the per-token chart; the curves against capacity are one option")
	}
	lab.Sizes.CacheTokens = []int{2}
	if _, err := lab.Policies(); err == nil || !strings.Contains(err.Error(), "between") {
		t.Errorf("a cache smaller than the sinks: %v", err)
	}
}
