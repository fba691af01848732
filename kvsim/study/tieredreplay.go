package study

import (
	"context"
	"fmt"
	"strings"
	"time"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
)

// TieredSettings turn kvsim replay into one replay over cache tiers and
// serving instances (sim.ReplayTiered, kvsim replay --tiers). The zero
// value asks for none.
type TieredSettings struct {
	Tiers        string // each instance's tiers, hbm first, as cache.ParseTiers reads them: hbm:20GiB,dram:256GiB,ssd:2TiB
	Instances    int    // data-parallel serving instances; 0: 1
	Router       string // sim.RouterNames; "": round-robin
	Shared       bool   // the tiers below hbm are one store for all instances
	WriteThrough bool   // store every block placed in hbm in the second tier at once
	Fabric       string // shared store: the link between instances (cache.LinkNames); "": one host
}

// asked says whether any tiered setting is set.
func (t TieredSettings) asked() bool {
	return t != TieredSettings{} && t != TieredSettings{Instances: 1}
}

// tieredReplay is Replay over tiers and instances: one run, whose
// Summary is Replay's at that capacity with one hbm tier and one instance.
func tieredReplay(ctx context.Context, s ReplaySettings, evictions []string, start time.Time) (ReplayResult, error) {
	t := s.Tiered
	if strings.TrimSpace(t.Tiers) == "" {
		return ReplayResult{}, badSettings("instances, a router, a shared store and write-through apply to a replay over tiers: give the tiers, hbm first (e.g. hbm:4000blocks,dram:256GiB)")
	}
	tiers, err := cache.ParseTiers(t.Tiers)
	if err != nil {
		return ReplayResult{}, badSettings("%v", err)
	}
	router, err := sim.CanonicalRouter(t.Router)
	if err != nil {
		return ReplayResult{}, badSettings("%v", err)
	}
	instances := orDefault(t.Instances, 1)
	c := s.Capacities
	switch {
	case s.Timed:
		return ReplayResult{}, badSettings("a replay over tiers times prefills in a queue per instance (with a model and hardware), not as the timed replay: leave timed off")
	case len(c.Blocks) > 0 || len(c.Bytes) > 0 || c.Sweep != 0 || c.Unbounded:
		return ReplayResult{}, badSettings("the tiers set the capacities, hbm first: give no other capacity")
	case len(evictions) != 1:
		return ReplayResult{}, badSettings("a replay over tiers takes one eviction policy, used in every tier (got %s)", strings.Join(evictions, ", "))
	case cache.IsOffline(evictions[0]) && (instances > 1 || len(tiers) > 1):
		return ReplayResult{}, badSettings("%s needs the future access sequence, known only for the GPU tier of one instance: use an online policy (lru, s3fifo, ...)", evictions[0])
	case instances < 1 || instances > sim.MaxInstances:
		return ReplayResult{}, badSettings("%d instances: give 1 to %d", instances, sim.MaxInstances)
	case s.Model == nil && sizedInBytes(tiers):
		return ReplayResult{}, badSettings("tiers sized in bytes need a model to know the bytes per block; size them in blocks or tokens (hbm:4000blocks) instead")
	case s.Hardware == nil && (router == sim.LeastLoaded || router == sim.MinTTFT):
		return ReplayResult{}, badSettings("router %s weighs the prefill seconds queued on each instance: it needs a model and hardware to time them", router)
	case t.Shared && len(tiers) < 2:
		return ReplayResult{}, badSettings("a shared store is a tier below hbm: give one (e.g. %s,dram:256GiB)", tiers[0])
	case t.WriteThrough && len(tiers) < 2:
		return ReplayResult{}, badSettings("write-through stores blocks in the tier below hbm: give one (e.g. %s,dram:256GiB)", tiers[0])
	case t.Fabric != "" && !t.Shared:
		return ReplayResult{}, badSettings("a fabric link joins the instances to a shared store: share a tier below hbm")
	}
	var fabric cache.Link
	if t.Fabric != "" {
		if fabric, err = cache.LookupLink(t.Fabric); err != nil {
			return ReplayResult{}, badSettings("%v", err)
		}
	}
	w, res, dtype, err := s.load()
	if err != nil {
		return ReplayResult{}, err
	}
	for _, t := range tiers {
		if _, err := t.CapacityBlocks(w.BlockTokens, res.BytesPerBlock); err != nil {
			return ReplayResult{}, badSettings("%v", err)
		}
	}
	if err := checkVisits(w, res.Stats.PromptBlocks, 1); err != nil {
		return ReplayResult{}, err
	}
	timer, err := s.timer(dtype, &res)
	if err != nil {
		return ReplayResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return ReplayResult{}, err
	}
	r, err := sim.ReplayTiered(w, sim.TieredConfig{Tiers: tiers, Instances: instances, Shared: t.Shared, Router: router, Policy: evictions[0],
		BytesPerBlock: res.BytesPerBlock, Timer: timer, WriteThrough: t.WriteThrough, Fabric: fabric, Seed: s.Workload.Seed})
	if err != nil {
		return ReplayResult{}, fmt.Errorf("study: %w", err)
	}
	res.Tiered = &r
	res.Provenance = stamp(start)
	return res, nil
}

func sizedInBytes(tiers []cache.TierSpec) bool {
	for _, t := range tiers {
		if t.Bytes > 0 {
			return true
		}
	}
	return false
}
