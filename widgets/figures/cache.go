package figures

import (
	"errors"
	"fmt"
	"html"
	"slices"
	"sync"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/units"
	"kvcache/kvsim/workload"
	"kvcache/widgets"
)

// SweetSpotFraction is the share of the unbounded hit rate that defines the
// sweet spot (sim.Sweep.SweetSpot).
const SweetSpotFraction = 0.95

// CacheConfig sets up the cache-size study of section 5.
type CacheConfig struct {
	Workload     workload.Workload
	Model        model.Spec    // its KV bytes size the blocks; its prefills are timed
	Hardware     cost.Hardware // one node of it (as many devices as the heads allow) runs Model
	KVDType      model.DType   // "": fp16
	Capacities   int           // slider positions, log-spaced from 16 blocks to the workload's distinct blocks; 0: 40
	Policies     []string      // curves of the capacity chart; nil: lru, s3fifo, and Belady's optimum
	SeriesPoints int           // points of each time series; 0: 120
	Compare      []model.Spec  // models whose hit rate is compared at one KV budget (findings); optional
	BudgetBytes  int64         // that budget; 0: the KV memory one node of Hardware leaves for Model
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
	TP            int            `json:"tp"` // devices of one node the model runs on (prefills are timed there)
	KVDType       model.DType    `json:"kv_dtype"`
	BytesPerBlock int64          `json:"bytes_per_block"`
	NodeKVBytes   int64          `json:"node_kv_bytes"` // KV memory left on those devices for Model
	Sweep         sim.Sweep      `json:"sweep"`
	Series        []sim.Series   `json:"series"`     // LRU, one per capacity
	SweetSpot     int            `json:"sweet_spot"` // index into Sweep.Capacities; -1 when none reaches it
	Budget        []BudgetPoint  `json:"budget,omitempty"`
	BudgetBytes   int64          `json:"budget_bytes,omitempty"`
	Seconds       float64        `json:"seconds"` // wall time of the study
}

// BudgetPoint is one model's LRU cache at a fixed KV memory budget.
type BudgetPoint struct {
	Model         string  `json:"model"`
	Attention     string  `json:"attention"`
	BytesPerBlock int64   `json:"bytes_per_block"`
	Blocks        int     `json:"blocks"`
	TokenHitRate  float64 `json:"token_hit_rate"`
	Error         string  `json:"error,omitempty"`
}

