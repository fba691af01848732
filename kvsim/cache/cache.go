package cache

import (
	"errors"
	"fmt"
	"math"
)

// maxCapacity is the largest finite capacity: slots are int32.
const maxCapacity = math.MaxInt32 - 1

// ErrPinnedFull is returned (wrapped) when a block must be placed but every
// block in the pool is pinned or reserved.
var ErrPinnedFull = errors.New("every block is pinned by running requests")

// Config sizes a cache.
type Config struct {
	CapacityBlocks int   // blocks the pool holds: >= 1, or Unbounded
	BlockTokens    int   // tokens per block: >= 1
	BytesPerBlock  int64 // memory per block (BlockBytes), >= 0; 0 when unknown
}

func (c Config) validate() error {
	if err := validCapacity(c.CapacityBlocks); err != nil {
		return err
	}
	if c.BlockTokens < 1 {
		return fmt.Errorf("cache: block size %d tokens: must be at least 1 (vLLM uses 16, Mooncake traces 512)", c.BlockTokens)
	}
	if c.BytesPerBlock < 0 {
		return fmt.Errorf("cache: %d bytes per block: must be 0 (unknown) or positive", c.BytesPerBlock)
	}
	return nil
}

func validCapacity(n int) error {
	if n == Unbounded {
		return nil
	}
	if n < 1 {
		return fmt.Errorf("cache: capacity %d blocks: must be at least 1 (or Unbounded)", n)
	}
	if n > maxCapacity {
		return fmt.Errorf("cache: capacity %d blocks: at most %d", n, maxCapacity)
	}
	return nil
}

// Stats counts what a cache did. Per access: Hits + Misses = Lookups, and
// every miss is inserted, bypassed (an Admitter declined it) or refused
// (every block was pinned): Misses = Inserts + Bypassed + Refused.
// EvictedBytes = Evictions x BytesPerBlock.
type Stats struct {
	Lookups      int64 `json:"lookups"`
	Hits         int64 `json:"hits"`
	Misses       int64 `json:"misses"`
	Inserts      int64 `json:"inserts"`
	Bypassed     int64 `json:"bypassed"`
	Refused      int64 `json:"refused"`
	Evictions    int64 `json:"evictions"`
	EvictedBytes int64 `json:"evicted_bytes"`
}

// Outcome says what one Access did.
type Outcome struct {
	Hit      bool // the block was resident
	Inserted bool // the block was missing and is resident now
	Evicted  int  // blocks evicted to make room
}

// Cache is a paged prefix cache: a BlockPool of slots, a PrefixIndex from
// block hash to slot, and a Policy that picks victims. Reads that change the
// policy's state (Access) are named apart from reads that do not (Contains,
// CachedPrefix, Len, Stats), so metrics never disturb eviction. Every
// removal goes through one private funnel, which counts evictions and bytes.
//
// A Cache is not safe for concurrent use: one goroutine drives it. Run
// independent caches in parallel instead (a capacity sweep does).
type Cache struct {
	pool     *BlockPool
	index    *PrefixIndex
	policy   Policy
	admitter Admitter
	checker  errorReporter
	onEvict  func(h BlockHash)
	stats    Stats
}

// New returns an empty cache. The policy must be fresh: one policy serves
// one cache.
func New(cfg Config, policy Policy) (*Cache, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if policy == nil {
		return nil, fmt.Errorf("cache: no policy: use NewPolicy(name) with one of %v", PolicyNames())
	}
	hint := cfg.CapacityBlocks
	if hint == Unbounded || hint > 1<<16 {
		hint = 1 << 16
	}
	c := &Cache{pool: newBlockPool(cfg), index: newPrefixIndex(hint), policy: policy}
	if err := policy.Attach(c.pool); err != nil {
		return nil, err
	}
	c.admitter, _ = policy.(Admitter)
	c.checker, _ = policy.(errorReporter)
	return c, nil
}

// Pool is the cache's block pool, for reading.
func (c *Cache) Pool() *BlockPool { return c.pool }

// Index is the cache's prefix index, for reading.
func (c *Cache) Index() *PrefixIndex { return c.index }

// Policy is the eviction policy.
func (c *Cache) Policy() Policy { return c.policy }

// Stats returns the counters so far.
func (c *Cache) Stats() Stats { return c.stats }

// OnEvict sets f to run for every block the cache evicts, from inside the
// eviction funnel, after the block has left (nil clears it). A tier uses it
// to demote the block to the next tier. f must not call back into this
// cache.
func (c *Cache) OnEvict(f func(h BlockHash)) { c.onEvict = f }

// Len is the number of resident blocks.
func (c *Cache) Len() int { return c.pool.resident }

// Contains reports whether block h is resident, changing nothing.
func (c *Cache) Contains(h BlockHash) bool {
	_, ok := c.index.Lookup(h)
	return ok
}

// CachedPrefix is the number of leading blocks of hashes that are resident,
// changing nothing.
func (c *Cache) CachedPrefix(hashes []BlockHash) int { return c.index.CachedPrefix(hashes) }

