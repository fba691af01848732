package cache

import "testing"

// A full cache whose blocks are all pinned but the newest one: S-3-FIFO
// must still find that one. Its search once rotated M four times its length
// after every pinned block it moved out of S, and gave up before reaching it
// (seen in the timed replay, where running requests pin their blocks).
func TestS3FIFOFindsTheOnlyUnpinnedBlock(t *testing.T) {
	const capacity = 100
	c, err := New(Config{CapacityBlocks: capacity, BlockTokens: 16}, NewS3FIFO())
	if err != nil {
		t.Fatal(err)
	}
	for h := BlockHash(1); h <= capacity; h++ {
		if _, err := c.Access(h); err != nil {
			t.Fatal(err)
		}
		if h < capacity {
			if err := c.Pin(h); err != nil {
				t.Fatal(err)
			}
		}
	}
	out, err := c.Access(capacity + 1)
	if err != nil {
		t.Fatalf("one evictable block among %d: %v", capacity, err)
	}
	if out.Evicted != 1 || c.Contains(capacity) || !c.Contains(capacity+1) {
		t.Errorf("evicted %d; the unpinned block %d still resident: %v", out.Evicted, capacity, c.Contains(capacity))
	}
}
