package cost

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

func writeHW(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hw.json")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A preset written as JSON (what kvsim hardware NAME --json prints) and
// renamed loads back as the same device: the file has the presets' fields.
func TestHardwareFileRoundTripsAPreset(t *testing.T) {
	for _, name := range []string{"h100-sxm", "t4", "mi300x"} {
		h := mustHardware(t, name)
		h.Name = "my-" + name
		data, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadHardwareFile(writeHW(t, string(data)))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], h) {
			t.Errorf("%s: loaded\n%+v\nwant\n%+v", name, got, h)
		}
	}
}

// A minimal device takes the GPU presets' efficiencies and launch costs,
// says so in its Source, and predicts.
func TestHardwareFileMinimalDevice(t *testing.T) {
	path := writeHW(t, `[{"name": "lab-gpu", "device": "Our accelerator", "peak_flops": {"fp16": 100e12, "fp32": 20e12},
	  "memory_bandwidth": 1e12, "memory_bytes": 34359738368, "source": "vendor sheet rev 3"}]`)
	own, err := LoadHardwareFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := own[0]
	if h.ComputeEfficiency != gpuComputeEfficiency || h.LaunchSeconds != gpuLaunchSeconds || h.MaxTP != 1 || h.DefaultDType != model.FP16 {
		t.Errorf("defaults not applied: %+v", h)
	}
	if !strings.Contains(h.Source, "vendor sheet rev 3") || !strings.Contains(h.Source, "compute_efficiency 0.7") {
		t.Errorf("source %q should keep the file's and name what was assumed", h.Source)
	}
	found, err := LookupHardwareIn("Lab GPU", own, nil)
	if err != nil || found.Name != "lab-gpu" {
		t.Fatalf("LookupHardwareIn: %v %v", found.Name, err)
	}
	if _, err := LookupHardwareIn("h100", own, nil); err != nil {
		t.Errorf("presets stay reachable: %v", err)
	}
	if _, err := LookupHardwareIn("tpu", own, nil); err == nil || !strings.Contains(err.Error(), "from the hardware file: lab-gpu") {
		t.Errorf("unknown name: %v", err)
	}
	p, err := New(mustSpec(t, "llama3-8b"), h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := p.Decode(1, 1023, true); err != nil || !(st.Seconds > 0) {
		t.Errorf("decode on the file's device: %+v, %v", st, err)
	}
}

func TestHardwareFileRefusesNonsense(t *testing.T) {
	base := `"name": "x", "device": "d", "peak_flops": {"bf16": 1e14}, "memory_bandwidth": 1e12, "memory_bytes": 10000000000`
	cases := []struct{ name, json, want string }{
		{"typo", `{` + base + `, "memory_bandwith": 2e12}`, `unknown field "memory_bandwith"`},
		{"unknown dtype", `{"name": "x", "peak_flops": {"tf32": 1e14}, "memory_bandwidth": 1e12, "memory_bytes": 10000000000}`, `names "tf32"`},
		{"int4", `{"name": "x", "peak_flops": {"int4": 1e14, "bf16": 1e14}, "memory_bandwidth": 1e12, "memory_bytes": 10000000000}`, `names "int4"`},
		{"negative rate", `{"name": "x", "peak_flops": {"bf16": -1}, "memory_bandwidth": 1e12, "memory_bytes": 10000000000}`, "positive FLOP/s"},
		{"no bandwidth", `{"name": "x", "peak_flops": {"bf16": 1e14}, "memory_bytes": 10000000000}`, "memory bandwidth is 0"},
		{"efficiency above 1", `{` + base + `, "compute_efficiency": 1.5}`, "at most 1"},
		{"TP without a link", `{` + base + `, "max_tp": 8}`, "needs a link bandwidth"},
		{"preset name", `{` + strings.Replace(base, `"x"`, `"H100 SXM"`, 1) + `}`, "has the name of h100-sxm; rename it"},
		{"this-cpu", `{` + strings.Replace(base, `"x"`, `"this-cpu"`, 1) + `}`, "has the name of this-cpu"},
		{"two of one name", `[{` + base + `}, {` + base + `}]`, "device 2 of 2"},
		{"no name", `{"peak_flops": {"bf16": 1e14}}`, `no "name"`},
		{"trailing text", `{` + base + `} x`, "text after the JSON value"},
		{"second object", `{` + base + `}{` + base + `}`, "text after the JSON value"},
		{"empty array", `[]`, "empty"},
		{"not an object", `[3]`, "want a JSON object"},
		{"memory in exponent form", `{"name": "x", "peak_flops": {"bf16": 1e14}, "memory_bandwidth": 1e12, "memory_bytes": 80e9}`, "whole number of bytes, e.g. 85899345920"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadHardwareFile(writeHW(t, c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "cost: ") {
				t.Errorf("error %v, want one starting cost: and containing %q", err, c.want)
			}
		})
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := LoadHardwareFile("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	if _, err := LoadHardwareFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: %v", err)
	}
}
