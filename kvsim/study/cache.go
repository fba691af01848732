package study

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// Eviction policy names the cache study draws specially.
const (
	LRU    = cache.LRUName    // its time series and TTFT are drawn
	Belady = cache.BeladyName // the offline optimum, drawn as a bound
)

// SweetSpotFraction is the share of the unbounded hit rate that defines the
// sweet spot (sim.Sweep.SweetSpot).
const SweetSpotFraction = 0.95

// CacheSettings set up section 5: a workload replayed through a prefix
// cache of Model's KV blocks at every position of the capacity slider.
type CacheSettings struct {
	Workload       Source
	Model          model.Spec     // its KV bytes size the blocks; its prefills are timed
	Hardware       cost.Hardware  // Devices(Model) of it run Model
	KVDType        model.DType    // "": fp16
	CapacityPoints int            // slider positions, log-spaced from 16 blocks to the workload's distinct blocks; 0: 40
	Policies       []string       // eviction policies of the capacity chart; nil: lru, s3fifo and Belady's optimum
	Grid           *CacheGrid     // the pickers of section 5's explorer, replayed in advance (CacheStudy.Explorer); nil: none
	SeriesPoints   int            // points of each time series; 0: 120
	Compare        []model.Spec   // models whose hit rate is compared at one KV budget (findings); optional
	BudgetBytes    int64          // that budget; 0: the KV memory Model's devices leave
	MemoryFraction float64        // share of each device the engine may use; 0: the default engine's (vllm: 0.9)
	Progress       func(Progress) // optional: each replay as it ends
}

// CacheStudy is the workload replayed through a prefix cache at every
// slider capacity: the sweep (policies, Belady, unbounded), an LRU time
// series per capacity, the sweet spot, and the comparison at one budget.
type CacheStudy struct {
	Workload      string         `json:"workload"`
	Stats         workload.Stats `json:"stats"`
	Notes         []string       `json:"notes,omitempty"`
	Model         string         `json:"model"`
	Hardware      string         `json:"hardware"`
	TP            int            `json:"tp"` // devices the model runs on (Devices; prefills are timed there)
	KVDType       model.DType    `json:"kv_dtype"`
	BytesPerBlock int64          `json:"bytes_per_block"`
	NodeKVBytes   int64          `json:"node_kv_bytes"` // KV memory left on those devices for Model
	Engine        string         `json:"engine"`        // whose prefills are timed (TTFT saved) and whose memory rule places Model
	PrefillBand   cost.Band      `json:"prefill_band"`  // the engine's prefills against published ones: a TTFT saved of t is likely t/High to t/Low measured
	Sweep         sim.Sweep      `json:"sweep"`
	Series        []sim.Series   `json:"series"`     // LRU, one per capacity
	SweetSpot     int            `json:"sweet_spot"` // index into Sweep.Capacities; -1 when none reaches it
	Budget        []BudgetPoint  `json:"budget,omitempty"`
	BudgetBytes   int64          `json:"budget_bytes,omitempty"`
	Seconds       float64        `json:"seconds"` // wall time of the study
	Provenance    `json:"provenance"`

	// Explorer is the settings' Grid replayed, when they ask for it.
	Explorer *CacheExplorer `json:"explorer,omitempty"`
}

// Study names the result: data/cache.json.
func (CacheStudy) Study() string { return "cache" }

// Summary says what was replayed.
func (st CacheStudy) Summary() string {
	return fmt.Sprintf("replayed %s (%d requests) at %d capacities in %.1f s", st.Workload, st.Stats.Requests, len(st.Sweep.Capacities), st.Took)
}

// LRU is the LRU curve of the sweep.
func (st CacheStudy) LRU() (sim.Curve, bool) { return st.Sweep.Curve(LRU) }

