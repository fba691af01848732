package cache_test

import (
	"fmt"

	"kvcache/kvsim/cache"
)

// Two prompts share their first two blocks; the second request finds them.
func Example() {
	c, err := cache.New(cache.Config{CapacityBlocks: 4, BlockTokens: 16}, cache.NewLRU())
	if err != nil {
		panic(err)
	}
	first := []cache.BlockHash{10, 11, 12}
	second := []cache.BlockHash{10, 11, 20}
	for _, req := range [][]cache.BlockHash{first, second} {
		fmt.Printf("cached prefix %d of %d blocks\n", c.CachedPrefix(req), len(req))
		for _, h := range req {
			if _, err := c.Access(h); err != nil {
				panic(err)
			}
		}
	}
	s := c.Stats()
	fmt.Printf("resident %d, hits %d, misses %d, evictions %d\n", c.Len(), s.Hits, s.Misses, s.Evictions)
	// Output:
	// cached prefix 0 of 3 blocks
	// cached prefix 2 of 3 blocks
	// resident 4, hits 2, misses 4, evictions 0
}

// The slider: shrinking a live cache evicts the least recently used blocks.
func ExampleCache_Resize() {
	c, _ := cache.New(cache.Config{CapacityBlocks: 8, BlockTokens: 16}, cache.NewLRU())
	for h := cache.BlockHash(1); h <= 8; h++ {
		c.Access(h)
	}
	evicted, err := c.Resize(5)
	fmt.Println(evicted, err, c.Contains(1), c.Contains(8))
	_, err = c.Resize(0)
	fmt.Println(err)
	// Output:
	// 3 <nil> false true
	// cache: capacity 0 blocks: must be at least 1 (or Unbounded)
}
