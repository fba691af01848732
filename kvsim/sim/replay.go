package sim

import (
	"fmt"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// Result is a replay's outcome.
type Result struct {
	Summary Summary     `json:"summary"`
	Series  Series      `json:"series"`
	Cache   cache.Stats `json:"cache"` // per-block counters of the cache itself
}

// Replay prepares w and replays it sequentially (see Prepared.Replay).
func Replay(w workload.Workload, cfg Config) (Result, error) {
	p, err := Prepare(w)
	if err != nil {
		return Result{}, err
	}
	return p.Replay(cfg)
}

// Replay runs the sequential replay of the Mooncake paper's capacity
// analysis: requests one after another, in order, no time, nothing pinned.
// Each request finds its longest cached prefix (its hit blocks); then every
// one of its blocks is accessed in prompt order: resident ones count as used
// by the policy (for LRU: most recently used), missing ones are inserted,
// evicting as the policy says when the pool is full.
func (p *Prepared) Replay(cfg Config) (Result, error) {
	cfg, err := cfg.normalized()
	if err != nil {
		return Result{}, err
	}
	c, err := p.newCache(cfg)
	if err != nil {
		return Result{}, err
	}
	rec := newRecorder(p, cfg)
	for i, req := range p.w.Requests {
		k, prefix := 0, true
		for _, h := range req.Blocks {
			out, err := c.Access(h)
			if err != nil {
				return Result{}, fmt.Errorf("sim: request %d: %w", i, err)
			}
			// Hits never evict, so the leading hits are exactly the
			// longest prefix cached when the request arrived.
			if prefix && out.Hit {
				k++
			} else {
				prefix = false
			}
		}
		rec.request(req, k, req.ArrivalSeconds, c, 0, 0, false)
	}
	return Result{Summary: rec.finish(c), Series: rec.series, Cache: c.Stats()}, nil
}