// BudgetPoint is one model's LRU cache at a fixed KV memory budget.
type BudgetPoint struct {
	Model         string  `json:"model"`
	Attention     string  `json:"attention"`
	BytesPerBlock int64   `json:"bytes_per_block"`
	Blocks        int     `json:"blocks"`
	TokenHitRate  float64 `json:"token_hit_rate"`
	Error         string  `json:"error,omitempty"`
}

// SliderCapacities are n capacities log-spaced from 16 blocks to a
// workload's distinct blocks (at least 17): the capacity slider of section
// 5 and kvsim replay --sweep.
func SliderCapacities(distinctBlocks, n int) ([]int, error) {
	switch {
	case n < 2:
		return nil, badSettings("%d capacities: give at least 2 points", n)
	case n > MaxCapacityPoints:
		return nil, badSettings("%d capacities: at most %d (each replays the whole workload)", n, MaxCapacityPoints)
	}
	caps, err := sim.LogCapacities(16, max(distinctBlocks, 17), n)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	return caps, nil
}

// Cache replays the workload at every capacity, in parallel.
func Cache(ctx context.Context, s CacheSettings) (CacheStudy, error) {
	start := time.Now()
	s.KVDType = orDefault(s.KVDType, model.FP16)
	s.CapacityPoints, s.SeriesPoints = orDefault(s.CapacityPoints, 40), orDefault(s.SeriesPoints, 120)
	if s.CapacityPoints < 2 || s.SeriesPoints < 2 {
		return CacheStudy{}, fmt.Errorf("study: %d capacities and %d series points: give at least 2 of each", s.CapacityPoints, s.SeriesPoints)
	}
	if s.Policies == nil {
		s.Policies = defaultCachePolicies()
	}
	if !slices.Contains(s.Policies, LRU) {
		return CacheStudy{}, errors.New("study: the cache study needs the lru policy among its policies (its time series and TTFT are drawn)")
	}
	w, err := s.Workload.Load()
	if err != nil {
		return CacheStudy{}, err
	}
	p, err := sim.Prepare(w)
	if err != nil {
		return CacheStudy{}, fmt.Errorf("study: %w", err)
	}
	w = p.Workload()
	st := CacheStudy{Workload: w.Name, Stats: w.Stats(), Notes: w.Notes, Model: s.Model.Name, Hardware: s.Hardware.Name, KVDType: s.KVDType, SweetSpot: -1}
	if st.BytesPerBlock, err = cache.BlockBytes(s.Model, s.KVDType, w.BlockTokens); err != nil {
		return CacheStudy{}, fmt.Errorf("study: %w", err)
	}
	place := cost.Options{DType: s.KVDType, MemoryFraction: s.MemoryFraction}
	fit := kvFit(s.Model, s.Hardware, place)
	if fit.Error != "" || fit.NodeKVTokens < 1 {
		return CacheStudy{}, fmt.Errorf("study: %s leaves no room for a KV cache on %s at %s%s; pick larger hardware or a smaller model",
			s.Model.Name, s.Hardware.Name, s.KVDType, parenthesised(fit.Error))
	}
	st.NodeKVBytes, st.Engine = fit.NodeKVBytes, fit.Engine
	if st.PrefillBand, err = cost.PublishedBand(fit.Engine, cost.PrefillTTFT); err != nil {
		return CacheStudy{}, fmt.Errorf("study: %w", err)
	}
	timer, tp, err := ServingTimerWith(s.Model, s.Hardware, place)
	if err != nil {
		return CacheStudy{}, err
	}
	st.TP = tp
	caps, err := SliderCapacities(st.Stats.DistinctBlocks, s.CapacityPoints)
	if err != nil {
		return CacheStudy{}, err
	}
	// TTFT saved is drawn for LRU only: time its sweep alone, the others untimed.
	others := slices.DeleteFunc(slices.Clone(s.Policies), func(name string) bool { return name == LRU })
	runs := cacheRuns(len(caps), len(s.Policies), len(s.Compare))
	if err := checkVisits(w, st.Stats.PromptBlocks, runs); err != nil {
		return CacheStudy{}, err
	}
	prog := newCounter("cache", "replays", runs, s.Progress)
	if st.Sweep, err = p.SweepCapacity(sim.SweepConfig{Capacities: caps, BytesPerBlock: st.BytesPerBlock, Timer: timer, Progress: prog.runDone}); err != nil {
		return CacheStudy{}, fmt.Errorf("study: %w", err)
	}
	if len(others) > 0 {
		rest, err := p.SweepCapacity(sim.SweepConfig{Policies: others, Capacities: caps, BytesPerBlock: st.BytesPerBlock, Progress: prog.runDone})
		if err != nil {
			return CacheStudy{}, fmt.Errorf("study: %w", err)
		}
		st.Sweep.Curves = append(st.Sweep.Curves, rest.Curves...)
	}
	if i, _, ok, err := st.Sweep.SweetSpot(LRU, SweetSpotFraction); err == nil && ok {
		st.SweetSpot = i
	}
	st.Series = make([]sim.Series, len(st.Sweep.Capacities))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range st.Series {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			r, err := p.Replay(sim.Config{Policy: LRU, CapacityBlocks: st.Sweep.Capacities[i], BytesPerBlock: st.BytesPerBlock, MaxPoints: s.SeriesPoints})
			st.Series[i] = r.Series
			prog.step()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return CacheStudy{}, fmt.Errorf("study: %w", err)
	}
	if len(s.Compare) > 0 {
		st.BudgetBytes = orDefault(s.BudgetBytes, st.NodeKVBytes)
		if st.Budget, err = atBudget(ctx, p, s.Compare, s.KVDType, st.BudgetBytes, prog); err != nil {
			return CacheStudy{}, err
		}
	}
	if s.Grid != nil {
		if st.Explorer, err = exploreCache(ctx, s); err != nil {
			return CacheStudy{}, err
		}
	}
	st.Provenance = stamp(start)
	st.Seconds = st.Took
	return st, nil
}

