package model

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzParseSpecs feeds the model-file reader arbitrary bytes. It must
// never panic, and every spec it accepts must have sane sizes: parts that
// sum to the total, within the limits, nothing negative, a cache that
// never shrinks as the context grows, finite FLOPs. go test runs the seed
// corpus (the fixtures, the issue-14 inputs and testdata/fuzz); go test
// -fuzz FuzzParseSpecs explores further.
func FuzzParseSpecs(f *testing.F) {
	matches, _ := filepath.Glob(filepath.Join("testdata", "hf", "*", "config.json"))
	for _, m := range matches {
		if data, err := os.ReadFile(m); err == nil {
			f.Add(data)
		}
	}
	for _, seed := range []string{
		goodSpec,
		"[" + goodSpec + "]",
		goodSpec + "}garbage",
		goodSpec + goodSpec,
		`{"name": "huge", "layers": 1024, "d_model": 262144, "heads": 262144, "head_dim": 262144, "ffn": 1024,
		  "vocab": 1000, "max_context": 1024, "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`,
		`{"name": "moe", "layers": 4, "d_model": 64, "heads": 4, "kv_heads": 2, "vocab": 100, "max_context": 64,
		  "norm": "rmsnorm", "activation": "geglu", "positions": "rope", "attention": "gqa", "sliding_window": 16,
		  "sliding_window_layers": 2, "moe": {"routed_experts": 8, "active_experts": 2, "shared_experts": 1, "expert_ffn": 32, "dense_layers": 1}}`,
		`{"name": "mla", "layers": 3, "d_model": 64, "heads": 4, "ffn": 96, "vocab": 100, "max_context": 64,
		  "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mla",
		  "mla": {"q_lora_rank": 0, "kv_lora_rank": 32, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16}}`,
		`{"architectures": ["Gemma2ForCausalLM"], "_name_or_path": "g", "num_hidden_layers": 3, "hidden_size": 32,
		  "num_attention_heads": 2, "intermediate_size": 64, "vocab_size": 50, "max_position_embeddings": 128, "sliding_window": 16}`,
		`{"architectures": ["DeepseekV3ForCausalLM"], "_name_or_path": "d", "num_hidden_layers": 1e300}`,
		// issue 14: a context that overflows int64 sizes, a GPT spec without biases, an empty name
		`{"name": "long", "layers": 2, "d_model": 64, "heads": 4, "ffn": 256, "vocab": 100, "max_context": 9223372036854775807,
		  "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`,
		`{"name": "gpt-no-bias", "layers": 2, "d_model": 64, "heads": 4, "ffn": 256, "vocab": 100, "max_context": 128,
		  "norm": "layernorm", "activation": "gelu", "positions": "learned", "attention": "mha"}`,
		`{"name": "", "layers": -1, "d_model": 0}`,
		"\x00\xff", "", "[]", "null", `"x"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ParseSpecs(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		for _, s := range specs {
			checkSizes(t, s)
		}
	})
}

// checkSizes asserts the invariants every valid spec's sizes keep.
func checkSizes(t *testing.T, s Spec) {
	t.Helper()
	p := s.Params()
	parts := []int64{p.Embedding, p.Positions, p.Attention, p.DenseMLP, p.Experts, p.Router, p.Norms, p.LMHead}
	var sum int64
	for _, v := range parts {
		if v < 0 {
			t.Fatalf("%s: negative part in %+v", s.Name, p)
		}
		sum += v
	}
	if sum != p.Total || p.Total > maxParams || p.Active > p.Total || p.Active <= 0 {
		t.Fatalf("%s: parts %+v do not add up to a total within the limit", s.Name, p)
	}
	prev := int64(0)
	ns := []int{0, 1, 2, s.SlidingWindow, s.SlidingWindow + 1, s.MaxContext, s.MaxContext * 4, math.MaxInt}
	slices.Sort(ns)
	for _, n := range ns {
		kv := s.KVBytes(n, FP32)
		if kv < prev {
			t.Fatalf("%s: KVBytes(%d) = %d below a shorter context's %d", s.Name, n, kv, prev)
		}
		prev = kv
	}
	if kv := s.KVBytes(s.MaxContext, FP32); kv == math.MaxInt64 {
		t.Fatalf("%s: the cache at max context saturates: the limits should keep it exact", s.Name)
	}
	for _, l := range []int{0, s.MaxContext - 1} {
		for _, cached := range []bool{true, false} {
			if v := s.DecodeFLOPs(l, cached); !(v > 0) || math.IsInf(v, 0) {
				t.Fatalf("%s: DecodeFLOPs(%d, %v) = %g", s.Name, l, cached, v)
			}
		}
	}
	if s.WeightBytes(FP32) != 4*p.Total {
		t.Fatalf("%s: fp32 weights %d bytes for %d params", s.Name, s.WeightBytes(FP32), p.Total)
	}
}
