package sim

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"

	"kvcache/kvsim/cache"
)

// SweepConfig sets up a capacity sweep.
type SweepConfig struct {
	Policies      []string              // "" or empty means ["lru"]
	Capacities    []int                 // each >= 1; sorted and deduplicated
	Belady        bool                  // add the offline optimum at every capacity
	BytesPerBlock int64                 // as in Config
	Timer         StepTimer             // as in Config
	MaxPoints     int                   // as in Config; series are dropped from sweeps
	Workers       int                   // parallel runs; 0 means GOMAXPROCS
	Progress      func(done, total int) // optional: called after each run, one call at a time
}

// Curve is one policy's summaries, one per capacity.
type Curve struct {
	Policy string    `json:"policy"`
	Points []Summary `json:"points"`
}

// Sweep is hit rate against capacity for several policies: the sweet-spot
// curve. Unbounded is the theoretical maximum every curve tends to.
type Sweep struct {
	Workload   string  `json:"workload"`
	Capacities []int   `json:"capacities"`
	Curves     []Curve `json:"curves"`
	Unbounded  Summary `json:"unbounded"`
}

// Curve returns the named policy's curve.
func (s Sweep) Curve(policy string) (Curve, bool) {
	for _, c := range s.Curves {
		if c.Policy == policy {
			return c, true
		}
	}
	return Curve{}, false
}

// SweepCapacity replays the workload once per (policy, capacity), plus once
// unbounded. Each run is independent and deterministic; runs go in parallel
// over Workers goroutines, so the result does not depend on Workers.
func (p *Prepared) SweepCapacity(cfg SweepConfig) (Sweep, error) {
	policies := append([]string(nil), cfg.Policies...)
	if len(policies) == 0 {
		policies = []string{cache.LRUName}
	}
	if cfg.Belady && !slicesContainsOffline(policies) {
		policies = append(policies, cache.BeladyName)
	}
	if len(cfg.Capacities) == 0 {
		return Sweep{}, fmt.Errorf("sim: sweep: no capacities given")
	}
	caps := append([]int(nil), cfg.Capacities...)
	sort.Ints(caps)
	caps = uniqueInts(caps)
	for _, c := range caps {
		if c < 1 {
			return Sweep{}, fmt.Errorf("sim: sweep: capacity %d blocks: must be at least 1", c)
		}
	}
	var known []string
	for _, pol := range policies {
		n, err := cache.CanonicalPolicy(pol)
		if err != nil {
			return Sweep{}, fmt.Errorf("sim: sweep: %w", err)
		}
		if !slices.Contains(known, n) {
			known = append(known, n)
		}
	}
	policies = known
	if slicesContainsOffline(policies) {
		if _, err := p.Future(); err != nil { // build once, before the workers share it
			return Sweep{}, fmt.Errorf("sim: %w", err)
		}
	}
	type job struct{ curve, point int }
	jobs := []job{{-1, -1}} // the unbounded run
	out := Sweep{Workload: p.w.Name, Capacities: caps, Curves: make([]Curve, len(policies))}
	for i, pol := range policies {
		out.Curves[i] = Curve{Policy: pol, Points: make([]Summary, len(caps))}
		for j := range caps {
			jobs = append(jobs, job{i, j})
		}
	}
	var mu sync.Mutex
	done := 0
	err := parallel(len(jobs), cfg.Workers, func(k int) error {
		if cfg.Progress != nil {
			defer func() {
				mu.Lock()
				done++
				cfg.Progress(done, len(jobs))
				mu.Unlock()
			}()
		}
		jb := jobs[k]
		run := Config{Policy: cache.LRUName, CapacityBlocks: cache.Unbounded, BytesPerBlock: cfg.BytesPerBlock, Timer: cfg.Timer, MaxPoints: 1}
		if jb.curve >= 0 {
			run.Policy, run.CapacityBlocks = policies[jb.curve], caps[jb.point]
		}
		res, err := p.Replay(run)
		if err != nil {
			return err
		}
		if jb.curve < 0 {
			out.Unbounded = res.Summary
			out.Unbounded.Policy = "unbounded"
		} else {
			out.Curves[jb.curve].Points[jb.point] = res.Summary
		}
		return nil
	})
	if err != nil {
		return Sweep{}, err
	}
	return out, nil
}

// parallel calls do(0..n-1) over workers goroutines (0 means GOMAXPROCS)
// and returns the error of the lowest failing index, so a failing sweep
// reports the same error however the goroutines interleave. Each call must
// write only its own results.
func parallel(n, workers int, do func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, n)
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { errs[i] = do(i); return nil })
	}
	g.Wait()
	return firstError(errs)
}

// firstError is the first non-nil error, or nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func slicesContainsOffline(policies []string) bool {
	for _, p := range policies {
		if cache.IsOffline(p) {
			return true
		}
	}
	return false
}

func uniqueInts(sorted []int) []int {
	out := sorted[:0]
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// LogCapacities returns about n capacities from lo to hi blocks, evenly
// spaced on a log scale, rounded and deduplicated (lo, hi >= 1, n >= 2).
func LogCapacities(lo, hi, n int) ([]int, error) {
	if lo < 1 || hi < lo || n < 2 {
		return nil, fmt.Errorf("sim: capacity grid %d..%d with %d points: need 1 <= lo <= hi and n >= 2", lo, hi, n)
	}
	out := make([]int, 0, n)
	ratio := math.Log(float64(hi) / float64(lo))
	for i := range n {
		v := int(math.Round(float64(lo) * math.Exp(ratio*float64(i)/float64(n-1))))
		if len(out) == 0 || v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out, nil
}
