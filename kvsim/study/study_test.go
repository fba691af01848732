package study

import (
	"context"
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

var ctx = context.Background()

func specs(t *testing.T, names ...string) []model.Spec {
	t.Helper()
	cat := model.NewCatalog()
	out := make([]model.Spec, len(names))
	for i, n := range names {
		s, err := cat.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func hardware(t *testing.T, names ...string) []cost.Hardware {
	t.Helper()
	out := make([]cost.Hardware, len(names))
	for i, n := range names {
		h, err := cost.LookupHardware(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h
	}
	return out
}

// tinyLab runs the decoder studies at a size that takes well under a second.
func tinyLab(t *testing.T) *Lab {
	t.Helper()
	lab, err := NewLab(DefaultPicks(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lab.Log = nil
	lab.Sizes = Sizes{Prompt: 4, New: 10, LongPrompt: 4, LongNew: 24, CacheTokens: []int{8, 16}, CapacityPoints: 6, SeriesPoints: 10,
		SweepModels: []string{"gpt-tiny", "llama-tiny"}, SweepPrompt: 4, SweepNew: 4}
	return lab
}

func TestPredict(t *testing.T) {
	p, err := Predict(ctx, PredictSettings{Models: specs(t, "gpt3-125m", "gpt3-1.3b", "llama2-7b"), Hardware: hardware(t, "h100-sxm", "l4"),
		Points: 5, Prompt: 128, New: 64, StartModel: "gpt3-1.3b", StartHardware: "l4"})
	if err != nil {
		t.Fatal(err)
	}
	if p.StartModel != 1 || p.StartHardware != 1 || len(p.Curves) != 3 || len(p.Sizes) != 2 || len(p.Sizes[0][0]) != 3 {
		t.Fatalf("grid: start %d/%d, %d curves, %d sizes", p.StartModel, p.StartHardware, len(p.Curves), len(p.Sizes))
	}
	// Without a cache a step costs more at long context.
	c, ok := p.Curve("llama2-7b", "h100-sxm", cost.Graph)
	if n := len(c.Points); !ok || n != 5 || !(c.Points[n-1].UncachedSeconds > c.Points[n-1].CachedSeconds) || !(c.Points[n-1].UncachedSeconds > c.Points[0].UncachedSeconds) {
		t.Errorf("llama2-7b curve %+v", c)
	}
	if p.Took <= 0 || p.Machine.Cores < 1 {
		t.Errorf("provenance %+v", p.Provenance)
	}
	if _, err := Predict(ctx, PredictSettings{Models: specs(t, "gpt3-125m"), Hardware: hardware(t, "l4"), StartModel: "gpt3-175b"}); err == nil || !strings.Contains(err.Error(), "gpt3-175b") {
		t.Errorf("unknown start model: %v", err)
	}
	if _, err := Predict(ctx, PredictSettings{}); err == nil {
		t.Error("an empty grid gave no error")
	}
}

// One question, one answer: every section places a model on the devices
// cost.ChooseTP picks for one request at its full window.
func TestKVFitsUseTheFewestDevices(t *testing.T) {
	h := hardware(t, "h100-sxm")[0]
	k, err := KV(ctx, KVSettings{Models: specs(t, "gpt3-175b", "llama3-70b", "mistral-7b", "deepseek-v3", "llama3.1-405b"), Hardware: h})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]KVFit{}
	for _, f := range k.Fits {
		byName[f.Model] = f
		s := specs(t, f.Model)[0]
		tp, _, err := cost.ChooseTP(s, h, cost.Options{DType: model.BF16}, s.MaxContext-1, 1)
		if err != nil || f.TP != tp {
			t.Errorf("%s on %d devices, cost.ChooseTP says %d (%v)", f.Model, f.TP, tp, err)
		}
	}
	// LLaMA-3-70B's 141 GB of bf16 weights need 2 H100s; GPT-3's 350 GB need 8.
	if f := byName["llama3-70b"]; f.TP != 2 || !f.Fits || f.NodeKVTokens < 10000 || f.KVBytesPerToken != 327680 || f.DType != model.BF16 {
		t.Errorf("llama3-70b %+v", f)
	}
	if f := byName["gpt3-175b"]; f.TP != 8 || !f.Fits {
		t.Errorf("gpt3-175b %+v", f)
	}
	if f := byName["llama3.1-405b"]; f.Fits {
		t.Errorf("405B at bf16 fits on 8 H100s: %+v", f)
	}
	if byName["gpt3-175b"].KVBytesPerTokenPB < 5*byName["llama3-70b"].KVBytesPerTokenPB {
		t.Errorf("GPT-3 caches %g bytes per token per B params, LLaMA-3-70B %g", byName["gpt3-175b"].KVBytesPerTokenPB, byName["llama3-70b"].KVBytesPerTokenPB)
	}
	// fp16 halves to fp8; Mistral's window caps its cache.
	if pt := k.PerToken(model.FP8); pt[1] != 327680/2 {
		t.Errorf("llama3-70b fp8 KV per token %d", pt[1])
	}
	tokens, bytes := k.AgainstContext(2, model.FP16)
	if n := len(bytes); tokens[n-1] <= 4096 || bytes[n-1] != bytes[n-2] {
		t.Errorf("mistral-7b cache keeps growing past its window: %v %v", tokens, bytes)
	}
}

func TestCache(t *testing.T) {
	s := CacheSettings{Workload: Source{Name: "few-shot", Seed: 4}, Model: specs(t, "llama3-8b")[0], Hardware: hardware(t, "h100-sxm")[0],
		CapacityPoints: 8, SeriesPoints: 20, Compare: specs(t, "gpt3-175b", "llama3-8b")}
	st, err := Cache(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(st.Sweep.Capacities)
	tp, _, _ := Devices(s.Model, s.Hardware, model.FP16)
	if n < 4 || len(st.Series) != n || st.BytesPerBlock != 512*131072 || st.TP != tp || st.TP != 1 {
		t.Fatalf("%d capacities, %d series, %d bytes per block, TP %d (Devices %d)", n, len(st.Series), st.BytesPerBlock, st.TP, tp)
	}
	lru, ok := st.LRU()
	if !ok || len(lru.Points) != n {
		t.Fatal("no LRU curve")
	}
	for i := 1; i < n; i++ {
		if lru.Points[i].TokenHitRate+1e-9 < lru.Points[i-1].TokenHitRate {
			t.Errorf("LRU hit rate falls with capacity: %+v", lru.Points)
		}
	}
	if len(st.Budget) != 2 || st.Budget[0].Blocks >= st.Budget[1].Blocks || st.BudgetBytes != st.NodeKVBytes {
		t.Errorf("budget %+v", st.Budget)
	}
	s.Model, s.Hardware = specs(t, "llama3.1-405b")[0], hardware(t, "l4")[0]
	if _, err := Cache(ctx, s); err == nil || !strings.Contains(err.Error(), "no room") {
		t.Errorf("a model that does not fit: %v", err)
	}
}

func TestMeasureAndCompare(t *testing.T) {
	lab := tinyLab(t)
	s := lab.MeasureSettings()
	var seen []Token
	s.OnToken = func(tk Token) { seen = append(seen, tk) }
	m, err := Measure(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Positions) != 10 || m.Positions[1] != 4 || len(m.Cached.PerTokenS) != 10 || len(m.Uncached.MatmulS) != 10 || len(seen) != 2*s.Repeat*10 {
		t.Fatalf("run shape: positions %v, %d cached steps, %d tokens seen", m.Positions, len(m.Cached.PerTokenS), len(seen))
	}
	if m.Repeat != s.Repeat || s.Repeat < 2 || m.Cached.Total.N != s.Repeat || seen[len(seen)-1].Repeat != s.Repeat-1 {
		t.Errorf("%d runs of %d asked, %d cached totals, last token from run %d", m.Repeat, s.Repeat, m.Cached.Total.N, seen[len(seen)-1].Repeat)
	}
	if !m.SameTokens || m.Params != lab.Small.TotalParams() || m.Cached.DecodeStep.N != 9 {
		t.Errorf("run %+v", m)
	}
	// The totals are the decoder's, without the observer's time: a run's
	// total holds its steps, each at least the fastest run's.
	for _, p := range []PathTiming{m.Cached, m.Uncached} {
		if fastest := sum(p.PerTokenMinS); p.Total.Min < fastest || p.Total.Max > 2*sum(p.PerTokenMaxS)+0.05 || p.TotalS != p.Total.Median {
			t.Errorf("totals %+v for steps summing to at least %g s", p.Total, fastest)
		}
	}
	if m.Speedup != m.SpeedupSpread.Median || !m.SpeedupSpread.Contains(m.Speedup) || m.SpeedupSpread.N != s.Repeat || m.Ranking.Verdict == "" {
		t.Errorf("speedup %g, spread %+v, ranking %+v", m.Speedup, m.SpeedupSpread, m.Ranking)
	}
	if err := lab.Save(m); err != nil {
		t.Fatal(err)
	}
	cs, err := lab.CompareSettings()
	if err != nil {
		t.Fatal(err)
	}
	c, err := CompareCPU(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Contexts) != 9 || c.Contexts[0] != m.Positions[1] || c.Calibration.MatmulFLOPS <= 0 || c.PredictedSpeedup <= 0 {
		t.Errorf("comparison %+v", c)
	}
	// The errors are cost.CompareDecode's.
	pred, _ := cost.New(lab.Small, cs.Hardware, cost.Options{})
	want, err := pred.CompareDecode(m.Prompt, false, m.Uncached.PerTokenS[1:])
	if err != nil || c.TotalErrorUncached != want.TotalError {
		t.Errorf("total error %g, CompareDecode %g (%v)", c.TotalErrorUncached, want.TotalError, err)
	}
}

func TestBounded(t *testing.T) {
	lab := tinyLab(t)
	b, err := Bounded(ctx, lab.BoundedSettings())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Recompute) != 2 || len(b.Window) != 2 || len(b.WindowKL[0]) != 24 {
		t.Fatalf("study %d recompute, %d window, %d KL", len(b.Recompute), len(b.Window), len(b.WindowKL[0]))
	}
	for i := range b.Capacities {
		// recompute does the full cache's work and more: it may tie or lose, never win
		if r := b.RecomputeRank[i]; r.Faster == r.B || r.A != "full cache" || b.Recompute[i].Total.N != b.Repeat {
			t.Errorf("capacity %d: recompute ranked %+v over %d runs", b.Capacities[i], r, b.Recompute[i].Total.N)
		}
		if b.Recompute[i].Recomputed == 0 || b.WindowTop1[i] < 0 || b.WindowTop1[i] > 1 || b.Recompute[i].HitRate >= 1 {
			t.Errorf("capacity %d: recomputed %d, top-1 %g, hit rate %g", b.Capacities[i], b.Recompute[i].Recomputed, b.WindowTop1[i], b.Recompute[i].HitRate)
		}
	}
	s := lab.BoundedSettings()
	s.CacheTokens = []int{2}
	if _, err := Bounded(ctx, s); err == nil || !strings.Contains(err.Error(), "between") {
		t.Errorf("a cache smaller than the sinks: %v", err)
	}
}

func TestStatistics(t *testing.T) {
	for _, tc := range []struct {
		xs, ys []float64
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{[]float64{1, 2, 3}, []float64{5, 5, 5}, 0},
		{[]float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 0.8},
	} {
		if got := spearman(tc.xs, tc.ys); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("spearman(%v, %v) = %g, want %g", tc.xs, tc.ys, got, tc.want)
		}
	}
	s := SpreadOf([]float64{5, 1, 4, 2, 3, 10, 6, 7, 8, 9})
	if s.N != 10 || s.Median != 5.5 || math.Abs(s.P10-1.9) > 1e-12 || math.Abs(s.P90-9.1) > 1e-12 || s.Min != 1 || s.Max != 10 {
		t.Errorf("spread %+v", s)
	}
	if median([]float64{3, 1, 2}) != 2 || !math.IsNaN(median(nil)) || mean([]float64{1, 2, 6}) != 3 {
		t.Error("median or mean")
	}
}

func TestKVFitsAtFollowTheKVDType(t *testing.T) {
	specs := []model.Spec{}
	cat := model.NewCatalog()
	for _, n := range []string{"llama3-70b", "deepseek-v3"} {
		s, err := cat.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	hw, err := cost.LookupHardware("h100-sxm", nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := KV(context.Background(), KVSettings{Models: specs, Hardware: hw})
	if err != nil {
		t.Fatal(err)
	}
	fp16, int4 := k.FitsAt(model.FP16), k.FitsAt(model.INT4)
	for i, f := range k.Fits {
		if fp16[i].NodeKVTokens != f.NodeKVTokens || fp16[i].NodeKVBytes != f.NodeKVBytes {
			t.Errorf("%s at fp16: %+v, the bf16 fit %+v", f.Model, fp16[i], f)
		}
		if int4[i].KVBytesPerToken*4 != f.KVBytesPerToken || int4[i].NodeKVBytes != f.NodeKVBytes {
			t.Errorf("%s at int4: %d bytes per token (fp16 %d), memory %d", f.Model, int4[i].KVBytesPerToken, f.KVBytesPerToken, int4[i].NodeKVBytes)
		}
		if got, want := int4[i].NodeKVTokens, 4*f.NodeKVTokens; got < want-4 || got > want+4 {
			t.Errorf("%s at int4 holds %d tokens, want about %d", f.Model, got, want)
		}
	}
}
