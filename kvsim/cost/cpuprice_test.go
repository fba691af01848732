package cost

import (
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// onlyOps is a this-cpu preset whose operation costs are all zero but
// those set by with, and whose matrix-vector rate is flat at matvec (a
// rate is never zero). Each test switches one class of work on and checks
// the step time against the decoder's structure in closed form.
func onlyOps(t *testing.T, threads int, matvec float64, with func(*CPUOps)) Hardware {
	t.Helper()
	ops := &CPUOps{Threads: threads, MatmulRowFLOPS: 1e30,
		Matvec: []WorkingSetRate{{Bytes: 1 << 20, FLOPS: matvec}, {Bytes: 1 << 30, FLOPS: matvec}}}
	if with != nil {
		with(ops)
	}
	cal := Calibration{MatmulFLOPS: 1e11, MatvecFLOPS: matvec, StreamBandwidth: 1e10, Threads: threads,
		MemoryBytes: 16 * gib, Method: "fixed test costs", Ops: ops}
	h, err := cal.Hardware()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func cpuStep(t *testing.T, spec string, h Hardware, context int, cached bool) Step {
	t.Helper()
	p, err := New(mustSpec(t, spec), h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return mustDecode(t, p, 1, context, cached)
}

// Each class of the decoder's work, alone, costs what the decoder's
// structure says: one pass over every weight per step; further rows at the
// row rate (the LM head runs one row); attention per head and position,
// split over the threads; per-row steps inline for one row and split over
// the rows for many; a fork-join per pooled call.
func TestCPUOpsClosedForms(t *testing.T) {
	const l = 40 // context
	const huge = 1e30
	gpt, llama := mustSpec(t, "gpt-tiny"), mustSpec(t, "llama-tiny")
	layers := float64(gpt.Layers)
	weights := float64(gpt.MatmulParams())
	lmHead := float64(gpt.MatmulWeights().LMHead)

	t.Run("weights and cached K/V stream once per step", func(t *testing.T) {
		h := onlyOps(t, 2, 1e10, nil) // further rows cost nothing here (row rate 1e30)
		for _, cached := range []bool{true, false} {
			st := cpuStep(t, "gpt-tiny", h, l, cached)
			want := 2 * weights / 1e10
			if cached { // L positions of K/V read, at the weights' 2 bytes per FLOP
				want += float64(l) * float64(gpt.KVBytesPerToken(model.FP32)) / 2e10
			}
			if !near(st.Seconds, want, 1e-9) {
				t.Errorf("cached %v: %g s, want %g", cached, st.Seconds, want)
			}
		}
	})
	t.Run("further rows at the row rate", func(t *testing.T) {
		h := onlyOps(t, 2, huge, func(o *CPUOps) { o.MatmulRowFLOPS = 1e11; o.MatmulOutputSeconds = 1e-9 })
		st := cpuStep(t, "gpt-tiny", h, l, false) // l+1 rows
		d, ffn := float64(gpt.DModel), float64(gpt.FFN)
		outputs := layers * (3*d + d + ffn + d) // qkv, out, up, down per row
		want := float64(l) * (2*(weights-lmHead)/1e11 + outputs*1e-9)
		if !near(st.Seconds, want, 1e-9) {
			t.Errorf("uncached: %g s, want L (2 W_layers / rate + outputs x 1 ns) = %g", st.Seconds, want)
		}
		if c := cpuStep(t, "gpt-tiny", h, l, true); c.Seconds > 1e-12 {
			t.Errorf("cached step has no further rows, costs %g s", c.Seconds)
		}
	})
	t.Run("attention per head and position", func(t *testing.T) {
		h := onlyOps(t, 2, huge, func(o *CPUOps) { o.AttentionPositionSeconds = 1e-8; o.AttentionItemSeconds = 1e-7 })
		heads := float64(llama.Heads)
		st := cpuStep(t, "llama-tiny", h, l, true)
		want := layers * (heads*1e-7 + heads*float64(l+1)*1e-8) / 2
		if !near(st.Seconds, want, 1e-9) {
			t.Errorf("cached: %g s, want layers x heads x (item + (L+1) position) / 2 threads = %g", st.Seconds, want)
		}
		st = cpuStep(t, "llama-tiny", h, l, false)
		n := float64(l + 1)
		want = layers * (n*heads*1e-7 + heads*n*(n+1)/2*1e-8) / 2
		if !near(st.Seconds, want, 1e-9) {
			t.Errorf("uncached: %g s, want the causal triangle split over 2 threads = %g", st.Seconds, want)
		}
	})
	t.Run("per-row steps inline for one row, split for many", func(t *testing.T) {
		h := onlyOps(t, 2, huge, func(o *CPUOps) { o.GELUSeconds = 1e-8 })
		ffn := float64(gpt.FFN)
		if st := cpuStep(t, "gpt-tiny", h, l, true); !near(st.Seconds, layers*ffn*1e-8, 1e-9) {
			t.Errorf("cached: %g s, want layers x ffn x gelu = %g", st.Seconds, layers*ffn*1e-8)
		}
		want := layers * ffn * float64(l+1) * 1e-8 / 2
		if st := cpuStep(t, "gpt-tiny", h, l, false); !near(st.Seconds, want, 1e-9) {
			t.Errorf("uncached: %g s, want layers x ffn x rows x gelu / 2 threads = %g", st.Seconds, want)
		}
		one := onlyOps(t, 1, huge, func(o *CPUOps) { o.GELUSeconds = 1e-8 })
		if st := cpuStep(t, "gpt-tiny", one, l, false); !near(st.Seconds, 2*want, 1e-9) {
			t.Errorf("one thread: %g s, want %g", st.Seconds, 2*want)
		}
	})
	t.Run("a fork-join per pooled call", func(t *testing.T) {
		h := onlyOps(t, 2, huge, nil)
		h.KernelGapSeconds = 1e-6 // the calibration's fork-join
		// cached: qkv, attention, out, up, down per layer, and the LM head
		if st := cpuStep(t, "gpt-tiny", h, l, true); !near(st.Seconds, (5*layers+1)*1e-6, 1e-9) || st.Kernels != 5*gpt.Layers+1 {
			t.Errorf("cached: %g s over %d calls, want %d calls", st.Seconds, st.Kernels, 5*gpt.Layers+1)
		}
		// uncached GPT adds six per-row steps: two norms, qkv bias, two residuals, activation
		if st := cpuStep(t, "gpt-tiny", h, l, false); st.Kernels != 11*gpt.Layers+1 || !near(st.Seconds, float64(st.Kernels)*1e-6, 1e-9) {
			t.Errorf("uncached gpt: %d calls (%g s), want %d", st.Kernels, st.Seconds, 11*gpt.Layers+1)
		}
		// LLaMA: RoPE instead of the qkv bias
		if st := cpuStep(t, "llama-tiny", h, l, false); st.Kernels != 11*llama.Layers+1 {
			t.Errorf("uncached llama: %d calls, want %d", st.Kernels, 11*llama.Layers+1)
		}
	})
}

// Fresh values (a matmul's output read by the next element-wise step) cost
// the fresh-add rate on the biased GPT path and the residuals of LLaMA.
func TestCPUOpsFreshAdds(t *testing.T) {
	h := onlyOps(t, 2, 1e30, func(o *CPUOps) { o.AddFreshSeconds = 1e-9 })
	gpt, llama := mustSpec(t, "gpt-tiny"), mustSpec(t, "llama-tiny")
	d, ffn := float64(gpt.DModel), float64(gpt.FFN)
	qkv := float64(gpt.Heads*gpt.HeadDim + 2*gpt.KVHeads*gpt.HeadDim)
	want := float64(gpt.Layers) * (qkv + 2*d + ffn) * 1e-9 // qkv bias, out and down bias, up bias
	if st := cpuStep(t, "gpt-tiny", h, 10, true); !near(st.Seconds, want, 1e-9) {
		t.Errorf("gpt: %g s, want %g", st.Seconds, want)
	}
	// two residuals, and V, which no element-wise step touched, copied into the cache
	want = float64(llama.Layers) * (2*float64(llama.DModel) + float64(llama.KVHeads*llama.HeadDim)) * 1e-9
	if st := cpuStep(t, "llama-tiny", h, 10, true); !near(st.Seconds, want, 1e-9) {
		t.Errorf("llama: %g s, want %g", st.Seconds, want)
	}
}

// With CPU ops the breakdown still adds up, the FLOPs still equal the
// model's, and every bound is one the roofline knows; a bigger working set
// is slower.
func TestCPUOpsBreakdown(t *testing.T) {
	h := onlyOps(t, 2, 2e10, func(o *CPUOps) {
		o.Matvec = []WorkingSetRate{{1 << 20, 9e10}, {64 << 20, 2e10}, {256 << 20, 1e10}}
		o.MatmulRowFLOPS, o.MatmulOutputSeconds = 1e11, 1e-9
		o.AttentionItemSeconds, o.AttentionPositionSeconds, o.AttentionDimSeconds = 1e-7, 1e-8, 2e-10
		o.LayerNormSeconds, o.RMSNormSeconds, o.GELUSeconds, o.SwiGLUSeconds = 1.5e-9, 8e-10, 1.1e-8, 1e-8
		o.RoPESeconds, o.AddSeconds, o.AddFreshSeconds, o.CopySeconds = 1e-9, 2.5e-10, 6e-10, 1e-10
	})
	h.MemoryBytes, h.KernelGapSeconds = 1<<50, 5e-7
	for _, s := range model.NewCatalog().Specs() {
		p, err := New(s, h, Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := min(300, s.MaxContext-1)
		for _, cached := range []bool{true, false} {
			st := mustDecode(t, p, 1, l, cached)
			var sum, flops float64
			for _, o := range st.Ops {
				sum += o.Seconds
				flops += o.FLOPs
				if o.Name != "launch_overhead" && (o.Seconds < math.Max(o.ComputeSeconds, o.MemorySeconds)*(1-1e-12) ||
					o.Seconds > (o.ComputeSeconds+o.MemorySeconds)*(1+1e-12)) {
					t.Errorf("%s %s: %g s outside [max, sum] of %g and %g", s.Name, o.Name, o.Seconds, o.ComputeSeconds, o.MemorySeconds)
				}
			}
			if !near(sum, st.Seconds, 1e-9) || !near(flops, s.DecodeFLOPs(l, cached), 1e-9) || !(st.Seconds > 0) {
				t.Errorf("%s cached %v: ops %g s and %g FLOPs; step %g s, model %g FLOPs", s.Name, cached, sum, flops, st.Seconds, s.DecodeFLOPs(l, cached))
			}
		}
	}
	small, big := cpuStep(t, "llama-tiny", h, 100, true), cpuStep(t, "llama-110m", h, 100, true)
	smallRate := 2 * float64(mustSpec(t, "llama-tiny").MatmulParams()) / small.Seconds
	bigRate := 2 * float64(mustSpec(t, "llama-110m").MatmulParams()) / big.Seconds
	if !(bigRate < smallRate) {
		t.Errorf("llama-110m streams its weights at %g FLOP/s, llama-tiny at %g: a bigger working set should be slower", bigRate, smallRate)
	}
}

func TestMatvecFLOPSAt(t *testing.T) {
	o := &CPUOps{Matvec: []WorkingSetRate{{1 << 20, 100}, {4 << 20, 50}, {16 << 20, 25}}}
	for _, tc := range []struct{ bytes, want float64 }{
		{1, 100}, {1 << 20, 100}, {4 << 20, 50}, {16 << 20, 25}, {1 << 40, 25},
		{2 << 20, 1 / (0.5/100 + 0.5/50)}, // half way in log(bytes): the mean time per FLOP
	} {
		if got := o.MatvecFLOPSAt(tc.bytes); !near(got, tc.want, 1e-12) {
			t.Errorf("MatvecFLOPSAt(%g) = %g, want %g", tc.bytes, got, tc.want)
		}
	}
	prev := math.Inf(1)
	for b := 1.0; b < 1<<26; b *= 1.3 {
		r := o.MatvecFLOPSAt(b)
		if r > prev {
			t.Fatalf("rate rises from %g to %g at %g bytes over falling measurements", prev, r, b)
		}
		prev = r
	}
}

func TestCPUOpsValidate(t *testing.T) {
	good := func() *CPUOps {
		return &CPUOps{Threads: 2, MatmulRowFLOPS: 1e11, Matvec: []WorkingSetRate{{1 << 20, 1e11}, {1 << 26, 2e10}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, spoil := range map[string]func(*CPUOps){
		"no threads":         func(o *CPUOps) { o.Threads = 0 },
		"no matvec":          func(o *CPUOps) { o.Matvec = nil },
		"descending ws":      func(o *CPUOps) { o.Matvec[1].Bytes = 1 },
		"zero rate":          func(o *CPUOps) { o.Matvec[0].FLOPS = 0 },
		"no row rate":        func(o *CPUOps) { o.MatmulRowFLOPS = math.Inf(1) },
		"negative gelu":      func(o *CPUOps) { o.GELUSeconds = -1 },
		"NaN attention item": func(o *CPUOps) { o.AttentionItemSeconds = math.NaN() },
	} {
		o := good()
		spoil(o)
		err := o.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "cost: ") {
			t.Errorf("%s: Validate = %v, want a cost: error", name, err)
		}
		cal, _ := fixedCPU()
		cal.Ops = o
		if _, err := cal.Hardware(); err == nil {
			t.Errorf("%s: a calibration with bad ops became hardware", name)
		}
	}
}

func TestCompareDecode(t *testing.T) {
	p, err := New(mustSpec(t, "gpt-tiny"), onlyOps(t, 2, 1e10, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps, err := p.DecodeSteps(16, 5, true)
	if err != nil || len(steps) != 4 {
		t.Fatalf("DecodeSteps = %v, %v; want 4 steps", steps, err)
	}
	for i, s := range steps {
		if st := mustDecode(t, p, 1, 16+i, true); st.Seconds != s {
			t.Errorf("step %d: %g s, Decode at context %d says %g", i, s, 16+i, st.Seconds)
		}
	}
	measured := []float64{2 * steps[0], 2 * steps[1], 2 * steps[2], 2 * steps[3]}
	c, err := p.CompareDecode(16, true, measured)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c.TotalError, -0.5, 1e-12) {
		t.Errorf("TotalError %g, want -0.5 for a run twice as slow", c.TotalError)
	}
	if m, pr, e := c.Window(100, 3); m != measured[2] || pr != steps[2] || !near(e, -0.5, 1e-12) {
		t.Errorf("Window past the end = %g, %g, %g; want the last three steps' medians", m, pr, e)
	}
	for name, bad := range map[string][]float64{"none": nil, "zero": {0}, "negative": {-1e-3}, "inf": {math.Inf(1)}} {
		if _, err := p.CompareDecode(16, true, bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := p.CompareDecode(mustSpec(t, "gpt-tiny").MaxContext, true, measured); err == nil {
		t.Error("steps beyond the model's window: no error")
	}
}
