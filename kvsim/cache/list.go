package cache

// slotList is an intrusive doubly linked list over slots, newest at the
// front: O(1) push, unlink and move. Per-slot links grow with the pool.
type slotList struct {
	prev, next []Slot // prev points toward the front (newer), next toward the back (older)
	in         []bool
	front      Slot
	back       Slot
	n          int
}

func newSlotList() slotList { return slotList{front: noSlot, back: noSlot} }

func (l *slotList) grow(slots int) {
	for len(l.prev) < slots {
		l.prev = append(l.prev, noSlot)
		l.next = append(l.next, noSlot)
		l.in = append(l.in, false)
	}
}

func (l *slotList) contains(s Slot) bool { return int(s) < len(l.in) && l.in[s] }

func (l *slotList) pushFront(s Slot) {
	l.grow(int(s) + 1)
	l.prev[s], l.next[s], l.in[s] = noSlot, l.front, true
	if l.front != noSlot {
		l.prev[l.front] = s
	} else {
		l.back = s
	}
	l.front = s
	l.n++
}

func (l *slotList) remove(s Slot) {
	p, n := l.prev[s], l.next[s]
	if p != noSlot {
		l.next[p] = n
	} else {
		l.front = n
	}
	if n != noSlot {
		l.prev[n] = p
	} else {
		l.back = p
	}
	l.prev[s], l.next[s], l.in[s] = noSlot, noSlot, false
	l.n--
}

func (l *slotList) moveToFront(s Slot) {
	if l.front == s {
		return
	}
	l.remove(s)
	l.pushFront(s)
}

// newer is the slot in front of s (toward the front), or noSlot.
func (l *slotList) newer(s Slot) Slot { return l.prev[s] }

// oldestUnpinned walks from the back and returns the first unpinned slot.
func (l *slotList) oldestUnpinned(pool *BlockPool) (Slot, bool) {
	for s := l.back; s != noSlot; s = l.prev[s] {
		if !pool.IsPinned(s) {
			return s, true
		}
	}
	return noSlot, false
}
