package study

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/units"
	"kvcache/kvsim/workload"
)

// LatencySettings set up section 5c: the workload's first requests served
// in time (sim.Serve: arrivals, continuous batching, blocks pinned while a
// request runs) at several cache capacities under each scheduler, for the
// distributions of TTFT, TPOT and end-to-end latency.
type LatencySettings struct {
	Workload   Source
	Model      model.Spec    // its KV bytes size the blocks; its steps are timed
	Hardware   cost.Hardware // Devices(Model) of it serve the requests
	KVDType    model.DType   // "": fp16
	Requests   int           // the workload's first Requests requests; 0: all
	Capacities []int         // cache blocks (cache.Unbounded allowed); nil: what the devices leave, 4x and 16x that, and unbounded
	Schedulers []string      // sim.SchedulerNames; nil: all
	Points     int           // points kept of each distribution; 0: 100
	// MemoryFraction is the share of each device the engine may use; 0: the default engine's (vllm: 0.9).
	MemoryFraction float64
}

// LatencyStudy is one timed replay per capacity and scheduler (Run
// indexes them), each with its latency percentiles and distributions.
type LatencyStudy struct {
	Workload      string         `json:"workload"`
	Stats         workload.Stats `json:"stats"` // of the requests served
	Model         string         `json:"model"`
	Hardware      string         `json:"hardware"`
	TP            int            `json:"tp"`
	KVDType       model.DType    `json:"kv_dtype"`
	BytesPerBlock int64          `json:"bytes_per_block"`
	NodeKVBytes   int64          `json:"node_kv_bytes"` // KV memory the devices leave
	Bands         LatencyBands   `json:"bands"`
	Capacities    []int          `json:"capacities"` // blocks; cache.Unbounded for none
	Schedulers    []string       `json:"schedulers"`
	Runs          []LatencyRun   `json:"runs"` // capacity-major
	Provenance
}

// LatencyBands say how far the cost model's predictions fall from
// published runs, per latency: TTFT from prefill/TTFT cases, TPOT from
// batched decode, E2E from end-to-end ones (cost.Band).
type LatencyBands struct {
	TTFT cost.Band `json:"ttft"`
	TPOT cost.Band `json:"tpot"`
	E2E  cost.Band `json:"e2e"`
}

// LatencyRun is one timed replay: its summary and the empirical
// distributions of its completed requests' latencies.
type LatencyRun struct {
	CapacityBlocks int         `json:"capacity_blocks"`
	Scheduler      string      `json:"scheduler"`
	TokenHitRate   float64     `json:"token_hit_rate"`
	Serving        sim.Serving `json:"serving"`
	TTFT           CDF         `json:"ttft"`
	TPOT           CDF         `json:"tpot"`
	E2E            CDF         `json:"e2e"`
}

// CDF is an empirical distribution kept at a few points: Share[i] of the
// values are at or below Seconds[i] (sim.CDF, thinned).
type CDF struct {
	Seconds []float64 `json:"seconds"`
	Share   []float64 `json:"share"`
}

// Study names the result: data/latency.json.
func (LatencyStudy) Study() string { return "latency" }

// Summary says what was served.
func (st LatencyStudy) Summary() string {
	return fmt.Sprintf("served %s (%d requests) in time at %d capacities under %d schedulers in %.1f s",
		st.Workload, st.Stats.Requests, len(st.Capacities), len(st.Schedulers), st.Took)
}

// Run is the replay at capacity c under scheduler s (indexes).
func (st LatencyStudy) Run(c, s int) LatencyRun { return st.Runs[c*len(st.Schedulers)+s] }

// thin keeps at most n points of the empirical CDF of sorted: the first
// value and then every ceil(len/n)-th, always the last.
func thin(sorted []float64, n int) CDF {
	var c CDF
	if len(sorted) == 0 {
		return c
	}
	p := sim.CDF(sorted)
	step := max(1, (len(sorted)+n-1)/n)
	for i := 0; i < len(sorted); i += step {
		c.Seconds, c.Share = append(c.Seconds, sorted[i]), append(c.Share, p[i])
	}
	if last := len(sorted) - 1; c.Share[len(c.Share)-1] != p[last] {
		c.Seconds, c.Share = append(c.Seconds, sorted[last]), append(c.Share, p[last])
	}
	return c
}

