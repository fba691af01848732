package sim

import (
	"fmt"

	"kvcache/kvsim/cache"
)

// DefaultMaxPoints bounds a time series, so a notebook can plot it.
const DefaultMaxPoints = 500

// Config sets up one replay.
type Config struct {
	Policy         string    // cache.PolicyNames(); "" means "lru"
	CapacityBlocks int       // >= 1, or cache.Unbounded
	BytesPerBlock  int64     // memory per block (cache.BlockBytes), 0 when unknown: bytes then stay 0
	Timer          StepTimer // optional: TTFT saved needs it
	MaxPoints      int       // series points at most; 0 means DefaultMaxPoints
}

func (c Config) normalized() (Config, error) {
	if c.Policy == "" {
		c.Policy = cache.LRUName
	}
	name, err := cache.CanonicalPolicy(c.Policy)
	if err != nil {
		return c, fmt.Errorf("sim: %w", err)
	}
	c.Policy = name
	if c.MaxPoints == 0 {
		c.MaxPoints = DefaultMaxPoints
	}
	if c.MaxPoints < 1 {
		return c, fmt.Errorf("sim: MaxPoints %d: must be >= 1 (0 means %d)", c.MaxPoints, DefaultMaxPoints)
	}
	if c.CapacityBlocks != cache.Unbounded && c.CapacityBlocks < 1 {
		return c, fmt.Errorf("sim: capacity %d blocks: must be at least 1 (or cache.Unbounded)", c.CapacityBlocks)
	}
	if c.BytesPerBlock < 0 {
		return c, fmt.Errorf("sim: %d bytes per block: must be >= 0", c.BytesPerBlock)
	}
	return c, nil
}
