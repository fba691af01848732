package cache

// LFU evicts the unpinned block used least often since it was inserted; ties
// go to the least recently used. Counts start at 1 on insertion and are
// forgotten on eviction (in-cache LFU, no aging). O(log n) per access.
type LFU struct {
	pool  *BlockPool
	uses  []int64 // by slot
	stamp []int64 // by slot: logical time of the last use
	clock int64
	heap  slotHeap
}

// NewLFU returns an empty LFU policy.
func NewLFU() *LFU {
	p := &LFU{}
	p.heap.before = func(a, b Slot) bool {
		if p.uses[a] != p.uses[b] {
			return p.uses[a] < p.uses[b]
		}
		return p.stamp[a] < p.stamp[b]
	}
	return p
}

// Name is "lfu".
func (p *LFU) Name() string { return LFUName }

// Attach binds the policy to the pool it reads; a policy serves one cache.
func (p *LFU) Attach(pool *BlockPool) error { return attach(&p.pool, pool, p.Name()) }

// Hit counts one more use of s.
func (p *LFU) Hit(s Slot) {
	p.clock++
	p.uses[s]++
	p.stamp[s] = p.clock
	p.heap.fix(s)
}

// Inserted starts s at one use.
func (p *LFU) Inserted(s Slot) {
	for len(p.uses) <= int(s) {
		p.uses = append(p.uses, 0)
		p.stamp = append(p.stamp, 0)
	}
	p.clock++
	p.uses[s], p.stamp[s] = 1, p.clock
	p.heap.push(s)
}

// Removed forgets s and its count.
func (p *LFU) Removed(s Slot) { p.heap.remove(s) }

// Victim is the least often used unpinned slot.
func (p *LFU) Victim() (Slot, bool) { return p.heap.topUnpinned(p.pool) }

// Resized does nothing.
func (p *LFU) Resized(int) {}
