package study

import (
	"context"
	"fmt"
	"time"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// TieredReplaySettings set up kvsim replay --tiers: one replay over cache
// tiers and serving instances (sim.ReplayTiered).
type TieredReplaySettings struct {
	Workload     Source
	Tiers        []cache.TierSpec // each instance's tiers, hbm first (cache.ParseTiers)
	Instances    int              // 0: 1
	Router       string           // sim.RouterNames; "": round-robin
	Shared       bool             // the tiers below hbm are one store for all instances
	WriteThrough bool             // store every block placed in hbm in the second tier at once
	Fabric       string           // shared store: the link between instances (cache.LinkNames); "": one host
	Eviction     string           // every tier's policy; "": lru
	Model        *model.Spec      // sizes the blocks in bytes; needed for tiers sized in bytes
	KVDType      model.DType      // "": fp16
	Hardware     *cost.Hardware   // times Model's prefills on Devices(Model) of it: load or recompute, TTFT; needs Model
}

// TieredReplayResult is the replay with what it ran on.
type TieredReplayResult struct {
	Workload      string           `json:"workload"`
	Stats         workload.Stats   `json:"stats"`
	Notes         []string         `json:"notes,omitempty"`
	BytesPerBlock int64            `json:"bytes_per_block"` // 0 without a model
	Hardware      string           `json:"hardware,omitempty"`
	TP            int              `json:"tp,omitempty"` // devices per instance the prefills are timed on
	Tiered        sim.TieredResult `json:"tiered"`
	Provenance    `json:"provenance"`
}

// Study names the result: data/tiered-replay.json.
func (TieredReplayResult) Study() string { return "tiered-replay" }

// Summary says what was replayed.
func (r TieredReplayResult) Summary() string {
	return fmt.Sprintf("replayed %s (%d requests) over %d instances in %.1f s", r.Workload, r.Stats.Requests, r.Tiered.Instances, r.Took)
}

// TieredReplay runs one tiered, multi-instance replay. With one hbm tier
// and one instance its Summary is Replay's at that capacity.
func TieredReplay(ctx context.Context, s TieredReplaySettings) (TieredReplayResult, error) {
	start := time.Now()
	if err := cache.ValidateTiers(s.Tiers); err != nil {
		return TieredReplayResult{}, badSettings("%v", err)
	}
	router, err := sim.CanonicalRouter(s.Router)
	if err != nil {
		return TieredReplayResult{}, badSettings("%v", err)
	}
	instances := orDefault(s.Instances, 1)
	policy := orDefault(s.Eviction, LRU)
	if policy, err = cache.CanonicalPolicy(policy); err != nil {
		return TieredReplayResult{}, badSettings("%v", err)
	}
	if cache.IsOffline(policy) && (instances > 1 || len(s.Tiers) > 1) {
		return TieredReplayResult{}, badSettings("%s needs the future access sequence, known only for the GPU tier of one instance: use an online policy (%s)",
			policy, "lru, s3fifo, ...")
	}
	var fabric cache.Link
	if s.Fabric != "" {
		if fabric, err = cache.LookupLink(s.Fabric); err != nil {
			return TieredReplayResult{}, badSettings("%v", err)
		}
	}
	switch {
	case instances < 1 || instances > sim.MaxInstances:
		return TieredReplayResult{}, badSettings("%d instances: give 1 to %d", instances, sim.MaxInstances)
	case s.Hardware != nil && s.Model == nil:
		return TieredReplayResult{}, badSettings("timing prefills on hardware needs the model whose prefills they are")
	case s.Model == nil && sizedInBytes(s.Tiers):
		return TieredReplayResult{}, badSettings("tiers sized in bytes need a model to know the bytes per block; size them in blocks or tokens (hbm:4000blocks) instead")
	case s.Hardware == nil && (router == sim.LeastLoaded || router == sim.MinTTFT):
		return TieredReplayResult{}, badSettings("router %s weighs the prefill seconds queued on each instance: it needs a model and hardware to time them", router)
	case s.Fabric != "" && (!s.Shared || len(s.Tiers) < 2):
		return TieredReplayResult{}, badSettings("a fabric link joins the instances to a shared store: share a tier below hbm")
	case s.WriteThrough && len(s.Tiers) < 2:
		return TieredReplayResult{}, badSettings("write-through stores blocks in the tier below hbm: give one")
	case s.Shared && len(s.Tiers) < 2:
		return TieredReplayResult{}, badSettings("a shared store is a tier below hbm: give one (e.g. hbm:20GiB,dram:256GiB)")
	}
	w, err := s.Workload.Load()
	if err != nil {
		return TieredReplayResult{}, err
	}
	res := TieredReplayResult{Workload: w.Name, Stats: w.Stats(), Notes: w.Notes}
	dtype := orDefault(s.KVDType, model.FP16)
	if s.Model != nil {
		if res.BytesPerBlock, err = cache.BlockBytes(*s.Model, dtype, w.BlockTokens); err != nil {
			return TieredReplayResult{}, fmt.Errorf("study: %w", err)
		}
	}
	for _, t := range s.Tiers {
		if _, err := t.CapacityBlocks(w.BlockTokens, res.BytesPerBlock); err != nil {
			return TieredReplayResult{}, badSettings("%v", err)
		}
	}
	var timer sim.StepTimer
	if s.Hardware != nil {
		if timer, res.TP, err = ServingTimer(*s.Model, *s.Hardware, dtype); err != nil {
			return TieredReplayResult{}, err
		}
		res.Hardware = s.Hardware.Name
	}
	if err := ctx.Err(); err != nil {
		return TieredReplayResult{}, err
	}
	res.Tiered, err = sim.ReplayTiered(w, sim.TieredConfig{Tiers: s.Tiers, Instances: instances, Shared: s.Shared, Router: router, Policy: policy,
		BytesPerBlock: res.BytesPerBlock, Timer: timer, WriteThrough: s.WriteThrough, Fabric: fabric, Seed: s.Workload.Seed})
	if err != nil {
		return TieredReplayResult{}, fmt.Errorf("study: %w", err)
	}
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
