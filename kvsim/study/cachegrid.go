package study

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// CacheGrid is what the pickers of section 5 offer: every workload, block
// size and online eviction policy is replayed at every capacity position in
// advance, and every serving model prices the prefills the hits save, so a
// page (the notebook, its HTML export, kvsim report) switches between them
// without a kernel. The combinations multiply: the defaults (4 workloads,
// 3 block sizes, 3 policies, 16 capacities, 3 models) replay each workload
// 3 × 16 × 4 + 1 times per block size.
type CacheGrid struct {
	Workloads    []Source     // the workload picker; nil: the settings' Workload only
	BlockSizes   []int        // tokens per block; nil: the workload's own. A trace keeps its 512 (the other sizes say so)
	Policies     []string     // online eviction policies; nil: lru, s3fifo, sieve. Belady's optimum is always their bound
	Models       []model.Spec // serving models; nil: the settings' Model only
	Points       int          // capacity positions, log-spaced from 16 blocks to the distinct blocks; 0: 16
	SeriesPoints int          // points of each time series; 0: 60
}

// DefaultGridPolicies are the online policies of the policy picker.
func DefaultGridPolicies() []string { return []string{LRU, cache.S3FIFOName, cache.SIEVEName} }

// DefaultGridBlockSizes are the block sizes of the picker: 128 tokens (a
// small block, replayed in 2.5 times the time of 512), the Mooncake
// traces' 512, and 2,048.
func DefaultGridBlockSizes() []int { return []int{128, 512, 2048} }

// SyntheticWorkloads are the four generators of kvsim/workload, drawn from seed.
func SyntheticWorkloads(seed uint64) []Source {
	var out []Source
	for _, n := range workload.Names() {
		out = append(out, Source{Name: n, Seed: seed})
	}
	return out
}

// CacheExplorer is a CacheGrid replayed: a cell per workload and block
// size, and what each serving model makes of it.
type CacheExplorer struct {
	Workloads    []string       `json:"workloads"` // labels of the workload picker (Source.Label)
	BlockSizes   []int          `json:"block_sizes"`
	Policies     []string       `json:"policies"` // online; Belady's bound is in each cell
	Models       []ServingModel `json:"models"`
	Cells        [][]CacheCell  `json:"cells"` // [workload][block size]
	SeriesPoints int            `json:"series_points"`
	// Where the pickers start: the settings' workload, block size and model.
	StartWorkload, StartBlockSize, StartModel int
}

// ServingModel is one model of the serving-model picker on the study's
// hardware: what a token of KV weighs, the devices it runs on and the
// memory they leave for the cache.
type ServingModel struct {
	Name            string `json:"name"`
	Attention       string `json:"attention"`
	KVBytesPerToken int64  `json:"kv_bytes_per_token"` // at the study's KV dtype: a block of b tokens is b times this
	TP              int    `json:"tp"`
	NodeKVBytes     int64  `json:"node_kv_bytes"`
	Error           string `json:"error,omitempty"` // why it cannot serve here (no TTFT then)
}

// CacheCell is one workload at one block size: the slider's capacities,
// each online policy's replay at each (summary, TTFT saved per model and
// time series), Belady's bound and the unbounded cache.
type CacheCell struct {
	Workload    string         `json:"workload"`
	BlockTokens int            `json:"block_tokens"`
	Stats       workload.Stats `json:"stats"`
	Error       string         `json:"error,omitempty"` // nothing replayed (a trace at another block size)
	Capacities  []int          `json:"capacities"`      // blocks
	Runs        []PolicyRun    `json:"runs"`            // one per online policy
	Belady      []GridPoint    `json:"belady"`          // per capacity
	Unbounded   GridPoint      `json:"unbounded"`
	// PrefillUncached is, per model, the mean prefill per request without a cache.
	PrefillUncached []float64 `json:"prefill_uncached_seconds"`
}

// PolicyRun is one online policy at every capacity of a cell.
type PolicyRun struct {
	Policy string       `json:"policy"`
	Points []GridPoint  `json:"points"`
	Series []sim.Series `json:"series"`
}

