package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hfFixtures are the Hugging Face configs in testdata/hf (see its README
// for where each comes from) with the counts their authors publish.
var hfFixtures = []struct {
	folder, name string
	arch         string
	total        float64 // published parameters
	active       float64 // published active parameters of MoE models; 0: dense; -1: MoE, not checked
	kvBF16       int64   // KV bytes per token at bf16, from the formula by hand
	preset       string  // the catalog model of the same shape, if any
}{
	{"models--meta-llama--Llama-3.2-1B", "meta-llama/Llama-3.2-1B", "LlamaForCausalLM", 1.23e9, 0, 2 * 16 * 8 * 64 * 2, "llama3.2-1b"},
	{"models--meta-llama--Llama-3.1-8B", "meta-llama/Llama-3.1-8B", "LlamaForCausalLM", 8.03e9, 0, 2 * 32 * 8 * 128 * 2, "llama3.1-8b"},
	{"models--mistralai--Mistral-7B-v0.1", "mistralai/Mistral-7B-v0.1", "MistralForCausalLM", 7.24e9, 0, 2 * 32 * 8 * 128 * 2, "mistral-7b"},
	{"models--mistralai--Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-v0.1", "MixtralForCausalLM", 46.7e9, 12.9e9, 2 * 32 * 8 * 128 * 2, "mixtral-8x7b"},
	{"models--Qwen--Qwen2.5-7B", "Qwen/Qwen2.5-7B", "Qwen2ForCausalLM", 7.61e9, 0, 2 * 28 * 4 * 128 * 2, "qwen2.5-7b"},
	{"models--Qwen--Qwen1.5-MoE-A2.7B", "Qwen/Qwen1.5-MoE-A2.7B", "Qwen2MoeForCausalLM", 14.3e9, 2.7e9, 2 * 24 * 16 * 128 * 2, ""},
	{"models--google--gemma-2-9b", "google/gemma-2-9b", "Gemma2ForCausalLM", 9.24e9, 0, 2 * 42 * 8 * 256 * 2, "gemma2-9b"},
	{"models--microsoft--Phi-3-mini-4k-instruct", "Phi-3-mini-4k-instruct", "Phi3ForCausalLM", 3.8e9, 0, 2 * 32 * 32 * 96 * 2, "phi3-mini"},
	{"models--openai-community--gpt2", "openai-community/gpt2", "GPT2LMHeadModel", 124e6, 0, 2 * 12 * 12 * 64 * 2, "gpt2-124m"},
	{"models--EleutherAI--pythia-1.4b", "EleutherAI/pythia-1.4b", "GPTNeoXForCausalLM", 1414647808, 0, 2 * 24 * 16 * 128 * 2, ""},
	{"models--tiiuae--falcon-7b", "tiiuae/falcon-7b", "FalconForCausalLM", 6.92e9, 0, 2 * 32 * 1 * 64 * 2, "falcon-7b"},
	{"models--tiiuae--falcon-40b", "tiiuae/falcon-40b", "RWForCausalLM", 0, 0, 2 * 60 * 8 * 64 * 2, ""},
	// DeepSeek-V2-Lite's "2.4B activated" has two digits: kvsim's 2.45B
	// (2.66B with the embedding) is within its rounding, not within 2%.
	{"models--deepseek-ai--DeepSeek-V2-Lite", "deepseek-ai/DeepSeek-V2-Lite", "DeepseekV2ForCausalLM", 15.7e9, -1, 27 * (512 + 64) * 2, "deepseek-v2-lite"},
	{"models--deepseek-ai--DeepSeek-V3", "deepseek-ai/DeepSeek-V3", "DeepseekV3ForCausalLM", 671e9, 37e9, 61 * (512 + 64) * 2, "deepseek-v3"},
}

func loadFixture(t *testing.T, folder string) Spec {
	t.Helper()
	c := NewCatalog()
	before := len(c.Specs())
	if err := c.LoadFile(filepath.Join("testdata", "hf", folder)); err != nil {
		t.Fatal(err)
	}
	specs := c.Specs()
	if len(specs) != before+1 {
		t.Fatalf("%s added %d models, want 1", folder, len(specs)-before)
	}
	return specs[len(specs)-1]
}

// Real configs load with their published sizes: totals within 2%, KV bytes
// per token exact, and the same shape as the catalog's preset of the model.
func TestHFConfigsLoadWithPublishedSizes(t *testing.T) {
	families := map[string]bool{}
	for _, f := range hfFixtures {
		t.Run(f.name, func(t *testing.T) {
			s := loadFixture(t, f.folder)
			if s.Name != f.name {
				t.Errorf("named %q, want %q (from the folder or _name_or_path)", s.Name, f.name)
			}
			if !strings.Contains(s.Source, f.arch) {
				t.Errorf("source %q does not name the architecture %s", s.Source, f.arch)
			}
			p := s.Params()
			if f.total > 0 {
				if rel := math.Abs(float64(p.Total)-f.total) / f.total; rel > 0.02 {
					t.Errorf("total %d params, published %.4g: off by %.2f%%", p.Total, f.total, 100*rel)
				}
				families[f.arch] = true
			}
			if f.active > 0 {
				active := float64(p.Active)
				if s.Attention == MLA { // DeepSeek counts activated parameters without the embedding lookup
					active -= float64(p.Embedding)
				}
				if rel := math.Abs(active-f.active) / f.active; rel > 0.02 {
					t.Errorf("active %.4g params, published %.4g: off by %.2f%%", active, f.active, 100*rel)
				}
			} else if f.active == 0 && p.Active != p.Total {
				t.Errorf("dense model with active %d != total %d", p.Active, p.Total)
			}
			if got := s.KVBytesPerToken(BF16); got != f.kvBF16 {
				t.Errorf("KV bytes/token bf16 = %d, want %d", got, f.kvBF16)
			}
			if f.preset != "" {
				preset := mustLookup(t, f.preset)
				got := s
				got.Name, got.Family, got.Source = preset.Name, preset.Family, preset.Source
				if !specsEqual(got, preset) {
					t.Errorf("config gives\n%+v\nthe preset %s is\n%+v", got, f.preset, preset)
				}
			}
		})
	}
	if len(families) < 5 {
		t.Errorf("only %d architectures loaded with published sizes, want at least 5", len(families))
	}
}

// specsEqual compares specs field by field, following the MoE and MLA pointers.
func specsEqual(a, b Spec) bool {
	moeA, moeB, mlaA, mlaB := a.MoE, b.MoE, a.MLA, b.MLA
	a.MoE, b.MoE, a.MLA, b.MLA = nil, nil, nil, nil
	if a != b || (moeA == nil) != (moeB == nil) || (mlaA == nil) != (mlaB == nil) {
		return false
	}
	return (moeA == nil || *moeA == *moeB) && (mlaA == nil || *mlaA == *mlaB)
}

// What each family's config must turn into, beyond sizes.
func TestHFConfigFeatures(t *testing.T) {
	gemma := loadFixture(t, "models--google--gemma-2-9b")
	if gemma.Activation != GeGLU || gemma.HeadDim != 256 || !gemma.TiedEmbeddings ||
		gemma.SlidingWindow != 4096 || gemma.WindowedLayers() != 21 || gemma.GlobalLayers() != 21 {
		t.Errorf("gemma-2-9b: %+v, want GeGLU, head_dim 256, tied, window 4096 on 21 of 42 layers", gemma)
	}
	qwen := loadFixture(t, "models--Qwen--Qwen2.5-7B")
	if !qwen.QKVBias || qwen.Bias || qwen.SlidingWindow != 0 || qwen.RoPETheta != 1e6 {
		t.Errorf("qwen2.5-7b: %+v, want qkv_bias only, no window (use_sliding_window false), rope_theta 1e6", qwen)
	}
	moe := loadFixture(t, "models--Qwen--Qwen1.5-MoE-A2.7B")
	if m := moe.MoE; m == nil || m.RoutedExperts != 60 || m.ActiveExperts != 4 || m.SharedExperts != 4 || m.ExpertFFN != 1408 || m.DenseLayers != 0 {
		t.Errorf("qwen1.5-moe: MoE %+v, want 60 routed, 4 active, a shared expert of 5632 = 4 x 1408", moe.MoE)
	}
	falcon40 := loadFixture(t, "models--tiiuae--falcon-40b")
	if falcon40.KVHeads != 8 || falcon40.Attention != GQA || !falcon40.ParallelBlock || falcon40.HeadDim != 64 {
		t.Errorf("falcon-40b (RefinedWeb): %+v, want GQA over 8 K/V heads of 64, parallel", falcon40)
	}
	neox := loadFixture(t, "models--EleutherAI--pythia-1.4b")
	if !neox.ParallelBlock || !neox.Bias || neox.TiedEmbeddings || neox.Norm != LayerNorm || !strings.Contains(neox.Source, "0.25") {
		t.Errorf("pythia: %+v, want parallel, biased, untied, LayerNorm, partial rotary noted", neox)
	}
	v2 := loadFixture(t, "models--deepseek-ai--DeepSeek-V2-Lite")
	if v2.MLA == nil || v2.MLA.QLoRARank != 0 || v2.MoE == nil || v2.MoE.DenseLayers != 1 {
		t.Errorf("deepseek-v2-lite: %+v, want MLA without query compression, 1 dense layer", v2)
	}
	l32 := loadFixture(t, "models--meta-llama--Llama-3.2-1B")
	if !strings.Contains(l32.Source, "rope_scaling ignored") || l32.MaxContext != 131072 {
		t.Errorf("llama-3.2-1b: source %q, context %d", l32.Source, l32.MaxContext)
	}
}

// Gemma-2's KV grows by the global layers only once the context passes the
// window: KV(n) = 21 x min(n, 4096) + 21 x n layer-tokens of 2 x 8 x 256 values.
func TestAlternatingWindowKV(t *testing.T) {
	s := mustLookup(t, "gemma2-9b")
	const perLayer = 2 * 8 * 256 * 2 // bf16 bytes per token per layer
	for _, n := range []int{1, 100, 4096, 4097, 8192} {
		want := int64(21*min(n, 4096)+21*n) * perLayer
		if got := s.KVBytes(n, BF16); got != want {
			t.Errorf("KVBytes(%d) = %d, want %d", n, got, want)
		}
	}
	if got, want := s.KVBytesPerTokenBeyondWindow(BF16), int64(21*perLayer); got != want {
		t.Errorf("beyond the window a token adds %d B, want %d (the 21 global layers)", got, want)
	}
	if got := s.CachedTokens(8192); got != 8192 {
		t.Errorf("CachedTokens(8192) = %d: the global layers hold every token", got)
	}
	// Attention: half the layers attend to min(L+1, 4096), half to L+1.
	const L = 6000
	want := 2*float64(s.MatmulParams()) + s.AttentionFLOPsPerPosition()/42*(21*4096+21*(L+1))
	if got := s.DecodeFLOPs(L, true); math.Abs(got-want) > 1e-9*want {
		t.Errorf("DecodeFLOPs(%d) = %g, want %g", L, got, want)
	}
	mistral := mustLookup(t, "mistral-7b") // every layer windowed: no growth past the window
	if mistral.KVBytesPerTokenBeyondWindow(BF16) != 0 || mistral.KVBytes(10000, BF16) != mistral.KVBytes(4096, BF16) {
		t.Error("mistral-7b's cache grows past its window")
	}
}

func TestHFQwenSlidingWindowLayers(t *testing.T) {
	cfg := `{"architectures": ["Qwen2ForCausalLM"], "_name_or_path": "x/qwen-windowed", "hidden_size": 896,
	 "intermediate_size": 4864, "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
	 "vocab_size": 151936, "max_position_embeddings": 32768, "use_sliding_window": true,
	 "sliding_window": 4096, "max_window_layers": 21, "tie_word_embeddings": true}`
	specs, err := ParseSpecs([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if s := specs[0]; s.SlidingWindow != 4096 || s.WindowedLayers() != 3 {
		t.Errorf("window %d on %d layers, want 4096 on the 3 layers from max_window_layers 21 on", s.SlidingWindow, s.WindowedLayers())
	}
	withTypes := strings.Replace(cfg, `"max_window_layers": 21`, `"layer_types": [`+
		strings.Repeat(`"full_attention", `, 20)+strings.Repeat(`"sliding_attention", `, 3)+`"sliding_attention"]`, 1)
	specs, err = ParseSpecs([]byte(withTypes))
	if err != nil {
		t.Fatal(err)
	}
	if s := specs[0]; s.WindowedLayers() != 4 {
		t.Errorf("layer_types gives %d windowed layers, want 4", s.WindowedLayers())
	}
}

func TestHFConfigErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"unsupported", `{"architectures": ["MambaForCausalLM"], "_name_or_path": "a/b"}`, `"MambaForCausalLM" is not supported; supported: DeepseekV2ForCausalLM`},
		{"empty architectures", `{"architectures": [], "_name_or_path": "a/b"}`, `"architectures" must be a list`},
		{"missing field", `{"architectures": ["LlamaForCausalLM"], "_name_or_path": "a/b", "hidden_size": 64}`, `field "num_hidden_layers": is missing`},
		{"wrong type", `{"architectures": ["LlamaForCausalLM"], "_name_or_path": "a/b", "num_hidden_layers": "two"}`, `field "num_hidden_layers": is "two"`},
		{"fractional", `{"architectures": ["LlamaForCausalLM"], "_name_or_path": "a/b", "num_hidden_layers": 2.5}`, `whole number`},
		{"no name", `{"architectures": ["LlamaForCausalLM"]}`, `no "_name_or_path"`},
		{"relu", `{"architectures": ["LlamaForCausalLM"], "_name_or_path": "a/b", "num_hidden_layers": 2, "hidden_size": 64,
			"num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 64, "hidden_act": "relu"}`, `"hidden_act": is "relu"`},
		{"shared expert not whole", `{"architectures": ["Qwen2MoeForCausalLM"], "_name_or_path": "a/b", "num_hidden_layers": 2, "hidden_size": 64,
			"num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 64,
			"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "shared_expert_intermediate_size": 48}`, `not a whole number of experts`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpecs([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestHFModelNames(t *testing.T) {
	for in, want := range map[string]string{
		"meta-llama/Llama-3.2-1B":         "meta-llama/Llama-3.2-1B",
		"/raid/models/Llama-3-8B/":        "Llama-3-8B",
		"./checkpoints/run7":              "run7",
		"gpt2":                            "gpt2",
		"home/u/models/x":                 "x",
		"":                                "",
		`C:\models\Mistral-7B-Instruct`:   "Mistral-7B-Instruct",
		"~/hf/microsoft/Phi-3-mini-128k/": "Phi-3-mini-128k",
	} {
		if got := hfModelName(in); got != want {
			t.Errorf("hfModelName(%q) = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	for path, want := range map[string]string{
		filepath.Join(dir, "models--Qwen--Qwen2.5-7B", "snapshots", "a1b2c3", "config.json"): "Qwen/Qwen2.5-7B",
		filepath.Join(dir, "my-model", "config.json"):                                        "my-model",
		filepath.Join(dir, "configs", "qwen-small.json"):                                     "qwen-small",
	} {
		if got := hfDefaultName(path); got != want {
			t.Errorf("hfDefaultName(%s) = %q, want %q", path, got, want)
		}
	}
}

// A config named like a catalog model is refused unless renamed: a folder
// called Llama-3.2-1B would otherwise replace the preset llama3.2-1b.
func TestHFConfigShadowingThePresetIsRefused(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "hf", "models--meta-llama--Llama-3.2-1B", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "Llama-3.2-1B")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	err = NewCatalog().LoadFile(dir)
	if err == nil || !strings.Contains(err.Error(), "catalog model llama3.2-1b") || !strings.Contains(err.Error(), "rename") {
		t.Errorf("error %v, want a refusal naming llama3.2-1b and the fix", err)
	}
}
