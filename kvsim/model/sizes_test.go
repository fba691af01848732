package model

import (
	"math"
	"testing"
)

// published holds parameter totals stated by each model's authors.
var published = []struct {
	name           string
	total, active  float64
	source         string
	activeRequired bool
}{
	{"gpt2-124m", 124e6, 0, "openai/gpt-2 release sizes", false},
	{"gpt2-355m", 355e6, 0, "openai/gpt-2 release sizes", false},
	{"gpt2-774m", 774e6, 0, "openai/gpt-2 release sizes", false},
	{"gpt2-1.5b", 1558e6, 0, "openai/gpt-2 release sizes (1558M)", false},
	{"gpt3-125m", 125e6, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-350m", 350e6, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-760m", 760e6, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-1.3b", 1.3e9, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-2.7b", 2.7e9, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-6.7b", 6.7e9, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-13b", 13.0e9, 0, "GPT-3 paper, Table 2.1", false},
	{"gpt3-175b", 175e9, 0, "GPT-3 paper, Table 2.1", false},
	{"llama-7b", 6.7e9, 0, "LLaMA paper, Table 2", false},
	{"llama-13b", 13.0e9, 0, "LLaMA paper, Table 2", false},
	{"llama-33b", 32.5e9, 0, "LLaMA paper, Table 2", false},
	{"llama-65b", 65.2e9, 0, "LLaMA paper, Table 2", false},
	{"llama2-7b", 6.74e9, 0, "Llama 2 model card", false},
	{"llama2-13b", 13.0e9, 0, "Llama 2 model card", false},
	{"llama2-70b", 69.0e9, 0, "Llama 2 model card", false},
	{"llama3-8b", 8.03e9, 0, "Llama 3 model card", false},
	{"llama3-70b", 70.6e9, 0, "Llama 3 model card", false},
	{"llama3.1-8b", 8.03e9, 0, "Llama 3.1 model card", false},
	{"llama3.1-70b", 70.6e9, 0, "Llama 3.1 model card", false},
	{"llama3.1-405b", 405.9e9, 0, "Llama 3.1 model card", false},
	{"mistral-7b", 7.24e9, 0, "Mistral 7B release", false},
	{"mixtral-8x7b", 46.7e9, 12.9e9, "Mixtral paper", true},
	{"deepseek-v3", 671e9, 37e9, "DeepSeek-V3 technical report", true},
	{"falcon-7b", 6.92e9, 0, "Falcon-7B model card", false},
	{"llama-15m", 15e6, 0, "llama2.c stories15M", false},
	{"qwen2.5-7b", 7.61e9, 0, "Qwen2.5 model card", false},
	{"qwen2.5-72b", 72.7e9, 0, "Qwen2.5 model card", false},
	{"gemma2-9b", 9.24e9, 0, "Gemma 2 paper, Table 1 (8,324M + 917M embedding)", false},
	{"gemma2-27b", 27.2e9, 0, "Gemma 2 paper, Table 1 (26,047M + 1,180M embedding)", false},
	{"phi3-mini", 3.8e9, 0, "Phi-3 technical report", false},
	{"llama3.2-1b", 1.23e9, 0, "Llama 3.2 model card", false},
	{"llama3.2-3b", 3.21e9, 0, "Llama 3.2 model card", false},
	{"llama3.3-70b", 70.6e9, 0, "Llama 3.3 model card", false},
	{"deepseek-v2-lite", 15.7e9, 0, "DeepSeek-V2 paper, Appendix B", false},
	{"llama-110m", 110e6, 0, "llama2.c stories110M", false},
}

func TestParamsMatchPublishedTotals(t *testing.T) {
	c := NewCatalog()
	for _, p := range published {
		s, err := c.Lookup(p.name)
		if err != nil {
			t.Fatal(err)
		}
		got := s.Params()
		if rel := math.Abs(float64(got.Total)-p.total) / p.total; rel > 0.02 {
			t.Errorf("%s: total %d params, published %.4g (%s): off by %.1f%%", p.name, got.Total, p.total, p.source, 100*rel)
		}
		if p.activeRequired {
			if rel := math.Abs(float64(got.Active)-p.active) / p.active; rel > 0.02 {
				t.Errorf("%s: active %d params, published %.4g: off by %.1f%%", p.name, got.Active, p.active, 100*rel)
			}
		} else if s.MoE == nil && got.Active != got.Total {
			t.Errorf("%s: dense model has active %d != total %d", p.name, got.Active, got.Total)
		}
	}
}

