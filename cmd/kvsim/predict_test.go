package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

func predictJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, stderr := kvsim(t, append([]string{"predict", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("kvsim predict %v: exit %d: %s", args, code, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPredictJSONHasTheContractKeys(t *testing.T) {
	m := predictJSON(t, "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "1024")
	for _, k := range []string{"model", "hardware", "context", "batch", "dtype", "exec", "decode_step_s_cached",
		"decode_step_s_uncached", "speedup", "bound_cached", "bound_uncached", "prefill_s", "kv_bytes",
		"weights_bytes", "fits", "tp", "kv_cache_tokens", "max_concurrency", "cached", "uncached"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["fits"] != true || m["dtype"] != "bf16" || m["exec"] != "graph" || m["tp"] != 1.0 || m["bound_cached"] != "memory" {
		t.Errorf("unexpected prediction: %v", m)
	}
	c, u := m["decode_step_s_cached"].(float64), m["decode_step_s_uncached"].(float64)
	if !(c > 0 && u > c) || math.Abs(m["speedup"].(float64)-u/c) > 1e-9 {
		t.Errorf("cached %g, uncached %g, speedup %v", c, u, m["speedup"])
	}
	s, _ := model.NewCatalog().Lookup("llama3-8b")
	if m["kv_bytes"].(float64) != float64(s.KVBytes(1025, model.BF16)) || m["weights_bytes"].(float64) != float64(s.WeightBytes(model.BF16)) {
		t.Errorf("kv_bytes %v, weights_bytes %v", m["kv_bytes"], m["weights_bytes"])
	}
	ops := m["cached"].(map[string]any)["ops"].([]any)
	if len(ops) < 8 {
		t.Errorf("breakdown has %d ops", len(ops))
	}
}

func TestPredictChoosesTensorParallelismAndReportsNoFit(t *testing.T) {
	m := predictJSON(t, "--model", "GPT-3 175B", "--hardware", "h100-sxm", "--context", "1024")
	if m["tp"] != 8.0 || m["fits"] != true {
		t.Errorf("gpt3-175b on h100: tp %v fits %v", m["tp"], m["fits"])
	}
	m = predictJSON(t, "--model", "gpt3-175b", "--hardware", "a100-40gb", "--context", "1024")
	if m["fits"] != false || m["decode_step_s_cached"] != nil || m["speedup"] != nil || m["note"] == nil {
		t.Errorf("gpt3-175b on 8 x A100-40GB should not fit and get no latency: %v", m)
	}
	code, out, _ := kvsim(t, "predict", "--model", "gpt3-175b", "--hardware", "a100-40gb", "--context", "1024")
	if code != 0 || !strings.Contains(out, "Does not fit") {
		t.Errorf("text for a model that does not fit (exit %d):\n%s", code, out)
	}
	m = predictJSON(t, "--model", "llama3-70b", "--hardware", "h100-sxm", "--context", "1024", "--tp", "4", "--exec", "eager", "--dtype", "fp8", "--batch", "8")
	if m["tp"] != 4.0 || m["exec"] != "eager" || m["dtype"] != "fp8" || m["batch"] != 8.0 || m["fits"] != true {
		t.Errorf("explicit options not honoured: %v", m)
	}
}

func TestPredictText(t *testing.T) {
	code, out, stderr := kvsim(t, "predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "4096")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"decode step", "speedup", "KV cache capacity", "Cached decode step", "qkv_proj", "launch_overhead", "memory"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestPredictBadInput(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown hardware", []string{"--model", "llama3-8b", "--hardware", "tpu-v5", "--context", "10"}, 1, "rtx-4090"},
		{"no hardware", []string{"--model", "llama3-8b", "--context", "10"}, 2, "h100-sxm"},
		{"no model", []string{"--hardware", "h100-sxm", "--context", "10"}, 2, "--model"},
		{"model and all", []string{"--all", "--model", "x", "--hardware", "h100-sxm", "--context", "10"}, 2, "not both"},
		{"no context", []string{"--model", "llama3-8b", "--hardware", "h100-sxm"}, 2, "--context"},
		{"zero context", []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "0"}, 2, "--context"},
		{"context beyond max", []string{"--model", "gpt3-175b", "--hardware", "h100-sxm", "--context", "5000"}, 1, "--allow-long"},
		{"zero batch", []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "10", "--batch", "0"}, 2, "--batch"},
		{"negative batch", []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "10", "--batch", "-3"}, 2, "--batch"},
		{"zero tp", []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "10", "--tp", "0"}, 2, "--tp"},
		{"negative tp", []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "10", "--tp", "-1"}, 2, "--tp"},
		{"tp not dividing heads", []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "10", "--tp", "3"}, 1, "does not divide"},
		{"dtype without figure", []string{"--model", "llama3-8b", "--hardware", "a100-80gb", "--context", "10", "--dtype", "fp8"}, 1, "bf16, fp16, fp32, int8"},
		{"unknown dtype", []string{"--model", "llama3-8b", "--hardware", "a100-80gb", "--context", "10", "--dtype", "fp12"}, 2, "bf16"},
		{"bad exec", []string{"--model", "llama3-8b", "--hardware", "a100-80gb", "--context", "10", "--exec", "jit"}, 2, "eager or graph"},
		{"unknown model", []string{"--model", "llama3-7b", "--hardware", "a100-80gb", "--context", "10"}, 1, "llama3-8b"},
		{"stray argument", []string{"llama3-8b", "--hardware", "a100-80gb", "--context", "10"}, 2, "--model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := kvsim(t, append([]string{"predict"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
	// --allow-long lets the same context through.
	m := predictJSON(t, "--model", "gpt3-175b", "--hardware", "h100-sxm", "--context", "5000", "--allow-long")
	if m["fits"] != true {
		t.Errorf("gpt3-175b at 5000 with --allow-long: %v", m)
	}
}

// TestPredictEveryModelOnEveryPreset runs the one command that covers the
// catalog on every preset: each row predicts finite positive times or says
// it does not fit.
func TestPredictEveryModelOnEveryPreset(t *testing.T) {
	code, out, stderr := kvsim(t, "predict", "--all", "--hardware", "all", "--context", "200", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if want := len(model.Presets()) * len(cost.HardwareNames()); len(rows) != want {
		t.Fatalf("%d rows, want %d models x presets", len(rows), want)
	}
	fitting := 0
	for _, r := range rows {
		name := r["model"].(string) + " on " + r["hardware"].(string)
		if e, ok := r["error"]; ok {
			t.Errorf("%s: %v", name, e)
			continue
		}
		if r["fits"] != true {
			if r["decode_step_s_cached"] != nil || r["note"] == nil {
				t.Errorf("%s does not fit but has a time or no reason: %v", name, r)
			}
			continue
		}
		fitting++
		for _, k := range []string{"decode_step_s_cached", "decode_step_s_uncached", "prefill_s", "speedup"} {
			v, ok := r[k].(float64)
			if !ok || !(v > 0) || math.IsInf(v, 0) {
				t.Errorf("%s: %s = %v", name, k, r[k])
			}
		}
	}
	if fitting < len(rows)/2 {
		t.Errorf("only %d of %d pairs fit", fitting, len(rows))
	}
	code, text, _ := kvsim(t, "predict", "--all", "--hardware", "l4", "--context", "1000")
	if code != 0 || !strings.Contains(text, "does not fit") || !strings.Contains(text, "context beyond its window of 256") {
		t.Errorf("--all table (exit %d):\n%s", code, text)
	}
}

func TestHardwareCommand(t *testing.T) {
	code, out, stderr := kvsim(t, "hardware", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var hw []cost.Hardware
	if err := json.Unmarshal([]byte(out), &hw); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range hw {
		names = append(names, h.Name)
		if h.Source == "" || h.MemoryBandwidth <= 0 {
			t.Errorf("%s: %+v", h.Name, h)
		}
	}
	if strings.Join(names, ",") != strings.Join(cost.HardwareNames(), ",") {
		t.Errorf("hardware --json lists %v", names)
	}
	code, out, _ = kvsim(t, "hardware")
	if code != 0 || !strings.Contains(out, "989.4 T") || !strings.Contains(out, "dense") || !strings.Contains(out, "datasheet") {
		t.Errorf("hardware table (exit %d):\n%s", code, out)
	}
	code, out, _ = kvsim(t, "hardware", "h100")
	if code != 0 || !strings.Contains(out, "NVLink 4") || !strings.Contains(out, "Source:") {
		t.Errorf("hardware h100 (exit %d):\n%s", code, out)
	}
	if code, _, stderr := kvsim(t, "hardware", "tpu"); code == 0 || !strings.Contains(stderr, "m2-max") {
		t.Errorf("unknown hardware: exit %d, %s", code, stderr)
	}
	if code, _, _ := kvsim(t, "hardware", "a", "b"); code != 2 {
		t.Errorf("two names: exit %d, want 2", code)
	}
}

// TestPredictEngines: --engine picks a profile, --exec stays an alias, the
// memory fraction follows the engine unless given, and the JSON carries the
// engine, the fraction and the bands.
func TestPredictEngines(t *testing.T) {
	m := predictJSON(t, "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "1024", "--engine", "gpt-fast")
	if m["engine"] != "pytorch-compile" || m["exec"] != "graph" || m["memory_fraction"] != 1.0 {
		t.Errorf("gpt-fast: engine %v exec %v fraction %v", m["engine"], m["exec"], m["memory_fraction"])
	}
	bands := m["bands"].(map[string]any)
	for _, k := range []string{"decode_cached", "decode_uncached", "prefill"} {
		b, ok := bands[k].(map[string]any)
		if !ok || b["cases"].(float64) < 5 || !(b["low"].(float64) > 0) || b["scope"] == "" {
			t.Errorf("band %s: %v", k, bands[k])
		}
	}
	if m = predictJSON(t, "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "1024", "--exec", "eager"); m["engine"] != "pytorch-eager" {
		t.Errorf("--exec eager: engine %v", m["engine"])
	}
	if m = predictJSON(t, "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "1024"); m["engine"] != "vllm" || m["memory_fraction"] != 0.9 {
		t.Errorf("default: engine %v fraction %v", m["engine"], m["memory_fraction"])
	}
	m = predictJSON(t, "--model", "llama3-70b", "--hardware", "h200", "--context", "1024", "--engine", "sglang", "--tp", "8", "--memory-fraction", "0.5")
	if m["memory_fraction"] != 0.5 || m["capacity"].(map[string]any)["usable_bytes"].(float64) > 0.5*141*(1<<30) {
		t.Errorf("--memory-fraction 0.5: %v", m["memory_fraction"])
	}
	if m = predictJSON(t, "--model", "llama3-70b", "--hardware", "h200", "--context", "1024", "--engine", "sglang", "--tp", "8"); m["memory_fraction"] != 0.81 {
		t.Errorf("sglang at TP 8: fraction %v, want 0.81", m["memory_fraction"])
	}
	code, out, _ := kvsim(t, "predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "1024", "--engine", "llama.cpp")
	for _, want := range []string{"engine llama.cpp", "likely measured", "How far to trust it", "published cases", "step_overhead"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("text lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--engine", "deepspeed"}, 2, "kvsim engines"},
		{[]string{"--engine", "vllm", "--exec", "eager"}, 2, "contradicts"},
		{[]string{"--memory-fraction", "0"}, 2, "--memory-fraction"},
		{[]string{"--memory-fraction", "1.2"}, 2, "--memory-fraction"},
		{[]string{"--engine", "kvsim-decoder"}, 1, "this-cpu"},
	} {
		args := append([]string{"predict", "--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "100"}, tc.args...)
		code, _, stderr := kvsim(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// TestPredictHugeInputs: issue 14's overflow cases get a clear error or a
// correct "does not fit", never a negative size.
func TestPredictHugeInputs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--model", "gpt3-175b", "--hardware", "h100-sxm", "--context", "2047", "--batch", "2147483647"}, 1, "represent"},
		{[]string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--context", "9223372036854775807"}, 2, "beyond what kvsim can size"},
	} {
		code, out, stderr := kvsim(t, append([]string{"predict", "--json"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Contains(stderr+out, "-9223372036854775808") {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr)
		}
	}
	m := predictJSON(t, "--model", "llama3.1-405b", "--hardware", "h200", "--context", "1000", "--batch", "1000000", "--tp", "8")
	if m["fits"] != false || m["kv_bytes"].(float64) <= 0 {
		t.Errorf("405B with a million requests on 8 H200: fits %v, kv_bytes %v", m["fits"], m["kv_bytes"])
	}
}
