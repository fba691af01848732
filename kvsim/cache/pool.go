package cache

import (
	"fmt"

	"kvcache/kvsim/model"
)

// Slot names one place in the block pool. A resident block keeps its slot
// until it is evicted; the slot is then reused.
type Slot int32

// noSlot marks the end of a list or an absent slot.
const noSlot Slot = -1

// Unbounded is the capacity of a pool that never evicts.
const Unbounded = -1

// BlockPool is the memory of a paged KV cache: up to Capacity blocks of
// BlockTokens tokens each. A slot holds either nothing or one resident block,
// named by its hash, with a reference count: a block with refs > 0 is pinned
// (a running request reads it) and is never evicted. Reserved blocks are
// private, unhashed blocks (a running request's decode space); they count
// against the capacity and are pinned by definition.
//
//	used = resident + reserved <= capacity
//	evictable = resident - pinned
//
// Policies read a pool through its exported methods; only the Cache changes
// it. A BlockPool is not safe for concurrent use.
type BlockPool struct {
	blockTokens   int
	bytesPerBlock int64
	capacity      int

	hashes []BlockHash // by slot
	refs   []int32     // by slot
	live   []bool      // by slot: the slot holds a resident block
	free   []Slot      // slots that held a block once and are empty now

	resident int
	pinned   int // resident blocks with refs > 0
	reserved int
}

func newBlockPool(cfg Config) *BlockPool {
	return &BlockPool{blockTokens: cfg.BlockTokens, bytesPerBlock: cfg.BytesPerBlock, capacity: cfg.CapacityBlocks}
}

// BlockTokens is the number of tokens one block holds.
func (p *BlockPool) BlockTokens() int { return p.blockTokens }

// BytesPerBlock is the memory one block takes (0 when unknown).
func (p *BlockPool) BytesPerBlock() int64 { return p.bytesPerBlock }

// Capacity is the most blocks the pool holds, or Unbounded.
func (p *BlockPool) Capacity() int { return p.capacity }

// Resident is the number of cached (hashed) blocks.
func (p *BlockPool) Resident() int { return p.resident }

// Reserved is the number of private blocks held by running requests.
func (p *BlockPool) Reserved() int { return p.reserved }

// Used is resident + reserved: the blocks that take memory.
func (p *BlockPool) Used() int { return p.resident + p.reserved }

// Pinned is the number of blocks that cannot be evicted: resident blocks
// with refs > 0 plus reserved blocks.
func (p *BlockPool) Pinned() int { return p.pinned + p.reserved }

// Evictable is the number of resident blocks with no references.
func (p *BlockPool) Evictable() int { return p.resident - p.pinned }

// Full reports whether one more block needs an eviction first.
func (p *BlockPool) Full() bool { return p.capacity != Unbounded && p.Used() >= p.capacity }

// Slots is one more than the largest slot ever used: the length policies
// size their per-slot arrays to.
func (p *BlockPool) Slots() int { return len(p.hashes) }

// IsResident reports whether slot s holds a block.
func (p *BlockPool) IsResident(s Slot) bool { return s >= 0 && int(s) < len(p.live) && p.live[s] }

// Hash is the hash of the block in slot s.
func (p *BlockPool) Hash(s Slot) BlockHash { return p.hashes[s] }

// Refs is the reference count of the block in slot s.
func (p *BlockPool) Refs(s Slot) int { return int(p.refs[s]) }

// IsPinned reports whether the block in slot s has references.
func (p *BlockPool) IsPinned(s Slot) bool { return p.refs[s] > 0 }

// place puts block h in a free slot. The caller has made room.
func (p *BlockPool) place(h BlockHash) Slot {
	var s Slot
	if n := len(p.free); n > 0 {
		s = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		s = Slot(len(p.hashes))
		p.hashes = append(p.hashes, 0)
		p.refs = append(p.refs, 0)
		p.live = append(p.live, false)
	}
	p.hashes[s], p.refs[s], p.live[s] = h, 0, true
	p.resident++
	return s
}

// release empties slot s, which must be resident and unpinned.
func (p *BlockPool) release(s Slot) {
	p.live[s] = false
	p.free = append(p.free, s)
	p.resident--
}

func (p *BlockPool) ref(s Slot) {
	if p.refs[s] == 0 {
		p.pinned++
	}
	p.refs[s]++
}

func (p *BlockPool) unref(s Slot) {
	p.refs[s]--
	if p.refs[s] == 0 {
		p.pinned--
	}
}

// BlockBytes is the memory of one block of blockTokens tokens of a model's
// KV cache: blockTokens x KVBytesPerToken(dtype).
func BlockBytes(spec model.Spec, dtype model.DType, blockTokens int) (int64, error) {
	if blockTokens < 1 {
		return 0, fmt.Errorf("cache: block size %d tokens: must be at least 1", blockTokens)
	}
	if dtype.Bits() == 0 {
		return 0, fmt.Errorf("cache: unknown KV dtype %q: use one of fp32, fp16, bf16, fp8, int8, int4", dtype)
	}
	perToken := spec.KVBytesPerToken(dtype)
	if perToken <= 0 {
		return 0, fmt.Errorf("cache: model %q has %d KV bytes per token: check its layers, kv_heads and head_dim", spec.Name, perToken)
	}
	return int64(blockTokens) * perToken, nil
}

// BlocksForBudget is the capacity in blocks that a memory budget buys:
//
//	floor(budgetBytes / (blockTokens x KVBytesPerToken(dtype)))
//
// It fails when the budget does not hold a single block. A sliding window
// does not change it: prefix caching keeps whole blocks.
func BlocksForBudget(budgetBytes int64, spec model.Spec, dtype model.DType, blockTokens int) (int, error) {
	per, err := BlockBytes(spec, dtype, blockTokens)
	if err != nil {
		return 0, err
	}
	if budgetBytes < per {
		return 0, fmt.Errorf("cache: budget of %d bytes holds no block of %d tokens of %s at %s (%d bytes each): give at least %d bytes",
			budgetBytes, blockTokens, spec.Name, dtype, per, per)
	}
	n := budgetBytes / per
	if n > int64(maxCapacity) {
		return 0, fmt.Errorf("cache: budget of %d bytes is %d blocks, more than the %d a pool can index", budgetBytes, n, maxCapacity)
	}
	return int(n), nil
}
