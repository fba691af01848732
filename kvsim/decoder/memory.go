package decoder

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

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

// availableMemory reads MemAvailable from /proc/meminfo (Linux). ok is
// false where it cannot be read; the check is then skipped.
func availableMemory() (bytes int64, ok bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// checkMemory refuses a run that needs more than the available memory
// (override: the caller's figure, > 0).
func checkMemory(name string, need Memory, override int64) error {
	avail, ok := override, override > 0
	if !ok {
		avail, ok = availableMemory()
	}
	if !ok || need.Total <= avail {
		return nil
	}
	return fmt.Errorf("decoder: model %s needs %s of memory in float32 (weights %s, KV cache %s, activations %s, logits %s) but only %s is available; pick a smaller model (kvsim models) or fewer tokens",
		name, units.Bytes(float64(need.Total)), units.Bytes(float64(need.Weights)), units.Bytes(float64(need.KVCache)),
		units.Bytes(float64(need.Activation)), units.Bytes(float64(need.Logits)), units.Bytes(float64(avail)))
}
