package cache

// table is an open-addressing hash table from block hash to V: linear
// probing, at most half full, and backward-shift deletion, so heavy
// insert/delete churn (every eviction) leaves no tombstones behind. Its
// memory follows the number of entries, not the number ever inserted. The
// slot position of h starts at mix64(h), since trace ids are small
// consecutive integers; entries keep the mixed key (mix64 is a bijection,
// so equal mixed keys mean equal hashes) to spare recomputing it.
type table[V any] struct {
	entries []tableEntry[V]
	mask    uint64
	n       int
}

type tableEntry[V any] struct {
	key  uint64 // mix64(h)
	v    V
	full bool
}

const minTableSize = 16

func newTable[V any](sizeHint int) table[V] {
	size := minTableSize
	for size < 3*sizeHint { // start at most a third full
		size *= 2
	}
	return table[V]{entries: make([]tableEntry[V], size), mask: uint64(size - 1)}
}

// find returns the index of h's entry, or -1.
func (t *table[V]) find(h BlockHash) int { return t.findKey(mix64(uint64(h))) }

func (t *table[V]) findKey(key uint64) int {
	for i := key & t.mask; ; i = (i + 1) & t.mask {
		e := &t.entries[i]
		if !e.full {
			return -1
		}
		if e.key == key {
			return int(i)
		}
	}
}

func (t *table[V]) get(h BlockHash) (V, bool) {
	if i := t.find(h); i >= 0 {
		return t.entries[i].v, true
	}
	var zero V
	return zero, false
}

// set inserts or replaces h's value.
func (t *table[V]) set(h BlockHash, v V) { t.setKey(mix64(uint64(h)), v) }

func (t *table[V]) setKey(key uint64, v V) {
	if 2*(t.n+1) > len(t.entries) {
		t.resize(2 * len(t.entries))
	}
	i := key & t.mask
	for ; t.entries[i].full; i = (i + 1) & t.mask {
		if t.entries[i].key == key {
			t.entries[i].v = v
			return
		}
	}
	t.entries[i] = tableEntry[V]{key: key, v: v, full: true}
	t.n++
}

// delete removes h, shifting later entries of its probe run back so every
// entry stays reachable from its home position.
func (t *table[V]) delete(h BlockHash) bool {
	i := t.find(h)
	if i < 0 {
		return false
	}
	hole := uint64(i)
	for j := (hole + 1) & t.mask; t.entries[j].full; j = (j + 1) & t.mask {
		home := t.entries[j].key & t.mask
		// Move entry j into the hole unless its home lies cyclically in (hole, j].
		if (j-home)&t.mask >= (j-hole)&t.mask {
			t.entries[hole] = t.entries[j]
			hole = j
		}
	}
	t.entries[hole] = tableEntry[V]{}
	t.n--
	// Shrink when a quarter full, so memory follows the live entries.
	if len(t.entries) > minTableSize && 8*t.n < len(t.entries) {
		t.resize(len(t.entries) / 2)
	}
	return true
}

func (t *table[V]) resize(size int) {
	old := t.entries
	t.entries = make([]tableEntry[V], size)
	t.mask = uint64(size - 1)
	t.n = 0
	for _, e := range old {
		if e.full {
			t.setKey(e.key, e.v)
		}
	}
}

func (t *table[V]) len() int { return t.n }
