package study

import (
	"fmt"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// predictions builds a one-hardware grid (h100-sxm) of one family whose
// generation speedups under each engine are given: speedups[e][m].
func predictions(names []string, params []int64, engines []string, speedups [][]float64) *Predictions {
	p := &Predictions{Models: names, Params: params, Hardware: []string{"h100-sxm"}, Engines: engines, Prompt: 1024, New: 1024, Batch: 1}
	p.Sizes = [][][]cost.FamilyPoint{make([][]cost.FamilyPoint, len(engines))}
	for e, eng := range engines {
		p.Modes = append(p.Modes, cost.Graph)
		p.Bands = append(p.Bands, EngineBands{Engine: eng})
		p.Sizes[0][e] = make([]cost.FamilyPoint, len(names))
		for i := range names {
			p.Sizes[0][e][i] = cost.FamilyPoint{Model: names[i], TP: 1, Fits: true, Generation: cost.Generation{Speedup: speedups[e][i]}, DecodeSpeedup: speedups[e][i]}
		}
	}
	for range names {
		p.Families = append(p.Families, "GPT-3")
	}
	return p
}

func finding(t *testing.T, fs []Finding, id string) Finding {
	t.Helper()
	f, ok := FindingByID(fs, id)
	if !ok {
		t.Fatalf("no finding %q", id)
	}
	return f
}

var gpt3Sizes = struct {
	names  []string
	params []int64
}{[]string{"gpt3-125m", "gpt3-1.3b", "gpt3-175b"}, []int64{125e6, 1.3e9, 175e9}}

func TestFindingsFollowTheNumbers(t *testing.T) {
	settings := DefaultPicks()
	for _, tc := range []struct {
		speedups       []float64
		bigger, little string
	}{
		{[]float64{1.2, 1.4, 7}, Holds, Holds},
		{[]float64{9, 4, 2}, DoesNotHold, DoesNotHold},
		{[]float64{2, 5, 12}, Holds, DoesNotHold},
	} {
		p := predictions(gpt3Sizes.names, gpt3Sizes.params, []string{cost.VLLM}, [][]float64{tc.speedups})
		fs := Findings(Results{Settings: settings, Predictions: p})
		bigger, little := finding(t, fs, "bigger-gain-more"), finding(t, fs, "small-gain-little")
		if bigger.Verdict != tc.bigger || little.Verdict != tc.little || bigger.Engine != cost.VLLM {
			t.Errorf("speedups %v: bigger-gain %q under %q (want %q), small-little %q (want %q)\n%s\n%s", tc.speedups, bigger.Verdict, bigger.Engine, tc.bigger, little.Verdict, tc.little, bigger.Evidence, little.Evidence)
		}
		wantGPT3 := DoesNotHold
		if s := tc.speedups[2]; s >= 5 && s <= 8 {
			wantGPT3 = Holds
		}
		if f := finding(t, fs, "gpt3-5-8x"); f.Verdict != wantGPT3 || !strings.Contains(f.Evidence, "h100-sxm") {
			t.Errorf("speedups %v: gpt3 %q, want %q: %s", tc.speedups, f.Verdict, wantGPT3, f.Evidence)
		}
	}
	// A measured small model that gains 14x on this CPU contradicts "under 1B gains little".
	fs := Findings(Results{Settings: settings, Measured: &Measured{Model: "gpt-tiny", Params: 5.9e6, Speedup: 14, Prompt: 16, New: 112, Threads: 2}})
	if f := finding(t, fs, "small-gain-little"); f.Verdict != DoesNotHold || !strings.Contains(f.Evidence, "14") || !strings.Contains(f.Engine, "measured on this CPU") {
		t.Errorf("measured 14x: %+v", f)
	}
	for _, f := range Findings(Results{Settings: settings}) {
		if f.Verdict != NotTested {
			t.Errorf("finding %s with no results: %+v", f.ID, f)
		}
	}
}

// A verdict that differs between engines says so: "models under 1B gain
// little" holds where the uncached path is as cheap as the cached one
// (eager launches dominate) and not where a compiled graph removes them.
func TestVerdictsFlipBetweenEngines(t *testing.T) {
	engines := []string{cost.HFGenerate, cost.PyTorchCompile}
	p := predictions(gpt3Sizes.names, gpt3Sizes.params, engines, [][]float64{{0.9, 1.4, 6.6}, {6.7, 4.6, 7.3}})
	fs := Findings(Results{Settings: DefaultPicks(), Predictions: p})
	little := finding(t, fs, "small-gain-little")
	if little.Verdict != DependsOnEngine || !strings.Contains(little.Evidence, "flips with the engine") ||
		!strings.Contains(little.Engine, "holds under hf-generate") || !strings.Contains(little.Engine, "does not hold under pytorch-compile") {
		t.Errorf("small models: %+v", little)
	}
	if len(little.ByEngine) != 2 || little.ByEngine[0].Verdict != Holds || little.ByEngine[1].Verdict != DoesNotHold {
		t.Errorf("small models by engine: %+v", little.ByEngine)
	}
	// Rising under one engine and falling under the other.
	if f := finding(t, fs, "bigger-gain-more"); f.Verdict != DependsOnEngine {
		t.Errorf("bigger models: %+v", f)
	}
	// Both engines agree: one verdict, every engine named.
	p = predictions(gpt3Sizes.names, gpt3Sizes.params, engines, [][]float64{{0.9, 1.4, 6.6}, {1.1, 1.3, 7.1}})
	fs = Findings(Results{Settings: DefaultPicks(), Predictions: p})
	if f := finding(t, fs, "small-gain-little"); f.Verdict != Holds || f.Engine != "hf-generate, pytorch-compile" {
		t.Errorf("both little: %+v", f)
	}
	if f := finding(t, fs, "gpt3-5-8x"); f.Verdict != Holds || len(f.ByEngine) != 2 {
		t.Errorf("gpt3 inside 5-8x under both: %+v", f)
	}
}

// The measured size sweep is optional evidence: absent it reads as not
// measured; present, its rise and its spread decide its verdict.
func TestBiggerGainMoreTakesTheMeasuredSweep(t *testing.T) {
	p := predictions(gpt3Sizes.names, gpt3Sizes.params, []string{cost.VLLM}, [][]float64{{1.6, 3, 6.9}})
	f := finding(t, Findings(Results{Settings: DefaultPicks(), Predictions: p}), "bigger-gain-more")
	if f.Verdict != Holds || !strings.Contains(f.Evidence, "not measured in this run") {
		t.Errorf("without a sweep: %+v", f)
	}
	sweep := func(medians, spread []float64) *SpeedupStudy {
		s := &SpeedupStudy{Prompt: 16, New: 176, Repeat: 5, Threads: 2}
		for i, m := range medians {
			s.Points = append(s.Points, SpeedupPoint{Model: fmt.Sprintf("m%d", i), Params: int64(1e6 * (i + 1)), Speedup: Spread{N: 5, Median: m, Min: m - spread[i], Max: m + spread[i]}})
		}
		s.Trend = speedupTrend(s.Points)
		return s
	}
	for _, tc := range []struct {
		sweep          *SpeedupStudy
		measured, want string
	}{
		{sweep([]float64{4, 8, 14}, []float64{0.5, 0.5, 0.5}), Holds, Holds},
		{sweep([]float64{4, 5, 6}, []float64{2, 2, 2}), HoldsPartly, DependsOnEngine}, // rises within the spread
		{sweep([]float64{14, 8, 4}, []float64{0.5, 0.5, 0.5}), DoesNotHold, DependsOnEngine},
	} {
		f := finding(t, Findings(Results{Settings: DefaultPicks(), Predictions: p, Speedup: tc.sweep}), "bigger-gain-more")
		m := f.ByEngine[len(f.ByEngine)-1]
		if m.Verdict != tc.measured || f.Verdict != tc.want || strings.Contains(f.Evidence, "not measured") || !strings.Contains(m.Evidence, "5 runs") {
			t.Errorf("sweep %+v: measured %q (want %q), overall %q (want %q)\n%s", tc.sweep.Points, m.Verdict, tc.measured, f.Verdict, tc.want, f.Evidence)
		}
	}
	// Measured only.
	f = finding(t, Findings(Results{Settings: DefaultPicks(), Speedup: sweep([]float64{4, 8, 14}, []float64{0.5, 0.5, 0.5})}), "bigger-gain-more")
	if f.Verdict != Holds || !strings.Contains(f.Engine, "measured on this CPU") {
		t.Errorf("a sweep alone: %+v", f)
	}
}

// sparse builds a comparison of a windowed model and one dense model at
// two contexts (the second past the window) under two engines.
func sparse(speedups [2][2][2]float64) *SparseStudy {
	s := &SparseStudy{Sparse: "mistral-7b", Window: 4096, Models: []string{"mistral-7b", "llama3-8b"}, Attention: []string{"GQA 8/32 + window 4096", "GQA 8/32"},
		MaxContext: []int{32768, 8192}, Hardware: "h100-sxm", Engines: []string{cost.HFGenerate, cost.VLLM}, Contexts: []int{4095, 8191},
		KVBytes: [][]int64{{512 << 20, 512 << 20}, {512 << 20, 1 << 30}}}
	s.Bands = []EngineBands{{Engine: cost.HFGenerate}, {Engine: cost.VLLM}}
	for m := range 2 {
		s.Points = append(s.Points, make([][]SparsePoint, 2))
		for e := range 2 {
			for c, l := range s.Contexts {
				s.Points[m][e] = append(s.Points[m][e], SparsePoint{Context: l, TP: 1, Fits: true, CachedS: 0.01, UncachedS: 0.01 * speedups[m][e][c], Speedup: speedups[m][e][c]})
			}
		}
	}
	return s
}

func TestSparseAttentionFinding(t *testing.T) {
	// [model][engine][context]: past the window (8191) the sparse model
	// gains 30x against 20x under hf-generate, 27x against 26x under vllm.
	s := sparse([2][2][2]float64{{{7, 30}, {13, 27}}, {{7, 20}, {12, 26}}})
	f := finding(t, Findings(Results{Settings: DefaultPicks(), Sparse: s}), "sparse-gain-more")
	if f.Verdict != DependsOnEngine || f.ByEngine[0].Verdict != Holds || f.ByEngine[1].Verdict != DoesNotHold ||
		!strings.Contains(f.ByEngine[0].Evidence, "at 8,191 tokens 30x vs llama3-8b 20x") || !strings.Contains(f.Evidence, "bounded-cache study (section 6) did not run") {
		t.Errorf("%+v", f)
	}
	// The window is not reached at 4,095 tokens: that context is not evidence.
	s = sparse([2][2][2]float64{{{70, 20}, {70, 20}}, {{7, 20}, {7, 20}}})
	if f := finding(t, Findings(Results{Sparse: s}), "sparse-gain-more"); f.Verdict != DoesNotHold {
		t.Errorf("more only where the window drops nothing: %+v", f)
	}
	// The measured window is reported beside the prediction.
	b := &BoundedStudy{Model: "gpt-tiny", Prompt: 8, New: 184, Sinks: 4, Capacities: []int{16}, Full: PathTiming{TotalS: 2, PerTokenS: []float64{0.01, 0.02}},
		Window: []PathTiming{{TotalS: 1, PerTokenS: []float64{0.01, 0.005}}}, WindowTop1: []float64{0.5}}
	if f := finding(t, Findings(Results{Sparse: s, Bounded: b}), "sparse-gain-more"); !strings.Contains(f.Evidence, "0.50x of the full cache's time") || !strings.Contains(f.Evidence, "5 ms against 20 ms") {
		t.Errorf("measured window: %s", f.Evidence)
	}
}

// The sparse study on the real cost model: Mistral's window caps its
// cached step and its cache.
func TestSparseStudy(t *testing.T) {
	m := specs(t, "mistral-7b", "llama2-7b", "llama3-8b")
	s, err := Sparse(ctx, SparseSettings{Sparse: m[0], Dense: m[1:], Hardware: hardware(t, "h100-sxm")[0], Engines: []string{cost.VLLM}, Contexts: []int{2048, 8191, 32767}})
	if err != nil {
		t.Fatal(err)
	}
	mis, l3 := s.Points[0][0], s.Points[2][0]
	if !(mis[2].CachedS < l3[2].CachedS) || s.KVBytes[0][1] != s.KVBytes[0][2] || s.KVBytes[2][2] <= s.KVBytes[2][1] || !l3[2].BeyondTrained || mis[2].BeyondTrained {
		t.Errorf("mistral %+v\nllama3 %+v\nkv %v", mis, l3, s.KVBytes)
	}
	pairs := s.Pairs(0)
	if len(pairs) != 2 || pairs[0].Dense != "llama2-7b" || pairs[0].Context != 2048 || pairs[0].WindowActive || pairs[1].Context != 8191 || !pairs[1].WindowActive {
		t.Errorf("pairs %+v", pairs)
	}
	if _, err := Sparse(ctx, SparseSettings{Sparse: m[1], Dense: m[2:], Hardware: hardware(t, "h100-sxm")[0]}); err == nil || !strings.Contains(err.Error(), "no sliding window") {
		t.Errorf("a dense model as the sparse one: %v", err)
	}
}

func TestChecksAreOneListOfDistinctClaims(t *testing.T) {
	fs := Findings(Results{})
	if len(fs) != len(Checks()) || len(fs) < 6 {
		t.Fatalf("%d findings for %d checks", len(fs), len(Checks()))
	}
	seen := map[string]bool{}
	for _, f := range fs {
		if f.ID == "" || seen[f.ID] || f.Claim == "" {
			t.Errorf("finding %+v: empty or repeated id", f)
		}
		seen[f.ID] = true
	}
}

// sweep builds an LRU curve with the given token hit rates at capacities 1, 2, 4, ...
func sweep(hits []float64, max float64) *CacheStudy {
	st := &CacheStudy{Workload: "w", Model: "m", BytesPerBlock: 1 << 20, Stats: stats512()}
	c := sim.Curve{Policy: "lru"}
	for i, h := range hits {
		st.Sweep.Capacities = append(st.Sweep.Capacities, 1<<i)
		c.Points = append(c.Points, sim.Summary{CapacityBlocks: 1 << i, TokenHitRate: h})
	}
	st.Sweep.Curves = []sim.Curve{c}
	st.Sweep.Unbounded = sim.Summary{TokenHitRate: max}
	idx, _, ok, _ := st.Sweep.SweetSpot("lru", SweetSpotFraction)
	st.SweetSpot = -1
	if ok {
		st.SweetSpot = idx
	}
	return st
}

func TestSweetSpotFinding(t *testing.T) {
	knee := sweep([]float64{0.1, 0.3, 0.5, 0.7, 0.72, 0.73}, 0.73)
	if f := finding(t, Findings(Results{Cache: knee}), "sweet-spot"); f.Verdict != Holds || !strings.Contains(f.Evidence, "8 blocks") || !strings.Contains(f.Engine, "none") {
		t.Errorf("a knee: %+v", f)
	}
	straight := sweep([]float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 0.6)
	if f := finding(t, Findings(Results{Cache: straight}), "sweet-spot"); f.Verdict != DoesNotHold {
		t.Errorf("a straight line: %+v", f)
	}
	short := sweep([]float64{0.1, 0.2}, 0.9)
	if f := finding(t, Findings(Results{Cache: short}), "sweet-spot"); f.Verdict == Holds {
		t.Errorf("a sweep that never reaches the maximum: %+v", f)
	}
}

func TestGQAFinding(t *testing.T) {
	k, err := KV(ctx, KVSettings{Models: specs(t, "gpt3-175b", "llama3-70b", "llama2-70b", "llama-65b"), Hardware: hardware(t, "h100-sxm")[0]})
	if err != nil {
		t.Fatal(err)
	}
	f := finding(t, Findings(Results{KV: &k}), "gqa-better")
	if f.Verdict != Holds || !strings.Contains(f.Evidence, "llama2-70b (GQA 8/64) vs llama-65b (MHA)") || f.Engine != "vllm's memory rule (0.90 of each device)" {
		t.Errorf("%+v", f)
	}
	// The memory fraction decides what fits: at 0.5 of each H100 fewer tokens fit, and the finding says whose rule it took.
	half, err := KV(ctx, KVSettings{Models: specs(t, "gpt3-175b", "llama3-70b", "llama2-70b", "llama-65b"), Hardware: hardware(t, "h100-sxm")[0], MemoryFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if f := finding(t, Findings(Results{KV: &half}), "gqa-better"); !strings.Contains(f.Engine, "memory fraction 0.50") {
		t.Errorf("at 0.5: %+v", f)
	}
	for i := range k.Fits {
		if k.Fits[i].Fits && half.Fits[i].Fits && half.Fits[i].TP == k.Fits[i].TP && half.Fits[i].NodeKVTokens >= k.Fits[i].NodeKVTokens {
			t.Errorf("%s: %d tokens at 0.5, %d at 0.9", k.Fits[i].Model, half.Fits[i].NodeKVTokens, k.Fits[i].NodeKVTokens)
		}
	}
	// Swap the bytes: an MHA model that caches less would win.
	for i := range k.Fits {
		if k.Fits[i].Model == "gpt3-175b" || k.Fits[i].Model == "llama-65b" {
			k.Fits[i].KVBytesPerTokenPB, k.Fits[i].NodeKVTokens = 1, 1e9
		}
	}
	if f := finding(t, Findings(Results{KV: &k}), "gqa-better"); f.Verdict != DoesNotHold {
		t.Errorf("MHA caching less: %+v", f)
	}
}

func stats512() workload.Stats { return workload.Stats{BlockTokens: 512} }

// On a CPU every engine column runs kvsim's decoder: the findings count it once.
func TestFindingsOnACPUCountItsDecoderOnce(t *testing.T) {
	p := predictions(gpt3Sizes.names, gpt3Sizes.params, []string{cost.HFGenerate, cost.VLLM}, [][]float64{{1.2, 2, 3}, {1.2, 2, 3}})
	p.Hardware, p.Fixed = []string{"this-cpu"}, []string{cost.ThisCPUEngine}
	settings := DefaultPicks()
	settings.Hardware = "this-cpu"
	f := finding(t, Findings(Results{Settings: settings, Predictions: p}), "bigger-gain-more")
	if len(f.ByEngine) != 1 || f.ByEngine[0].Engine != cost.ThisCPUEngine || f.Verdict != Holds {
		t.Errorf("%+v", f)
	}
}
