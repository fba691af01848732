package study

import (
	"errors"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
)

// smallTiers is a grid that runs in a fraction of a second.
func smallTiers(t *testing.T) TiersSettings {
	t.Helper()
	return TiersSettings{Workload: Source{Name: "few-shot", Seed: 2}, Model: specs(t, "llama3-8b")[0], Hardware: hardware(t, "h100-sxm")[0],
		CapacityPoints: 3, Hierarchies: []string{"", "dram:200blocks"}, Instances: []int{1, 3}}
}

// The grid has one run per combination of the pickers, in Index's order,
// and combinations that cannot differ ran once.
func TestTiersGridMatchesThePickers(t *testing.T) {
	st, err := Tiers(ctx, smallTiers(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Capacities) != 3 || len(st.Hierarchies) != 2 || len(st.Instances) != 2 || len(st.Routers) != 2 || len(st.Stores) != 2 {
		t.Fatalf("pickers: %d capacities, %v, %v, %v, %v", len(st.Capacities), st.Hierarchies, st.Instances, st.Routers, st.Stores)
	}
	if st.Routers[0] != sim.RoundRobin || st.Routers[1] != sim.CacheAware || st.Stores[0] != Private || st.Stores[1] != Shared {
		t.Errorf("default routers %v, stores %v", st.Routers, st.Stores)
	}
	if len(st.Runs) != 3*2*2*2*2 {
		t.Fatalf("%d runs for 3x2x2x2x2 combinations", len(st.Runs))
	}
	// Per capacity: one instance, 2 hierarchies (1 each); 3 instances:
	// hbm alone (2 routers), hbm + dram (2 routers x 2 stores) = 8.
	if st.Replays != 3*8 {
		t.Errorf("%d replays, want 24", st.Replays)
	}
	seen := map[int]bool{}
	for c := range st.Capacities {
		for h := range st.Hierarchies {
			for n := range st.Instances {
				for r := range st.Routers {
					for s := range st.Stores {
						seen[st.Index(c, h, n, r, s)] = true
					}
				}
			}
		}
	}
	if len(seen) != len(st.Runs) {
		t.Errorf("Index covers %d of %d runs", len(seen), len(st.Runs))
	}
	for c := range st.Capacities {
		for n := range st.Instances {
			for r := range st.Routers {
				// hbm alone has no store to share; its tiers list one tier.
				if a, b := st.Run(c, 0, n, r, 0), st.Run(c, 0, n, r, 1); a.HitRate != b.HitRate || len(a.Tiers) != 1 || a.GPUHitRate != a.HitRate {
					t.Errorf("hbm alone: private %+v, shared %+v", a, b)
				}
				// Tiers below never lose reuse that hbm found, and every run is timed.
				below := st.Run(c, 1, n, r, 0)
				if below.HitRate+1e-12 < below.GPUHitRate || len(below.Tiers) != 2 || below.Tiers[1].Medium != "dram" || !(below.TTFT.Tiered.P50 > 0) ||
					below.TTFT.Tiered.P50 > below.TTFT.NoCache.P50+1e-12 {
					t.Errorf("hbm + dram: %+v", below)
				}
			}
		}
		// One instance: nothing to route and nothing to share.
		if a, b := st.Run(c, 1, 0, 0, 0), st.Run(c, 1, 0, 1, 1); a.HitRate != b.HitRate {
			t.Errorf("one instance differs by router or store: %g vs %g", a.HitRate, b.HitRate)
		}
	}
	if !(st.Maximum.BlockHitRate >= st.Run(len(st.Capacities)-1, 0, 0, 0, 0).HitRate) || st.Maximum.CapacityBlocks != cache.Unbounded {
		t.Errorf("maximum %+v", st.Maximum)
	}
}

// One hbm tier and one instance reproduce today's replay at every slider
// capacity.
func TestTiersOneTierOneInstanceIsReplay(t *testing.T) {
	s := smallTiers(t)
	st, err := Tiers(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Workload.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := sim.Prepare(w)
	if err != nil {
		t.Fatal(err)
	}
	for c, blocks := range st.Capacities {
		r, err := p.Replay(sim.Config{Policy: LRU, CapacityBlocks: blocks, MaxPoints: 1})
		if err != nil {
			t.Fatal(err)
		}
		if run := st.Run(c, 0, 0, 0, 0); run.HitRate != r.Summary.BlockHitRate || run.Tiers[0].UsedRate != r.Summary.BlockHitRate {
			t.Errorf("%d blocks: tiered %g, replay %g", blocks, run.HitRate, r.Summary.BlockHitRate)
		}
	}
}

func TestTiersRefusesBadPickers(t *testing.T) {
	for _, c := range []struct {
		edit func(*TiersSettings)
		want string
	}{
		{func(s *TiersSettings) { s.Instances = []int{0} }, "0 instances"},
		{func(s *TiersSettings) { s.Routers = []string{"fastest"} }, "unknown router"},
		{func(s *TiersSettings) { s.Hierarchies = []string{"hbm:10blocks"} }, "fastest first"},
		{func(s *TiersSettings) { s.Hierarchies = []string{"dram:lots"} }, "capacity"},
		{func(s *TiersSettings) { s.Routers = []string{} }, "at least one choice"},
	} {
		s := smallTiers(t)
		c.edit(&s)
		if _, err := Tiers(ctx, s); !errors.Is(err, ErrBadSettings) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q as a settings error, got %v", c.want, err)
		}
	}
}

func TestLabTiersSettingsArePickers(t *testing.T) {
	s := tinyLab(t).TiersSettings()
	if s.CapacityPoints != DefaultSizes().TierPoints || len(s.Hierarchies) != 3 || len(s.Instances) != 4 || len(s.Routers) != 2 || s.Model.Name != "llama3-70b" {
		t.Errorf("lab tiers settings %+v", s)
	}
	for _, h := range s.Hierarchies {
		if _, err := hierarchy(16, h); err != nil {
			t.Error(err)
		}
	}
	if HierarchyLabel("") != "hbm only" || HierarchyLabel("dram:256GiB,ssd:2TiB") != "hbm + dram:256GiB + ssd:2TiB" {
		t.Errorf("labels %q %q", HierarchyLabel(""), HierarchyLabel("dram:256GiB,ssd:2TiB"))
	}
}
