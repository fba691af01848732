package study

import (
	"strings"
	"testing"

	"kvcache/kvsim/sim"
)

// sharingStudy is a grid of one capacity, hbm alone or with dram, 1 or 8
// instances and two routers, whose 8-instance dram runs reuse the given
// shares (private, shared per router) of at most most.
func sharingStudy(most float64, private, shared [2]float64) *TiersStudy {
	st := &TiersStudy{Workload: "w", Model: "m", Hardware: "h", TP: 2, BytesPerBlock: 1 << 20, NodeKVBytes: 100 << 20,
		Capacities: []int{10, 100, 1000}, Hierarchies: []string{"", "dram:64GiB"}, Instances: []int{1, 8},
		Routers: []string{sim.RoundRobin, sim.CacheAware}, Stores: []string{Private, Shared}, Maximum: sim.Summary{BlockHitRate: most}}
	st.Runs = make([]TierRun, 3*2*2*2*2)
	for r := range 2 {
		st.Runs[st.Index(1, 1, 1, r, 0)] = TierRun{HitRate: private[r], GPUHitRate: 0.05}
		st.Runs[st.Index(1, 1, 1, r, 1)] = TierRun{HitRate: shared[r], GPUHitRate: 0.05}
	}
	return st
}

func TestCacheSharingFindingFollowsTheRule(t *testing.T) {
	for _, c := range []struct {
		name            string
		private, shared [2]float64
		want            string
	}{
		{"both routers win back most", [2]float64{0.30, 0.40}, [2]float64{0.70, 0.75}, Holds},
		{"round-robin wins, cache-aware has nothing to win", [2]float64{0.30, 0.79}, [2]float64{0.70, 0.80}, HoldsPartly},
		{"sharing wins too little", [2]float64{0.30, 0.40}, [2]float64{0.50, 0.45}, DoesNotHold},
		{"nothing to win anywhere", [2]float64{0.78, 0.79}, [2]float64{0.80, 0.80}, DoesNotHold},
	} {
		f := cacheSharing(Results{Tiers: sharingStudy(0.8, c.private, c.shared)})
		if f.Verdict != c.want || !strings.Contains(f.Evidence, "8 instances with 100 MiB") || !strings.Contains(f.Evidence, "80.0%") {
			t.Errorf("%s: %q, want %q: %s", c.name, f.Verdict, c.want, f.Evidence)
		}
	}
	if f := cacheSharing(Results{}); f.Verdict != NotTested {
		t.Errorf("no tiers study: %+v", f)
	}
	one := sharingStudy(0.8, [2]float64{}, [2]float64{})
	one.Instances = []int{1}
	one.Runs = one.Runs[:len(one.Runs)/2]
	if f := cacheSharing(Results{Tiers: one}); f.Verdict != NotTested || !strings.Contains(f.Evidence, "2 or more instances") {
		t.Errorf("one instance: %+v", f)
	}
}

// The finding reads the capacity nearest the node's free KV memory on a
// log scale: 100 MiB of 1 MiB blocks is 100 blocks, the middle position.
func TestNearestCapacity(t *testing.T) {
	st := sharingStudy(0.8, [2]float64{}, [2]float64{})
	if c := nearestCapacity(st); c != 1 {
		t.Errorf("nearest capacity %d", c)
	}
	st.NodeKVBytes = 40 << 20 // 40 blocks: 100 is nearer than 10 on a log scale (ln 2.5 < ln 4)
	if c := nearestCapacity(st); c != 1 {
		t.Errorf("nearest capacity to 40 blocks %d", c)
	}
	st.NodeKVBytes = 0
	if c := nearestCapacity(st); c != 1 {
		t.Errorf("unknown node memory: %d, want the middle", c)
	}
}
