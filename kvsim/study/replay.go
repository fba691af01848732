package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/units"
	"kvcache/kvsim/workload"
)

// ReplaySettings set up kvsim replay: a workload through a prefix cache,
// at each capacity under each eviction policy.
type ReplaySettings struct {
	Workload   Source
	Evictions  []string // eviction policies (cache.PolicyNames, "belady" for the offline optimum); nil: lru
	Capacities Capacities
	Model      *model.Spec    // sizes the blocks in bytes; nil: capacities in blocks only
	KVDType    model.DType    // "": fp16
	Hardware   *cost.Hardware // times Model's prefills on Devices(Model) of it (TTFT saved); needs Model
	Timed      bool           // serve in time: arrivals, continuous batching, pinned blocks; needs Hardware
	Serving    Serving        // how the timed replay schedules its steps
	Progress   func(Progress) // optional: loading, then each run as it ends
	Tiered     TieredSettings // one replay over cache tiers and instances instead (Tiers set); Capacities and Timed do not apply
}

// Serving is how a timed replay schedules (sim.ServeConfig); zero values
// take sim's defaults (prefill-first, reserved decode memory).
type Serving struct {
	Scheduler    string // sim.SchedulerNames
	ChunkTokens  int    // tokens per step with chunked prefill
	DecodeMemory string // sim.DecodeMemoryNames
}

// Capacities are the cache sizes of a replay: exactly one of Blocks, Bytes
// (with a model) and Sweep.
type Capacities struct {
	Blocks    []int   // block counts
	Bytes     []int64 // memory, divided by the model's bytes per block
	Sweep     int     // SliderCapacities over the workload's distinct blocks, plus unbounded
	Unbounded bool    // also an unbounded cache
}

// ParseCapacities reads capacities as people type them: block counts
// ("1000,10000,unbounded"), sizes ("80GiB,512MiB", with a model), a sweep
// of n points (Resolve wants exactly one of the three).
func ParseCapacities(blocks, bytes string, sweep int) (Capacities, error) {
	c := Capacities{Sweep: sweep}
	for _, f := range strings.Split(blocks, ",") {
		switch f = strings.TrimSpace(f); strings.ToLower(f) {
		case "":
			continue
		case "unbounded", "inf":
			c.Unbounded = true
			continue
		}
		n, err := strconv.Atoi(f)
		switch {
		case err != nil:
			return c, badSettings("capacity %q: not a whole number of blocks", f)
		case n < 1:
			return c, badSettings("a cache of %d blocks: it holds at least 1 block", n)
		}
		c.Blocks = append(c.Blocks, n)
	}
	for _, f := range strings.Split(bytes, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		b, err := units.ParseBytes(f)
		if err != nil {
			return c, badSettings("%v", err)
		}
		c.Bytes = append(c.Bytes, b)
	}
	return c, nil
}