// defaultCachePolicies are the cache study's policies when its settings
// name none: lru, s3fifo and Belady's optimum.
func defaultCachePolicies() []string { return []string{LRU, cache.S3FIFOName, Belady} }

// cacheRuns counts the replays of a cache study: every capacity under every
// policy, the unbounded run of each of its two sweeps (LRU, the others),
// an LRU series per capacity, and one replay per model compared.
func cacheRuns(capacities, policies, compared int) int {
	sweeps := 1
	if policies > 1 {
		sweeps = 2
	}
	return capacities*policies + sweeps + capacities + compared
}

func parenthesised(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

// atBudget replays each model's LRU cache at the blocks budget buys; a
// model that cannot be sized carries its reason in Error.
func atBudget(ctx context.Context, p *sim.Prepared, specs []model.Spec, dtype model.DType, budget int64, prog *counter) ([]BudgetPoint, error) {
	out := make([]BudgetPoint, len(specs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, s := range specs {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			out[i] = budgetPoint(p, s, dtype, budget)
			prog.step()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func budgetPoint(p *sim.Prepared, s model.Spec, dtype model.DType, budget int64) BudgetPoint {
	bp := BudgetPoint{Model: s.Name, Attention: AttentionLabel(s)}
	blockTokens := p.Workload().BlockTokens
	var err error
	if bp.BytesPerBlock, err = cache.BlockBytes(s, dtype, blockTokens); err != nil {
		bp.Error = err.Error()
		return bp
	}
	if bp.Blocks, err = cache.BlocksForBudget(budget, s, dtype, blockTokens); err != nil {
		bp.Error = err.Error()
		return bp
	}
	r, err := p.Replay(sim.Config{CapacityBlocks: bp.Blocks, MaxPoints: 1})
	if err != nil {
		bp.Error = err.Error()
		return bp
	}
	bp.TokenHitRate = r.Summary.TokenHitRate
	return bp
}
