package cost

import "testing"

func TestServingPrefill(t *testing.T) {
	for _, name := range []string{"llama3-8b", "mistral-7b", "gpt3-175b"} {
		tp := 1
		if name == "gpt3-175b" {
			tp = 8
		}
		sv := mustPredictor(t, name, "h100-sxm", Options{TP: tp}).Serving()
		prev := 0.0
		for _, n := range []int{1, 16, 256, 1024, 2000} {
			s := sv.PrefillSeconds(n, 0)
			if !(s > prev) {
				t.Errorf("%s: prefill of %d tokens %g s, not above %g", name, n, s, prev)
			}
			prev = s
		}
		// A prefix-cache hit: the cached tokens skip the weights but not attention.
		full := sv.PrefillSeconds(2000, 0)
		hit := sv.PrefillSeconds(500, 1500)
		if !(hit < full) {
			t.Errorf("%s: 500 new after 1500 cached (%g s) not cheaper than 2000 new (%g s)", name, hit, full)
		}
		if fresh := sv.PrefillSeconds(500, 0); !(hit > fresh) {
			t.Errorf("%s: attention over 1500 cached tokens should cost something: %g vs %g", name, hit, fresh)
		}
		prev = 0
		for _, c := range []int{0, 1000, 4000, 16000} {
			s := sv.PrefillSeconds(256, c)
			if s < prev {
				t.Errorf("%s: prefill after %d cached tokens %g s, below %g", name, c, s, prev)
			}
			prev = s
		}
	}
}

func TestServingDecode(t *testing.T) {
	sv := mustPredictor(t, "llama3-8b", "h100-sxm", Options{}).Serving()
	one := sv.DecodeSeconds(1, 1000)
	prev := 0.0
	for _, b := range []int{1, 2, 4, 16, 64, 256} {
		s := sv.DecodeSeconds(b, 1000*b)
		if !(s >= prev) {
			t.Errorf("batch %d: %g s, below batch before (%g)", b, s, prev)
		}
		if b > 1 && !(s < float64(b)*one) {
			t.Errorf("batch %d: %g s, no cheaper than %d separate steps (%g)", b, s, b, float64(b)*one)
		}
		prev = s
	}
	prev = 0
	for _, total := range []int{0, 1000, 10000, 100000, 1000000} {
		s := sv.DecodeSeconds(32, total)
		if !(s >= prev) {
			t.Errorf("total context %d: %g s, below %g", total, s, prev)
		}
		prev = s
	}
	// Equal contexts: the serving step is the predictor's decode step.
	st := mustDecode(t, mustPredictor(t, "llama3-8b", "h100-sxm", Options{}), 8, 700, true)
	if got := sv.DecodeSeconds(8, 8*700); !near(got, st.Seconds, 1e-12) {
		t.Errorf("DecodeSeconds(8, 5600) = %g, Decode(8, 700) = %g", got, st.Seconds)
	}
	if sv.DecodeSeconds(0, 100) != 0 || sv.PrefillSeconds(0, 100) != 0 || sv.PrefillSeconds(-3, 0) != 0 {
		t.Error("empty work should cost nothing")
	}
}

// BenchmarkServingDecodeSeconds is the price of one DecodeSeconds call, which
// the simulator makes every step (GPT-3 175B at TP 8: 96 layers of kernels).
func BenchmarkServingDecodeSeconds(b *testing.B) {
	h, _ := LookupHardware("h100-sxm", nil)
	s := mustSpec(b, "gpt3-175b")
	p, err := New(s, h, Options{TP: 8})
	if err != nil {
		b.Fatal(err)
	}
	sv := p.Serving()
	for i := 0; b.Loop(); i++ {
		sv.DecodeSeconds(32, 32*1000+i%1000)
	}
}
