package cache

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// naive is a slice-scan model of LRU, FIFO and LFU with pins, written for
// clarity: entries in insertion order, victims found by a full scan.
type naive struct {
	policy   string
	capacity int
	entries  []naiveEntry
	clock    int64
}

type naiveEntry struct {
	h        BlockHash
	inserted int64
	lastUse  int64
	uses     int64
	refs     int
}

func (n *naive) find(h BlockHash) int {
	return slices.IndexFunc(n.entries, func(e naiveEntry) bool { return e.h == h })
}

func (n *naive) access(h BlockHash) {
	n.clock++
	if i := n.find(h); i >= 0 {
		n.entries[i].lastUse = n.clock
		n.entries[i].uses++
		return
	}
	if len(n.entries) >= n.capacity {
		n.evict()
	}
	n.entries = append(n.entries, naiveEntry{h: h, inserted: n.clock, lastUse: n.clock, uses: 1})
}

func (n *naive) evict() {
	best := -1
	for i, e := range n.entries {
		if e.refs > 0 {
			continue
		}
		if best < 0 || n.worse(e, n.entries[best]) {
			best = i
		}
	}
	n.entries = slices.Delete(n.entries, best, best+1)
}

// worse reports whether a should go before b.
func (n *naive) worse(a, b naiveEntry) bool {
	switch n.policy {
	case FIFOName:
		return a.inserted < b.inserted
	case LFUName:
		if a.uses != b.uses {
			return a.uses < b.uses
		}
	}
	return a.lastUse < b.lastUse
}

// TestPoliciesMatchNaiveModels drives LRU, FIFO and LFU and their slice-scan
// models with the same random accesses, pins, unpins and resizes, and
// compares the resident sets after every step.
func TestPoliciesMatchNaiveModels(t *testing.T) {
	for _, name := range []string{LRUName, FIFOName, LFUName} {
		for seed := uint64(1); seed <= 20; seed++ {
			rng := rand.New(rand.NewPCG(seed, 7))
			capacity := 2 + rng.IntN(12)
			p, _ := NewPolicy(name, nil)
			c, _ := New(Config{CapacityBlocks: capacity, BlockTokens: 1}, p)
			ref := &naive{policy: name, capacity: capacity}
			for step := 0; step < 400; step++ {
				switch op := rng.IntN(20); {
				case op == 0 && len(ref.entries) > 0: // pin a resident block, keep one evictable
					e := &ref.entries[rng.IntN(len(ref.entries))]
					if e.refs == 0 && c.Pool().Pinned()+2 > capacity {
						continue
					}
					e.refs++
					if err := c.Pin(e.h); err != nil {
						t.Fatal(err)
					}
				case op == 1: // unpin
					for i := range ref.entries {
						if e := &ref.entries[i]; e.refs > 0 {
							e.refs--
							if err := c.Unpin(e.h); err != nil {
								t.Fatal(err)
							}
							break
						}
					}
				case op == 2: // resize, above the pins
					n := max(c.Pool().Pinned()+1, 2+rng.IntN(12))
					evicted, err := c.Resize(n)
					if err != nil {
						t.Fatal(err)
					}
					before := len(ref.entries)
					ref.capacity = n
					for len(ref.entries) > n {
						ref.evict()
					}
					if evicted != before-len(ref.entries) {
						t.Fatalf("%s seed %d: Resize evicted %d, model %d", name, seed, evicted, before-len(ref.entries))
					}
				default:
					h := BlockHash(rng.IntN(30))
					if c.Pool().Full() && c.Pool().Evictable() == 0 {
						continue
					}
					ref.access(h)
					if _, err := c.Access(h); err != nil {
						t.Fatal(err)
					}
				}
				var want []BlockHash
				for _, e := range ref.entries {
					want = append(want, e.h)
				}
				slices.Sort(want)
				got := residents(c, 30)
				if !slices.Equal(got, want) {
					t.Fatalf("%s seed %d step %d: resident %v, model %v", name, seed, step, got, want)
				}
			}
		}
	}
}

func residents(c *Cache, below BlockHash) []BlockHash {
	var out []BlockHash
	for h := BlockHash(0); h < below; h++ {
		if c.Contains(h) {
			out = append(out, h)
		}
	}
	return out
}

