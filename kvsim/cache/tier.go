package cache

import "fmt"

// Tier is one level of a KV hierarchy: a Cache living in a medium, with the
// link its blocks reach the GPU over. Blocks are immutable, so a copy in a
// lower tier stays valid while the block is used above it.
//
// Demotion: after DemoteTo(next), every block the tier's cache evicts (its
// one eviction funnel, OnEvict) is stored in next: copied if next lacks it,
// refreshed (a use, for next's policy) if next holds it already. A block
// evicted from the last tier is dropped.
//
// Origin: a tier that several instances store into can remember which
// instance placed each block (trackOrigin), so a load by another instance
// can be charged the network path. Otherwise every block's origin is the
// tier's owner.
//
// A Tier is not safe for concurrent use: instances sharing a tier are
// replayed by one goroutine.
type Tier struct {
	spec   TierSpec
	cache  *Cache
	owner  int32
	track  bool
	origin table[int32] // by hash, when tracking origins
	next   *Tier
	stats  TierStats
	err    error
}

// TierStats counts what was stored into a tier. Every Store is a copy
// (Stored) or finds the block there already (Refreshed); Dropped counts
// blocks evicted from a tier with nothing below it.
type TierStats struct {
	Stored    int64 `json:"stored_blocks"`
	Refreshed int64 `json:"refreshed_blocks"`
	Dropped   int64 `json:"dropped_blocks"`
}

// NewTier wraps c as a tier described by spec. owner is the instance the
// tier belongs to, the origin of its blocks unless trackOrigin records each
// block's own.
func NewTier(spec TierSpec, c *Cache, owner int32, trackOrigin bool) (*Tier, error) {
	if c == nil {
		return nil, fmt.Errorf("cache: tier %s has no cache", spec.Medium)
	}
	t := &Tier{spec: spec, cache: c, owner: owner, track: trackOrigin}
	if trackOrigin {
		t.origin = newTable[int32](min(c.pool.capacity, 1<<16))
	}
	c.OnEvict(t.evicted)
	return t, nil
}

// Spec is the tier's description.
func (t *Tier) Spec() TierSpec { return t.spec }

// Cache is the tier's cache, for reading (Contains, Stats, Pool).
func (t *Tier) Cache() *Cache { return t.cache }

// Stats returns the store counters so far.
func (t *Tier) Stats() TierStats { return t.stats }

// Err is the first error a demotion met (it happens inside another cache's
// eviction, which cannot return it).
func (t *Tier) Err() error { return t.err }

// DemoteTo makes blocks evicted from t go to next (nil: dropped).
func (t *Tier) DemoteTo(next *Tier) { t.next = next }

// Contains reports whether block h is resident, changing nothing.
func (t *Tier) Contains(h BlockHash) bool { return t.cache.Contains(h) }

// Origin is the instance that placed resident block h in the tier.
func (t *Tier) Origin(h BlockHash) int32 {
	if t.track {
		if o, ok := t.origin.get(h); ok {
			return o
		}
	}
	return t.owner
}

// Read uses resident block h (a load into GPU memory): the policy sees a
// hit. It fails if h is not resident.
func (t *Tier) Read(h BlockHash) error {
	if !t.cache.Contains(h) {
		return fmt.Errorf("cache: %s tier: read block %d: not resident", t.spec.Medium, h)
	}
	_, err := t.cache.Access(h)
	return err
}

// Store places a copy of block h, placed by instance origin, evicting (and
// demoting) as the policy says, and reports whether a copy was made: false
// when h was resident already (the policy counts the use) or when an
// Admitter declined it.
func (t *Tier) Store(h BlockHash, origin int32) (copied bool, err error) {
	out, err := t.cache.Access(h)
	if err != nil {
		return false, fmt.Errorf("cache: %s tier: %w", t.spec.Medium, err)
	}
	if out.Hit {
		t.stats.Refreshed++
		return false, nil
	}
	if out.Inserted {
		t.stats.Stored++
		if t.track {
			t.origin.set(h, origin)
		}
	}
	return out.Inserted, t.err
}

// evicted is the cache's OnEvict hook: demote h to the next tier.
func (t *Tier) evicted(h BlockHash) {
	origin := t.Origin(h)
	if t.track {
		t.origin.delete(h)
	}
	if t.next == nil {
		t.stats.Dropped++
		return
	}
	if _, err := t.next.Store(h, origin); err != nil && t.err == nil {
		t.err = fmt.Errorf("cache: demote block %d from %s to %s: %w", h, t.spec.Medium, t.next.spec.Medium, err)
	}
}