// GridPoint is a replay's outcome at one capacity.
type GridPoint struct {
	TokenHitRate     float64 `json:"token_hit_rate"`
	RecomputedTokens int64   `json:"recomputed_tokens"`
	Evictions        int64   `json:"evictions"`
	// TTFTSaved is, per model, the mean prefill time per request the hits
	// save (0 for a model that cannot serve; none for Belady and unbounded).
	TTFTSaved []float64 `json:"ttft_saved_seconds,omitempty"`
}

// SweetSpot is the index of the smallest capacity at which policy reaches
// SweetSpotFraction of the unbounded hit rate in the cell, or -1.
func (c CacheCell) SweetSpot(policy string) int {
	r, ok := c.Run(policy)
	if !ok || c.Unbounded.TokenHitRate <= 0 {
		return -1
	}
	for i, p := range r.Points {
		if p.TokenHitRate >= SweetSpotFraction*c.Unbounded.TokenHitRate {
			return i
		}
	}
	return -1
}

// Run is the run of policy in the cell, if replayed.
func (c CacheCell) Run(policy string) (PolicyRun, bool) {
	i := slices.IndexFunc(c.Runs, func(r PolicyRun) bool { return r.Policy == policy })
	if i < 0 {
		return PolicyRun{}, false
	}
	return c.Runs[i], true
}

// exploreCache replays the grid of s. Cells go one after another (each
// holds its prepared workload); the replays of a cell run in parallel.
func exploreCache(ctx context.Context, s CacheSettings) (*CacheExplorer, error) {
	g := *s.Grid
	if g.Workloads == nil {
		g.Workloads = []Source{s.Workload}
	}
	if g.Policies == nil {
		g.Policies = DefaultGridPolicies()
	}
	if g.Models == nil {
		g.Models = []model.Spec{s.Model}
	}
	g.Points, g.SeriesPoints = orDefault(g.Points, 16), orDefault(g.SeriesPoints, 60)
	if g.BlockSizes == nil {
		g.BlockSizes = []int{orDefault(g.Workloads[0].BlockTokens, workload.MooncakeBlockTokens)}
	}
	if g.Points < 2 || g.SeriesPoints < 2 {
		return nil, badSettings("cache grid of %d capacities and %d series points: give at least 2 of each", g.Points, g.SeriesPoints)
	}
	for i, p := range g.Policies {
		name, err := cache.CanonicalPolicy(p)
		if err != nil {
			return nil, fmt.Errorf("study: cache grid: %w", err)
		}
		if cache.IsOffline(name) {
			return nil, badSettings("cache grid: %s is offline; it is drawn as the bound of every cell, list online policies only", name)
		}
		g.Policies[i] = name
	}
	for _, b := range g.BlockSizes {
		if b < 1 {
			return nil, badSettings("cache grid: %d-token blocks: a block holds at least 1 token", b)
		}
	}
	x := &CacheExplorer{BlockSizes: g.BlockSizes, Policies: g.Policies, SeriesPoints: g.SeriesPoints}
	x.StartWorkload = max(0, slices.IndexFunc(g.Workloads, func(w Source) bool { return w.Label() == s.Workload.Label() }))
	x.StartBlockSize = max(0, slices.Index(g.BlockSizes, orDefault(s.Workload.BlockTokens, workload.MooncakeBlockTokens)))
	x.StartModel = max(0, slices.IndexFunc(g.Models, func(m model.Spec) bool { return m.Name == s.Model.Name }))
	timers := make([]sim.StepTimer, len(g.Models))
	for i, m := range g.Models {
		x.Models = append(x.Models, servingModel(m, s, &timers[i]))
	}
	for _, src := range g.Workloads {
		x.Workloads = append(x.Workloads, src.Label())
		row := make([]CacheCell, len(g.BlockSizes))
		for j, b := range g.BlockSizes {
			src.BlockTokens = b
			cell, err := replayCell(ctx, src, g, timers)
			if err != nil {
				return nil, err
			}
			row[j] = cell
		}
		x.Cells = append(x.Cells, row)
	}
	return x, nil
}

