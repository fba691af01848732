package cache

// S3FIFO (Yang et al., SOSP '23, "FIFO queues are all you need for cache
// eviction") keeps three FIFO queues: small S (10% of the capacity), main M
// (the rest) and a ghost G of recently evicted hashes (as many as M holds).
//
//	insert:  h in G -> front of M, else front of S; uses = 0
//	hit:     uses = min(uses+1, 3)
//	evict:   if |S| >= capacity/10: take the back of S:
//	             used (uses >= 1) or pinned -> move to M (uses = 0)
//	             else evict it and remember its hash in G
//	         else take the back of M:
//	             used or pinned -> back to the front of M, uses - 1
//	             else evict it
//
// Blocks seen once leave quickly through S; blocks used again settle in M,
// which behaves like CLOCK with a 2-bit counter.
type S3FIFO struct {
	pool        *BlockPool
	small, main slotList
	uses        []uint8 // by slot, 0..3
	smallTarget int
	ghost       ghostQueue
}

// NewS3FIFO returns an empty S3-FIFO policy.
func NewS3FIFO() *S3FIFO {
	return &S3FIFO{small: newSlotList(), main: newSlotList(), ghost: ghostQueue{in: newTable[uint64](0)}}
}

// Name is "s3fifo".
func (p *S3FIFO) Name() string { return S3FIFOName }

// Attach binds the policy to the pool it reads and sizes the queues; a
// policy serves one cache.
func (p *S3FIFO) Attach(pool *BlockPool) error {
	if err := attach(&p.pool, pool, p.Name()); err != nil {
		return err
	}
	p.Resized(pool.Capacity())
	return nil
}

// Hit counts a use, saturating at 3.
func (p *S3FIFO) Hit(s Slot) {
	if p.uses[s] < 3 {
		p.uses[s]++
	}
}

// Inserted queues s in M if its hash is a ghost, else in S.
func (p *S3FIFO) Inserted(s Slot) {
	for len(p.uses) <= int(s) {
		p.uses = append(p.uses, 0)
	}
	p.uses[s] = 0
	if p.ghost.take(p.pool.Hash(s)) {
		p.main.pushFront(s)
	} else {
		p.small.pushFront(s)
	}
}

// Removed forgets s.
func (p *S3FIFO) Removed(s Slot) {
	if p.small.contains(s) {
		p.small.remove(s)
	} else {
		p.main.remove(s)
	}
}

// Victim runs the S3-FIFO eviction until one block is chosen.
func (p *S3FIFO) Victim() (Slot, bool) {
	if p.pool.Evictable() == 0 {
		return noSlot, false
	}
	// The search ends: M is rotated only while S is under its target, and
	// once M has turned 4 times its length without a victim (every block
	// pinned or used; each turn spends a use) S is drained into M instead, a
	// block per step, and never refilled; after that, four passes over M
	// find an unpinned block with no uses left. The guard is a safety net.
	mainTurns := 0 // rotations of M in this search
	for guard := 16 * (p.small.n + p.main.n + 1); guard > 0; guard-- {
		// M full of pinned or used blocks: let S give a victim instead.
		mainStuck := mainTurns > 4*p.main.n
		if p.small.n > 0 && (p.small.n >= p.smallTarget || p.main.n == 0 || mainStuck) {
			t := p.small.back
			if p.pool.IsPinned(t) || p.uses[t] >= 1 {
				p.small.remove(t)
				p.main.pushFront(t)
				p.uses[t] = 0
				continue
			}
			p.ghost.add(p.pool.Hash(t))
			return t, true
		}
		if p.main.n == 0 {
			break
		}
		t := p.main.back
		if p.pool.IsPinned(t) || p.uses[t] > 0 {
			p.main.moveToFront(t)
			if p.uses[t] > 0 {
				p.uses[t]--
			}
			mainTurns++
			continue
		}
		return t, true
	}
	return noSlot, false
}

// Resized sets |S| to 10% of the capacity (at least 1) and G to the rest.
func (p *S3FIFO) Resized(capacity int) {
	if capacity == Unbounded {
		p.smallTarget = 0
		p.ghost.resize(0)
		return
	}
	p.smallTarget = max(1, capacity/10)
	p.ghost.resize(max(1, capacity-p.smallTarget))
}

// ghostQueue remembers the last n evicted hashes, FIFO.
type ghostQueue struct {
	ring []ghostEntry
	next int // ring index of the next write
	seq  uint64
	in   table[uint64] // hash -> seq of its live ring entry
}

type ghostEntry struct {
	hash BlockHash
	seq  uint64
}

func (g *ghostQueue) add(h BlockHash) {
	if len(g.ring) == 0 {
		return
	}
	old := g.ring[g.next]
	if old.seq != 0 && g.live(old) {
		g.in.delete(old.hash)
	}
	g.seq++
	g.ring[g.next] = ghostEntry{h, g.seq}
	g.in.set(h, g.seq)
	g.next = (g.next + 1) % len(g.ring)
}

// take reports whether h is a ghost and forgets it.
func (g *ghostQueue) take(h BlockHash) bool { return g.in.delete(h) }

// live reports whether ring entry e is still h's current ghost.
func (g *ghostQueue) live(e ghostEntry) bool {
	seq, ok := g.in.get(e.hash)
	return ok && seq == e.seq
}

// resize keeps the newest min(n, len) entries.
func (g *ghostQueue) resize(n int) {
	if n == len(g.ring) {
		return
	}
	var keep []ghostEntry
	for i := 0; i < len(g.ring); i++ { // oldest first
		e := g.ring[(g.next+i)%len(g.ring)]
		if e.seq != 0 && g.live(e) {
			keep = append(keep, e)
		}
	}
	if len(keep) > n {
		for _, e := range keep[:len(keep)-n] {
			g.in.delete(e.hash)
		}
		keep = keep[len(keep)-n:]
	}
	g.ring = make([]ghostEntry, n)
	copy(g.ring, keep)
	g.next = 0
	if n > 0 {
		g.next = len(keep) % n
	}
}
