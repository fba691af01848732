package study

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/timing"
	"kvcache/kvsim/units"
)

// SpeedupSettings set up the measured speedup across model sizes (section
// 2's second figure, kvsim bench --sweep): each model generates New tokens
// after a Prompt on this CPU with a KV cache and without, Repeat runs of
// each path in turn after a warm-up, smallest model first. A model whose
// weights and sessions do not fit in memory, or whose run, estimated from
// the model measured before it, would end past the Budget, is skipped and
// named with the reason.
type SpeedupSettings struct {
	Models       []model.Spec
	Prompt, New  int
	Repeat       int           // timed runs of each path, interleaved; 0: 1
	WarmUp       int           // untimed tokens of each path first; 0: decoder.DefaultWarmUp; negative: none
	Budget       time.Duration // wall time the sweep may take; 0: no limit
	MemAvailable int64         // 0: read /proc/meminfo
	Seed         uint64        // weights and prompt
	Threads      int           // 0: one per core
	// Progress, when set, hears which model runs (Progress.Model) and how
	// far it is.
	Progress func(p decoder.Progress)
}

// SpeedupPoint is one model's measurement: the totals of its runs with and
// without a cache, and their ratio run by run.
type SpeedupPoint struct {
	Model    string `json:"model"`
	Family   string `json:"family"`
	Params   int64  `json:"params"`
	Cached   Spread `json:"cached_s"`   // totals of the cached runs, seconds
	Uncached Spread `json:"uncached_s"` // of the uncached runs
	// Speedup is the uncached total over the cached one of the same round,
	// over the rounds: its Median is the model's speedup, Min and Max the
	// band drawn around it.
	Speedup    Spread         `json:"speedup"`
	Ranking    timing.Ranking `json:"ranking"`     // cached against uncached
	SameTokens bool           `json:"same_tokens"` // the two paths agree
	Seconds    float64        `json:"seconds"`     // wall time of the model's runs, weights included
}

// SkippedModel is a model the sweep left out, and why.
type SkippedModel struct {
	Model  string `json:"model"`
	Params int64  `json:"params"`
	Kind   string `json:"kind"` // SkippedMemory, SkippedBudget, SkippedContext or SkippedError
	Reason string `json:"reason"`
}

// Why a sweep skips a model.
const (
	SkippedMemory  = "memory"  // its weights and sessions do not fit in the memory available
	SkippedBudget  = "budget"  // its run would end past the budget
	SkippedContext = "context" // the tokens exceed its context
	SkippedError   = "error"   // the decoder refused it otherwise
)

// SpeedupTrend says how the speedup moves with size, within the noise.
type SpeedupTrend struct {
	// RankCorrelation is Spearman's ρ of parameter count and median speedup
	// over the points (0 with fewer than 3).
	RankCorrelation float64 `json:"rank_correlation"`
	Smallest        string  `json:"smallest"`
	Largest         string  `json:"largest"`
	// BeyondNoise: the largest model's slowest speedup is above the
	// smallest's fastest (their bands do not overlap).
	BeyondNoise bool   `json:"beyond_noise"`
	Verdict     string `json:"verdict"` // the trend in words
}

// SpeedupStudy is the measured speedup of a KV cache across model sizes on
// this CPU.
type SpeedupStudy struct {
	Prompt       int            `json:"prompt"`
	New          int            `json:"new"`
	Repeat       int            `json:"repeat"`
	WarmUpTokens int            `json:"warm_up_tokens"`
	Threads      int            `json:"threads"`
	Seed         uint64         `json:"seed"`
	BudgetS      float64        `json:"budget_s"` // 0: none
	Points       []SpeedupPoint `json:"points"`   // smallest first
	Skipped      []SkippedModel `json:"skipped,omitempty"`
	Trend        SpeedupTrend   `json:"trend"`
	OthersBusy   *float64       `json:"others_busy_cores,omitempty"`
	Seconds      float64        `json:"seconds"` // wall time of the study
	Provenance   `json:"provenance"`
}

// Study names the result: data/speedup.json.
func (SpeedupStudy) Study() string { return "speedup" }

// Summary says what was measured.
func (s SpeedupStudy) Summary() string {
	return fmt.Sprintf("measured the cache's speedup on %d models (%d skipped), %d+%d tokens, %d runs each, in %.1f s%s",
		len(s.Points), len(s.Skipped), s.Prompt, s.New, s.Repeat, s.Took, busyNote(s.OthersBusy))
}

