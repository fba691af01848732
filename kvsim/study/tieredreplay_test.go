package study

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"kvcache/kvsim/sim"
)

// One hbm tier, one instance: Replay's summary at that capacity, field for
// field.
func TestTieredReplayOneTierIsReplay(t *testing.T) {
	src := Source{Name: "system-prompt", Seed: 5}
	res, err := Replay(ctx, ReplaySettings{Workload: src, Tiered: TieredSettings{Tiers: "hbm:400blocks"}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Replay(ctx, ReplaySettings{Workload: src, Capacities: Capacities{Blocks: []int{400}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tiered == nil || !reflect.DeepEqual(res.Tiered.Summary, rep.Rows[0]) || res.Stats != rep.Stats || res.Rows != nil {
		t.Errorf("tiered %+v\nreplay %+v", res.Tiered, rep.Rows[0])
	}
	if _, whole := res.JSON().(ReplayResult); !whole || !strings.Contains(res.Summary(), "over 1 instances") {
		t.Errorf("a tiered replay's JSON is the whole result; summary %q", res.Summary())
	}
}

func TestTieredReplayRefusesBadSettings(t *testing.T) {
	spec, hw := specs(t, "llama3-8b")[0], hardware(t, "h100-sxm")[0]
	for _, c := range []struct {
		s    ReplaySettings
		want string
	}{
		{ReplaySettings{Tiered: TieredSettings{Instances: 4}}, "give the tiers"},
		{ReplaySettings{Tiered: TieredSettings{Shared: true}}, "give the tiers"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "dram:10blocks"}}, "must be hbm"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks", Router: "fastest"}}, "unknown router"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks", Instances: -2}}, "instances"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:20GiB"}}, "need a model"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks", Router: sim.MinTTFT}}, "needs a model and hardware"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks"}, Hardware: &hw}, "needs the model"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks", Shared: true}}, "shared store is a tier below hbm"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks,dram:10blocks", Fabric: "4xrdma200"}}, "fabric link joins"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks,dram:10blocks", Shared: true, Fabric: "warp"}}, "unknown link"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks,dram:10blocks"}, Evictions: []string{"belady"}}, "online policy"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks"}, Evictions: []string{"lru", "fifo"}}, "one eviction policy"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks"}, Evictions: []string{"mru"}}, "mru"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks"}, Capacities: Capacities{Sweep: 4}}, "the tiers set the capacities"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:100blocks"}, Timed: true, Model: &spec, Hardware: &hw}, "leave timed off"},
		{ReplaySettings{Tiered: TieredSettings{Tiers: "hbm:1MiB"}, Model: &spec}, "holds no block"},
	} {
		c.s.Workload = Source{Name: "few-shot", Seed: 1}
		if _, err := Replay(ctx, c.s); !errors.Is(err, ErrBadSettings) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: want %q as a settings error, got %v", c.s.Tiered, c.want, err)
		}
	}
}
