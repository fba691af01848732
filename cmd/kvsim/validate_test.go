package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidateText(t *testing.T) {
	code, out, stderr := kvsim(t, "validate")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"gptfast-llama2-7b-tp1", "ratio", "engine pytorch-compile", "regime batch-1 decode",
		"Target (issue 11)", "Not covered by the model", "int4 weight-only", "Sources:", "https://github.com/pytorch-labs/gpt-fast"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code, out, _ = kvsim(t, "validate", "--summary")
	if code != 0 || strings.Contains(out, "gptfast-llama2-7b-tp1 ") || !strings.Contains(out, "within ±25%") {
		t.Errorf("--summary (exit %d):\n%s", code, out)
	}
	if code, _, stderr := kvsim(t, "validate", "extra"); code != 2 || !strings.Contains(stderr, "unexpected") {
		t.Errorf("stray argument: exit %d, %q", code, stderr)
	}
}

func TestValidateJSON(t *testing.T) {
	code, out, stderr := kvsim(t, "validate", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v struct {
		Results []struct {
			ID        string  `json:"id"`
			Source    string  `json:"source"`
			Predicted float64 `json:"predicted"`
			Value     float64 `json:"value"`
			Ratio     float64 `json:"ratio"`
		} `json:"results"`
		Unsupported []struct {
			Unsupported string `json:"unsupported"`
		} `json:"unsupported"`
		Overall  struct{ Cases int }       `json:"overall"`
		ByEngine []struct{ Engine string } `json:"by_engine"`
		Sources  []struct{ URL string }    `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Results) < 40 || v.Overall.Cases != len(v.Results) || len(v.Unsupported) == 0 || len(v.ByEngine) < 5 || len(v.Sources) < 5 {
		t.Errorf("validation JSON: %d results, %d scored, %d unsupported, %d engines, %d sources",
			len(v.Results), v.Overall.Cases, len(v.Unsupported), len(v.ByEngine), len(v.Sources))
	}
	for _, r := range v.Results {
		if r.Source == "" || !(r.Predicted > 0) || !(r.Ratio > 0) {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
}

func TestEngines(t *testing.T) {
	code, out, _ := kvsim(t, "engines")
	for _, want := range []string{"hf-generate", "pytorch-eager", "pytorch-compile", "vllm", "sglang", "tensorrt-llm", "llama.cpp", "kvsim-decoder", "0.90 of free"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("kvsim engines lacks %q (exit %d)", want, code)
		}
	}
	code, out, _ = kvsim(t, "engines", "SGLang")
	if code != 0 || !strings.Contains(out, "at TP 8") || !strings.Contains(out, "server_args") {
		t.Errorf("kvsim engines sglang (exit %d):\n%s", code, out)
	}
	code, out, _ = kvsim(t, "engines", "nim", "--json")
	var e struct {
		Name    string   `json:"name"`
		Sources []string `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &e); code != 0 || err != nil || e.Name != "tensorrt-llm" || len(e.Sources) == 0 {
		t.Errorf("kvsim engines nim --json: exit %d, %v, %+v", code, err, e)
	}
	if code, _, stderr := kvsim(t, "engines", "onnx"); code != 1 || !strings.Contains(stderr, "vllm") {
		t.Errorf("unknown engine: exit %d, %q", code, stderr)
	}
}

// validate holds the tier model against its published numbers after the
// cost model; without traces the replays are listed as skipped, never
// dropped.
func TestValidateTiers(t *testing.T) {
	t.Setenv("KVCACHE_TRACES", "")
	code, out, stderr := kvsim(t, "validate", "--summary")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"within ±25%", "Tiers and instances against published numbers", "mooncake-transfer-4x200", "within",
		"mooncake-fig9-conversation", "skipped", "vllm-ttft-low", "No Mooncake trace replayed", "https://blog.vllm.ai"} {
		if !strings.Contains(out, want) {
			t.Errorf("--summary output lacks %q", want)
		}
	}
	if strings.Contains(out, "How kvsim computed each") {
		t.Error("--summary lists how each number was computed")
	}
	if _, out, _ := kvsim(t, "validate"); !strings.Contains(out, "mooncake-fig9-conversation: skipped: trace not given") {
		t.Error("the full output does not say why a comparison was skipped")
	}
	code, out, stderr = kvsim(t, "validate", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v struct {
		Results []json.RawMessage `json:"results"`
		Tiers   struct {
			Comparisons []struct {
				Published struct{ ID string } `json:"published"`
				Modelled  *float64            `json:"modelled"`
				Skipped   string              `json:"skipped"`
			} `json:"comparisons"`
			Passed, Skipped int
		} `json:"tiers"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Results) < 40 || len(v.Tiers.Comparisons) < 20 || v.Tiers.Passed < 10 || v.Tiers.Skipped < 4 {
		t.Errorf("%d cost cases, %d tier comparisons, %d passed, %d skipped", len(v.Results), len(v.Tiers.Comparisons), v.Tiers.Passed, v.Tiers.Skipped)
	}
	for _, c := range v.Tiers.Comparisons {
		if (c.Skipped == "") != (c.Modelled != nil) {
			t.Errorf("%s: skipped %q but modelled %v", c.Published.ID, c.Skipped, c.Modelled)
		}
	}
}
