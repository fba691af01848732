package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// kvsim runs a command line in memory and returns its exit code and output.
func kvsim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &env{stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestModelsJSONListsEveryPreset(t *testing.T) {
	code, out, stderr := kvsim(t, "models", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(model.Presets()) {
		t.Fatalf("%d models in JSON, want %d", len(recs), len(model.Presets()))
	}
	keys := []string{"name", "family", "layers", "d_model", "heads", "kv_heads", "head_dim", "ffn", "vocab", "params", "active_params", "kv_bytes_per_token"}
	for _, r := range recs {
		for _, k := range keys {
			if _, ok := r[k]; !ok {
				t.Errorf("model %v lacks key %q", r["name"], k)
			}
		}
		if r["name"] == "llama3-70b" && r["kv_bytes_per_token"].(float64) != 327680 {
			t.Errorf("llama3-70b kv_bytes_per_token = %v", r["kv_bytes_per_token"])
		}
	}
}

func TestModelsTableAndDetail(t *testing.T) {
	code, out, _ := kvsim(t, "models")
	if code != 0 || !strings.Contains(out, "gpt3-175b") || !strings.Contains(out, "KV/token fp16") {
		t.Errorf("models table (exit %d):\n%s", code, out)
	}
	code, out, _ = kvsim(t, "models", "LLaMA-3-70B")
	if code != 0 || !strings.Contains(out, "320 KiB (327680 B)") {
		t.Errorf("models llama3-70b (exit %d):\n%s", code, out)
	}
	code, out, _ = kvsim(t, "models", "mistral-7b", "--json")
	var one map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &one) != nil || one["sliding_window"].(float64) != 4096 {
		t.Errorf("models mistral-7b --json (exit %d):\n%s", code, out)
	}
}

func TestUnknownModelExitsNonZeroWithSuggestions(t *testing.T) {
	code, _, stderr := kvsim(t, "models", "llama3-7b")
	if code == 0 {
		t.Fatal("unknown model exited 0")
	}
	if !strings.Contains(stderr, "llama3-8b") {
		t.Errorf("stderr does not suggest llama3-8b: %s", stderr)
	}
}

func TestModelFileFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.json")
	spec := `{"name": "mine", "layers": 2, "d_model": 64, "heads": 4, "ffn": 256, "vocab": 100, "max_context": 128,
	  "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := kvsim(t, "models", "mine", "--model-file", path); code != 0 || !strings.Contains(out, "mine") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := kvsim(t, "models", "--model-file", filepath.Join(t.TempDir(), "none.json")); code == 0 || !strings.Contains(stderr, "none.json") {
		t.Errorf("missing model file: exit %d, stderr %s", code, stderr)
	}
}

func TestBadUsage(t *testing.T) {
	if code, _, _ := kvsim(t, "frobnicate"); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
	if code, _, _ := kvsim(t, "models", "--nope"); code != 2 {
		t.Errorf("unknown flag exit %d, want 2", code)
	}
	if code, _, _ := kvsim(t, "models", "a", "b"); code != 2 {
		t.Errorf("two names exit %d, want 2", code)
	}
}