// zipfSequence draws n block ids with a skewed popularity, the shape of
// prefix-cache traffic.
func zipfSequence(rng *rand.Rand, n, distinct int) []BlockHash {
	z := rand.NewZipf(rng, 1.2, 2, uint64(distinct-1))
	seq := make([]BlockHash, n)
	for i := range seq {
		seq[i] = BlockHash(z.Uint64())
	}
	return seq
}

// TestInvariantsOverRandomSequences: for every policy, counters add up, the
// pool never exceeds its capacity, pinned blocks survive, an unbounded cache
// reaches the theoretical maximum, and Belady hits at least as often as any
// other policy.
func TestInvariantsOverRandomSequences(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		seq := zipfSequence(rng, 600, 40+rng.IntN(200))
		future, _ := NewFuture(seq)
		capacity := 1 + rng.IntN(60)
		distinct := map[BlockHash]bool{}
		for _, h := range seq {
			distinct[h] = true
		}
		hits := map[string]int64{}
		for _, name := range PolicyNames() {
			for _, capy := range []int{capacity, Unbounded} {
				p, _ := NewPolicy(name, future)
				c, err := New(Config{CapacityBlocks: capy, BlockTokens: 16, BytesPerBlock: 4096}, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range seq {
					if _, err := c.Access(h); err != nil {
						t.Fatal(err)
					}
					if capy != Unbounded && c.Pool().Used() > capy {
						t.Fatalf("%s: %d blocks used, capacity %d", name, c.Pool().Used(), capy)
					}
				}
				s := c.Stats()
				if s.Hits+s.Misses != s.Lookups || s.Inserts+s.Bypassed+s.Refused != s.Misses || s.EvictedBytes != 4096*s.Evictions {
					t.Fatalf("%s: counters do not add up: %+v", name, s)
				}
				if s.Lookups != int64(len(seq)) {
					t.Fatalf("%s: %d lookups for %d accesses", name, s.Lookups, len(seq))
				}
				if capy == Unbounded {
					if want := int64(len(seq) - len(distinct)); s.Hits != want || s.Evictions != 0 {
						t.Fatalf("%s unbounded: %d hits, %d evictions; want %d hits (accesses - distinct blocks), 0 evictions", name, s.Hits, s.Evictions, want)
					}
					continue
				}
				hits[name] = s.Hits
			}
		}
		for name, h := range hits {
			if h > hits[BeladyName] {
				t.Errorf("seed %d capacity %d: %s hits %d > belady %d", seed, capacity, name, h, hits[BeladyName])
			}
		}
	}
}

