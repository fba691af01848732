package sim

import (
	"fmt"
	"math"
	"sync"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// Prepared is a workload checked once for replay. It is read-only, so any
// number of replays may share it, in parallel (a sweep does).
type Prepared struct {
	w            workload.Workload
	promptTokens int64
	outputTokens int64
	promptBlocks int64

	futureOnce sync.Once
	future     *cache.Future
	futureErr  error
}

// Prepare checks a workload: at least one request; every request with
// InputTokens >= 1, OutputTokens >= 0, len(Blocks) = ceil(InputTokens /
// BlockTokens) and a finite, non-negative arrival.
func Prepare(w workload.Workload) (*Prepared, error) {
	if len(w.Requests) == 0 {
		return nil, fmt.Errorf("sim: workload %q has no requests", w.Name)
	}
	if w.BlockTokens < 1 {
		return nil, fmt.Errorf("sim: workload %q: block size %d tokens: must be at least 1", w.Name, w.BlockTokens)
	}
	p := &Prepared{w: w}
	for i, r := range w.Requests {
		switch {
		case r.InputTokens < 1:
			return nil, fmt.Errorf("sim: request %d: %d input tokens: must be at least 1", i, r.InputTokens)
		case r.OutputTokens < 0:
			return nil, fmt.Errorf("sim: request %d: %d output tokens: must be >= 0", i, r.OutputTokens)
		case len(r.Blocks) != workload.BlocksFor(r.InputTokens, w.BlockTokens):
			return nil, fmt.Errorf("sim: request %d: %d blocks for %d tokens in %d-token blocks: want %d",
				i, len(r.Blocks), r.InputTokens, w.BlockTokens, workload.BlocksFor(r.InputTokens, w.BlockTokens))
		case r.ArrivalSeconds < 0 || math.IsNaN(r.ArrivalSeconds) || math.IsInf(r.ArrivalSeconds, 0):
			return nil, fmt.Errorf("sim: request %d: arrival %g s: must be finite and >= 0", i, r.ArrivalSeconds)
		}
		p.promptTokens += int64(r.InputTokens)
		p.outputTokens += int64(r.OutputTokens)
		p.promptBlocks += int64(len(r.Blocks))
	}
	return p, nil
}

// Workload is the prepared workload.
func (p *Prepared) Workload() workload.Workload { return p.w }

// Future is the access sequence of a sequential replay (every prompt block
// of every request, in order), built once on first use for Belady.
func (p *Prepared) Future() (*cache.Future, error) {
	p.futureOnce.Do(func() {
		seq := make([]cache.BlockHash, 0, p.promptBlocks)
		for _, r := range p.w.Requests {
			seq = append(seq, r.Blocks...)
		}
		p.future, p.futureErr = cache.NewFuture(seq)
	})
	return p.future, p.futureErr
}

// newCache builds the cache a replay runs on.
func (p *Prepared) newCache(cfg Config) (*cache.Cache, error) {
	var future *cache.Future
	if cache.IsOffline(cfg.Policy) {
		f, err := p.Future()
		if err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
		future = f
	}
	pol, err := cache.NewPolicy(cfg.Policy, future)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	c, err := cache.New(cache.Config{CapacityBlocks: cfg.CapacityBlocks, BlockTokens: p.w.BlockTokens, BytesPerBlock: cfg.BytesPerBlock}, pol)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	return c, nil
}

// hitTokens is the number of prompt tokens in the first k blocks:
// min(k x B, P), since only the last block may be partial.
func hitTokens(k, blockTokens, promptTokens int) int {
	return min(k*blockTokens, promptTokens)
}