func TestTinyPresetsAreSmall(t *testing.T) {
	for _, s := range NewCatalog().Specs() {
		if s.Family != "tiny" || s.Name == "llama-110m" {
			continue
		}
		if p := s.TotalParams(); p < 1e6 || p > 30e6 {
			t.Errorf("%s: %d params, want 1M to 30M for a model that runs here in seconds", s.Name, p)
		}
	}
}

func TestKVBytesPerTokenExact(t *testing.T) {
	c := NewCatalog()
	cases := []struct {
		name string
		dt   DType
		want int64
	}{
		{"llama3-70b", FP16, 327680},      // 2 x 80 x 8 x 128 x 2
		{"llama3.1-70b", BF16, 327680},    // same shape
		{"llama3-70b", FP8, 163840},       // one byte a value
		{"llama3-70b", INT4, 81920},       // half a byte
		{"llama3-70b", FP32, 655360},      // four bytes
		{"llama2-7b", FP16, 524288},       // MHA: 2 x 32 x 32 x 128 x 2
		{"gpt3-175b", FP16, 4718592},      // 2 x 96 x 96 x 128 x 2 = 4.5 MiB
		{"mistral-7b", FP16, 131072},      // GQA 8: 2 x 32 x 8 x 128 x 2
		{"falcon-7b", FP16, 8192},         // MQA: 2 x 32 x 1 x 64 x 2
		{"deepseek-v3", FP16, 70272},      // MLA: 61 x (512 + 64) x 2
		{"gpt2-124m", FP16, 36864},        // 2 x 12 x 12 x 64 x 2
		{"llama3.1-405b", FP16, 516096},   // 2 x 126 x 8 x 128 x 2
		{"qwen2.5-7b", BF16, 57344},       // 2 x 28 x 4 x 128 x 2
		{"qwen2.5-72b", BF16, 327680},     // 2 x 80 x 8 x 128 x 2
		{"gemma2-9b", BF16, 344064},       // 2 x 42 x 8 x 256 x 2 (every layer; see TestAlternatingWindowKV)
		{"gemma2-27b", BF16, 376832},      // 2 x 46 x 16 x 128 x 2
		{"phi3-mini", BF16, 393216},       // 2 x 32 x 32 x 96 x 2
		{"llama3.2-1b", BF16, 32768},      // 2 x 16 x 8 x 64 x 2
		{"llama3.2-3b", BF16, 114688},     // 2 x 28 x 8 x 128 x 2
		{"llama3.3-70b", BF16, 327680},    // 2 x 80 x 8 x 128 x 2
		{"deepseek-v2-lite", BF16, 31104}, // MLA: 27 x (512 + 64) x 2
	}
	for _, tc := range cases {
		s, err := c.Lookup(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.KVBytesPerToken(tc.dt); got != tc.want {
			t.Errorf("%s %s: KV bytes/token = %d, want %d", tc.name, tc.dt, got, tc.want)
		}
	}
}

func TestGQAAndMQADivideKVByGroupSize(t *testing.T) {
	s := mustLookup(t, "llama2-70b")
	mha := s
	mha.KVHeads, mha.Attention = mha.Heads, MHA
	if got, want := mha.KVBytesPerToken(FP16), 8*s.KVBytesPerToken(FP16); got != want {
		t.Errorf("MHA twin of llama2-70b: %d bytes/token, want 8x the GQA figure %d", got, want)
	}
}

func TestSlidingWindowCapsCachedTokens(t *testing.T) {
	s := mustLookup(t, "mistral-7b")
	if got := s.CachedTokens(100); got != 100 {
		t.Errorf("CachedTokens(100) = %d, want 100", got)
	}
	if got := s.CachedTokens(32768); got != 4096 {
		t.Errorf("CachedTokens(32768) = %d, want the window 4096", got)
	}
	if got, want := s.KVBytes(32768, FP16), int64(4096)*131072; got != want {
		t.Errorf("KVBytes(32768) = %d, want %d", got, want)
	}
}

func TestWeightBytes(t *testing.T) {
	s := mustLookup(t, "llama2-7b")
	p := s.TotalParams()
	for _, tc := range []struct {
		dt   DType
		want int64
	}{{FP32, 4 * p}, {FP16, 2 * p}, {BF16, 2 * p}, {FP8, p}, {INT8, p}, {INT4, (p + 1) / 2}} {
		if got := s.WeightBytes(tc.dt); got != tc.want {
			t.Errorf("WeightBytes(%s) = %d, want %d", tc.dt, got, tc.want)
		}
	}
}

// TestFLOPsByHand recomputes gpt-tiny's FLOPs from its shape, term by term.
func TestFLOPsByHand(t *testing.T) {
	s := mustLookup(t, "gpt-tiny") // 6 layers, d 256, 8 heads of 32, ffn 1024, vocab 4096
	const l, d, h, hd, f, v = 6.0, 256.0, 8.0, 32.0, 1024.0, 4096.0
	layerWeights := l * (4*d*h*hd + 2*d*f)
	head := v * d
	attnPerPos := l * h * (2*hd + 2*hd)
	if got := float64(s.MatmulParams()); got != layerWeights+head {
		t.Fatalf("MatmulParams = %v, want %v", got, layerWeights+head)
	}
	for _, L := range []int{0, 1, 10, 300} {
		want := 2*(layerWeights+head) + attnPerPos*float64(L+1)
		if got := s.DecodeFLOPs(L, true); got != want {
			t.Errorf("cached decode at L=%d: %v, want %v", L, got, want)
		}
		n := float64(L + 1)
		want = 2*layerWeights*n + 2*head + attnPerPos*n*(n+1)/2
		if got := s.DecodeFLOPs(L, false); got != want {
			t.Errorf("uncached decode at L=%d: %v, want %v", L, got, want)
		}
	}
}

func TestFLOPsProperties(t *testing.T) {
	for _, s := range NewCatalog().Specs() {
		// The first token costs the same with or without a cache.
		if a, b := s.DecodeFLOPs(0, true), s.DecodeFLOPs(0, false); math.Abs(a-b) > 1e-9*a {
			t.Errorf("%s: first token %v cached vs %v uncached", s.Name, a, b)
		}
		// With a cache a decode step is about 2 x active params at short context.
		if a, want := s.DecodeFLOPs(1, true), 2*float64(s.ActiveParams()); math.Abs(a-want)/want > 0.25 {
			t.Errorf("%s: cached decode %v FLOPs, want about 2 x active params %v", s.Name, a, want)
		}
		// Without a cache the step runs every layer weight once per context token.
		L := min(1000, s.MaxContext-1)
		if got, floor := s.DecodeFLOPs(L, false), 2*float64(s.layerMatmulParams())*float64(L+1); got < floor {
			t.Errorf("%s: uncached step at L=%d costs %v FLOPs, below the weight passes alone %v", s.Name, L, got, floor)
		}
	}
}

func TestMLAAttentionWidths(t *testing.T) {
	s := mustLookup(t, "deepseek-v3")
	if s.QKHeadDim() != 192 || s.VHeadDim() != 128 {
		t.Errorf("deepseek-v3 qk/v head dims = %d/%d, want 192/128", s.QKHeadDim(), s.VHeadDim())
	}
	if s.MoELayers() != 58 || s.DenseLayers() != 3 {
		t.Errorf("deepseek-v3 has %d MoE and %d dense layers, want 58 and 3", s.MoELayers(), s.DenseLayers())
	}
}

func mustLookup(t *testing.T, name string) Spec {
	t.Helper()
	s, err := NewCatalog().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
