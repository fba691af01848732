package cost

import (
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

func opByName(st Step, name string) (Op, bool) {
	for _, o := range st.Ops {
		if o.Name == name {
			return o, true
		}
	}
	return Op{}, false
}

// TestAllReducePerLayer: two all-reduces per layer (one for Falcon's
// parallel block), each the latency plus the ring's transfer.
func TestAllReducePerLayer(t *testing.T) {
	h := mustHardware(t, "h100-sxm")
	for _, tc := range []struct {
		model   string
		perLyr  int
		tp      int
		engine  string
		latency float64
	}{{"llama3-70b", 2, 4, VLLM, h.AllReduceLatency}, {"falcon-7b", 1, 1, VLLM, 0}} {
		p := mustPredictor(t, tc.model, "h100-sxm", Options{TP: tc.tp, Engine: tc.engine})
		st := mustDecode(t, p, 1, 100, true)
		ar, ok := opByName(st, "all_reduce")
		if tc.tp == 1 {
			if ok {
				t.Errorf("%s at TP 1 has an all_reduce row", tc.model)
			}
			continue
		}
		s := mustSpec(t, tc.model)
		n := float64(tc.perLyr * s.Layers)
		bytes := float64(s.DModel) * 2
		ring := 2 * float64(tc.tp-1) / float64(tc.tp) * bytes / (h.LinkBandwidth * h.LinkEfficiency)
		if !ok || ar.Kernels != int(n) || !near(ar.Seconds, n*(tc.latency+ring), 1e-9) || ar.Bound != CommunicationBound {
			t.Errorf("%s TP %d: all_reduce %+v, want %g of %g s", tc.model, tc.tp, ar, n, tc.latency+ring)
		}
	}
}

// TestExpertsHit: the expected distinct experts a batch routes to, and the
// busiest device's share under expert parallelism.
func TestExpertsHit(t *testing.T) {
	if got := expertsHit(8, 2, 1); got != 2 {
		t.Errorf("one token uses its 2 experts, got %g", got)
	}
	if got := expertsHit(256, 8, 1e6); !near(got, 256, 1e-12) {
		t.Errorf("a huge batch hits every expert, got %g", got)
	}
	// One device: the busiest is the only one.
	q := expertHitProbability(256, 8, 16)
	if got, want := busiestDeviceExperts(256, 1, q), 256*q; !near(got, want, 1e-9) {
		t.Errorf("one device: %g, want the mean %g", got, want)
	}
	// More devices: the busiest holds more than its mean share, never more than it has.
	for _, devices := range []int{2, 8, 32} {
		per := 256 / devices
		got := busiestDeviceExperts(per, devices, q)
		if mean := float64(per) * q; got <= mean || got > float64(per) {
			t.Errorf("%d devices: busiest %g, mean %g, holds %d", devices, got, mean, per)
		}
	}
	if got := busiestDeviceExperts(32, 8, 1); got != 32 {
		t.Errorf("every expert hit: busiest %g, want 32", got)
	}
}

// TestMoERows: a MoE layer shows its router and, with expert parallelism,
// the two all-to-alls; each device then reads whole experts of its own.
func TestMoERows(t *testing.T) {
	s := mustSpec(t, "deepseek-v3")
	sharded := mustDecode(t, mustPredictor(t, "deepseek-v3", "h200", Options{TP: 8, DType: model.FP8}), 8, 500, true)
	ep := mustDecode(t, mustPredictor(t, "deepseek-v3", "h200", Options{TP: 8, DType: model.FP8, ExpertParallel: true}), 8, 500, true)
	for name, st := range map[string]Step{"sharded": sharded, "expert-parallel": ep} {
		if r, ok := opByName(st, "moe_router"); !ok || r.Kernels != 2*s.MoELayers() {
			t.Errorf("%s: router row %+v", name, r)
		}
	}
	if _, ok := opByName(sharded, "moe_all_to_all"); ok {
		t.Error("sharded experts need no all-to-all")
	}
	a2a, ok := opByName(ep, "moe_all_to_all")
	if !ok || a2a.Kernels != 2*s.MoELayers() || a2a.Bound != CommunicationBound {
		t.Errorf("expert parallel all-to-all: %+v", a2a)
	}
	// 8 tokens x 8 experts over 256: each device reads whole experts, so its
	// busiest share is more than a sharded device's slice of the same experts.
	mlp := func(st Step) float64 { o, _ := opByName(st, "mlp"); return o.WeightBytes }
	if mlp(ep) <= mlp(sharded) {
		t.Errorf("expert parallel reads %g B of experts, sharded %g B", mlp(ep), mlp(sharded))
	}
	if _, err := New(s, mustHardware(t, "h200"), Options{TP: 3, ExpertParallel: true}); err == nil {
		t.Error("TP 3 cannot divide the heads or the experts")
	}
}

// TestMLAAbsorbed: engines that absorb MLA's up-projections show them as
// their own row in decode and attend over the cached latent; prefills
// up-project K and V as the model does.
func TestMLAAbsorbed(t *testing.T) {
	p := mustPredictor(t, "deepseek-v3", "h200", Options{TP: 8, DType: model.FP8, Engine: VLLM})
	dec := mustDecode(t, p, 1, 2000, true)
	up, ok := opByName(dec, "mla_up_proj")
	s := mustSpec(t, "deepseek-v3")
	m := s.MLA
	kvUp := float64(m.KVLoRARank * s.Heads * (m.QKNopeHeadDim + m.VHeadDim))
	if !ok || !near(up.WeightBytes, kvUp/8*float64(s.Layers), 1e-9) {
		t.Errorf("mla_up_proj: %+v, want the latent's up-projection weights (%g B per device)", up, kvUp/8*float64(s.Layers))
	}
	pre, err := p.Prefill(1, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opByName(pre, "mla_up_proj"); ok {
		t.Error("a prefill up-projects K and V; no absorbed row")
	}
	plain := mustDecode(t, mustPredictor(t, "deepseek-v3", "h200", Options{TP: 8, DType: model.FP8, Engine: FasterTransformer}), 1, 2000, true)
	if _, ok := opByName(plain, "mla_up_proj"); ok {
		t.Error("an engine without absorption has no mla_up_proj row")
	}
}

// TestGQAReads: an engine that copies grouped K/V out to every head, or
// reads them once per query head, moves group times more cache bytes in
// decode attention than a GQA-aware kernel.
func TestGQAReads(t *testing.T) {
	s := mustSpec(t, "llama2-70b") // 64 query heads over 8 K/V heads
	group := float64(s.Heads / s.KVHeads)
	attn := func(engine string) Op {
		st := mustDecode(t, mustPredictor(t, "llama2-70b", "h200", Options{DType: model.FP8, Engine: engine}), 16, 4000, true)
		o, _ := opByName(st, "attention")
		return o
	}
	aware, perHead, copied := attn(TensorRTLLM), attn(TensorRTLLM05), attn(PyTorchEager)
	if !near(perHead.KVBytes, group*aware.KVBytes, 1e-9) {
		t.Errorf("per-head reads: %g B of KV, want %g x %g", perHead.KVBytes, group, aware.KVBytes)
	}
	if copied.KVBytes != aware.KVBytes || copied.ActivationBytes < 2*group*aware.KVBytes {
		t.Errorf("copied K/V: KV %g, activations %g; the copy should add 2 x %g x %g", copied.KVBytes, copied.ActivationBytes, group, aware.KVBytes)
	}
}

// TestFP16Accumulate: llama.cpp's fp16 products run at the 4090's
// fp16-accumulate rate, twice the fp32-accumulate one PyTorch gets.
func TestFP16Accumulate(t *testing.T) {
	ggml := mustPredictor(t, "llama3-8b", "rtx-4090", Options{DType: model.FP16, Engine: LlamaCpp})
	torch := mustPredictor(t, "llama3-8b", "rtx-4090", Options{DType: model.FP16, Engine: PyTorchCompile})
	if !near(ggml.peak, 2*torch.peak, 1e-3) {
		t.Errorf("peak: llama.cpp %g, pytorch %g", ggml.peak, torch.peak)
	}
	bf := mustPredictor(t, "llama3-8b", "rtx-4090", Options{DType: model.BF16, Engine: LlamaCpp})
	if bf.peak != torch.peak {
		t.Errorf("bf16 is not accumulated in fp16: %g vs %g", bf.peak, torch.peak)
	}
}

// TestMaterialisedAttention: without fused attention a prompt chunk
// computes and moves the whole rectangle of scores (new tokens x every
// cached and new token), ScoreBytes bytes each; a fused kernel only the
// causal triangle, and no score traffic.
func TestMaterialisedAttention(t *testing.T) {
	s := mustSpec(t, "llama3-8b")
	p := mustPredictor(t, "llama3-8b", "rtx-4090", Options{DType: model.FP16, Engine: LlamaCpp})
	st, err := p.PrefillAfter(1, 512, 1024) // a chunk of 512 after 1,024 cached tokens
	if err != nil {
		t.Fatal(err)
	}
	o, _ := opByName(st, "attention")
	rect := 512.0 * (1024 + 512) * float64(s.Heads) * float64(s.Layers)
	if want := llamaCppScoreBytes * rect; o.ActivationBytes < want || o.ActivationBytes > 1.1*want {
		t.Errorf("attention moves %g B, want the score rectangle's %g and little more", o.ActivationBytes, want)
	}
	perScore := 2.0 * float64(s.QKHeadDim()+s.VHeadDim()) // QK and PV, per head and position
	if want := perScore * rect; !near(o.FLOPs, want, 1e-9) {
		t.Errorf("attention FLOPs %g, want the whole rectangle's %g", o.FLOPs, want)
	}
	fused := mustPredictor(t, "llama3-8b", "rtx-4090", Options{DType: model.FP16, Engine: VLLM})
	fst, _ := fused.PrefillAfter(1, 512, 1024)
	fo, _ := opByName(fst, "attention")
	if want := perScore * s.AttendedPositions(1024, 512) * float64(s.Heads) * float64(s.Layers); !near(fo.FLOPs, want, 1e-9) || fo.ActivationBytes > 0.05*o.ActivationBytes {
		t.Errorf("fused attention: %g FLOPs (want the triangle's %g), %g B", fo.FLOPs, want, fo.ActivationBytes)
	}
}

// TestAllReduceKinds: NCCL's ring latency grows with the devices (NCCL's
// tuning model); a custom one-shot all-reduce does not, and falls back to
// NCCL on more than two PCIe-only devices.
func TestAllReduceKinds(t *testing.T) {
	latency := func(model, hw, engine string, tp int) float64 {
		p := mustPredictor(t, model, hw, Options{Engine: engine, TP: tp, DType: mustHardware(t, hw).DefaultDType})
		return p.allReduceLatency()
	}
	for _, tc := range []struct {
		hw     string
		engine string
		tp     int
		want   float64
	}{
		{"a100-80gb", PyTorchCompile, 2, 6.6e-6 + 2*0.6e-6},
		{"a100-80gb", PyTorchCompile, 8, 6.6e-6 + 14*0.6e-6},
		{"a100-80gb", FasterTransformer, 4, 6.6e-6 + 6*0.6e-6},
		{"h100-sxm", VLLM, 8, 10e-6},
		{"h100-sxm", TensorRTLLM, 2, 10e-6},
		{"l40s", VLLM, 2, 10e-6},                      // two PCIe devices keep the custom kernel
		{"l40s", VLLM, 4, 6.6e-6 + 6*1.0e-6},          // more fall back to NCCL over PCIe
		{"rtx-4090", PyTorchEager, 8, 6.6e-6 + 14e-6}, // PCIe hops
	} {
		if got := latency("llama3-8b", tc.hw, tc.engine, tc.tp); !near(got, tc.want, 1e-9) {
			t.Errorf("%s %s TP %d: all-reduce latency %g, want %g", tc.hw, tc.engine, tc.tp, got, tc.want)
		}
	}
}

// TestReplicatedLMHead: gpt-fast's tensor parallelism leaves the LM head
// whole, so every device reads all of it; vLLM shards it.
func TestReplicatedLMHead(t *testing.T) {
	s := mustSpec(t, "llama3.1-8b")
	lm := float64(s.MatmulWeights().LMHead) * 2
	for _, tc := range []struct {
		engine string
		want   float64
	}{{PyTorchCompile, lm}, {VLLM, lm / 8}} {
		st := mustDecode(t, mustPredictor(t, "llama3.1-8b", "a100-80gb", Options{Engine: tc.engine, TP: 8}), 1, 100, true)
		o, _ := opByName(st, "lm_head")
		if !near(o.WeightBytes, tc.want, 1e-9) {
			t.Errorf("%s TP 8: lm_head reads %g B, want %g", tc.engine, o.WeightBytes, tc.want)
		}
	}
}

// TestTopPCost: FasterTransformer's top-p sort is the published time at the
// published batches, interpolated in log(batch) between them, held flat
// beyond, and scaled by the vocabulary.
func TestTopPCost(t *testing.T) {
	c := *ftTopP()
	for _, tc := range []struct {
		batch, vocab int
		want         float64
	}{
		{1, 32001, c.Seconds[0]},
		{8, 32001, c.Seconds[1]},
		{128, 64002, 2 * c.Seconds[2]},
		{1000, 32001, c.Seconds[2]},
		{32, 32001, c.Seconds[1] + 0.5*(c.Seconds[2]-c.Seconds[1])}, // halfway in log(batch) from 8 to 128
	} {
		if got := c.StepSeconds(tc.batch, tc.vocab); !near(got, tc.want, 1e-9) {
			t.Errorf("batch %d, vocab %d: %g s, want %g", tc.batch, tc.vocab, got, tc.want)
		}
	}
	if !near(c.Seconds[0], 0.1365e-3, 1e-3) {
		t.Errorf("batch 1: %g s, want 1/1152 - 1/1367 s", c.Seconds[0])
	}
	st := mustDecode(t, mustPredictor(t, "gpt3-350m", "a100-80gb", Options{Engine: FasterTransformer, DType: model.FP16}), 1, 100, true)
	smp, _ := opByName(st, "sampler")
	if want := c.StepSeconds(1, mustSpec(t, "gpt3-350m").Vocab); smp.Seconds < want {
		t.Errorf("fastertransformer sampler %g s, want at least its sort's %g", smp.Seconds, want)
	}
	bad := Engines()[0]
	bad.TopP = &TopPCost{Vocab: 100, Batches: []int{8, 1}, Seconds: []float64{1e-4, 2e-4}}
	if err := bad.Validate(); err == nil {
		t.Error("unsorted top-p batches were accepted")
	}
}

// TestSamplerAndStepRows: every engine but the decoder samples on the
// device, and an engine that waits each step shows its host work.
func TestSamplerAndStepRows(t *testing.T) {
	for _, e := range Engines() {
		if e.Name == ThisCPUEngine {
			continue
		}
		st := mustDecode(t, mustPredictor(t, "llama3-8b", "h100-sxm", Options{Engine: e.Name}), 1, 500, true)
		smp, _ := opByName(st, "sampler")
		if smp.Kernels != e.SamplerKernels {
			t.Errorf("%s: sampler %d kernels, want %d", e.Name, smp.Kernels, e.SamplerKernels)
		}
		step, _ := opByName(st, "step_overhead")
		if e.SyncPerStep && !near(step.Seconds, e.StepSeconds, 1e-9) {
			t.Errorf("%s: step_overhead %g, want %g", e.Name, step.Seconds, e.StepSeconds)
		}
		if math.IsNaN(st.Seconds) || !(st.Seconds > 0) {
			t.Errorf("%s: %g s", e.Name, st.Seconds)
		}
	}
}

// TestChunkedPrompts: llama.cpp processes a prompt in micro-batches of 512.
func TestChunkedPrompts(t *testing.T) {
	p := mustPredictor(t, "llama3-8b", "rtx-4090", Options{DType: model.FP16, Engine: LlamaCpp})
	whole, err := p.promptSeconds(1, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for done := 0; done < 2048; done += 512 {
		st, _ := p.PrefillAfter(1, 512, done)
		sum += st.Seconds
	}
	if !near(whole, sum, 1e-12) {
		t.Errorf("2048 tokens: %g s, four chunks of 512: %g s", whole, sum)
	}
	if _, err := p.promptSeconds(1, 0); err == nil || !strings.HasPrefix(err.Error(), "cost:") {
		t.Errorf("empty prompt: %v", err)
	}
}

// TestUncachedStepIsAPrefill: without a cache a step runs its whole prefix
// again, so its attention is that of a prefill of context+1 tokens, also
// where scores are materialised (llama.cpp without -fa), with and without
// a sliding window.
func TestUncachedStepIsAPrefill(t *testing.T) {
	for _, name := range []string{"llama3-8b", "mistral-7b"} {
		p := mustPredictor(t, name, "h100-sxm", Options{Engine: LlamaCpp})
		const context = 8191
		step, err := p.Decode(1, context, false)
		if err != nil {
			t.Fatal(err)
		}
		prefill, err := p.Prefill(1, context+1)
		if err != nil {
			t.Fatal(err)
		}
		attn := func(s Step) Op {
			for _, op := range s.Ops {
				if op.Name == "attention" {
					return op
				}
			}
			t.Fatalf("%s: no attention op in %+v", name, s.Ops)
			return Op{}
		}
		a, b := attn(step), attn(prefill)
		if a.FLOPs != b.FLOPs || a.ActivationBytes != b.ActivationBytes {
			t.Errorf("%s: uncached step attention %.4g FLOPs, %.4g bytes; prefill of %d tokens %.4g, %.4g",
				name, a.FLOPs, a.ActivationBytes, context+1, b.FLOPs, b.ActivationBytes)
		}
	}
}
