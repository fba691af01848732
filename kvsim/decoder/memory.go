package decoder

import (
	"fmt"

	"kvcache/kvsim/sysmem"
	"kvcache/kvsim/units"
)

// Memory is what a run allocates, in bytes.
type Memory struct {
	Weights    int64 `json:"weights"`     // float32 parameters
	KVCache    int64 `json:"kv_cache"`    // K/V slots of the cache (0 without one)
	Activation int64 `json:"activations"` // run state: activations, scores, RoPE table
	Logits     int64 `json:"logits"`      // logits kept for comparison
	Total      int64 `json:"total"`
}

// checkMemory refuses a run that needs more memory than this process may
// use: the caller's figure (override > 0), else sysmem's budget (the
// smallest of MemAvailable and the cgroup's limit less its usage, less a
// margin), named in the refusal. Where no figure can be read the check is
// skipped.
func checkMemory(name string, need Memory, override int64) error {
	avail, where := override, "the caller's figure"
	if override <= 0 {
		b, ok := sysmem.Available()
		if !ok {
			return nil
		}
		avail, where = b.Bytes, b.Limit+", less a "+units.Bytes(float64(b.Margin))+" margin"
	}
	if need.Total <= avail {
		return nil
	}
	return fmt.Errorf("decoder: model %s needs %s of memory in float32 (weights %s, KV cache %s, activations %s, logits %s) but only %s is available (%s); pick a smaller model (kvsim models) or fewer tokens",
		name, units.Bytes(float64(need.Total)), units.Bytes(float64(need.Weights)), units.Bytes(float64(need.KVCache)),
		units.Bytes(float64(need.Activation)), units.Bytes(float64(need.Logits)), units.Bytes(float64(max(avail, 0))), where)
}
