package decoder

import (
	"fmt"
	"strings"
)

// Policy says what a bounded cache does about positions it no longer holds.
type Policy string

// Policies of a bounded cache.
const (
	// Recompute is exact: the oldest positions are evicted first, and a
	// step that needs them recomputes their K/V (a forward pass over the
	// evicted prefix, run in lockstep with the new token), timed apart.
	Recompute Policy = "recompute"
	// Window is StreamingLLM's sliding window with attention sinks: the
	// first Sinks positions and the most recent ones are kept, the rest are
	// dropped and never attended to again. Approximate.
	Window Policy = "window"
)

// DefaultSinks is the number of attention-sink tokens a window keeps when
// CacheConfig.Sinks is 0 (StreamingLLM uses 4).
const DefaultSinks = 4

// ParsePolicy reads a policy name.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(strings.ToLower(strings.TrimSpace(s))); p {
	case Recompute, Window:
		return p, nil
	}
	return "", fmt.Errorf("decoder: unknown cache policy %q: use recompute (exact) or window (sliding window with attention sinks)", s)
}

// CacheConfig chooses how a session keeps K/V.
type CacheConfig struct {
	Enabled  bool   // false: no cache, every step reruns the whole prefix
	Capacity int    // tokens the cache holds; 0: every position of the session
	Policy   Policy // what happens beyond Capacity (needed when Capacity > 0)
	Sinks    int    // Window only: first positions always kept; 0: DefaultSinks
}

// check validates the configuration for a session of maxTokens positions
// and returns the capacity and sink count to build.
func (c CacheConfig) check(maxTokens int) (capacity, sinks int, err error) {
	if !c.Enabled {
		return 0, 0, nil
	}
	if c.Capacity < 0 {
		return 0, 0, fmt.Errorf("decoder: cache capacity %d tokens: it must be positive (or 0 for a cache that holds every position)", c.Capacity)
	}
	if c.Capacity == 0 || c.Capacity >= maxTokens {
		return maxTokens, 0, nil // a full cache: nothing is ever evicted
	}
	switch c.Policy {
	case Recompute:
		return c.Capacity, 0, nil
	case Window:
		sinks = c.Sinks
		if sinks == 0 {
			sinks = DefaultSinks
		}
		if sinks < 0 || sinks >= c.Capacity {
			return 0, 0, fmt.Errorf("decoder: %d sink tokens with a cache of %d: sinks must be from 1 to capacity-1", sinks, c.Capacity)
		}
		return c.Capacity, sinks, nil
	case "":
		return 0, 0, fmt.Errorf("decoder: a cache of %d tokens (fewer than the %d the run needs) needs a policy: recompute or window", c.Capacity, maxTokens)
	}
	_, err = ParsePolicy(string(c.Policy))
	return 0, 0, err
}

// kvCache holds K and V of up to capacity positions for every layer. Slots
// [0, sinks) keep positions [0, sinks) for good; the other slots form a ring:
// position p ≥ sinks lives in slot sinks + (p - sinks) mod (capacity - sinks).
// After n positions were stored it holds [0, min(sinks, n)) and
// [ringStart, n), ringStart = min(n, max(sinks, n - (capacity - sinks))).
type kvCache struct {
	h               *shape
	capacity, sinks int
	policy          Policy
	k, v            []float32 // (layers, kv_heads, capacity, hd): a head's positions side by side
	n               int       // positions stored so far; the next one is n
}

func newKVCache(h *shape, capacity, sinks int, policy Policy) *kvCache {
	size := h.layers * capacity * h.kvDim
	return &kvCache{h: h, capacity: capacity, sinks: sinks, policy: policy,
		k: make([]float32, size), v: make([]float32, size)}
}

// allocatedBytes is the memory of K and V: capacity × KVBytesPerToken(fp32).
func (c *kvCache) allocatedBytes() int64 {
	return int64(c.capacity) * int64(c.h.layers) * c.h.kvBytesPerPosition()
}

// ringStart is the oldest non-sink position held after n stores.
func (c *kvCache) ringStart(n int) int { return min(n, max(c.sinks, n-(c.capacity-c.sinks))) }

// held is how many positions are in the cache after n stores.
func (c *kvCache) held(n int) int { return min(c.sinks, n) + n - c.ringStart(n) }

// heldBytes is the K/V memory in use: held positions × layers × 2·kvDim·4.
func (c *kvCache) heldBytes() int64 {
	return int64(c.held(c.n)) * int64(c.h.layers) * c.h.kvBytesPerPosition()
}

// missing is the range of positions before n that the cache does not hold
// (evicted or never stored): [sinks, ringStart) when not empty.
func (c *kvCache) missing() (lo, hi int) {
	return min(c.sinks, c.n), c.ringStart(c.n)
}

func (c *kvCache) slot(p int) int {
	if p < c.sinks {
		return p
	}
	return c.sinks + (p-c.sinks)%(c.capacity-c.sinks)
}

// keeps reports whether position p is still held once positions [0, n)
// have been stored; a prefill stores only those.
func (c *kvCache) keeps(p, n int) bool { return p < c.sinks || p >= c.ringStart(n) }

// store copies the K and V (kv_heads·hd each, heads side by side) of
// position p in layer l into its slot of every head.
func (c *kvCache) store(l, p int, k, v []float32) {
	hd := c.h.headDim
	for g := 0; g < c.h.kvHeads; g++ {
		off := ((l*c.h.kvHeads+g)*c.capacity + c.slot(p)) * hd
		copy(c.k[off:off+hd], k[g*hd:(g+1)*hd])
		copy(c.v[off:off+hd], v[g*hd:(g+1)*hd])
	}
}

// segments appends to segs, in position order, the held positions of layer
// l that precede c.n, as runs of consecutive slots.
func (c *kvCache) segments(segs []segment, l int) []segment {
	hd := c.h.headDim
	base := l * c.h.kvHeads * c.capacity * hd
	run := func(slot, n int) {
		if n > 0 {
			off := base + slot*hd
			segs = append(segs, segment{k: c.k[off:], v: c.v[off:], stride: hd, headStride: c.capacity * hd, n: n})
		}
	}
	run(0, min(c.sinks, c.n))
	start := c.ringStart(c.n)
	count := c.n - start
	if count <= 0 {
		return segs
	}
	first := c.slot(start)
	firstRun := min(count, c.capacity-first)
	run(first, firstRun)
	run(c.sinks, count-firstRun)
	return segs
}

// segment is a run of n consecutive positions' K/V: position j's key of K/V
// head g is k[g·headStride + j·stride : +hd], its value the same in v. In the
// cache a head's positions lie side by side (stride hd), so attention reads
// each head's keys and values as one sequential stream; in a batch they are
// rows of qkv (headStride hd, stride qkvStride).
type segment struct {
	k, v       []float32
	stride     int
	headStride int
	n          int
}
