package cache

import (
	"fmt"
	"sort"
	"strings"
)

// Policy decides which resident block to evict. It keeps its own order over
// slots (a recency list, frequency counts, queues, a future) and reads the
// pool for hashes and pins; it never changes the pool or the index. The Cache
// calls it:
//
//	Attach(pool)  once, before anything else; fails if already attached
//	Hit(s)        a resident block was used (a recency-changing read)
//	Inserted(s)   a missing block was placed in slot s
//	Removed(s)    the block in s left the cache (the eviction funnel)
//	Victim()      choose an unpinned resident slot to evict; called only when
//	              one exists; may reorder the policy's own state (second chances)
//	Resized(n)    the capacity changed to n blocks (or Unbounded)
//
// Every access of a block is exactly one Hit or one Inserted call (or, for a
// policy that is also an Admitter, one refused Admit). Policies are not safe
// for concurrent use and belong to one Cache.
type Policy interface {
	Name() string
	Attach(pool *BlockPool) error
	Hit(s Slot)
	Inserted(s Slot)
	Removed(s Slot)
	Victim() (Slot, bool)
	Resized(capacity int)
}

// attach sets *dst to pool unless the policy already serves a pool.
func attach(dst **BlockPool, pool *BlockPool, name string) error {
	if *dst != nil {
		return fmt.Errorf("cache: policy %s already serves another cache: make a new one (NewPolicy) per cache", name)
	}
	*dst = pool
	return nil
}

// Admitter is a policy that may decline to cache a missing block (bypass).
// The Cache calls Admit(h) when h is missing and the pool is full; false
// leaves h uncached and counts as h's access.
type Admitter interface {
	Admit(h BlockHash) bool
}

// errorReporter is a policy that can detect misuse (Belady replayed on
// another sequence); the Cache returns its error.
type errorReporter interface {
	Err() error
}

// Policy names accepted by NewPolicy.
const (
	LRUName    = "lru"
	FIFOName   = "fifo"
	LFUName    = "lfu"
	SIEVEName  = "sieve"
	S3FIFOName = "s3fifo"
	BeladyName = "belady"
)

// PolicyNames lists every policy, online ones first, Belady last.
func PolicyNames() []string {
	return []string{LRUName, FIFOName, LFUName, SIEVEName, S3FIFOName, BeladyName}
}

// IsOffline reports whether the named policy needs the future (Belady).
func IsOffline(name string) bool { return canonicalPolicy(name) == BeladyName }

// CanonicalPolicy returns the name NewPolicy knows a policy by ("S3-FIFO"
// -> "s3fifo", "opt" -> "belady"), or an error listing the names.
func CanonicalPolicy(name string) (string, error) {
	n := canonicalPolicy(name)
	for _, known := range PolicyNames() {
		if n == known {
			return n, nil
		}
	}
	names := PolicyNames()
	sort.Strings(names)
	return "", fmt.Errorf("cache: unknown policy %q: use one of %s", name, strings.Join(names, ", "))
}

// NewPolicy returns a fresh policy by name. Belady needs the future access
// sequence; online policies ignore future (pass nil).
func NewPolicy(name string, future *Future) (Policy, error) {
	n, err := CanonicalPolicy(name)
	if err != nil {
		return nil, err
	}
	switch n {
	case LRUName:
		return NewLRU(), nil
	case FIFOName:
		return NewFIFO(), nil
	case LFUName:
		return NewLFU(), nil
	case SIEVEName:
		return NewSIEVE(), nil
	case S3FIFOName:
		return NewS3FIFO(), nil
	case BeladyName:
		if future == nil {
			return nil, fmt.Errorf("cache: policy belady needs the future access sequence (NewFuture); it only runs in an offline replay")
		}
		return NewBelady(future), nil
	}
	return nil, fmt.Errorf("cache: policy %q has no constructor", n)
}

// canonicalPolicy folds case and spelling variants ("S3-FIFO", "opt").
func canonicalPolicy(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.ReplaceAll(strings.ReplaceAll(n, "-", ""), "_", "")
	switch n {
	case "opt", "min", "optimal":
		return BeladyName
	}
	return n
}
