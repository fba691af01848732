package cost

import (
	"slices"
	"testing"

	"kvcache/kvsim/model"
)

func TestContexts(t *testing.T) {
	got := Contexts(1, 8192, 14)
	if got[0] != 1 || got[len(got)-1] != 8192 || !slices.IsSorted(got) {
		t.Errorf("Contexts(1, 8192, 14) = %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Errorf("duplicate %d in %v", got[i], got)
		}
	}
	if got := Contexts(5, 5, 10); len(got) != 1 || got[0] != 5 {
		t.Errorf("Contexts(5, 5, 10) = %v", got)
	}
	if got := Contexts(100, 10, 3); !slices.Equal(got, []int{10, 32, 100}) {
		t.Errorf("Contexts(100, 10, 3) = %v", got)
	}
}

// TestGenerateSumsTheSteps rebuilds both generation times from single steps.
func TestGenerateSumsTheSteps(t *testing.T) {
	p := mustPredictor(t, "llama3-8b", "h100-sxm", Options{})
	const batch, prompt, n = 2, 300, 40
	g, err := p.Generate(batch, prompt, n)
	if err != nil {
		t.Fatal(err)
	}
	pre, _ := p.Prefill(batch, prompt)
	cached, uncached := pre.Seconds, pre.Seconds
	for l := prompt; l < prompt+n-1; l++ {
		cached += mustDecode(t, p, batch, l, true).Seconds
		uncached += mustDecode(t, p, batch, l, false).Seconds
	}
	if !g.Fits || !near(g.CachedSeconds, cached, 1e-12) || !near(g.UncachedSeconds, uncached, 1e-12) || !near(g.PrefillSeconds, pre.Seconds, 1e-12) {
		t.Errorf("Generate = %+v; summed steps give cached %g, uncached %g", g, cached, uncached)
	}
	one, _ := p.Generate(batch, prompt, 1)
	if one.CachedSeconds != one.UncachedSeconds || one.CachedSeconds != pre.Seconds {
		t.Errorf("one token is the prefill alone: %+v", one)
	}
	prev := 0.0
	for _, n := range []int{16, 64, 256, 1024} {
		g, _ := p.Generate(1, 512, n)
		if g.Speedup <= prev {
			t.Errorf("speedup for %d tokens %.3g not above %.3g", n, g.Speedup, prev)
		}
		prev = g.Speedup
	}
}

func TestGenerateReportsNoFit(t *testing.T) {
	p := mustPredictor(t, "llama3-70b", "l4", Options{TP: 8})
	g, err := p.Generate(64, 4000, 4000)
	if err != nil {
		t.Fatal(err)
	}
	if g.Fits || g.CachedSeconds != 0 {
		t.Errorf("64 x 8000 tokens of llama3-70b on 8 L4s: %+v", g)
	}
}

func TestFamilySweepCarriesErrors(t *testing.T) {
	// GPT-2's window is 1,024 positions: a 1,500-token prompt is refused for
	// it alone; GPT-3 (2,048) is priced.
	specs := []model.Spec{mustSpec(t, "gpt2-124m"), mustSpec(t, "gpt3-125m")}
	pts := FamilySweep(specs, mustHardware(t, "h100-sxm"), Options{}, 1, 1500, 10)
	if len(pts) != 2 {
		t.Fatalf("%d points", len(pts))
	}
	if pts[0].Error == "" || pts[0].Fits {
		t.Errorf("gpt2-124m with a 1500-token prompt: %+v", pts[0])
	}
	if pts[1].Error != "" || !pts[1].Fits || pts[1].TP != 1 || !(pts[1].DecodeSpeedup > 1) {
		t.Errorf("gpt3-125m: %+v", pts[1])
	}
}

// BenchmarkGenerate prices one generation of the size chart of section 3
// (1,024 + 1,024 tokens: 2,047 passes with and without a cache) for GPT-3
// 175B on 8 H100s under an eager engine, whose every kernel the pipeline
// runs through its host and device queues.
func BenchmarkGenerate(b *testing.B) {
	h, _ := LookupHardware("h100-sxm", nil)
	p, err := New(mustSpec(b, "gpt3-175b"), h, Options{TP: 8, Engine: PyTorchEager})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := p.Generate(1, 1024, 1024); err != nil {
			b.Fatal(err)
		}
	}
}
