package cache

import (
	"fmt"
	"strings"
	"testing"
)

// replay accesses seq on a fresh cache of the named policy and returns the
// misses and the blocks resident at the end.
func replay(t *testing.T, name string, capacity int, seq []BlockHash) (misses int64, resident []BlockHash) {
	t.Helper()
	f, err := NewFuture(seq)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPolicy(name, f)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{CapacityBlocks: capacity, BlockTokens: 1}, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range seq {
		if _, err := c.Access(h); err != nil {
			t.Fatal(err)
		}
	}
	for h := BlockHash(0); h < 1000; h++ {
		if c.Contains(h) {
			resident = append(resident, h)
		}
	}
	return c.Stats().Misses, resident
}

func hashes(s string) []BlockHash {
	var out []BlockHash
	for _, f := range strings.Fields(s) {
		var h BlockHash
		fmt.Sscan(f, &h)
		out = append(out, h)
	}
	return out
}

// The classic page-reference string 1 2 3 4 1 2 5 1 2 3 4 5: FIFO shows
// Belady's anomaly (more faults with 4 frames than with 3), LRU does not,
// and the optimum needs 7 and 6 faults (Silberschatz, Operating System
// Concepts, ch. 9).
func TestTextbookPageFaults(t *testing.T) {
	seq := hashes("1 2 3 4 1 2 5 1 2 3 4 5")
	for _, tc := range []struct {
		policy   string
		capacity int
		faults   int64
	}{
		{FIFOName, 3, 9}, {FIFOName, 4, 10},
		{LRUName, 3, 10}, {LRUName, 4, 8},
		{BeladyName, 3, 7}, {BeladyName, 4, 6},
	} {
		if got, _ := replay(t, tc.policy, tc.capacity, seq); got != tc.faults {
			t.Errorf("%s with %d frames: %d faults, want %d", tc.policy, tc.capacity, got, tc.faults)
		}
	}
}

// Each policy on a small sequence where they disagree, with the resident set
// worked out by hand.
func TestPoliciesDisagreeByHand(t *testing.T) {
	for _, tc := range []struct {
		name, policy string
		capacity     int
		seq          string
		misses       int64
		resident     string
	}{
		// A used three times, B once: C evicts A under LRU (older), B under LFU.
		{"lru forgets frequency", LRUName, 2, "1 1 1 2 3 1", 4, "1 3"},
		{"lfu keeps the frequent", LFUName, 2, "1 1 1 2 3 1", 3, "1 3"},
		{"fifo ignores hits", FIFOName, 2, "1 1 1 2 3 1", 4, "1 3"},
		// LFU ties go to the least recently used.
		{"lfu ties by recency", LFUName, 2, "1 2 3", 3, "2 3"},
		// SIEVE: hit on 1 saves it, the hand evicts 2; the hit on 3 saves 3
		// once more, so 4 (unvisited) goes. LRU evicts 2 and then 1.
		{"sieve hand", SIEVEName, 3, "1 2 3 1 4 3 5", 5, "1 3 5"},
		{"lru on sieve's sequence", LRUName, 3, "1 2 3 1 4 3 5", 5, "3 4 5"},
		// S3-FIFO resists a scan: hot blocks used twice move to M, the
		// one-time scan flows through S, and the hot set still hits after.
		{"s3fifo scan resistance", S3FIFOName, 10,
			"1 2 3 4 5 1 2 3 4 5 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 1 2 3 4 5",
			25, "1 2 3 4 5 116 117 118 119 120"},
		{"lru fails the scan", LRUName, 10,
			"1 2 3 4 5 1 2 3 4 5 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119 120 1 2 3 4 5",
			30, "1 2 3 4 5 116 117 118 119 120"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			misses, res := replay(t, tc.policy, tc.capacity, hashes(tc.seq))
			if misses != tc.misses || fmt.Sprint(res) != fmt.Sprint(hashes(tc.resident)) {
				t.Errorf("%s: %d misses, resident %v; want %d, %v", tc.policy, misses, res, tc.misses, hashes(tc.resident))
			}
		})
	}
}

func TestNewPolicyNames(t *testing.T) {
	f, _ := NewFuture(nil)
	for _, n := range append(PolicyNames(), "LRU", "S3-FIFO", "opt") {
		p, err := NewPolicy(n, f)
		if err != nil || p == nil {
			t.Errorf("NewPolicy(%q): %v", n, err)
		}
	}
	if _, err := NewPolicy("arc2", nil); err == nil || !strings.Contains(err.Error(), "lru") {
		t.Errorf("unknown policy: %v", err)
	}
	if _, err := NewPolicy("belady", nil); err == nil || !strings.Contains(err.Error(), "future") {
		t.Errorf("belady without a future: %v", err)
	}
}

func TestBeladyNoticesAStrayReplay(t *testing.T) {
	f, _ := NewFuture(hashes("1 2 3"))
	c, _ := New(Config{CapacityBlocks: 2, BlockTokens: 1}, NewBelady(f))
	if _, err := c.Access(1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Access(7); err == nil || !strings.Contains(err.Error(), "access 1 is block 7") {
		t.Errorf("stray access: %v", err)
	}
}