// TestPinnedBlocksAreNeverEvicted pins random blocks under every online
// policy while a random stream flows through a small cache.
func TestPinnedBlocksAreNeverEvicted(t *testing.T) {
	for _, name := range PolicyNames()[:5] {
		for seed := uint64(1); seed <= 20; seed++ {
			rng := rand.New(rand.NewPCG(seed, 3))
			capacity := 3 + rng.IntN(20)
			p, _ := NewPolicy(name, nil)
			c, _ := New(Config{CapacityBlocks: capacity, BlockTokens: 1}, p)
			pins := map[BlockHash]int{}
			for step := 0; step < 2000; step++ {
				h := BlockHash(rng.IntN(80))
				out, err := c.Access(h)
				if errors.Is(err, ErrPinnedFull) {
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if out.Inserted || out.Hit {
					if rng.IntN(4) == 0 && c.Pool().Pinned() < capacity-1 {
						c.Pin(h)
						pins[h]++
					}
				}
				if rng.IntN(5) == 0 {
					for ph := range pins {
						c.Unpin(ph)
						if pins[ph]--; pins[ph] == 0 {
							delete(pins, ph)
						}
						break
					}
				}
				for ph := range pins {
					if !c.Contains(ph) {
						t.Fatalf("%s seed %d step %d: pinned block %d was evicted", name, seed, step, ph)
					}
				}
				if c.Pool().Used() > capacity {
					t.Fatalf("%s: used %d > capacity %d", name, c.Pool().Used(), capacity)
				}
			}
		}
	}
}

func TestPinnedFullRefusesAndResizeValidates(t *testing.T) {
	c, _ := New(Config{CapacityBlocks: 2, BlockTokens: 16}, NewLRU())
	c.Access(1)
	c.Access(2)
	c.Pin(1)
	c.Pin(2)
	if _, err := c.Access(3); !errors.Is(err, ErrPinnedFull) {
		t.Errorf("access with all pinned: %v", err)
	}
	if s := c.Stats(); s.Refused != 1 || s.Misses != 3 || s.Inserts != 2 {
		t.Errorf("refused miss not counted: %+v", s)
	}
	if _, err := c.Resize(1); err == nil || !strings.Contains(err.Error(), "pinned") {
		t.Errorf("resize below pins: %v", err)
	}
	if c.Pool().Capacity() != 2 {
		t.Errorf("failed resize changed the capacity to %d", c.Pool().Capacity())
	}
	if err := c.Unpin(3); err == nil {
		t.Error("unpin of an absent block succeeded")
	}
	if _, err := c.Reserve(1); !errors.Is(err, ErrPinnedFull) {
		t.Errorf("reserve with all pinned: %v", err)
	}
	c.Unpin(1)
	if n, err := c.Reserve(1); err != nil || n != 1 || c.Contains(1) {
		t.Errorf("reserve evicts the unpinned block: evicted %d, %v", n, err)
	}
	if err := c.Unreserve(2); err == nil {
		t.Error("unreserve of more than reserved succeeded")
	}
	for _, n := range []int{0, -2, maxCapacity + 1} {
		if _, err := c.Resize(n); err == nil {
			t.Errorf("Resize(%d) succeeded", n)
		}
	}
	if n, err := c.Resize(Unbounded); err != nil || n != 0 {
		t.Errorf("Resize(Unbounded): %d, %v", n, err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{CapacityBlocks: 0, BlockTokens: 16},
		{CapacityBlocks: -5, BlockTokens: 16},
		{CapacityBlocks: 10, BlockTokens: 0},
		{CapacityBlocks: 10, BlockTokens: 16, BytesPerBlock: -1},
	} {
		if _, err := New(cfg, NewLRU()); err == nil || !strings.HasPrefix(err.Error(), "cache: ") {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
	if _, err := New(Config{CapacityBlocks: 1, BlockTokens: 1}, nil); err == nil {
		t.Error("New with a nil policy succeeded")
	}
	for _, name := range PolicyNames() {
		f, _ := NewFuture(nil)
		p, _ := NewPolicy(name, f)
		if _, err := New(Config{CapacityBlocks: 1, BlockTokens: 1}, p); err != nil {
			t.Fatal(err)
		}
		if _, err := New(Config{CapacityBlocks: 1, BlockTokens: 1}, p); err == nil || !strings.Contains(err.Error(), "already serves") {
			t.Errorf("%s shared by two caches: %v", name, err)
		}
	}
}

func TestBlocksForBudget(t *testing.T) {
	spec, err := model.NewCatalog().Lookup("llama3-70b")
	if err != nil {
		t.Fatal(err)
	}
	n, err := BlocksForBudget(80<<30, spec, model.FP16, 16)
	if err != nil || n != 16384 {
		t.Errorf("80 GiB of llama3-70b fp16 in 16-token blocks: %d, %v; want 16384 (80 GiB / (16 x 320 KiB))", n, err)
	}
	if _, err := BlocksForBudget(1000, spec, model.FP16, 16); err == nil {
		t.Error("a budget below one block succeeded")
	}
	if _, err := BlocksForBudget(80<<30, spec, model.FP16, 0); err == nil {
		t.Error("block size 0 succeeded")
	}
	if _, err := BlocksForBudget(80<<30, spec, model.DType("fp9"), 16); err == nil {
		t.Error("unknown dtype succeeded")
	}
}

// TestBlockHasherChainsPrefixes: equal prefixes give equal hashes, one
// changed token changes its block and every later one, and a partial block
// differs from a full one.
func TestBlockHasherChainsPrefixes(t *testing.T) {
	hash := func(tokens ...uint64) []BlockHash {
		b := NewBlockHasher(2)
		for _, tok := range tokens {
			b.Add(tok)
		}
		return b.Hashes()
	}
	a := hash(1, 2, 3, 4, 5)
	b := hash(1, 2, 3, 9, 5)
	if len(a) != 3 || a[0] != b[0] || a[1] == b[1] || a[2] == b[2] {
		t.Errorf("chain: %v vs %v", a, b)
	}
	if p := hash(1, 2, 3); p[1] == hash(1, 2, 3, 0)[1] {
		t.Error("a partial block equals a full block")
	}
	// Same tokens at another position (another prefix) hash differently.
	if hash(7, 8, 7, 8)[0] == hash(7, 8, 7, 8)[1] {
		t.Error("block hash ignores its prefix")
	}
}