// Latency serves the workload's first requests at every capacity and
// scheduler, the replays in parallel.
func Latency(ctx context.Context, s LatencySettings) (LatencyStudy, error) {
	start := time.Now()
	s.KVDType = orDefault(s.KVDType, model.FP16)
	s.Points = orDefault(s.Points, 100)
	if s.Schedulers == nil {
		s.Schedulers = sim.SchedulerNames()
	}
	switch {
	case s.Requests < 0:
		return LatencyStudy{}, badSettings("%d requests: give 0 (all) or more", s.Requests)
	case s.Points < 2:
		return LatencyStudy{}, badSettings("%d points per distribution: give at least 2", s.Points)
	case len(s.Schedulers) == 0:
		return LatencyStudy{}, badSettings("no scheduler: give one of %v (nil takes them all)", sim.SchedulerNames())
	}
	for _, name := range s.Schedulers {
		if !slices.Contains(sim.SchedulerNames(), name) {
			return LatencyStudy{}, badSettings("scheduler %q: use %v", name, sim.SchedulerNames())
		}
	}
	w, err := s.Workload.Load()
	if err != nil {
		return LatencyStudy{}, err
	}
	if s.Requests > 0 && s.Requests < len(w.Requests) {
		w.Requests = w.Requests[:s.Requests]
	}
	p, err := sim.Prepare(w)
	if err != nil {
		return LatencyStudy{}, fmt.Errorf("study: %w", err)
	}
	w = p.Workload()
	st := LatencyStudy{Workload: w.Name, Stats: w.Stats(), Model: s.Model.Name, Hardware: s.Hardware.Name, KVDType: s.KVDType, Schedulers: s.Schedulers}
	if st.BytesPerBlock, err = cache.BlockBytes(s.Model, s.KVDType, w.BlockTokens); err != nil {
		return LatencyStudy{}, fmt.Errorf("study: %w", err)
	}
	timer, tp, err := ServingTimerWith(s.Model, s.Hardware, cost.Options{DType: s.KVDType, MemoryFraction: s.MemoryFraction})
	if err != nil {
		return LatencyStudy{}, err
	}
	st.TP = tp
	for _, b := range []struct {
		band   *cost.Band
		regime cost.Regime
	}{{&st.Bands.TTFT, cost.PrefillTTFT}, {&st.Bands.TPOT, cost.DecodeBatched}, {&st.Bands.E2E, cost.EndToEnd}} {
		if *b.band, err = predictionBand(s.Model, s.Hardware, s.KVDType, tp, b.regime); err != nil {
			return LatencyStudy{}, err
		}
	}
	fit := kvFit(s.Model, s.Hardware, cost.Options{DType: s.KVDType, MemoryFraction: s.MemoryFraction})
	st.NodeKVBytes = fit.NodeKVBytes
	st.Capacities = s.Capacities
	if st.Capacities == nil {
		node := st.NodeKVBytes / st.BytesPerBlock
		if fit.Error != "" || node < 1 {
			return LatencyStudy{}, badSettings("%s leaves no room for a KV cache on %s at %s; pick larger hardware or a smaller model, or give the capacities",
				s.Model.Name, s.Hardware.Name, s.KVDType)
		}
		st.Capacities = []int{int(node), int(4 * node), int(16 * node), cache.Unbounded}
	}
	for _, c := range st.Capacities {
		if c < 1 && c != cache.Unbounded {
			return LatencyStudy{}, badSettings("a cache of %d blocks: it holds at least 1 block (%d: unbounded)", c, cache.Unbounded)
		}
	}
	st.Runs = make([]LatencyRun, len(st.Capacities)*len(st.Schedulers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for c, blocks := range st.Capacities {
		for k, sched := range st.Schedulers {
			g.Go(func() error {
				if err := gctx.Err(); err != nil {
					return err
				}
				r, err := p.Serve(sim.ServeConfig{Config: sim.Config{CapacityBlocks: blocks, BytesPerBlock: st.BytesPerBlock, Timer: timer, MaxPoints: 1}, Scheduler: sched})
				if err != nil {
					return fmt.Errorf("study: %w", err)
				}
				l := r.Latencies()
				st.Runs[c*len(st.Schedulers)+k] = LatencyRun{CapacityBlocks: blocks, Scheduler: sched, TokenHitRate: r.Summary.TokenHitRate, Serving: r.Serving,
					TTFT: thin(l.TTFT, s.Points), TPOT: thin(l.TPOT, s.Points), E2E: thin(l.E2E, s.Points)}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return LatencyStudy{}, err
	}
	st.Provenance = stamp(start)
	return st, nil
}

// LatencySettings: the lab's workload or trace, its first
// Sizes.ServedRequests requests, served by the serving model on the lab's
// hardware at the default capacities under both schedulers.
func (l *Lab) LatencySettings() LatencySettings {
	return LatencySettings{Workload: l.Picks.Source(), Model: l.Serving, Hardware: l.Hardware, Requests: l.Sizes.withDefaults().ServedRequests,
		MemoryFraction: l.Picks.MemoryFraction}
}

// latencyMetrics are section 5c's headline numbers: the latency
// percentiles of every replay under the first scheduler.
func (r Results) latencyMetrics() []Metric {
	st := r.Latency
	if st == nil || len(st.Runs) == 0 || len(st.Schedulers) == 0 {
		return nil
	}
	const sec = "5c serving latency"
	var out []Metric
	for c := range st.Capacities {
		run := st.Run(c, 0)
		sv := run.Serving
		cond := fmt.Sprintf("%s, first %d requests, %s on %d× %s, %s cache, %s scheduler, %s token hits", st.Workload, st.Stats.Requests, st.Model, st.TP, st.Hardware,
			st.CapacityLabel(c), run.Scheduler, units.Percent(run.TokenHitRate))
		for _, m := range []struct {
			name string
			v    float64
			band cost.Band
		}{{"TTFT p50", sv.P50TTFTSeconds, st.Bands.TTFT}, {"TTFT p99", sv.P99TTFTSeconds, st.Bands.TTFT}, {"TPOT p50", sv.P50TPOTSeconds, st.Bands.TPOT},
			{"ITL p99", sv.P99ITLSeconds, st.Bands.TPOT}, {"E2E p99", sv.P99E2ESeconds, st.Bands.E2E}} {
			out = append(out, Metric{Section: sec, Name: fmt.Sprintf("%s at %s", m.name, st.CapacityLabel(c)), Value: m.v, Unit: "s",
				Conditions: cond + ", predicted: " + m.band.String()})
		}
	}
	return out
}

// CapacityLabel names capacity c: "232 blocks (36 GiB)" or "unbounded".
func (st LatencyStudy) CapacityLabel(c int) string {
	b := st.Capacities[c]
	if b == cache.Unbounded {
		return "unbounded"
	}
	return fmt.Sprintf("%s blocks (%s)", units.Thousands(int64(b)), units.GiBLabel(units.GiB(float64(b)*float64(st.BytesPerBlock))))
}