// SweepCatalog is kvsim bench --sweep: MeasureSpeedups over SweepModels
// of the catalog (with modelFile's models, if any), at opt's tokens (16 +
// 16 where the caller gave none), seed, threads, runs and progress, within
// budget.
func SweepCatalog(ctx context.Context, modelFile string, opt decoder.BenchOptions, budget time.Duration, promptGiven, newGiven bool) (SpeedupStudy, error) {
	cat, err := model.LoadCatalog(modelFile)
	if err != nil {
		return SpeedupStudy{}, fmt.Errorf("study: %w", err)
	}
	s := SpeedupSettings{Models: SweepModels(cat), Prompt: 16, New: 16, Repeat: opt.Repeat, WarmUp: opt.WarmUp, Budget: budget,
		MemAvailable: opt.MemAvailable, Seed: opt.Seed, Threads: opt.Threads, Progress: opt.Progress}
	if promptGiven {
		s.Prompt = opt.Prompt
	}
	if newGiven {
		s.New = opt.New
	}
	return MeasureSpeedups(ctx, s)
}

// SweepModels are the catalog models the decoder can run, smallest first:
// the candidates of a sweep (memory and the budget decide which run).
func SweepModels(cat *model.Catalog) []model.Spec {
	var out []model.Spec
	for _, s := range cat.Specs() {
		if _, err := decoder.SessionMemory(s, 1, decoder.CacheConfig{}, 1); err == nil {
			out = append(out, s)
		}
	}
	sortBySize(out)
	return out
}

func sortBySize(specs []model.Spec) {
	slices.SortStableFunc(specs, func(a, b model.Spec) int { return cmp.Compare(a.TotalParams(), b.TotalParams()) })
}

// MeasureSpeedups runs decoder.Run on every model of s, smallest first.
func MeasureSpeedups(ctx context.Context, s SpeedupSettings) (SpeedupStudy, error) {
	start := time.Now()
	switch {
	case s.Prompt <= 0 || s.New < 2:
		return SpeedupStudy{}, badSettings("a speedup sweep of %d prompt and %d new tokens: give a prompt of at least 1 and at least 2 new tokens (--new 2 or more)", s.Prompt, s.New)
	case len(s.Models) == 0:
		return SpeedupStudy{}, badSettings("a speedup sweep needs models: give some (SweepModels lists those the decoder runs)")
	case s.Repeat < 0 || s.Repeat > MaxRepeat || s.Threads < 0:
		return SpeedupStudy{}, badSettings("a speedup sweep of %d runs on %d threads: give 1 to %d runs and 0 or more threads", s.Repeat, s.Threads, MaxRepeat)
	}
	models := slices.Clone(s.Models)
	sortBySize(models)
	st := SpeedupStudy{Prompt: s.Prompt, New: s.New, Repeat: max(s.Repeat, 1), Seed: s.Seed, BudgetS: s.Budget.Seconds()}
	load := timing.StartLoad()
	var last *SpeedupPoint
	var lastSpec model.Spec
	for _, spec := range models {
		if err := ctx.Err(); err != nil {
			return SpeedupStudy{}, err
		}
		skip := func(kind, reason string) {
			st.Skipped = append(st.Skipped, SkippedModel{spec.Name, spec.TotalParams(), kind, reason})
		}
		opt := decoder.BenchOptions{Prompt: s.Prompt, New: s.New, Cache: decoder.CacheBoth, Seed: s.Seed, Threads: s.Threads,
			Repeat: s.Repeat, WarmUp: s.WarmUp, MemAvailable: s.MemAvailable}
		if s.Prompt+s.New > spec.MaxContext {
			skip(SkippedContext, fmt.Sprintf("%d+%d tokens exceed its context of %d", s.Prompt, s.New, spec.MaxContext))
			continue
		}
		if mem, err := decoder.RunMemory(spec, opt); err != nil {
			kind := SkippedError
			if mem.Total > 0 { // the options held; the memory did not
				kind = SkippedMemory
			}
			skip(kind, err.Error())
			continue
		}
		if s.Budget > 0 && last != nil {
			est := estimateSeconds(*last, lastSpec, spec)
			if left := (s.Budget - time.Since(start)).Seconds(); est > left {
				skip(SkippedBudget, fmt.Sprintf("its run would take about %s (extrapolated from %s) and %s of the %s budget is left",
					units.Seconds(est), last.Model, units.Seconds(max(left, 0)), units.Seconds(s.Budget.Seconds())))
				continue
			}
		}
		t0 := time.Now()
		opt.Progress = s.Progress
		res, err := decoder.Run(spec, opt)
		if err != nil {
			skip(SkippedError, err.Error())
			continue
		}
		p := SpeedupPoint{Model: spec.Name, Family: spec.Family, Params: spec.TotalParams(),
			Cached: res.TotalSCachedSpread, Uncached: res.TotalSUncachedSpread, Speedup: res.SpeedupSpread,
			SameTokens: res.SameTokens, Seconds: time.Since(t0).Seconds()}
		if res.Ranking != nil {
			p.Ranking = *res.Ranking
		}
		st.Threads, st.WarmUpTokens = res.Threads, res.WarmUpTokens
		st.Points = append(st.Points, p)
		last, lastSpec = &st.Points[len(st.Points)-1], spec
	}
	if busy, ok := load.OthersBusy(); ok {
		st.OthersBusy = &busy
	}
	st.Trend = speedupTrend(st.Points)
	st.Provenance = stamp(start)
	st.Seconds = st.Took
	return st, nil
}

