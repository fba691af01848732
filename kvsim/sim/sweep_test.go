package sim

import (
	"reflect"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// A sweep equals the independent runs it is made of, whatever the number
// of workers, and Belady's curve lies on or above every other.
func TestSweepMatchesSingleRuns(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "few-shot", 9, 64, 400))
	caps := []int{300, 10, 30, 100, 30}
	one, err := p.SweepCapacity(SweepConfig{Policies: []string{"lru", "S3-FIFO", "sieve"}, Capacities: caps, Belady: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	many, err := p.SweepCapacity(SweepConfig{Policies: []string{"lru", "S3-FIFO", "sieve"}, Capacities: caps, Belady: true, Workers: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one, many) {
		t.Fatal("the sweep depends on the number of workers")
	}
	if !reflect.DeepEqual(one.Capacities, []int{10, 30, 100, 300}) || len(one.Curves) != 4 || one.Curves[1].Policy != "s3fifo" {
		t.Fatalf("capacities %v, curves %d", one.Capacities, len(one.Curves))
	}
	bel, _ := one.Curve(cache.BeladyName)
	for _, c := range one.Curves {
		for j, pt := range c.Points {
			single := mustReplay(t, p, c.Policy, one.Capacities[j])
			if pt.HitBlocks != single.HitBlocks || pt.Evictions != single.Evictions || pt.CapacityBlocks != one.Capacities[j] {
				t.Errorf("%s at %d: sweep %d hits, single run %d", c.Policy, one.Capacities[j], pt.HitBlocks, single.HitBlocks)
			}
			if pt.BlockHitRate > bel.Points[j].BlockHitRate || pt.BlockHitRate > one.Unbounded.BlockHitRate {
				t.Errorf("%s at %d: %.4f above belady %.4f or the maximum %.4f", c.Policy, one.Capacities[j], pt.BlockHitRate, bel.Points[j].BlockHitRate, one.Unbounded.BlockHitRate)
			}
		}
	}
	if one.Unbounded.HitBlocks != theoreticalMax(p.w) || !one.Unbounded.Unbounded {
		t.Errorf("unbounded %+v", one.Unbounded)
	}
}

func TestSweepRejectsBadInput(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "rag", 1, 64, 20))
	for _, tc := range []struct {
		cfg SweepConfig
		msg string
	}{
		{SweepConfig{}, "no capacities"},
		{SweepConfig{Capacities: []int{10, 0}}, "capacity 0"},
		{SweepConfig{Capacities: []int{10}, Policies: []string{"lru", "clock"}}, `unknown policy "clock"`},
	} {
		if _, err := p.SweepCapacity(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v", tc.cfg, err)
		}
	}
	if _, err := LogCapacities(0, 10, 5); err == nil {
		t.Error("LogCapacities(0, ...) succeeded")
	}
	if c, _ := LogCapacities(100, 100000, 4); !reflect.DeepEqual(c, []int{100, 1000, 10000, 100000}) {
		t.Errorf("LogCapacities(100, 100000, 4) = %v", c)
	}
}

// Block-size sweep: 1-token blocks reach the token-granular ideal; larger
// blocks never beat it, and waste matches the formula.
func TestSweepBlockSize(t *testing.T) {
	w := smallWorkload(t, "rag", 2, 512, 150)
	pts, err := SweepBlockSize(w, BlockSizeConfig{Sizes: []int{1, 16, 512, 2048}, BudgetTokens: 20000})
	if err != nil {
		t.Fatal(err)
	}
	var prompt int64
	for _, r := range w.Requests {
		prompt += int64(r.InputTokens)
	}
	if pts[0].TokenHitRate != pts[0].IdealTokenHitRate || pts[0].LastBlockWaste != 0 {
		t.Errorf("1-token blocks: hit %.6f, ideal %.6f, waste %g", pts[0].TokenHitRate, pts[0].IdealTokenHitRate, pts[0].LastBlockWaste)
	}
	for i, pt := range pts {
		var alloc int64
		for _, r := range w.Requests {
			alloc += int64(workload.BlocksFor(r.InputTokens, pt.BlockTokens) * pt.BlockTokens)
		}
		if pt.AllocatedTokens != alloc || pt.WastedTokens != alloc-prompt || pt.TokenHitRate > pt.IdealTokenHitRate+1e-12 || pt.ReuseLost < -1e-12 {
			t.Errorf("B=%d: %+v (allocated should be %d)", pt.BlockTokens, pt, alloc)
		}
		if i > 0 && pt.TokenHitRate > pts[i-1].TokenHitRate {
			t.Errorf("B=%d keeps more than B=%d", pt.BlockTokens, pts[i-1].BlockTokens)
		}
		if pt.BudgetBlocks != 20000/pt.BlockTokens {
			t.Errorf("B=%d: budget %d blocks", pt.BlockTokens, pt.BudgetBlocks)
		}
	}
	// The 300-token system prompt is shorter than a 512-token block: with
	// 16-token blocks it is reused, so they keep more.
	if pts[1].TokenHitRate <= pts[2].TokenHitRate {
		t.Errorf("16-token blocks keep %.4f, 512-token %.4f", pts[1].TokenHitRate, pts[2].TokenHitRate)
	}
	trace := workload.Workload{Name: "t", BlockTokens: 512, Requests: []workload.Request{{InputTokens: 1, Blocks: []cache.BlockHash{1}}}}
	if _, err := SweepBlockSize(trace, BlockSizeConfig{Sizes: []int{16}}); err == nil || !strings.Contains(err.Error(), "no token content") {
		t.Errorf("trace block sweep: %v", err)
	}
	if _, err := SweepBlockSize(w, BlockSizeConfig{Sizes: []int{0}}); err == nil {
		t.Error("block size 0 accepted")
	}
}