// servingModel sizes m on the study's hardware and sets its prefill timer
// (left nil when it cannot serve there).
func servingModel(m model.Spec, s CacheSettings, timer *sim.StepTimer) ServingModel {
	sm := ServingModel{Name: m.Name, Attention: AttentionLabel(m), KVBytesPerToken: m.KVBytesPerToken(s.KVDType)}
	fits, err := KVFits([]model.Spec{m}, s.Hardware, s.KVDType)
	if err != nil {
		sm.Error = err.Error()
		return sm
	}
	f := fits[0]
	sm.TP, sm.NodeKVBytes = f.TP, f.NodeKVBytes
	switch {
	case f.Error != "":
		sm.Error = f.Error
	case f.NodeKVTokens < 1:
		sm.Error = fmt.Sprintf("%s leaves no room for a KV cache on %s", m.Name, s.Hardware.Name)
	default:
		t, _, err := ServingTimer(m, s.Hardware, s.KVDType)
		if err != nil {
			sm.Error = err.Error()
		} else {
			*timer = t
		}
	}
	return sm
}

// replayCell replays one workload at one block size.
func replayCell(ctx context.Context, src Source, g CacheGrid, models []sim.StepTimer) (CacheCell, error) {
	cell := CacheCell{Workload: src.Label(), BlockTokens: src.BlockTokens}
	if err := src.Check(); err != nil {
		cell.Error = err.Error() // a trace at another block size: the picker says so
		return cell, nil
	}
	w, err := src.Load()
	if err != nil {
		return cell, err
	}
	p, err := sim.Prepare(w)
	if err != nil {
		return cell, fmt.Errorf("study: %w", err)
	}
	if _, err := p.Future(); err != nil { // Belady's, built once before the workers share it
		return cell, fmt.Errorf("study: %w", err)
	}
	w = p.Workload()
	cell.Stats = w.Stats()
	if cell.Capacities, err = SliderCapacities(cell.Stats.DistinctBlocks, g.Points); err != nil {
		return cell, err
	}
	timers := make([]*prefillTable, len(models))
	cell.PrefillUncached = make([]float64, len(models))
	for m, mt := range models {
		if mt == nil {
			continue
		}
		t := newPrefillTable(mt, w)
		timers[m] = t
		for _, r := range w.Requests {
			cell.PrefillUncached[m] += t.prefill(r.InputTokens, 0)
		}
		cell.PrefillUncached[m] /= float64(max(1, len(w.Requests)))
	}
	caps := cell.Capacities
	cell.Runs = make([]PolicyRun, len(g.Policies))
	for i, pol := range g.Policies {
		cell.Runs[i] = PolicyRun{Policy: pol, Points: make([]GridPoint, len(caps)), Series: make([]sim.Series, len(caps))}
	}
	cell.Belady = make([]GridPoint, len(caps))
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(runtime.GOMAXPROCS(0))
	eg.Go(func() error {
		r, err := p.Replay(sim.Config{CapacityBlocks: cache.Unbounded, MaxPoints: 1})
		cell.Unbounded = gridPoint(r.Summary)
		return err
	})
	for k, c := range caps {
		eg.Go(func() error {
			if err := ectx.Err(); err != nil {
				return err
			}
			r, err := p.Replay(sim.Config{Policy: Belady, CapacityBlocks: c, MaxPoints: 1})
			cell.Belady[k] = gridPoint(r.Summary)
			return err
		})
		for i, pol := range g.Policies {
			eg.Go(func() error {
				if err := ectx.Err(); err != nil {
					return err
				}
				price := &pricing{timers: timers, saving: make([]float64, len(timers))}
				r, err := p.Replay(sim.Config{Policy: pol, CapacityBlocks: c, MaxPoints: g.SeriesPoints, Timer: price})
				if err != nil {
					return err
				}
				pt := gridPoint(r.Summary)
				pt.TTFTSaved = price.saved(r.Summary.Requests)
				cell.Runs[i].Points[k], cell.Runs[i].Series[k] = pt, r.Series
				return nil
			})
		}
	}
	if err := eg.Wait(); err != nil {
		return cell, fmt.Errorf("study: replaying %s at %d-token blocks: %w", cell.Workload, cell.BlockTokens, err)
	}
	return cell, nil
}