// estimateSeconds extrapolates a model's sweep run from the last one
// measured, at the same tokens: cached runs stream the weights once per
// token, uncached runs compute 2 FLOPs per parameter for every token of
// every prefix, and building the weights writes each parameter, so the
// whole scales with the parameter count (attention, which does not, is a
// small part at these lengths). A guard for the budget, not a prediction.
func estimateSeconds(last SpeedupPoint, lastSpec, next model.Spec) float64 {
	return last.Seconds * float64(next.TotalParams()) / float64(lastSpec.TotalParams())
}

// speedupTrend ranks size against median speedup and checks the ends
// against each other's noise.
func speedupTrend(points []SpeedupPoint) SpeedupTrend {
	if len(points) < 2 {
		return SpeedupTrend{Verdict: "fewer than two models measured: no trend"}
	}
	lo, hi := points[0], points[len(points)-1]
	t := SpeedupTrend{Smallest: lo.Model, Largest: hi.Model}
	var params, speed []float64
	for _, p := range points {
		params, speed = append(params, float64(p.Params)), append(speed, p.Speedup.Median)
	}
	if len(points) >= 3 {
		t.RankCorrelation = spearman(params, speed)
	}
	span := fmt.Sprintf("%s (%s params) %s [%s to %s] to %s (%s) %s [%s to %s]",
		lo.Model, units.Count(float64(lo.Params)), units.Times(lo.Speedup.Median), units.Times(lo.Speedup.Min), units.Times(lo.Speedup.Max),
		hi.Model, units.Count(float64(hi.Params)), units.Times(hi.Speedup.Median), units.Times(hi.Speedup.Min), units.Times(hi.Speedup.Max))
	switch {
	case hi.Speedup.Min > lo.Speedup.Max:
		t.BeyondNoise = true
		t.Verdict = "the speedup grows with size beyond the noise: " + span
	case hi.Speedup.Max < lo.Speedup.Min:
		t.BeyondNoise = true
		t.Verdict = "the speedup shrinks with size beyond the noise: " + span
	default:
		t.Verdict = "the smallest and largest models' speedups are within noise of each other: " + span
	}
	if len(points) >= 3 {
		t.Verdict += fmt.Sprintf("; rank correlation of size and speedup over %d models %.2f", len(points), t.RankCorrelation)
	}
	return t
}

// SpeedupTable is the sweep, one row per model, smallest first: the
// totals with and without a cache (median and range of the runs), the
// speedup and its range, and whether the two paths can be told apart.
// Skipped models follow with the reason.
func SpeedupTable(st SpeedupStudy) report.Table {
	t := report.Table{Title: fmt.Sprintf("Speedup of a KV cache by model size on this CPU: %d+%d tokens, %d threads, medians of %d runs of each path in turn",
		st.Prompt, st.New, st.Threads, st.Repeat),
		Columns: []report.Column{{Name: "model"}, {Name: "params"}, {Name: "with cache"}, {Name: "min-max", Align: report.Left},
			{Name: "without"}, {Name: "min-max", Align: report.Left}, {Name: "speedup"}, {Name: "min-max", Align: report.Left},
			{Name: "verdict", Align: report.Left}}}
	for _, p := range st.Points {
		t.AddRow(p.Model, units.Count(float64(p.Params)), units.Seconds(p.Cached.Median), report.SecondsRange(p.Cached.Min, p.Cached.Max),
			units.Seconds(p.Uncached.Median), report.SecondsRange(p.Uncached.Min, p.Uncached.Max),
			units.Times(p.Speedup.Median), units.Times(p.Speedup.Min)+"-"+units.Times(p.Speedup.Max), p.Ranking.Verdict)
	}
	for _, kind := range []string{SkippedContext, SkippedMemory, SkippedBudget, SkippedError} {
		var names []string
		reason := ""
		for _, sk := range st.Skipped {
			if sk.Kind == kind {
				names = append(names, sk.Model)
				if reason == "" {
					reason = sk.Reason
				}
			}
		}
		if len(names) > 0 {
			t.AddRow(skippedNames(names), "", "-", "", "-", "", "-", "", fmt.Sprintf("skipped (%s): %s", kind, reason))
		}
	}
	return t
}

// skippedNames lists skipped models, the first few by name.
func skippedNames(names []string) string {
	const shown = 3
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:shown], ", "), len(names)-shown)
}

// WriteSpeedups is kvsim bench --sweep's text: the table, the trend and
// how busy the machine was.
func WriteSpeedups(w io.Writer, st SpeedupStudy) error {
	if err := SpeedupTable(st).WriteText(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s.%s\n", st.Trend.Verdict, busyNote(st.OthersBusy))
	return err
}