// Resolve turns the capacities into block counts for a workload with
// distinct blocks of bytesPerBlock bytes (0: no model), and says whether
// the unbounded run is wanted.
func (c Capacities) Resolve(distinctBlocks int, bytesPerBlock int64) (blocks []int, unbounded bool, err error) {
	given := 0
	for _, set := range []bool{len(c.Blocks) > 0, len(c.Bytes) > 0, c.Sweep != 0} {
		if set {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, false, badSettings("give capacities in blocks, in bytes or as a sweep, not several")
	case given == 0 && !c.Unbounded:
		return nil, false, badSettings("no capacity given")
	case c.Sweep != 0:
		blocks, err := SliderCapacities(distinctBlocks, c.Sweep)
		return blocks, true, err
	}
	for _, n := range c.Blocks {
		if n < 1 {
			return nil, false, badSettings("a cache of %d blocks: it holds at least 1 block", n)
		}
	}
	blocks = slices.Clone(c.Blocks)
	if len(c.Bytes) > 0 && bytesPerBlock <= 0 {
		return nil, false, badSettings("capacities in bytes need a model to know the bytes per block")
	}
	for _, b := range c.Bytes {
		n := b / max(bytesPerBlock, 1)
		switch {
		case n < 1:
			return nil, false, badSettings("a capacity of %s holds no block of %s", units.Bytes(float64(b)), units.Bytes(float64(bytesPerBlock)))
		case n > math.MaxInt32-1:
			return nil, false, badSettings("a capacity of %s is %d blocks, more than a cache indexes", units.Bytes(float64(b)), n)
		}
		blocks = append(blocks, int(n))
	}
	if n := len(slices.Compact(slices.Sorted(slices.Values(blocks)))); n > MaxCapacityPoints {
		return nil, false, badSettings("%d capacities: at most %d (each replays the whole workload)", n, MaxCapacityPoints)
	}
	return blocks, c.Unbounded, nil
}

// replayRuns counts the runs of Replay: each capacity under each policy,
// plus, untimed, the sweep's own unbounded run and the unbounded row.
func replayRuns(capacities, policies int, unbounded, timed bool) int {
	if timed {
		if unbounded {
			capacities++
		}
		return capacities * policies
	}
	runs := 0
	if capacities > 0 {
		runs = 1 + capacities*policies
	}
	if unbounded {
		runs++
	}
	return runs
}

// ReplayResult is one row per capacity and policy: summaries of an ordered
// replay, or of a timed one.
type ReplayResult struct {
	Workload      string            `json:"workload"`
	Stats         workload.Stats    `json:"stats"`
	Notes         []string          `json:"notes,omitempty"`
	BytesPerBlock int64             `json:"bytes_per_block"` // 0 without a model
	Hardware      string            `json:"hardware,omitempty"`
	TP            int               `json:"tp,omitempty"` // devices the prefills are timed on
	Rows          []sim.Summary     `json:"rows,omitempty"`
	Served        []sim.ServeResult `json:"served,omitempty"` // timed
	Tiered        *sim.TieredResult `json:"tiered,omitempty"` // over tiers and instances
	Provenance    `json:"provenance"`
}

// JSON is what kvsim replay --json prints: the rows, the timed runs, or
// the whole result of a replay over tiers.
func (r ReplayResult) JSON() any {
	switch {
	case r.Tiered != nil:
		return r
	case r.Served != nil:
		return r.Served
	}
	return r.Rows
}

// Study names the result: data/replay.json.
func (ReplayResult) Study() string { return "replay" }

// Summary says what was replayed.
func (r ReplayResult) Summary() string {
	if r.Tiered != nil {
		return fmt.Sprintf("replayed %s (%d requests) over %d instances in %.1f s", r.Workload, r.Stats.Requests, r.Tiered.Instances, r.Took)
	}
	return fmt.Sprintf("replayed %s (%d requests) in %d runs in %.1f s", r.Workload, r.Stats.Requests, len(r.Rows)+len(r.Served), r.Took)
}

// load reads the workload (with progress) and starts the result: the
// workload's name, statistics and notes, and the bytes of one block of
// the model's KV (0 without a model) at the KV dtype it returns.
func (s ReplaySettings) load() (workload.Workload, ReplayResult, model.DType, error) {
	newCounter("replay", "loading "+s.Workload.Label(), 0, s.Progress)
	w, err := s.Workload.Load()
	if err != nil {
		return w, ReplayResult{}, "", err
	}
	res := ReplayResult{Workload: w.Name, Stats: w.Stats(), Notes: w.Notes}
	dtype := orDefault(s.KVDType, model.FP16)
	if s.Model != nil {
		if res.BytesPerBlock, err = cache.BlockBytes(*s.Model, dtype, w.BlockTokens); err != nil {
			return w, ReplayResult{}, "", fmt.Errorf("study: %w", err)
		}
	}
	return w, res, dtype, nil
}

// timer prices serving steps when a hardware is picked (nil otherwise) and
// records the model's placement on it in res.
func (s ReplaySettings) timer(dtype model.DType, res *ReplayResult) (sim.StepTimer, error) {
	if s.Hardware == nil {
		return nil, nil
	}
	timer, tp, err := ServingTimer(*s.Model, *s.Hardware, dtype)
	if err != nil {
		return nil, err
	}
	res.TP, res.Hardware = tp, s.Hardware.Name
	return timer, nil
}

// Replay runs the workload at every capacity and policy, capacities in
// parallel (sim.Prepared.SweepCapacity), the unbounded cache last.
func Replay(ctx context.Context, s ReplaySettings) (ReplayResult, error) {
	start := time.Now()
	evictions := []string{LRU}
	if len(s.Evictions) > 0 {
		evictions = make([]string, len(s.Evictions))
		for i, e := range s.Evictions {
			name, err := cache.CanonicalPolicy(e)
			if err != nil {
				return ReplayResult{}, badSettings("%v", err)
			}
			evictions[i] = name
		}
	}
	if s.Hardware != nil && s.Model == nil {
		return ReplayResult{}, badSettings("timing prefills on hardware needs the model whose prefills they are")
	}
	if s.Tiered.asked() {
		return tieredReplay(ctx, s, evictions, start)
	}
	switch {
	case s.Timed && s.Hardware == nil:
		return ReplayResult{}, badSettings("a timed replay needs a model and hardware to time prefills and decodes")
	case s.Timed && slices.Contains(evictions, Belady):
		return ReplayResult{}, badSettings("a timed replay cannot use belady: the offline optimum needs the access order, which the timed run decides")
	}
	w, res, dtype, err := s.load()
	if err != nil {
		return ReplayResult{}, err
	}
	caps, unbounded, err := s.Capacities.Resolve(res.Stats.DistinctBlocks, res.BytesPerBlock)
	if err != nil {
		return ReplayResult{}, err
	}
	runs := replayRuns(len(caps), len(evictions), unbounded, s.Timed)
	if err := checkVisits(w, res.Stats.PromptBlocks, runs); err != nil {
		return ReplayResult{}, err
	}
	timer, err := s.timer(dtype, &res)
	if err != nil {
		return ReplayResult{}, err
	}
	p, err := sim.Prepare(w)
	if err != nil {
		return ReplayResult{}, fmt.Errorf("study: %w", err)
	}
	prog := newCounter("replay", "runs", runs, s.Progress)
	if s.Timed {
		if unbounded {
			caps = append(caps, cache.Unbounded)
		}
		for _, c := range caps {
			for _, e := range evictions {
				if err := ctx.Err(); err != nil {
					return ReplayResult{}, err
				}
				r, err := p.Serve(sim.ServeConfig{Config: sim.Config{Policy: e, CapacityBlocks: c, BytesPerBlock: res.BytesPerBlock, Timer: timer, MaxPoints: 1},
					Scheduler: s.Serving.Scheduler, ChunkTokens: s.Serving.ChunkTokens, DecodeMemory: s.Serving.DecodeMemory})
				if err != nil {
					return ReplayResult{}, fmt.Errorf("study: %w", err)
				}
				r.Series = sim.Series{}
				res.Served = append(res.Served, r)
				prog.step()
			}
		}
		res.Provenance = stamp(start)
		return res, nil
	}
	if len(caps) > 0 {
		sw, err := p.SweepCapacity(sim.SweepConfig{Policies: evictions, Capacities: caps, BytesPerBlock: res.BytesPerBlock, Timer: timer, Progress: prog.runDone})
		if err != nil {
			return ReplayResult{}, fmt.Errorf("study: %w", err)
		}
		for j := range sw.Capacities {
			for _, c := range sw.Curves {
				res.Rows = append(res.Rows, c.Points[j])
			}
		}
	}
	if unbounded {
		if err := ctx.Err(); err != nil {
			return ReplayResult{}, err
		}
		r, err := p.Replay(sim.Config{CapacityBlocks: cache.Unbounded, BytesPerBlock: res.BytesPerBlock, Timer: timer, MaxPoints: 1})
		if err != nil {
			return ReplayResult{}, fmt.Errorf("study: %w", err)
		}
		r.Summary.Policy = "unbounded"
		res.Rows = append(res.Rows, r.Summary)
		prog.step()
	}
	res.Provenance = stamp(start)
	return res, nil
}

// WriteText is kvsim replay's text: the workload, its notes, where
// prefills are timed, and a row per capacity and policy.
func (r ReplayResult) WriteText(w io.Writer) error {
	st := r.Stats
	fmt.Fprintf(w, "%s: %d requests, avg input %.0f tokens, avg output %.0f, %d prompt blocks of %d tokens (%d distinct)\n",
		r.Workload, st.Requests, st.AvgInputTokens, st.AvgOutputTokens, st.PromptBlocks, st.BlockTokens, st.DistinctBlocks)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if r.Hardware != "" {
		fmt.Fprintf(w, "prefills timed on %d× %s (the fewest devices that hold one request at the model's full context)\n", r.TP, r.Hardware)
	}
	fmt.Fprintln(w)
	if r.Tiered != nil {
		return report.WriteTiered(w, *r.Tiered)
	}
	if r.Served != nil {
		return report.ServeTable(r.Workload, r.Served).WriteText(w)
	}
	return report.ReplayTable(r.Rows, r.BytesPerBlock > 0, r.Hardware != "").WriteText(w)
}
