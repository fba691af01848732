package sim

import (
	"strings"
	"testing"
)

// The sweet spot is the first capacity at the target, no capacity before it
// reaches the target, and a target above every point is not found.
func TestSweetSpot(t *testing.T) {
	p := mustPrepare(t, smallWorkload(t, "system-prompt", 3, 64, 400))
	caps, err := LogCapacities(4, p.Workload().Stats().DistinctBlocks, 12)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := p.SweepCapacity(SweepConfig{Capacities: caps})
	if err != nil {
		t.Fatal(err)
	}
	max := sw.Unbounded.TokenHitRate
	if max <= 0 {
		t.Fatalf("workload has no reuse: %+v", sw.Unbounded)
	}
	for _, f := range []float64{0.5, 0.9, 0.95, 1} {
		i, pt, ok, err := sw.SweetSpot("lru", f)
		if err != nil || !ok {
			t.Fatalf("fraction %g: ok %v, err %v", f, ok, err)
		}
		if pt.TokenHitRate < f*max || pt.CapacityBlocks != sw.Capacities[i] {
			t.Errorf("fraction %g: point %+v below %g x %g", f, pt, f, max)
		}
		for _, before := range sw.Curves[0].Points[:i] {
			if before.TokenHitRate >= f*max {
				t.Errorf("fraction %g: capacity %d already reaches it, before %d", f, before.CapacityBlocks, pt.CapacityBlocks)
			}
		}
	}
	small, err := p.SweepCapacity(SweepConfig{Capacities: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok, err := small.SweetSpot("lru", 0.95); ok || err != nil {
		t.Errorf("a sweep that stops short: ok %v, err %v", ok, err)
	}
	for _, tc := range []struct {
		policy string
		f      float64
		msg    string
	}{{"lru", 0, "(0, 1]"}, {"lru", 1.5, "(0, 1]"}, {"s3fifo", 0.9, `no "s3fifo" curve`}} {
		if _, _, _, err := sw.SweetSpot(tc.policy, tc.f); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %g: %v", tc.policy, tc.f, err)
		}
	}
}