// StudyCache replays cfg.Workload at every capacity, in parallel.
func StudyCache(cfg CacheConfig) (CacheStudy, error) {
	start := time.Now()
	if cfg.KVDType == "" {
		cfg.KVDType = model.FP16
	}
	cfg.Capacities = defaultInt(cfg.Capacities, 40)
	cfg.SeriesPoints = defaultInt(cfg.SeriesPoints, 120)
	if cfg.Capacities < 2 || cfg.SeriesPoints < 2 {
		return CacheStudy{}, fmt.Errorf("figures: %d capacities and %d series points: give at least 2 of each", cfg.Capacities, cfg.SeriesPoints)
	}
	if cfg.Policies == nil {
		cfg.Policies = []string{cache.LRUName, cache.S3FIFOName, cache.BeladyName}
	}
	if !slices.Contains(cfg.Policies, cache.LRUName) {
		return CacheStudy{}, errors.New("figures: the cache study needs the lru policy among its policies (its time series and TTFT are drawn)")
	}
	p, err := sim.Prepare(cfg.Workload)
	if err != nil {
		return CacheStudy{}, fmt.Errorf("figures: %w", err)
	}
	w := p.Workload()
	st := CacheStudy{Workload: w.Name, Stats: w.Stats(), Notes: w.Notes, Model: cfg.Model.Name, Hardware: cfg.Hardware.Name, KVDType: cfg.KVDType, SweetSpot: -1}
	if st.BytesPerBlock, err = cache.BlockBytes(cfg.Model, cfg.KVDType, w.BlockTokens); err != nil {
		return CacheStudy{}, fmt.Errorf("figures: %w", err)
	}
	fits, err := KVFits([]model.Spec{cfg.Model}, cfg.Hardware, cfg.KVDType)
	if err != nil {
		return CacheStudy{}, err
	}
	if f := fits[0]; f.Error != "" || f.NodeKVTokens < 1 {
		return CacheStudy{}, fmt.Errorf("figures: %s leaves no room for a KV cache on one node of %s at %s%s; pick larger hardware or a smaller model",
			cfg.Model.Name, cfg.Hardware.Name, cfg.KVDType, errSuffix(f.Error))
	}
	st.TP, st.NodeKVBytes = fits[0].TP, fits[0].NodeKVBytes
	timer, err := servingTimer(cfg.Model, cfg.Hardware, cfg.KVDType, st.TP)
	if err != nil {
		return CacheStudy{}, err
	}
	caps, err := sim.LogCapacities(16, max(st.Stats.DistinctBlocks, 17), cfg.Capacities)
	if err != nil {
		return CacheStudy{}, fmt.Errorf("figures: %w", err)
	}
	// TTFT saved is drawn for LRU only: time its sweep alone, the others untimed.
	others := slices.DeleteFunc(slices.Clone(cfg.Policies), func(s string) bool { return s == cache.LRUName })
	if st.Sweep, err = p.SweepCapacity(sim.SweepConfig{Capacities: caps, BytesPerBlock: st.BytesPerBlock, Timer: timer}); err != nil {
		return CacheStudy{}, fmt.Errorf("figures: %w", err)
	}
	if len(others) > 0 {
		rest, err := p.SweepCapacity(sim.SweepConfig{Policies: others, Capacities: caps, BytesPerBlock: st.BytesPerBlock})
		if err != nil {
			return CacheStudy{}, fmt.Errorf("figures: %w", err)
		}
		st.Sweep.Curves = append(st.Sweep.Curves, rest.Curves...)
	}
	if i, _, ok, err := st.Sweep.SweetSpot(cache.LRUName, SweetSpotFraction); err == nil && ok {
		st.SweetSpot = i
	}
	st.Series = make([]sim.Series, len(st.Sweep.Capacities))
	errs := make([]error, len(st.Series))
	parallelDo(len(st.Series), func(i int) {
		r, err := p.Replay(sim.Config{Policy: cache.LRUName, CapacityBlocks: st.Sweep.Capacities[i], BytesPerBlock: st.BytesPerBlock, MaxPoints: cfg.SeriesPoints})
		st.Series[i], errs[i] = r.Series, err
	})
	if err := errors.Join(errs...); err != nil {
		return CacheStudy{}, fmt.Errorf("figures: %w", err)
	}
	if len(cfg.Compare) > 0 {
		st.BudgetBytes = cfg.BudgetBytes
		if st.BudgetBytes == 0 {
			st.BudgetBytes = st.NodeKVBytes
		}
		st.Budget = atBudget(p, cfg.Compare, cfg.KVDType, st.BudgetBytes)
	}
	st.Seconds = time.Since(start).Seconds()
	return st, nil
}

// servingTimer is the cost model's prefill timer for spec on tp devices of
// hw. Prompts past the trained window are timed anyway (traces hold them),
// as kvsim replay --hardware does.
func servingTimer(spec model.Spec, hw cost.Hardware, dtype model.DType, tp int) (sim.StepTimer, error) {
	pred, err := cost.New(spec, hw, cost.Options{DType: dtype, TP: tp, AllowLongContext: true})
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	return &memoTimer{timer: pred.Serving(), prefill: map[[2]int]float64{}}, nil
}

func errSuffix(msg string) string {
	if msg == "" {
		return ""
	}
	return " (" + msg + ")"
}

