package main

import (
	"flag"
	"fmt"
	"strings"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/report"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/study"
)

// tieredFlags are replay's flags for a replay over cache tiers and serving
// instances; study.TieredReplay checks their values.
type tieredFlags struct {
	tiers, router, fabric *string
	instances             *int
	shared, writeThrough  *bool
}

func addTieredFlags(fs *flag.FlagSet) tieredFlags {
	return tieredFlags{
		tiers: fs.String("tiers", "", "replay over cache tiers instead, hbm first: `LIST` such as hbm:20GiB,dram:256GiB,ssd:2TiB (media "+strings.Join(cache.MediumNames(), ", ")+
			"; sizes in bytes need --model, or give Nblocks, Ntokens, unbounded; @LINK picks a link: "+strings.Join(cache.LinkNames(), ", ")+")"),
		instances:    fs.Int("instances", 1, "with --tiers: `N` data-parallel serving instances, each with the tiers"),
		router:       fs.String("router", sim.RoundRobin, "with --tiers: how requests pick an instance, "+strings.Join(sim.RouterNames(), ", ")+" (least-loaded and min-ttft need --hardware)"),
		shared:       fs.Bool("shared", false, "with --tiers: the tiers below hbm are one store shared by all instances (N times each tier), not private"),
		writeThrough: fs.Bool("write-through", false, "with --tiers: store every block placed in hbm in the next tier at once, not only when hbm evicts it"),
		fabric:       fs.String("fabric", "", "with --shared: the `LINK` a block crosses from another instance's share of the store (e.g. 4xrdma200)"),
	}
}

// on says whether a tiered replay was asked for.
func (t tieredFlags) on() bool { return *t.tiers != "" }

// check refuses the tiered flags without --tiers and the flags a tiered
// replay does not take, and reads --tiers.
func (t tieredFlags) check(f *flags, evictions []string) ([]cache.TierSpec, error) {
	if f.given["tiers"] && !t.on() {
		return nil, usagef("--tiers is empty: give the tiers, hbm first, e.g. --tiers hbm:20GiB,dram:256GiB,ssd:2TiB")
	}
	if !t.on() {
		for _, name := range []string{"instances", "router", "shared", "write-through", "fabric"} {
			if f.given[name] {
				return nil, usagef("--%s applies to a replay over tiers: give --tiers, e.g. --tiers hbm:4000blocks,dram:256GiB", name)
			}
		}
		return nil, nil
	}
	for _, name := range []string{"capacity-blocks", "capacity-bytes", "sweep", "belady", "block-sizes", "timed"} {
		if f.given[name] {
			return nil, usagef("--%s does not apply with --tiers: the tiers set the capacities (hbm first), and prefills are timed in queues with --model and --hardware", name)
		}
	}
	if err := atLeast(minimum{"instances", *t.instances, 1}); err != nil {
		return nil, err
	}
	if len(evictions) != 1 {
		return nil, usagef("--tiers takes one --eviction policy, used in every tier (got %s)", strings.Join(evictions, ","))
	}
	tiers, err := cache.ParseTiers(*t.tiers)
	if err != nil {
		return nil, usagef("--tiers: %v", err)
	}
	return tiers, nil
}

// runTiered runs the tiered replay with the replay settings' workload,
// model and hardware.
func runTiered(e *env, t tieredFlags, tiers []cache.TierSpec, s study.ReplaySettings, asJSON bool) error {
	res, err := study.TieredReplay(e.context(), study.TieredReplaySettings{Workload: s.Workload, Tiers: tiers, Instances: *t.instances,
		Router: *t.router, Shared: *t.shared, WriteThrough: *t.writeThrough, Fabric: *t.fabric, Eviction: s.Evictions[0],
		Model: s.Model, KVDType: s.KVDType, Hardware: s.Hardware})
	if err != nil {
		return replayError(err)
	}
	if asJSON {
		return writeJSON(e, res)
	}
	writeWorkloadLine(e.stdout, res.Workload, res.Stats, res.Notes)
	if res.Hardware != "" {
		fmt.Fprintf(e.stdout, "prefills timed on %d× %s per instance (the fewest devices that hold one request at the model's full context)\n", res.TP, res.Hardware)
	}
	return report.WriteTiered(e.stdout, res.Tiered)
}