func gridPoint(s sim.Summary) GridPoint {
	return GridPoint{TokenHitRate: s.TokenHitRate, RecomputedTokens: s.RecomputedTokens, Evictions: s.Evictions}
}

// pricing is the step timer of one replay that prices its prefills for
// every serving model at once. The replay asks, for each request with
// hits, the prefill of the part of the prompt past its cached prefix
// (newTokens after cachedTokens > 0; sim's recorder), and for every
// request the whole prompt's (cachedTokens = 0). What the hits save is the
// sum, over the calls with cached tokens, of the whole prompt's prefill
// (newTokens + cachedTokens tokens) less that call's. The first model's
// time is returned to the replay, whose own TTFT saved must therefore
// equal TTFTSaved[0] (tested).
type pricing struct {
	timers []*prefillTable // nil where a model cannot serve
	mu     sync.Mutex
	saving []float64 // per model, seconds saved so far
}

func (p *pricing) PrefillSeconds(newTokens, cachedTokens int) float64 {
	if len(p.timers) == 0 || p.timers[0] == nil {
		return 0
	}
	first := p.timers[0].prefill(newTokens, cachedTokens)
	if cachedTokens == 0 {
		return first
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for m, t := range p.timers {
		if t != nil {
			p.saving[m] += t.prefill(newTokens+cachedTokens, 0) - t.prefill(newTokens, cachedTokens)
		}
	}
	return first
}

func (p *pricing) DecodeSeconds(batch, totalContext int) float64 {
	if len(p.timers) == 0 || p.timers[0] == nil {
		return 0
	}
	return p.timers[0].timer.DecodeSeconds(batch, totalContext)
}

// saved is each model's mean prefill time saved per request.
func (p *pricing) saved(requests int) []float64 {
	out := make([]float64, len(p.timers))
	for m := range p.timers {
		if requests > 0 {
			out[m] = p.saving[m] / float64(requests)
		}
	}
	return out
}

// prefillTable remembers one model's prefill times for every replay of a
// cell: for each prompt length of the workload, a slot per number of
// cached blocks (a prompt of P tokens caches k whole blocks, or P-1 tokens
// when all its blocks hit, since its last token is always computed) plus
// the uncached prefill. The slots are filled on first use, by any replay,
// without a lock; times outside the slots (none expected) are remembered
// in a shared map.
type prefillTable struct {
	timer sim.StepTimer
	block int
	slots map[int][]atomic.Uint64 // prompt tokens -> Float64bits per slot; 0: not yet priced
	other sync.Map                // [2]int{new, cached} -> float64
}

func newPrefillTable(t sim.StepTimer, w workload.Workload) *prefillTable {
	p := &prefillTable{timer: t, block: w.BlockTokens, slots: map[int][]atomic.Uint64{}}
	for _, r := range w.Requests {
		if _, ok := p.slots[r.InputTokens]; !ok {
			p.slots[r.InputTokens] = make([]atomic.Uint64, r.InputTokens/max(1, w.BlockTokens)+2)
		}
	}
	return p
}

func (p *prefillTable) prefill(newTokens, cachedTokens int) float64 {
	if slots, ok := p.slots[newTokens+cachedTokens]; ok && p.block > 0 {
		i := cachedTokens / p.block
		if cachedTokens%p.block != 0 {
			i = len(slots) - 1 // the last token recomputed: all but one cached
		}
		if i < len(slots) {
			if bits := slots[i].Load(); bits != 0 {
				return math.Float64frombits(bits)
			}
			v := p.timer.PrefillSeconds(newTokens, cachedTokens)
			slots[i].Store(math.Float64bits(v))
			return v
		}
	}
	key := [2]int{newTokens, cachedTokens}
	if v, ok := p.other.Load(key); ok {
		return v.(float64)
	}
	v := p.timer.PrefillSeconds(newTokens, cachedTokens)
	p.other.Store(key, v)
	return v
}
