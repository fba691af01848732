package study

import (
	"context"
	"fmt"
	"slices"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
	"kvcache/kvsim/timing"
)

// BoundedSettings set up section 6: one long generation with the cache
// bounded at each capacity, under each bounded-cache policy of the decoder
// (decoder.Recompute and decoder.Window), beside a full cache; every path
// runs Repeat times, all of them in turn, after an untimed warm-up.
type BoundedSettings struct {
	Model       model.Spec
	Prompt, New int
	CacheTokens []int  // capacities, in tokens: more than the sinks, fewer than the run's positions
	Repeat      int    // timed runs of each path, interleaved; 0: 1
	WarmUp      int    // untimed tokens of each path first; 0: decoder.DefaultWarmUp; negative: none
	Seed        uint64 // weights and prompt
	Threads     int    // 0: one per core
}

// BoundedStudy is section 6: one long generation of the small model with a
// cache bounded at each capacity, under the recompute policy (exact, pays
// in time) and the sliding window with attention sinks (fast, pays in
// quality), beside a full cache. Totals are the decoder's medians over the
// runs; each policy is ranked against the full cache, and a ranking inside
// the noise (or one that is impossible: recompute does the full cache's
// work and more) is not a result.
type BoundedStudy struct {
	Model      string       `json:"model"`
	Prompt     int          `json:"prompt"`
	New        int          `json:"new"`
	Sinks      int          `json:"sinks"`
	Repeat     int          `json:"repeat"`
	Capacities []int        `json:"capacities"` // tokens the cache holds
	Full       PathTiming   `json:"full"`
	Recompute  []PathTiming `json:"recompute"` // one per capacity
	Window     []PathTiming `json:"window"`
	// Each policy against the full cache, per capacity (timing.Rank).
	RecomputeRank []timing.Ranking `json:"recompute_rank"`
	WindowRank    []timing.Ranking `json:"window_rank"`
	// Window against a full cache, on the same tokens (teacher forcing).
	WindowTop1   []float64   `json:"window_top1"`    // share of steps whose argmax matches
	WindowMeanKL []float64   `json:"window_mean_kl"` // nats
	WindowKL     [][]float64 `json:"window_kl"`      // per step
	OthersBusy   *float64    `json:"others_busy_cores,omitempty"`
	Seconds      float64     `json:"seconds"` // wall time of the study
	Provenance   `json:"provenance"`
}

// Study names the result: data/bounded.json.
func (BoundedStudy) Study() string { return "bounded" }

// Summary says what was generated.
func (b BoundedStudy) Summary() string {
	return fmt.Sprintf("generated %d+%d tokens of %s with a full cache and %d bounded ones, two policies each, %d runs of each in turn, in %.1f s%s",
		b.Prompt, b.New, b.Model, len(b.Capacities), b.Repeat, b.Took, busyNote(b.OthersBusy))
}

// Bounded builds the model once and times every path through
// decoder.Bench: the full cache (the reference), then recompute and window
// at each capacity, all in turn in every round.
func Bounded(ctx context.Context, s BoundedSettings) (BoundedStudy, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return BoundedStudy{}, err
	}
	caps, err := boundedCapacities(s.CacheTokens, s.Prompt+s.New-1)
	if err != nil {
		return BoundedStudy{}, err
	}
	if s.Prompt <= 0 || s.New <= 0 {
		return BoundedStudy{}, fmt.Errorf("study: prompt %d and new %d tokens: both must be at least 1", s.Prompt, s.New)
	}
	paths := []decoder.BenchPath{{Name: "full cache", Cache: decoder.CacheConfig{Enabled: true}}}
	for _, c := range caps {
		paths = append(paths,
			decoder.BenchPath{Name: fmt.Sprintf("recompute %d", c), Cache: decoder.CacheConfig{Enabled: true, Capacity: c, Policy: decoder.Recompute}},
			decoder.BenchPath{Name: fmt.Sprintf("window %d", c), Cache: decoder.CacheConfig{Enabled: true, Capacity: c, Policy: decoder.Window}, Check: decoder.Diverge})
	}
	d, err := decoder.New(s.Model, decoder.Options{Seed: s.Seed, Threads: s.Threads})
	if err != nil {
		return BoundedStudy{}, fmt.Errorf("study: %w", err)
	}
	defer d.Close()
	load := timing.StartLoad()
	res, err := d.Bench(decoder.RandomPrompt(s.Model.Vocab, s.Prompt, s.Seed), s.New, paths, decoder.BenchRuns{Repeat: s.Repeat, WarmUp: s.WarmUp})
	if err != nil {
		return BoundedStudy{}, fmt.Errorf("study: %w", err)
	}
	b := BoundedStudy{Model: s.Model.Name, Prompt: s.Prompt, New: s.New, Sinks: decoder.DefaultSinks, Repeat: res[0].Repeats, Capacities: caps,
		Full: pathTiming(res[0])}
	if busy, ok := load.OthersBusy(); ok {
		b.OthersBusy = &busy
	}
	for i, c := range caps {
		rec, win := res[1+2*i], res[2+2*i]
		if win.Divergence == nil {
			return BoundedStudy{}, fmt.Errorf("study: the window run at %d tokens reported no divergence", c)
		}
		b.Recompute = append(b.Recompute, pathTiming(rec))
		b.Window = append(b.Window, pathTiming(win))
		b.RecomputeRank = append(b.RecomputeRank, timing.Rank(res[0].Sample(), rec.Sample()))
		b.WindowRank = append(b.WindowRank, timing.Rank(res[0].Sample(), win.Sample()))
		b.WindowTop1 = append(b.WindowTop1, win.Divergence.Top1Agreement)
		b.WindowMeanKL = append(b.WindowMeanKL, win.Divergence.MeanKL)
		b.WindowKL = append(b.WindowKL, win.Divergence.PerTokenKL)
	}
	b.Provenance = stamp(start)
	b.Seconds = b.Took
	return b, nil
}

// Ratio is a path's median total time over the full cache's.
func (b BoundedStudy) Ratio(p PathTiming) float64 { return p.TotalS / b.Full.TotalS }

// RatioSpread is the spread of a path's total over the full cache's, run
// by run.
func (b BoundedStudy) RatioSpread(p PathTiming) Spread { return RatioSpread(p, b.Full) }

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
