package study

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
)

func smallLatency(t *testing.T) LatencySettings {
	t.Helper()
	return LatencySettings{Workload: Source{Name: "few-shot", Seed: 3}, Model: specs(t, "llama3-8b")[0], Hardware: hardware(t, "h100-sxm")[0], Requests: 300, Points: 20}
}

// One run per capacity and scheduler, in Run's order; each distribution
// rises to every completed request.
func TestLatencyRunsMatchTheGrid(t *testing.T) {
	st, err := Latency(ctx, smallLatency(t))
	if err != nil {
		t.Fatal(err)
	}
	node := int(st.NodeKVBytes / st.BytesPerBlock)
	if st.Stats.Requests != 300 || !slices.Equal(st.Capacities, []int{node, 4 * node, 16 * node, cache.Unbounded}) || !slices.Equal(st.Schedulers, sim.SchedulerNames()) {
		t.Fatalf("%d requests, capacities %v (node %d), schedulers %v", st.Stats.Requests, st.Capacities, node, st.Schedulers)
	}
	if len(st.Runs) != len(st.Capacities)*len(st.Schedulers) {
		t.Fatalf("%d runs", len(st.Runs))
	}
	for c, blocks := range st.Capacities {
		for s, sched := range st.Schedulers {
			run := st.Run(c, s)
			if run.CapacityBlocks != blocks || run.Scheduler != sched || run.Serving.Scheduler != sched {
				t.Errorf("run (%d, %d) is %d blocks under %s", c, s, run.CapacityBlocks, run.Scheduler)
			}
			for name, d := range map[string]CDF{"ttft": run.TTFT, "tpot": run.TPOT, "e2e": run.E2E} {
				n := len(d.Seconds)
				if n < 2 || n > 21 || len(d.Share) != n || d.Share[n-1] != 1 || !slices.IsSorted(d.Seconds) || !slices.IsSorted(d.Share) {
					t.Errorf("run (%d, %d) %s distribution %+v", c, s, name, d)
				}
			}
			if got, want := run.TTFT.Seconds[len(run.TTFT.Seconds)-1], run.Serving.P99TTFTSeconds; got < want {
				t.Errorf("run (%d, %d): largest TTFT %g below p99 %g", c, s, got, want)
			}
		}
	}
	if st.CapacityLabel(len(st.Capacities)-1) != "unbounded" || !strings.Contains(st.CapacityLabel(0), "blocks (") {
		t.Errorf("labels %q %q", st.CapacityLabel(0), st.CapacityLabel(len(st.Capacities)-1))
	}
}

func TestThinKeepsTheEnds(t *testing.T) {
	xs := make([]float64, 1001)
	for i := range xs {
		xs[i] = float64(i)
	}
	d := thin(xs, 100)
	if len(d.Seconds) > 102 || d.Seconds[0] != 0 || d.Share[0] != 1.0/1001 || d.Seconds[len(d.Seconds)-1] != 1000 || d.Share[len(d.Share)-1] != 1 {
		t.Errorf("thinned: %d points, first (%g, %g), last (%g, %g)", len(d.Seconds), d.Seconds[0], d.Share[0], d.Seconds[len(d.Seconds)-1], d.Share[len(d.Share)-1])
	}
	if d := thin(nil, 10); len(d.Seconds) != 0 {
		t.Errorf("no values: %+v", d)
	}
}

func TestLatencyRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		edit func(*LatencySettings)
		want string
	}{
		{func(s *LatencySettings) { s.Requests = -1 }, "-1 requests"},
		{func(s *LatencySettings) { s.Schedulers = []string{"fifo"} }, "scheduler \"fifo\""},
		{func(s *LatencySettings) { s.Capacities = []int{0} }, "at least 1 block"},
		{func(s *LatencySettings) { s.Points = 1 }, "at least 2"},
		{func(s *LatencySettings) { s.Model = specs(t, "llama3.1-405b")[0]; s.Hardware = hardware(t, "l4")[0] }, "fit"},
	} {
		s := smallLatency(t)
		c.edit(&s)
		if _, err := Latency(ctx, s); !errors.Is(err, ErrBadSettings) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q as a settings error, got %v", c.want, err)
		}
	}
}
