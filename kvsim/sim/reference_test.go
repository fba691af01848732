package sim

import (
	"fmt"
	"slices"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
	"kvcache/kvsim/workload/workloadtest"
)

// referenceReplay is the sequential LRU replay written as plainly as
// possible: the cache is a slice ordered from least to most recently used,
// every lookup scans it, and the cached prefix is measured before anything
// changes. O(capacity) per block.
func referenceReplay(w workload.Workload, capacity int) (hitBlocks, hitTokens, evictions int64, peak int) {
	var order []cache.BlockHash
	for _, r := range w.Requests {
		k := 0
		for _, h := range r.Blocks {
			if !slices.Contains(order, h) {
				break
			}
			k++
		}
		hitBlocks += int64(k)
		hitTokens += int64(min(k*w.BlockTokens, r.InputTokens))
		for _, h := range r.Blocks {
			if i := slices.Index(order, h); i >= 0 {
				order = slices.Delete(order, i, i+1)
			}
			order = append(order, h)
			if len(order) > capacity {
				order = order[1:]
				evictions++
			}
		}
		peak = max(peak, len(order))
	}
	return
}

func checkAgainstReference(t *testing.T, p *Prepared, capacity int) {
	t.Helper()
	s := mustReplay(t, p, cache.LRUName, capacity)
	hb, ht, ev, peak := referenceReplay(p.w, capacity)
	if s.HitBlocks != hb || s.HitTokens != ht || s.Evictions != ev || s.PeakBlocks != peak {
		t.Errorf("%s at %d blocks: hits %d/%d tokens %d/%d evictions %d/%d peak %d/%d (fast/reference)",
			p.w.Name, capacity, s.HitBlocks, hb, s.HitTokens, ht, s.Evictions, ev, s.PeakBlocks, peak)
	}
}

// TestReplayMatchesReference: the fast replay and the slice-scan reference
// agree exactly on every synthetic workload and on both traces.
func TestReplayMatchesReference(t *testing.T) {
	for _, name := range workload.Names() {
		p := mustPrepare(t, smallWorkload(t, name, 11, 64, 400))
		for _, capacity := range []int{1, 7, 60, 400, 3000} {
			checkAgainstReference(t, p, capacity)
		}
	}
	caps := []int{1, 64, 1000}
	if testing.Short() {
		caps = caps[:2]
	}
	for _, trace := range []string{workloadtest.Conversation, workloadtest.Synthetic} {
		t.Run(trace, func(t *testing.T) {
			p := loadTrace(t, trace)
			for _, capacity := range caps {
				checkAgainstReference(t, p, capacity)
			}
		})
	}
}

// Replaying the Mooncake conversation trace (12,031 requests, 288,500 block
// accesses) with LRU, the fast replay against the slice-scan reference, both
// in this run:
//
//	go test ./kvsim/sim -run '^$' -bench 'ReplayConversation' -benchmem -count 5
//
// Measured on the shared 2-core development machine (Go 1.26, load average
// about 3.5 from other work; medians of -count 5): at 1,000 blocks the fast
// replay takes 12.3 ms and the reference 94 ms (7.7x); at 10,000 blocks
// 15.5 ms against 953 ms (61x); 100,000 blocks 24 ms; unbounded 29 ms.
// Allocated bytes follow the capacity (0.2 MB at 1,000 blocks, 1.5 MB at
// 10,000, 15 MB at 100,000, 35 MB unbounded with 182,790 distinct blocks),
// not the 288,500 accesses.
func BenchmarkReplayConversation(b *testing.B) {
	p := loadTrace(b, workloadtest.Conversation)
	for _, capacity := range []int{1000, 10000, 100000, cache.Unbounded} {
		b.Run(fmt.Sprintf("fast/cap=%d", capacity), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Replay(Config{CapacityBlocks: capacity}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, capacity := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("reference/cap=%d", capacity), func(b *testing.B) {
			for b.Loop() {
				referenceReplay(p.w, capacity)
			}
		})
	}
}

// A 50-point LRU capacity sweep of the conversation trace (100 to 200,000
// blocks, log-spaced, plus the unbounded run), points in parallel over
// GOMAXPROCS goroutines:
//
//	go test ./kvsim/sim -run '^$' -bench 'SweepConversation' -benchmem -count 5
//
// Measured on the same machine (medians of -count 5, load average about
// 3.5): 0.82 s with 2 workers, 1.03 s with 1; the other load keeps the
// second core from giving the full 2x.
func BenchmarkSweepConversation(b *testing.B) {
	p := loadTrace(b, workloadtest.Conversation)
	caps, err := LogCapacities(100, 200000, 50)
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{0, 1} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				if _, err := p.SweepCapacity(SweepConfig{Capacities: caps, Workers: workers}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Every policy on the conversation trace at 10,000 blocks (Belady's next-use
// table is built once, outside the loop). Medians of -count 5 here: fifo
// 21 ms, sieve 21, lru 22, belady 34, s3fifo 49 (ghost table), lfu 68 (heap).
//
//	go test ./kvsim/sim -run '^$' -bench 'PoliciesConversation' -count 5
func BenchmarkPoliciesConversation(b *testing.B) {
	p := loadTrace(b, workloadtest.Conversation)
	if _, err := p.Future(); err != nil {
		b.Fatal(err)
	}
	for _, pol := range cache.PolicyNames() {
		b.Run(pol, func(b *testing.B) {
			for b.Loop() {
				if _, err := p.Replay(Config{Policy: pol, CapacityBlocks: 10000}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
