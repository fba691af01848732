package study

import (
	"context"
	"math"
	"os"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
)

// A small grid, checked against plain replays: each cell's hit rates and
// each model's TTFT saved are what a replay with that model's timer gives.
func TestCacheGridMatchesPlainReplays(t *testing.T) {
	lab, err := NewLab(DefaultPicks(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := lab.CacheSettings()
	s.Workload.Name = "few-shot"
	s.CapacityPoints, s.SeriesPoints = 4, 10
	s.Compare = nil
	models := lab.chosen("llama3-70b", "llama3-8b")
	s.Grid = &CacheGrid{Workloads: []Source{{Name: "few-shot", Seed: 1}, {Name: "rag", Seed: 1}}, BlockSizes: []int{512, 2048},
		Models: models, Points: 4, SeriesPoints: 10}
	st, err := Cache(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	x := st.Explorer
	if x == nil || len(x.Cells) != 2 || len(x.Cells[0]) != 2 || len(x.Policies) != 3 || len(x.Models) != 2 {
		t.Fatalf("explorer shape: %+v", x)
	}
	if x.Workloads[0] != "few-shot (synthetic)" || x.StartWorkload != 0 || x.StartBlockSize != 0 || x.StartModel != 0 {
		t.Errorf("pickers %v start at %d/%d/%d", x.Workloads, x.StartWorkload, x.StartBlockSize, x.StartModel)
	}
	cell := x.Cells[1][0] // rag at 512-token blocks
	src := Source{Name: "rag", Seed: 1, BlockTokens: 512}
	w, err := src.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.Prepare(w)
	if err != nil {
		t.Fatal(err)
	}
	k := 2
	for m, spec := range models {
		timer, _, err := ServingTimer(spec, lab.Hardware, model.FP16)
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Replay(sim.Config{Policy: cache.SIEVEName, CapacityBlocks: cell.Capacities[k], Timer: timer, MaxPoints: 10})
		if err != nil {
			t.Fatal(err)
		}
		run, _ := cell.Run(cache.SIEVEName)
		got := run.Points[k]
		if got.TokenHitRate != r.Summary.TokenHitRate || got.Evictions != r.Summary.Evictions {
			t.Errorf("sieve at %d blocks: grid %+v, replay %+v", cell.Capacities[k], got, r.Summary)
		}
		if want := r.Summary.MeanTTFTSavedSeconds; math.Abs(got.TTFTSaved[m]-want) > 1e-9*math.Max(1, want) || want <= 0 {
			t.Errorf("%s: TTFT saved %g in the grid, %g by a replay with its timer", spec.Name, got.TTFTSaved[m], want)
		}
		if want := r.Summary.MeanPrefillSecondsUncached; math.Abs(cell.PrefillUncached[m]-want) > 1e-9*want {
			t.Errorf("%s: uncached prefill %g in the grid, %g by the replay", spec.Name, cell.PrefillUncached[m], want)
		}
	}
	// More capacity never lowers Belady's hit rate, and no online policy beats it.
	for _, row := range x.Cells {
		for _, c := range row {
			for i, b := range c.Belady {
				if i > 0 && b.TokenHitRate+1e-12 < c.Belady[i-1].TokenHitRate {
					t.Errorf("%s/%d: Belady falls from %v to %v", c.Workload, c.BlockTokens, c.Belady[i-1].TokenHitRate, b.TokenHitRate)
				}
				for _, r := range c.Runs {
					if r.Points[i].TokenHitRate > b.TokenHitRate+1e-12 {
						t.Errorf("%s/%d: %s beats Belady at %d blocks", c.Workload, c.BlockTokens, r.Policy, c.Capacities[i])
					}
				}
			}
			if last := c.Runs[0].Points[len(c.Capacities)-1]; math.Abs(last.TokenHitRate-c.Unbounded.TokenHitRate) > 1e-12 {
				t.Errorf("%s/%d: the last capacity holds every block but reaches %v of %v", c.Workload, c.BlockTokens, last.TokenHitRate, c.Unbounded.TokenHitRate)
			}
			if len(c.Runs[0].Series[0].Request) == 0 || len(c.Runs[0].Series[0].Request) > 10 {
				t.Errorf("series of %d points", len(c.Runs[0].Series[0].Request))
			}
		}
	}
}

func TestCacheGridRefusals(t *testing.T) {
	lab, err := NewLab(DefaultPicks(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := lab.CacheSettings()
	s.Workload.Name = "few-shot"
	s.CapacityPoints, s.SeriesPoints, s.Compare = 4, 10, nil
	for _, tc := range []struct {
		grid CacheGrid
		want string
	}{
		{CacheGrid{Policies: []string{"belady"}}, "offline"},
		{CacheGrid{Policies: []string{"nope"}}, "nope"},
		{CacheGrid{BlockSizes: []int{0}}, "at least 1 token"},
		{CacheGrid{Points: 1}, "at least 2"},
	} {
		s.Grid = &tc.grid
		if _, err := Cache(context.Background(), s); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("grid %+v: error %v, want one naming %q", tc.grid, err, tc.want)
		}
	}
}

// A trace keeps its 512-token blocks: its other block sizes are cells that
// say so, and the rest of the grid is replayed.
func TestCacheGridWithATrace(t *testing.T) {
	trace := "../../../shared/traces/mooncake_synthetic_trace.jsonl"
	if _, err := os.Stat(trace); err != nil {
		t.Skipf("no Mooncake trace at %s", trace)
	}
	lab, err := NewLab(DefaultPicks(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := lab.CacheSettings()
	s.Workload = Source{Trace: trace}
	s.CapacityPoints, s.SeriesPoints, s.Compare = 4, 10, nil
	s.Grid = &CacheGrid{Workloads: []Source{{Name: "few-shot", Seed: 1}, {Trace: trace}}, BlockSizes: []int{128, 512}, Points: 4, SeriesPoints: 10}
	st, err := Cache(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	x := st.Explorer
	if x.StartWorkload != 1 || x.StartBlockSize != 1 || x.Workloads[1] != "mooncake_synthetic_trace.jsonl (trace)" {
		t.Errorf("pickers %v start at workload %d, block size %d", x.Workloads, x.StartWorkload, x.StartBlockSize)
	}
	if c := x.Cells[1][0]; !strings.Contains(c.Error, "512") || len(c.Runs) != 0 {
		t.Errorf("the trace at 128-token blocks: %+v", c.Error)
	}
	if c := x.Cells[1][1]; c.Error != "" || c.Unbounded.TokenHitRate <= 0 {
		t.Errorf("the trace at 512-token blocks: %q, hit rate %v", c.Error, c.Unbounded.TokenHitRate)
	}
}
