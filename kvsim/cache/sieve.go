package cache

// SIEVE (Zhang et al., NSDI '24) keeps one FIFO queue and a visited bit per
// block. A hit sets the bit. To evict, a hand walks from the oldest block
// toward the newest (wrapping around): a visited block loses its bit and
// stays where it is; the first unvisited block is the victim, and the hand
// rests on the next newer block. New blocks enter at the front, unvisited.
// Pinned blocks are passed over without losing their bit.
type SIEVE struct {
	pool    *BlockPool
	order   slotList // front: newest
	visited []bool   // by slot
	hand    Slot
}

// NewSIEVE returns an empty SIEVE policy.
func NewSIEVE() *SIEVE { return &SIEVE{order: newSlotList(), hand: noSlot} }

// Name is "sieve".
func (p *SIEVE) Name() string { return SIEVEName }

// Attach binds the policy to the pool it reads; a policy serves one cache.
func (p *SIEVE) Attach(pool *BlockPool) error { return attach(&p.pool, pool, p.Name()) }

// Hit marks s visited.
func (p *SIEVE) Hit(s Slot) { p.visited[s] = true }

// Inserted queues s at the front, unvisited.
func (p *SIEVE) Inserted(s Slot) {
	for len(p.visited) <= int(s) {
		p.visited = append(p.visited, false)
	}
	p.visited[s] = false
	p.order.pushFront(s)
}

// Removed forgets s, moving the hand off it first.
func (p *SIEVE) Removed(s Slot) {
	if p.hand == s {
		p.hand = p.order.newer(s)
	}
	p.order.remove(s)
}

// Victim runs the hand until it finds an unvisited, unpinned block. Every
// unpinned block is cleared within one full turn, so it ends within two.
func (p *SIEVE) Victim() (Slot, bool) {
	if p.pool.Evictable() == 0 {
		return noSlot, false
	}
	for steps := 0; steps <= 2*p.order.n+1; steps++ {
		if p.hand == noSlot {
			p.hand = p.order.back
		}
		s := p.hand
		p.hand = p.order.newer(s)
		switch {
		case p.pool.IsPinned(s):
		case p.visited[s]:
			p.visited[s] = false
		default:
			return s, true
		}
	}
	return noSlot, false
}

// Resized does nothing.
func (p *SIEVE) Resized(int) {}