// Access uses block h: a hit tells the policy; a miss places h, evicting
// unpinned blocks when the pool is full (an Admitter may decline instead).
// When every block is pinned the miss is refused with ErrPinnedFull.
func (c *Cache) Access(h BlockHash) (Outcome, error) {
	c.stats.Lookups++
	if s, ok := c.index.Lookup(h); ok {
		c.stats.Hits++
		c.policy.Hit(s)
		return Outcome{Hit: true}, c.policyErr()
	}
	c.stats.Misses++
	var out Outcome
	if c.pool.Full() {
		if c.pool.Evictable() == 0 {
			c.stats.Refused++
			return out, fmt.Errorf("cache: cannot place block %d: %w (%d of %d)", h, ErrPinnedFull, c.pool.Pinned(), c.pool.capacity)
		}
		if c.admitter != nil && !c.admitter.Admit(h) {
			c.stats.Bypassed++
			return out, c.policyErr()
		}
		if err := c.evictOne(); err != nil {
			return out, err
		}
		out.Evicted = 1
	}
	s := c.pool.place(h)
	c.index.put(h, s)
	c.policy.Inserted(s)
	c.stats.Inserts++
	out.Inserted = true
	return out, c.policyErr()
}

func (c *Cache) policyErr() error {
	if c.checker == nil {
		return nil
	}
	return c.checker.Err()
}

// Pin adds a reference to resident block h: it cannot be evicted until
// Unpin. Pinning changes no policy state.
func (c *Cache) Pin(h BlockHash) error {
	s, ok := c.index.Lookup(h)
	if !ok {
		return fmt.Errorf("cache: pin block %d: not resident (Access it first)", h)
	}
	c.pool.ref(s)
	return nil
}

// Unpin drops a reference taken by Pin.
func (c *Cache) Unpin(h BlockHash) error {
	s, ok := c.index.Lookup(h)
	if !ok || c.pool.refs[s] == 0 {
		return fmt.Errorf("cache: unpin block %d: it holds no reference", h)
	}
	c.pool.unref(s)
	return nil
}

// Reserve takes n private blocks (pinned, unhashed: a running request's
// decode space), evicting unpinned blocks to make room. It changes nothing
// and fails when pinned and reserved blocks leave less than n free.
func (c *Cache) Reserve(n int) (evicted int, err error) {
	if n < 0 {
		return 0, fmt.Errorf("cache: reserve %d blocks: must be >= 0", n)
	}
	if c.pool.capacity != Unbounded && c.pool.Pinned()+n > c.pool.capacity {
		return 0, fmt.Errorf("cache: reserve %d blocks: %w (%d of %d)", n, ErrPinnedFull, c.pool.Pinned(), c.pool.capacity)
	}
	for c.pool.capacity != Unbounded && c.pool.Used()+n > c.pool.capacity {
		if err := c.evictOne(); err != nil {
			return evicted, err
		}
		evicted++
	}
	c.pool.reserved += n
	return evicted, nil
}

// Unreserve returns n private blocks.
func (c *Cache) Unreserve(n int) error {
	if n < 0 || n > c.pool.reserved {
		return fmt.Errorf("cache: unreserve %d blocks: %d are reserved", n, c.pool.reserved)
	}
	c.pool.reserved -= n
	return nil
}

// Resize changes the capacity on a live cache (the cache-size slider) and
// returns how many blocks it evicted to fit. It fails, changing nothing, for
// a capacity below 1 (other than Unbounded) or below the pinned blocks.
func (c *Cache) Resize(capacity int) (evicted int, err error) {
	if err := validCapacity(capacity); err != nil {
		return 0, err
	}
	if capacity != Unbounded && c.pool.Pinned() > capacity {
		return 0, fmt.Errorf("cache: resize to %d blocks: %d blocks are pinned by running requests", capacity, c.pool.Pinned())
	}
	c.pool.capacity = capacity
	c.policy.Resized(capacity)
	for capacity != Unbounded && c.pool.Used() > capacity {
		if err := c.evictOne(); err != nil {
			return evicted, err
		}
		evicted++
	}
	return evicted, nil
}

// evictOne asks the policy for a victim and removes it through the funnel.
func (c *Cache) evictOne() error {
	s, ok := c.policy.Victim()
	if !ok {
		return fmt.Errorf("cache: policy %s found no victim among %d evictable blocks", c.policy.Name(), c.pool.Evictable())
	}
	if !c.pool.IsResident(s) || c.pool.IsPinned(s) {
		return fmt.Errorf("cache: policy %s chose slot %d, which is not an unpinned resident block", c.policy.Name(), s)
	}
	c.evict(s)
	return nil
}

// evict is the one removal path: policy, index, pool, counters, and the
// OnEvict hook last.
func (c *Cache) evict(s Slot) {
	h := c.pool.hashes[s]
	c.policy.Removed(s)
	c.index.remove(h)
	c.pool.release(s)
	c.stats.Evictions++
	c.stats.EvictedBytes += c.pool.bytesPerBlock
	if c.onEvict != nil {
		c.onEvict(h)
	}
}
