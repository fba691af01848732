package study

import (
	"context"
	"fmt"
	"slices"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
)

// BoundedSettings set up section 6: one long generation with the cache
// bounded at each capacity, under each bounded-cache policy of the decoder
// (decoder.Recompute and decoder.Window), beside a full cache.
type BoundedSettings struct {
	Model       model.Spec
	Prompt, New int
	CacheTokens []int  // capacities, in tokens: more than the sinks, fewer than the run's positions
	Seed        uint64 // weights and prompt
	Threads     int    // 0: one per core
}

// BoundedStudy is section 6: one long generation of the small model with a
// cache bounded at each capacity, under the recompute policy (exact, pays
// in time) and the sliding window with attention sinks (fast, pays in
// quality), beside a full cache. Totals are the decoder's.
type BoundedStudy struct {
	Model      string       `json:"model"`
	Prompt     int          `json:"prompt"`
	New        int          `json:"new"`
	Sinks      int          `json:"sinks"`
	Capacities []int        `json:"capacities"` // tokens the cache holds
	Full       PathTiming   `json:"full"`
	Recompute  []PathTiming `json:"recompute"` // one per capacity
	Window     []PathTiming `json:"window"`
	// Window against a full cache, on the same tokens (teacher forcing).
	WindowTop1   []float64   `json:"window_top1"`    // share of steps whose argmax matches
	WindowMeanKL []float64   `json:"window_mean_kl"` // nats
	WindowKL     [][]float64 `json:"window_kl"`      // per step
	Seconds      float64     `json:"seconds"`        // wall time of the study
	Provenance   `json:"provenance"`
}

// Study names the result: data/bounded.json.
func (BoundedStudy) Study() string { return "bounded" }

// Summary says what was generated.
func (b BoundedStudy) Summary() string {
	return fmt.Sprintf("generated %d+%d tokens of %s with a full cache and %d bounded ones, two policies each, in %.1f s",
		b.Prompt, b.New, b.Model, len(b.Capacities), b.Took)
}

// Bounded runs the full cache once, then each policy at each capacity.
func Bounded(ctx context.Context, s BoundedSettings) (BoundedStudy, error) {
	start := time.Now()
	caps, err := boundedCapacities(s.CacheTokens, s.Prompt+s.New-1)
	if err != nil {
		return BoundedStudy{}, err
	}
	b := BoundedStudy{Model: s.Model.Name, Prompt: s.Prompt, New: s.New, Sinks: decoder.DefaultSinks, Capacities: caps}
	opt := decoder.BenchOptions{Prompt: s.Prompt, New: s.New, Cache: decoder.CacheOn, Seed: s.Seed, Threads: s.Threads}
	run := func(policy decoder.Policy, capacity int) (*decoder.BenchResult, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		opt.Policy, opt.CacheTokens = policy, capacity
		r, err := decoder.Run(s.Model, opt)
		if err != nil {
			return nil, fmt.Errorf("study: %w", err)
		}
		return r, nil
	}
	full, err := run("", 0)
	if err != nil {
		return BoundedStudy{}, err
	}
	b.Full = pathTiming(full.Cached)
	for _, c := range caps {
		rec, err := run(decoder.Recompute, c)
		if err != nil {
			return BoundedStudy{}, err
		}
		win, err := run(decoder.Window, c)
		if err != nil {
			return BoundedStudy{}, err
		}
		if win.Divergence == nil {
			return BoundedStudy{}, fmt.Errorf("study: the window run at %d tokens reported no divergence", c)
		}
		b.Recompute = append(b.Recompute, pathTiming(rec.Cached))
		b.Window = append(b.Window, pathTiming(win.Cached))
		b.WindowTop1 = append(b.WindowTop1, win.Divergence.Top1Agreement)
		b.WindowMeanKL = append(b.WindowMeanKL, win.Divergence.MeanKL)
		b.WindowKL = append(b.WindowKL, win.Divergence.PerTokenKL)
	}
	b.Provenance = stamp(start)
	b.Seconds = b.Took
	return b, nil
}

// Ratio is a path's total time over the full cache's.
func (b BoundedStudy) Ratio(p PathTiming) float64 { return p.TotalS / b.Full.TotalS }

// boundedCapacities sorts and deduplicates the capacities of a bounded
// cache over a run of total positions, refusing one that holds no more
// than the sinks or the whole run (it would never evict).
func boundedCapacities(capacities []int, total int) ([]int, error) {
	caps := slices.Clone(capacities)
	slices.Sort(caps)
	caps = slices.Compact(caps)
	if len(caps) == 0 {
		return nil, badSettings("no bounded cache capacity given; give capacities between %d and %d tokens", decoder.DefaultSinks+1, total-1)
	}
	for _, c := range caps {
		if c <= decoder.DefaultSinks || c >= total {
			return nil, badSettings("a bounded cache of %d tokens: give capacities between %d and %d (the sinks, and the %d positions of the run)",
				c, decoder.DefaultSinks+1, total-1, total)
		}
	}
	return caps, nil
}