// memoTimer remembers prefill times: a sweep asks for the same (new, cached)
// split at many capacities, and each answer walks the cost model's layers.
type memoTimer struct {
	timer   sim.StepTimer
	mu      sync.Mutex
	prefill map[[2]int]float64
}

func (m *memoTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	key := [2]int{newTokens, cachedTokens}
	m.mu.Lock()
	s, ok := m.prefill[key]
	m.mu.Unlock()
	if !ok {
		s = m.timer.PrefillSeconds(newTokens, cachedTokens)
		m.mu.Lock()
		m.prefill[key] = s
		m.mu.Unlock()
	}
	return s
}

func (m *memoTimer) DecodeSeconds(batch, totalContext int) float64 {
	return m.timer.DecodeSeconds(batch, totalContext)
}

func atBudget(p *sim.Prepared, specs []model.Spec, dtype model.DType, budget int64) []BudgetPoint {
	out := make([]BudgetPoint, len(specs))
	parallelDo(len(specs), func(i int) {
		s := specs[i]
		bp := BudgetPoint{Model: s.Name, Attention: attentionLabel(s)}
		defer func() { out[i] = bp }()
		var err error
		if bp.BytesPerBlock, err = cache.BlockBytes(s, dtype, p.Workload().BlockTokens); err != nil {
			bp.Error = err.Error()
			return
		}
		if bp.Blocks, err = cache.BlocksForBudget(budget, s, dtype, p.Workload().BlockTokens); err != nil {
			bp.Error = err.Error()
			return
		}
		r, err := p.Replay(sim.Config{CapacityBlocks: bp.Blocks, MaxPoints: 1})
		if err != nil {
			bp.Error = err.Error()
			return
		}
		bp.TokenHitRate = r.Summary.TokenHitRate
	})
	return out
}

// CacheSize is the figure of section 5: a capacity slider over the
// workload replayed at that capacity (hit rate, memory in use and
// evictions over time) and the curves against capacity (hit rate per
// policy, prefill time saved per request) with the slider's capacity and
// the node's free memory marked, plus a sentence on the state.
func CacheSize(st CacheStudy) *widgets.Explorer {
	lru, _ := st.Sweep.Curve(cache.LRUName)
	caps := make([]float64, len(st.Sweep.Capacities))
	for i, c := range st.Sweep.Capacities {
		caps[i] = round4(gib(float64(c) * float64(st.BytesPerBlock)))
	}
	label := func(i int) string {
		return fmt.Sprintf("%s blocks · %s", thousands(int64(st.Sweep.Capacities[i])), gibLabel(caps[i]))
	}
	start := st.SweetSpot
	if start < 0 {
		start = len(caps) / 2
	}
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("Prefix cache on %s: %s KV blocks of %d tokens (%s each)", st.Workload, st.Model, st.Stats.BlockTokens, units.Bytes(float64(st.BytesPerBlock)))).
		Slider("cap", "Cache capacity", caps, func(v float64) string { return label(indexOf(caps, v)) })
	if len(lru.Points) != len(caps) || len(st.Series) != len(caps) {
		return e.Fragment(func(widgets.At) string { return "<p>The cache study is empty: run figures.StudyCache first.</p>" })
	}
	e.Start("cap", start)
	return e.
		Chart(func(at widgets.At) widgets.Charter { return hitOverTime(st, at.Index("cap"), label) }, widgets.Size("49%", "340px")).
		Chart(func(at widgets.At) widgets.Charter { return memoryOverTime(st, at.Index("cap"), label) }, widgets.Size("49%", "340px")).
		Chart(func(widgets.At) widgets.Charter { return hitAgainstCapacity(st, caps) }, widgets.MarkX("cap"), widgets.Size("49%", "360px")).
		Chart(func(widgets.At) widgets.Charter { return ttftAgainstCapacity(st, caps) }, widgets.MarkX("cap"), widgets.Size("49%", "360px")).
		Fragment(func(at widgets.At) string { return cacheSentence(st, at.Index("cap"), caps) }).
		Note(fmt.Sprintf("Token hit rate = prompt tokens served from the cache / prompt tokens. Windowed: over the last %d requests or so; cumulative: since the start. "+
			"TTFT saved = prefill time the hits save per request, from the cost model (%s on %d× %s, %s). Sweet spot: the smallest capacity reaching %.0f%% of the unbounded hit rate.",
			max(1, st.Stats.Requests/max(1, len(st.Series[0].Request))), st.Model, st.TP, st.Hardware, st.KVDType, 100*SweetSpotFraction))
}

