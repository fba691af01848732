package cache

import (
	"math/rand/v2"
	"testing"
)

// TestTableMatchesMap drives the hash table and a Go map with the same
// random sets and deletes over a small key range (long probe runs, many
// wrap-arounds) and compares every lookup.
func TestTableMatchesMap(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 5))
		tb := newTable[int32](rng.IntN(40))
		ref := map[BlockHash]int32{}
		keys := 1 + rng.IntN(300)
		for step := 0; step < 5000; step++ {
			h := BlockHash(rng.IntN(keys))
			switch rng.IntN(3) {
			case 0:
				_, had := ref[h]
				if tb.delete(h) != had {
					t.Fatalf("seed %d: delete(%d) disagrees with the map", seed, h)
				}
				delete(ref, h)
			default:
				v := int32(rng.IntN(1000))
				tb.set(h, v)
				ref[h] = v
			}
			if tb.len() != len(ref) || 2*tb.len() > len(tb.entries) {
				t.Fatalf("seed %d: %d entries in a table of %d, map has %d", seed, tb.len(), len(tb.entries), len(ref))
			}
			for k := BlockHash(0); k < BlockHash(keys); k += BlockHash(1 + keys/50) {
				got, ok := tb.get(k)
				want, wok := ref[k]
				if ok != wok || got != want {
					t.Fatalf("seed %d step %d: get(%d) = %d, %v; map %d, %v", seed, step, k, got, ok, want, wok)
				}
			}
		}
	}
}
