package cache

import (
	"fmt"
	"math"
)

// never is the next-use position of a block that is not used again.
const never = math.MaxInt32

// Future is an access sequence known in advance, with the position of each
// access's next use precomputed:
//
//	next[i] = min { j > i : seq[j] = seq[i] }, or never
//
// It is read-only once built and may be shared by many Belady policies
// running in parallel.
type Future struct {
	seq  []BlockHash
	next []int32
}

// NewFuture indexes an access sequence (one entry per block access, in
// replay order). It fails beyond 2^31-2 accesses.
func NewFuture(seq []BlockHash) (*Future, error) {
	if len(seq) >= never {
		return nil, fmt.Errorf("cache: future of %d accesses: at most %d fit", len(seq), never-1)
	}
	next := make([]int32, len(seq))
	last := make(map[BlockHash]int32, len(seq)/2)
	for i := len(seq) - 1; i >= 0; i-- {
		if j, ok := last[seq[i]]; ok {
			next[i] = j
		} else {
			next[i] = never
		}
		last[seq[i]] = int32(i)
	}
	return &Future{seq: seq, next: next}, nil
}

// Len is the number of accesses.
func (f *Future) Len() int { return len(f.seq) }

// Belady is the offline optimum (Belady's MIN with bypass): on a miss with
// the pool full it compares the incoming block's next use with the furthest
// next use among resident unpinned blocks; if the incoming block is needed
// no sooner, it is not cached (bypass), else the furthest block is evicted.
// This maximises block hits over every policy that sees the same sequence
// and capacity. When prompts are accessed block by block in prompt order, a
// block's ancestors (its prefix hash chain) are always needed before it, so
// Belady never keeps a block without its prefix: its block hits are all
// prefix hits, and it bounds every policy's prefix hit rate from above.
//
// It must see exactly the sequence given to NewFuture, access by access;
// a mismatch is reported by Err (and by the Cache's next call).
type Belady struct {
	future  *Future
	pos     int
	pool    *BlockPool
	nextUse []int32 // by slot
	heap    slotHeap
	err     error
}

// NewBelady returns a Belady policy reading future.
func NewBelady(future *Future) *Belady {
	p := &Belady{future: future}
	p.heap.before = func(a, b Slot) bool {
		if p.nextUse[a] != p.nextUse[b] {
			return p.nextUse[a] > p.nextUse[b]
		}
		return a < b
	}
	return p
}

// Name is "belady".
func (p *Belady) Name() string { return BeladyName }

// Attach binds the policy to the pool it reads; a policy serves one cache.
func (p *Belady) Attach(pool *BlockPool) error { return attach(&p.pool, pool, p.Name()) }

// Err reports a replay that strayed from the future.
func (p *Belady) Err() error { return p.err }

// step consumes one access of h and returns its next use.
func (p *Belady) step(h BlockHash) int32 {
	if !p.aligned(h) {
		return never
	}
	n := p.future.next[p.pos]
	p.pos++
	return n
}

func (p *Belady) aligned(h BlockHash) bool {
	if p.err != nil {
		return false
	}
	if p.pos >= len(p.future.seq) {
		p.err = fmt.Errorf("cache: belady: access %d is past the end of its %d-access future", p.pos, len(p.future.seq))
		return false
	}
	if want := p.future.seq[p.pos]; want != h {
		p.err = fmt.Errorf("cache: belady: access %d is block %d but the future has block %d: replay exactly the sequence given to NewFuture", p.pos, h, want)
		return false
	}
	return true
}

// Hit records s's next use.
func (p *Belady) Hit(s Slot) {
	p.nextUse[s] = p.step(p.pool.Hash(s))
	p.heap.fix(s)
}

// Inserted records s's next use.
func (p *Belady) Inserted(s Slot) {
	for len(p.nextUse) <= int(s) {
		p.nextUse = append(p.nextUse, never)
	}
	p.nextUse[s] = p.step(p.pool.Hash(s))
	p.heap.push(s)
}

// Removed forgets s.
func (p *Belady) Removed(s Slot) { p.heap.remove(s) }

// Admit declines h (and consumes its access) when h is needed no sooner
// than the block that would be evicted for it.
func (p *Belady) Admit(h BlockHash) bool {
	if !p.aligned(h) {
		return true
	}
	v, ok := p.heap.topUnpinned(p.pool)
	if !ok {
		return true
	}
	if p.future.next[p.pos] >= p.nextUse[v] {
		p.pos++
		return false
	}
	return true
}

// Victim is the unpinned block needed furthest in the future.
func (p *Belady) Victim() (Slot, bool) { return p.heap.topUnpinned(p.pool) }

// Resized does nothing.
func (p *Belady) Resized(int) {}