func indexOf(xs []float64, v float64) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return 0
}

func hitOverTime(st CacheStudy, i int, label func(int) string) widgets.Charter {
	s := st.Series[i]
	xs := ints(s.Request)
	win, cum := make([]float64, len(xs)), make([]float64, len(xs))
	for j := range xs {
		win[j], cum[j] = 100*s.WindowTokenHitRate[j], 100*s.TokenHitRate[j]
	}
	return newPlot("Hit rate over time at "+label(i), widgets.Axis{Name: "Time", Unit: "requests served"}, widgets.Axis{Name: "Token hit rate", Unit: "%"}).
		add("windowed", xs, win, style{color: colorCached, width: 1.5}).
		add("cumulative", xs, cum, style{color: colorNeutral, dashed: true}).
		yRange(0, 100)
}

func memoryOverTime(st CacheStudy, i int, label func(int) string) widgets.Charter {
	s := st.Series[i]
	xs := ints(s.Request)
	used, ev := make([]float64, len(xs)), make([]float64, len(xs))
	for j := range xs {
		used[j] = gib(float64(s.BlocksUsed[j]) * float64(st.BytesPerBlock))
		ev[j] = float64(s.Evictions[j])
	}
	pl := newPlot("Memory in use and evictions at "+label(i), widgets.Axis{Name: "Time", Unit: "requests served"}, widgets.Axis{Name: "KV memory in use", Unit: "GiB"}).
		add("memory in use (GiB)", xs, used, style{color: colorCached, area: "mem"})
	pl.Line().ExtendYAxis(opts.YAxis{Type: "value", Name: "Evictions (blocks, cumulative)", NameLocation: "middle", NameGap: 58, Position: "right",
		SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	pl.Line().SetGlobalOptions(charts.WithGridOpts(opts.Grid{Left: "88", Right: "96", Top: "56", Bottom: "84"}))
	pl.add("evictions (right axis)", xs, ev, style{color: colorUncached})
	if n := len(pl.Line().MultiSeries); n == 2 {
		pl.Line().MultiSeries[1].YAxisIndex = 1
	}
	return pl
}

func hitAgainstCapacity(st CacheStudy, caps []float64) widgets.Charter {
	pl := newPlot("Hit rate against cache capacity", widgets.Axis{Name: "Cache capacity", Unit: "GiB", Log: true}, widgets.Axis{Name: "Token hit rate", Unit: "%"})
	for k, c := range st.Sweep.Curves {
		ys := make([]float64, len(c.Points))
		for j, p := range c.Points {
			ys[j] = 100 * p.TokenHitRate
		}
		name := c.Policy
		st2 := style{color: palette[k%len(palette)]}
		if c.Policy == cache.BeladyName {
			name, st2 = "Belady (offline optimum)", style{color: colorNeutral, dashed: true, width: 1.5}
		}
		pl.add(name, caps, ys, st2)
	}
	max := make([]float64, len(caps))
	for j := range max {
		max[j] = 100 * st.Sweep.Unbounded.TokenHitRate
	}
	pl.add("unbounded (maximum)", caps, max, style{color: "#9ca3af", dashed: true, width: 1})
	if st.NodeKVBytes > 0 {
		pl.markX(round4(gib(float64(st.NodeKVBytes))), fmt.Sprintf("free on %d× %s", st.TP, st.Hardware), colorUncached)
	}
	return pl.yRange(0, 100)
}

func ttftAgainstCapacity(st CacheStudy, caps []float64) widgets.Charter {
	lru, _ := st.Sweep.Curve(cache.LRUName)
	saved, base := make([]float64, len(caps)), make([]float64, len(caps))
	for j, p := range lru.Points {
		saved[j] = 1e3 * p.MeanTTFTSavedSeconds
		base[j] = 1e3 * p.MeanPrefillSecondsUncached
	}
	pl := newPlot(fmt.Sprintf("Prefill time saved per request (%s, %d× %s)", st.Model, st.TP, st.Hardware),
		widgets.Axis{Name: "Cache capacity", Unit: "GiB", Log: true}, widgets.Axis{Name: "Time per request", Unit: "ms"}).
		add("TTFT saved (lru)", caps, saved, style{color: colorCached}).
		add("prefill without a cache", caps, base, style{color: "#9ca3af", dashed: true, width: 1})
	if st.NodeKVBytes > 0 {
		pl.markX(round4(gib(float64(st.NodeKVBytes))), fmt.Sprintf("free on %d× %s", st.TP, st.Hardware), colorUncached)
	}
	return pl
}

func cacheSentence(st CacheStudy, i int, caps []float64) string {
	lru, _ := st.Sweep.Curve(cache.LRUName)
	p := lru.Points[i]
	s := fmt.Sprintf("<p>At <b>%s blocks (%s)</b>: token hit rate <b>%s</b> of a possible %s, %s prompt tokens recomputed, %s blocks evicted, "+
		"TTFT saved <b>%s</b> per request (of %s).",
		thousands(int64(p.CapacityBlocks)), html.EscapeString(gibLabel(caps[i])), pct(p.TokenHitRate), pct(st.Sweep.Unbounded.TokenHitRate),
		units.Count(float64(p.RecomputedTokens)), units.Count(float64(p.Evictions)),
		units.Seconds(p.MeanTTFTSavedSeconds), units.Seconds(p.MeanPrefillSecondsUncached))
	if st.SweetSpot >= 0 {
		sp := lru.Points[st.SweetSpot]
		where := "this is the sweet spot"
		switch {
		case i < st.SweetSpot:
			where = "below the sweet spot: more memory still pays"
		case i > st.SweetSpot:
			where = "past the sweet spot: the extra memory buys little"
		}
		s += fmt.Sprintf(" Sweet spot: %s blocks (%s, %s hit rate); %s.", thousands(int64(sp.CapacityBlocks)),
			html.EscapeString(gibLabel(caps[st.SweetSpot])), pct(sp.TokenHitRate), where)
	}
	return s + "</p>"
}

// Cache replays the lab's workload (or trace) through a prefix cache of the
// serving model's KV blocks at every slider capacity, compares the big and
// serving models at one KV budget, and saves the result.
func (l *Lab) Cache() (CacheStudy, error) {
	var w workload.Workload
	var err error
	if l.Settings.Trace != "" {
		w, _, err = workload.LoadMooncake(l.Settings.Trace, workload.ReadOptions{})
	} else {
		w, err = workload.Generate(l.Settings.Workload, l.Settings.Seed, workload.MooncakeBlockTokens)
	}
	if err != nil {
		return CacheStudy{}, fmt.Errorf("figures: %w", err)
	}
	sz := l.Sizes.withDefaults()
	st, err := StudyCache(CacheConfig{Workload: w, Model: l.Serving, Hardware: l.Hardware, Capacities: sz.Capacities, SeriesPoints: sz.SeriesPoints,
		Compare: l.chosen(l.Big.Name, l.Serving.Name, "llama2-70b", "llama-65b")})
	if err != nil {
		return CacheStudy{}, err
	}
	l.logf("replayed %s (%d requests) at %d capacities in %.1f s", st.Workload, st.Stats.Requests, len(st.Sweep.Capacities), st.Seconds)
	return st, l.save("cache", st, st.Seconds)
}
