package study

import (
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// predictions builds a one-hardware, one-mode grid whose generation
// speedups are given, for models of the given sizes in one family.
func predictions(names []string, params []int64, speedups []float64) *Predictions {
	p := &Predictions{Models: names, Params: params, Hardware: []string{"h100-sxm"}, Modes: []cost.ExecMode{cost.Graph}, Prompt: 1024, New: 1024, Batch: 1}
	p.Sizes = [][][]cost.FamilyPoint{{make([]cost.FamilyPoint, len(names))}}
	for i := range names {
		p.Families = append(p.Families, "GPT-3")
		p.Sizes[0][0][i] = cost.FamilyPoint{Model: names[i], TP: 1, Fits: true, Generation: cost.Generation{Speedup: speedups[i]}, DecodeSpeedup: speedups[i]}
	}
	return p
}

func TestFindingsFollowTheNumbers(t *testing.T) {
	settings := DefaultPicks()
	names := []string{"gpt3-125m", "gpt3-1.3b", "gpt3-175b"}
	params := []int64{125e6, 1.3e9, 175e9}
	for _, tc := range []struct {
		speedups       []float64
		bigger, little string
	}{
		{[]float64{1.2, 1.4, 7}, Holds, Holds},
		{[]float64{9, 4, 2}, DoesNotHold, DoesNotHold},
		{[]float64{2, 5, 12}, Holds, DoesNotHold},
	} {
		p := predictions(names, params, tc.speedups)
		fs := Findings(Results{Settings: settings, Predictions: p})
		if fs[0].Verdict != tc.bigger || fs[2].Verdict != tc.little {
			t.Errorf("speedups %v: bigger-gain %q (want %q), small-little %q (want %q)\n%s\n%s", tc.speedups, fs[0].Verdict, tc.bigger, fs[2].Verdict, tc.little, fs[0].Evidence, fs[2].Evidence)
		}
		wantGPT3 := DoesNotHold
		if s := tc.speedups[2]; s >= 5 && s <= 8 {
			wantGPT3 = Holds
		}
		if fs[1].Verdict != wantGPT3 || !strings.Contains(fs[1].Evidence, "h100-sxm") {
			t.Errorf("speedups %v: gpt3 %q, want %q: %s", tc.speedups, fs[1].Verdict, wantGPT3, fs[1].Evidence)
		}
	}
	// A measured small model that gains 14x on this CPU contradicts "under 1B gains little".
	fs := Findings(Results{Settings: settings, Measured: &Measured{Model: "gpt-tiny", Params: 5.9e6, Speedup: 14, Prompt: 16, New: 112, Threads: 2}})
	if fs[2].Verdict != DoesNotHold || !strings.Contains(fs[2].Evidence, "14") {
		t.Errorf("measured 14x: %+v", fs[2])
	}
	for i, f := range Findings(Results{Settings: settings}) {
		if f.Verdict != NotTested {
			t.Errorf("finding %d with no results: %+v", i, f)
		}
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
	if f := Findings(Results{Cache: knee})[3]; f.Verdict != Holds || !strings.Contains(f.Evidence, "8 blocks") {
		t.Errorf("a knee: %+v", f)
	}
	straight := sweep([]float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 0.6)
	if f := Findings(Results{Cache: straight})[3]; f.Verdict != DoesNotHold {
		t.Errorf("a straight line: %+v", f)
	}
	short := sweep([]float64{0.1, 0.2}, 0.9)
	if f := Findings(Results{Cache: short})[3]; f.Verdict == Holds {
		t.Errorf("a sweep that never reaches the maximum: %+v", f)
	}
}

func TestGQAFinding(t *testing.T) {
	k, err := KV(ctx, KVSettings{Models: specs(t, "gpt3-175b", "llama3-70b", "llama2-70b", "llama-65b"), Hardware: hardware(t, "h100-sxm")[0]})
	if err != nil {
		t.Fatal(err)
	}
	f := Findings(Results{KV: &k})[4]
	if f.Verdict != Holds || !strings.Contains(f.Evidence, "llama2-70b (GQA 8/64) vs llama-65b (MHA)") {
		t.Errorf("%+v", f)
	}
	// Swap the bytes: an MHA model that caches less would win.
	for i := range k.Fits {
		if k.Fits[i].Model == "gpt3-175b" || k.Fits[i].Model == "llama-65b" {
			k.Fits[i].KVBytesPerTokenPB, k.Fits[i].NodeKVTokens = 1, 1e9
		}
	}
	if f := Findings(Results{KV: &k})[4]; f.Verdict != DoesNotHold {
		t.Errorf("MHA caching less: %+v", f)
	}
}

func stats512() workload.Stats { return workload.Stats{BlockTokens: 512} }
