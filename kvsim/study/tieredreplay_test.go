package study

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
)

// One hbm tier, one instance: Replay's summary, field for field.
func TestTieredReplayOneTierIsReplay(t *testing.T) {
	src := Source{Name: "system-prompt", Seed: 5}
	tiers, err := cache.ParseTiers("hbm:400blocks")
	if err != nil {
		t.Fatal(err)
	}
	res, err := TieredReplay(ctx, TieredReplaySettings{Workload: src, Tiers: tiers})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Replay(ctx, ReplaySettings{Workload: src, Capacities: Capacities{Blocks: []int{400}}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Tiered.Summary, rep.Rows[0]) || res.Stats != rep.Stats {
		t.Errorf("tiered %+v\nreplay %+v", res.Tiered.Summary, rep.Rows[0])
	}
}

func TestTieredReplayRefusesBadSettings(t *testing.T) {
	hbm, _ := cache.ParseTiers("hbm:100blocks")
	two, _ := cache.ParseTiers("hbm:100blocks,dram:100blocks")
	bytes, _ := cache.ParseTiers("hbm:20GiB")
	spec, hw := specs(t, "llama3-8b")[0], hardware(t, "h100-sxm")[0]
	for _, c := range []struct {
		s    TieredReplaySettings
		want string
	}{
		{TieredReplaySettings{}, "no tiers"},
		{TieredReplaySettings{Tiers: hbm, Router: "fastest"}, "unknown router"},
		{TieredReplaySettings{Tiers: hbm, Instances: -2}, "instances"},
		{TieredReplaySettings{Tiers: bytes}, "need a model"},
		{TieredReplaySettings{Tiers: hbm, Router: sim.MinTTFT}, "needs a model and hardware"},
		{TieredReplaySettings{Tiers: hbm, Hardware: &hw}, "needs the model"},
		{TieredReplaySettings{Tiers: hbm, Shared: true}, "shared store is a tier below hbm"},
		{TieredReplaySettings{Tiers: two, Fabric: "4xrdma200"}, "fabric link joins"},
		{TieredReplaySettings{Tiers: two, Shared: true, Fabric: "warp"}, "unknown link"},
		{TieredReplaySettings{Tiers: two, Eviction: "belady"}, "online policy"},
		{TieredReplaySettings{Tiers: two, Eviction: "mru"}, "mru"},
		{TieredReplaySettings{Tiers: []cache.TierSpec{{Medium: cache.HBM, Bytes: 1 << 20}}, Model: &spec}, "holds no block"},
	} {
		c.s.Workload = Source{Name: "few-shot", Seed: 1}
		if _, err := TieredReplay(ctx, c.s); !errors.Is(err, ErrBadSettings) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: want %q as a settings error, got %v", c.s, c.want, err)
		}
	}
}
