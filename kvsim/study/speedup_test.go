package study

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
)

func TestMeasureSpeedupsRunsSmallestFirstWithSpreads(t *testing.T) {
	lab := tinyLab(t)
	s := lab.SpeedupSettings()
	s.Repeat = 2
	var heard []string
	s.Progress = func(p decoder.Progress) {
		if len(heard) == 0 || heard[len(heard)-1] != p.Model {
			heard = append(heard, p.Model)
		}
	}
	st, err := MeasureSpeedups(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Points) != 2 || len(st.Skipped) != 0 || st.Repeat != 2 {
		t.Fatalf("points %+v, skipped %+v", st.Points, st.Skipped)
	}
	if st.Points[0].Params > st.Points[1].Params || !slices.Equal(heard, []string{st.Points[0].Model, st.Points[1].Model}) {
		t.Errorf("order %s, %s; progress heard %v", st.Points[0].Model, st.Points[1].Model, heard)
	}
	for _, p := range st.Points {
		if p.Speedup.N != 2 || p.Cached.N != 2 || p.Uncached.N != 2 || !p.Speedup.Contains(p.Speedup.Median) || !p.SameTokens || p.Ranking.Verdict == "" {
			t.Errorf("%s: %+v", p.Model, p)
		}
	}
	if st.Trend.Smallest != st.Points[0].Model || st.Trend.Verdict == "" {
		t.Errorf("trend %+v", st.Trend)
	}
}

func TestMeasureSpeedupsSkipsWhatDoesNotFit(t *testing.T) {
	lab := tinyLab(t)
	s := lab.SpeedupSettings()
	s.Repeat, s.WarmUp = 1, -1
	s.Budget = time.Nanosecond // the first model runs; the budget is spent before the second
	st, err := MeasureSpeedups(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Points) != 1 || len(st.Skipped) != 1 || st.Skipped[0].Kind != SkippedBudget || !strings.Contains(st.Skipped[0].Reason, "budget") {
		t.Errorf("budget: points %d, skipped %+v", len(st.Points), st.Skipped)
	}
	s.Budget, s.MemAvailable = 0, 1
	st, err = MeasureSpeedups(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Points) != 0 || len(st.Skipped) != 2 || st.Skipped[0].Kind != SkippedMemory || !strings.Contains(st.Skipped[0].Reason, "memory") {
		t.Errorf("memory: points %d, skipped %+v", len(st.Points), st.Skipped)
	}
	s.MemAvailable, s.Models = 0, specs(t, "llama-15m")
	s.Prompt, s.New = 200, 100
	if st, err = MeasureSpeedups(ctx, s); err != nil || len(st.Skipped) != 1 || st.Skipped[0].Kind != SkippedContext {
		t.Errorf("context: %v, %+v", err, st.Skipped)
	}
	s.New = 1
	if _, err := MeasureSpeedups(ctx, s); err == nil {
		t.Error("one new token has no decode step to compare")
	}
	// The table lists each kind of skip once, with its first reason.
	table := SpeedupTable(SpeedupStudy{Skipped: []SkippedModel{{"a", 1, SkippedMemory, "needs 1 TB"}, {"b", 2, SkippedMemory, "needs 2 TB"},
		{"c", 3, SkippedBudget, "too slow"}, {"d", 4, SkippedMemory, "x"}, {"e", 5, SkippedMemory, "y"}}})
	var text strings.Builder
	if err := table.WriteText(&text); err != nil || !strings.Contains(text.String(), "a, b, d and 1 more") || strings.Count(text.String(), "skipped (") != 2 {
		t.Errorf("skipped rows:\n%s", text.String())
	}
}

func TestSweepModelsAreRunnableAndSorted(t *testing.T) {
	ms := SweepModels(model.NewCatalog())
	if len(ms) < 7 {
		t.Fatalf("%d sweep models", len(ms))
	}
	names := map[string]bool{}
	for i, m := range ms {
		names[m.Name] = true
		if i > 0 && m.TotalParams() < ms[i-1].TotalParams() {
			t.Errorf("%s before %s: not smallest first", ms[i-1].Name, m.Name)
		}
	}
	for _, want := range []string{"gpt-tiny", "llama-110m", "gpt2-124m", "gpt2-355m"} {
		if !names[want] {
			t.Errorf("%s is not a sweep model", want)
		}
	}
	if names["mixtral-8x7b"] || names["deepseek-v3"] {
		t.Error("the decoder does not run MoE or MLA models, yet they are sweep models")
	}
}

func TestSpeedupTrendCallsNoise(t *testing.T) {
	pt := func(name string, params int64, speedups ...float64) SpeedupPoint {
		return SpeedupPoint{Model: name, Params: params, Speedup: SpreadOf(speedups)}
	}
	up := speedupTrend([]SpeedupPoint{pt("a", 1e6, 1.2, 1.3, 1.4), pt("b", 1e7, 2, 2.2, 2.4), pt("c", 1e8, 4, 4.5, 5)})
	if !up.BeyondNoise || up.RankCorrelation != 1 || !strings.Contains(up.Verdict, "grows") {
		t.Errorf("rising: %+v", up)
	}
	flat := speedupTrend([]SpeedupPoint{pt("a", 1e6, 1.2, 2, 2.6), pt("b", 1e8, 2.4, 2.5, 3)})
	if flat.BeyondNoise || !strings.Contains(flat.Verdict, "within noise") {
		t.Errorf("overlapping: %+v", flat)
	}
	down := speedupTrend([]SpeedupPoint{pt("a", 1e6, 5, 6), pt("b", 1e8, 1, 2)})
	if !down.BeyondNoise || !strings.Contains(down.Verdict, "shrinks") {
		t.Errorf("falling: %+v", down)
	}
	if one := speedupTrend([]SpeedupPoint{pt("a", 1, 2)}); one.BeyondNoise || one.Verdict == "" {
		t.Errorf("one point: %+v", one)
	}
	small, big := model.Spec{Layers: 1, DModel: 8, Heads: 1, KVHeads: 1, HeadDim: 8, FFN: 8, Vocab: 10}, specs(t, "gpt2-124m")[0]
	if est := estimateSeconds(SpeedupPoint{Seconds: 2}, small, big); math.Abs(est-2*float64(big.TotalParams())/float64(small.TotalParams())) > 1e-6 {
		t.Errorf("estimate %g", est)
	}
}

// A headless run (KVCACHE_QUICK=1) takes the quick sizes, and they hold
// everything Lab.Check asks of the default ones.
func TestQuickSizesForHeadlessRuns(t *testing.T) {
	t.Setenv("KVCACHE_QUICK", "1")
	lab, err := NewLab(DefaultPicks(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	q, d := QuickSizes(), DefaultSizes()
	if !lab.Sizes.equal(q) || q.Repeat >= d.Repeat || q.LongNew >= d.LongNew || q.SweepBudget >= d.SweepBudget {
		t.Errorf("lab sizes %v, quick %v, default %v", lab.Sizes, q, d)
	}
	if err := lab.Check(); err != nil {
		t.Errorf("quick sizes fail the lab's check: %v", err)
	}
	lab.Sizes.Repeat = MaxRepeat + 1
	if err := lab.Check(); err == nil || !strings.Contains(err.Error(), "Sizes.Repeat") {
		t.Errorf("too many repeats: %v", err)
	}
	lab.Sizes = q
	lab.Sizes.SweepModels = []string{"gpt-tiny", "gtp-mini"}
	if err := lab.Check(); err == nil || !strings.Contains(err.Error(), "gtp-mini") {
		t.Errorf("an unknown sweep model: %v", err)
	}
}
