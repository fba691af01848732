package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPresetNamesAreDistinct(t *testing.T) {
	if got, want := len(NewCatalog().Specs()), len(Presets()); got != want {
		t.Fatalf("catalog holds %d of %d presets: two names fold to the same lookup key", got, want)
	}
}

func TestLookupIsLoose(t *testing.T) {
	c := NewCatalog()
	for query, want := range map[string]string{
		"GPT-3 175B":   "gpt3-175b",
		"LLaMA-3-70B":  "llama3-70b",
		"Mistral_7B":   "mistral-7b",
		"llama3.1-8b":  "llama3.1-8b",
		"DeepSeek-V3 ": "deepseek-v3",
	} {
		s, err := c.Lookup(query)
		if err != nil {
			t.Errorf("Lookup(%q): %v", query, err)
			continue
		}
		if s.Name != want {
			t.Errorf("Lookup(%q) = %s, want %s", query, s.Name, want)
		}
	}
}

func TestUnknownModelNamesClosest(t *testing.T) {
	c := NewCatalog()
	for query, want := range map[string]string{
		"gpt3-175":   "gpt3-175b",
		"lama2-7b":   "llama2-7b",
		"mixtral":    "mixtral-8x7b",
		"falcon-40b": "falcon-7b",
	} {
		_, err := c.Lookup(query)
		if err == nil {
			t.Errorf("Lookup(%q) succeeded, want an error", query)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Lookup(%q) error %q does not suggest %s", query, err, want)
		}
	}
}

func TestLoadFileAddsModels(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.json")
	data := `[{"name": "my-gqa", "family": "custom", "layers": 4, "d_model": 512, "heads": 8, "kv_heads": 2,
	  "ffn": 1376, "vocab": 1000, "max_context": 2048, "norm": "rmsnorm", "activation": "swiglu",
	  "positions": "rope", "attention": "gqa"},
	 {"name": "my-mqa", "layers": 2, "d_model": 128, "heads": 4, "ffn": 512, "vocab": 100,
	  "max_context": 64, "norm": "layernorm", "activation": "gelu", "positions": "learned", "attention": "MQA"}]`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	c := NewCatalog()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	s, err := c.Lookup("my-gqa")
	if err != nil {
		t.Fatal(err)
	}
	if s.HeadDim != 64 {
		t.Errorf("head_dim defaulted to %d, want 512/8 = 64", s.HeadDim)
	}
	if got, want := s.KVBytesPerToken(FP16), int64(2*4*2*64*2); got != want {
		t.Errorf("KV bytes/token %d, want %d", got, want)
	}
	m, err := c.Lookup("my-mqa")
	if err != nil {
		t.Fatal(err)
	}
	if m.KVHeads != 1 || m.Attention != MQA {
		t.Errorf("mqa model got kv_heads %d attention %s", m.KVHeads, m.Attention)
	}
}

func TestLoadFileRefusesNonsense(t *testing.T) {
	base := `"name": "bad", "layers": 4, "d_model": 512, "ffn": 2048, "vocab": 1000, "max_context": 256,
	  "norm": "rmsnorm", "activation": "swiglu", "positions": "rope"`
	cases := []struct {
		name, json, field string
	}{
		{"heads not dividing d_model", `{` + base + `, "heads": 7, "attention": "mha"}`, `"heads"`},
		{"kv_heads not dividing heads", `{` + base + `, "heads": 8, "kv_heads": 3, "attention": "gqa"}`, `"kv_heads"`},
		{"zero layers", `{"name": "bad", "layers": 0, "d_model": 512, "heads": 8, "ffn": 2048, "vocab": 1000, "max_context": 256, "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`, `"layers"`},
		{"negative vocab", `{"name": "bad", "layers": 2, "d_model": 512, "heads": 8, "ffn": 2048, "vocab": -5, "max_context": 256, "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`, `"vocab"`},
		{"unknown attention", `{` + base + `, "heads": 8, "attention": "flash"}`, `"attention"`},
		{"unknown norm", `{"name": "bad", "layers": 2, "d_model": 512, "heads": 8, "ffn": 2048, "vocab": 10, "max_context": 256, "norm": "batchnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`, `"norm"`},
		{"mla without sizes", `{` + base + `, "heads": 8, "attention": "mla"}`, `"mla"`},
		{"absurd layers", `{"name": "bad", "layers": 1000000, "d_model": 512, "heads": 8, "ffn": 2048, "vocab": 10, "max_context": 256, "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`, `"layers"`},
		{"mha with fewer kv heads", `{` + base + `, "heads": 8, "kv_heads": 2, "attention": "mha"}`, `"kv_heads"`},
		{"moe with too many active", `{` + base + `, "heads": 8, "attention": "mha", "moe": {"routed_experts": 4, "active_experts": 5, "expert_ffn": 100}}`, `"moe.active_experts"`},
		{"misspelt field", `{` + base + `, "heads": 8, "attention": "mha", "kv_head": 8}`, `kv_head`},
		{"empty file", ``, `empty`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.json")
			if err := os.WriteFile(path, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			err := NewCatalog().LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile accepted it")
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	err := NewCatalog().LoadFile(filepath.Join(t.TempDir(), "nope.json"))
	if err == nil || !strings.Contains(err.Error(), "nope.json") {
		t.Errorf("missing file error = %v, want one naming the file", err)
	}
}

func TestParseDType(t *testing.T) {
	for in, want := range map[string]DType{"bf16": BF16, "float16": FP16, "FP8": FP8, "int4": INT4, "fp32": FP32} {
		got, err := ParseDType(in)
		if err != nil || got != want {
			t.Errorf("ParseDType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDType("fp12"); err == nil || !strings.Contains(err.Error(), "bf16") {
		t.Errorf("ParseDType(fp12) error %v should list the known dtypes", err)
	}
}
