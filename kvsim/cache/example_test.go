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

// A hierarchy as the CLI writes it, sized for LLaMA-3-70B at fp16 in
// 512-token blocks (160 MiB each).
func ExampleParseTiers() {
	tiers, err := cache.ParseTiers("hbm:20GiB,dram:256GiB,ssd:2TiB@nvme5")
	if err != nil {
		panic(err)
	}
	const blockBytes = 512 * 327680
	for _, t := range tiers {
		n, _ := t.CapacityBlocks(512, blockBytes)
		link := "read in place"
		if !t.Link.IsZero() {
			link = fmt.Sprintf("over %s, %.1f GB/s", t.Link.Name, t.Link.BytesPerSecond/1e9)
		}
		fmt.Printf("%-15s %6d blocks  %s\n", t, n, link)
	}
	_, err = cache.ParseTiers("dram:256GiB,hbm:20GiB")
	fmt.Println(err)
	// Output:
	// hbm:20GiB          128 blocks  read in place
	// dram:256GiB       1638 blocks  over pcie5, 63.0 GB/s
	// ssd:2TiB@nvme5   13107 blocks  over nvme5, 13.0 GB/s
	// cache: the first tier is dram: it must be hbm, the GPU memory attention reads (e.g. hbm:20GiB,dram:256GiB)
}
