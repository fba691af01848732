package cache

// LRU evicts the least recently used unpinned block: the one whose last Hit
// or insertion is oldest. O(1) per access; a victim search skips pinned
// blocks from the old end, O(pinned skipped).
type LRU struct {
	pool  *BlockPool
	order slotList // front: most recently used
}

// NewLRU returns an empty LRU policy.
func NewLRU() *LRU { return &LRU{order: newSlotList()} }

// Name is "lru".
func (p *LRU) Name() string { return LRUName }

// Attach binds the policy to the pool it reads; a policy serves one cache.
func (p *LRU) Attach(pool *BlockPool) error { return attach(&p.pool, pool, p.Name()) }

// Hit makes s the most recently used.
func (p *LRU) Hit(s Slot) { p.order.moveToFront(s) }

// Inserted makes s the most recently used.
func (p *LRU) Inserted(s Slot) { p.order.pushFront(s) }

// Removed forgets s.
func (p *LRU) Removed(s Slot) { p.order.remove(s) }

// Victim is the least recently used unpinned slot.
func (p *LRU) Victim() (Slot, bool) { return p.order.oldestUnpinned(p.pool) }

// Resized does nothing: LRU has no size-dependent state.
func (p *LRU) Resized(int) {}
