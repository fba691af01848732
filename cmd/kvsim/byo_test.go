package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hfFixture is a Hugging Face config folder of kvsim/model's testdata.
func hfFixture(name string) string {
	return filepath.Join("..", "..", "kvsim", "model", "testdata", "hf", name)
}

// A Hugging Face config folder works as --model-file in every command.
func TestHuggingFaceConfigAsModelFile(t *testing.T) {
	dir := hfFixture("models--Qwen--Qwen2.5-7B")
	code, out, stderr := kvsim(t, "models", "Qwen/Qwen2.5-7B", "--model-file", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["kv_bytes_per_token"].(float64) != 57344 || rec["params"].(float64) < 7.5e9 || rec["params"].(float64) > 7.7e9 {
		t.Errorf("Qwen2.5-7B: %v", rec)
	}
	code, out, stderr = kvsim(t, "predict", "--model-file", filepath.Join(dir, "config.json"), "--model", "qwen/qwen2.5-7b",
		"--hardware", "l40s", "--context", "1024", "--json")
	if code != 0 || !strings.Contains(out, `"l40s"`) {
		t.Errorf("predict on a config: exit %d\n%s\n%s", code, out, stderr)
	}
}

func TestModelFileRegressions(t *testing.T) {
	dir := t.TempDir()
	spec := `{"name": "mine", "layers": 2, "d_model": 64, "heads": 4, "ffn": 256, "vocab": 100, "max_context": 128,
	  "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ name, path, want string }{
		{"trailing garbage", write("a.json", spec+" xyz"), "unexpected text after the JSON value"},
		{"second object", write("b.json", spec+strings.Replace(spec, "mine", "two", 1)), "a second JSON value"},
		{"shadows gpt3-175b", write("c.json", strings.Replace(spec, `"mine"`, `"gpt3-175b"`, 1)), "catalog model gpt3-175b; rename it"},
		{"unsupported architecture", write("d.json", `{"architectures": ["MambaForCausalLM"], "_name_or_path": "x/y"}`), "supported: "},
		{"folder", dir, "folder without config.json"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct{ name, path, want string }{"device", "/dev/zero", "not a regular file"})
	}
	for _, c := range cases {
		code, _, stderr := kvsim(t, "models", "--model-file", c.path)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want a refusal containing %q", c.name, code, stderr, c.want)
		}
	}
}

func TestHardwareFileFlag(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hw.json")
	dev := `{"name": "lab-npu", "device": "Our NPU", "peak_flops": {"bf16": 200e12}, "memory_bandwidth": 1.2e12,
	  "memory_bytes": 68719476736, "source": "vendor sheet"}`
	if err := os.WriteFile(path, []byte(dev), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := kvsim(t, "hardware", "lab-npu", "--hardware-file", path)
	if code != 0 || !strings.Contains(out, "Our NPU") || !strings.Contains(out, "vendor sheet") {
		t.Errorf("hardware lab-npu: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = kvsim(t, "predict", "--model", "llama3-8b", "--hardware", "lab-npu", "--hardware-file", path, "--context", "512", "--json")
	var pr map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &pr) != nil {
		t.Fatalf("predict on lab-npu: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr = kvsim(t, "predict", "--model", "llama3-8b", "--hardware-file", path, "--context", "512"); code != 2 || !strings.Contains(stderr, "--hardware NAME") {
		t.Errorf("--hardware-file without --hardware: exit %d, %s", code, stderr)
	}
	if code, _, stderr = kvsim(t, "replay", "--workload", "multi-turn", "--capacity-blocks", "100", "--model", "llama3-8b",
		"--hardware", "lab-npu", "--hardware-file", path, "--kv-dtype", "bf16"); code != 0 {
		t.Errorf("replay timed on lab-npu: exit %d, %s", code, stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(dev, "memory_bandwidth", "memory_bandwith", 1)), 0o644)
	if code, _, stderr = kvsim(t, "hardware", "--hardware-file", bad); code == 0 || !strings.Contains(stderr, "memory_bandwith") {
		t.Errorf("typo in a hardware file: exit %d, %s", code, stderr)
	}
}

// bench --weights DIR used to say "shorter than the 8-byte header".
func TestBenchWeightsFolder(t *testing.T) {
	code, _, stderr := kvsim(t, "bench", "--model", "gpt-tiny", "--weights", t.TempDir(), "--new", "2", "--prompt", "2")
	if code == 0 || !strings.Contains(stderr, "holds no .safetensors file") {
		t.Errorf("bench --weights on an empty folder: exit %d, %s", code, stderr)
	}
}
