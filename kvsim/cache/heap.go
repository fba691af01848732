package cache

// slotHeap is a binary heap of slots with an index per slot, so a slot's key
// can change (fix) or the slot can leave (remove) in O(log n). The top is
// the slot for which before(top, any) holds.
type slotHeap struct {
	items  []Slot
	pos    []int32 // by slot: index in items, or -1
	before func(a, b Slot) bool
}

func (h *slotHeap) grow(slots int) {
	for len(h.pos) < slots {
		h.pos = append(h.pos, -1)
	}
}

func (h *slotHeap) len() int { return len(h.items) }

func (h *slotHeap) push(s Slot) {
	h.grow(int(s) + 1)
	h.pos[s] = int32(len(h.items))
	h.items = append(h.items, s)
	h.up(len(h.items) - 1)
}

func (h *slotHeap) remove(s Slot) {
	i := int(h.pos[s])
	last := len(h.items) - 1
	if i != last {
		h.swap(i, last)
	}
	h.items = h.items[:last]
	h.pos[s] = -1
	if i != last {
		h.fixAt(i)
	}
}

func (h *slotHeap) fix(s Slot) { h.fixAt(int(h.pos[s])) }

func (h *slotHeap) fixAt(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *slotHeap) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i]] = int32(i)
	h.pos[h.items[j]] = int32(j)
}

func (h *slotHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.before(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *slotHeap) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		best := l
		if r := l + 1; r < n && h.before(h.items[r], h.items[l]) {
			best = r
		}
		if !h.before(h.items[best], h.items[i]) {
			break
		}
		h.swap(i, best)
		i = best
	}
	return i > start
}

// topUnpinned returns the first slot in heap order that is not pinned. Pinned
// slots met on the way are set aside and put back, so the cost is
// O((pinned skipped + 1) log n).
func (h *slotHeap) topUnpinned(pool *BlockPool) (Slot, bool) {
	var aside []Slot
	found := noSlot
	for len(h.items) > 0 {
		s := h.items[0]
		if !pool.IsPinned(s) {
			found = s
			break
		}
		h.remove(s)
		aside = append(aside, s)
	}
	for _, s := range aside {
		h.push(s)
	}
	return found, found != noSlot
}
