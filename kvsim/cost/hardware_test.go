package cost

import (
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// fixedCPU is a deterministic calibration for tests that need this-cpu but
// not a measurement: rates of the order this 2-core machine measures.
func fixedCPU() (Calibration, error) {
	return Calibration{MatmulFLOPS: 14e9, MatvecFLOPS: 12e9, StreamBandwidth: 20e9,
		ForkJoinSeconds: 1e-6, Threads: 2, MemoryBytes: 16 * gib, Method: "fixed test figures"}, nil
}

func mustHardware(t *testing.T, name string) Hardware {
	t.Helper()
	h, err := LookupHardware(name, NewCalibrator(fixedCPU))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustSpec(t testing.TB, name string) model.Spec {
	t.Helper()
	s, err := model.NewCatalog().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPresetsHaveTheRequiredNamesAndValidate(t *testing.T) {
	want := []string{"a100-40gb", "a100-80gb", "h100-sxm", "h200", "l4", "rtx-4090", "m2-max", "b200", "mi300x", "l40s", "a10g", "t4", "this-cpu"}
	if got := HardwareNames(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("HardwareNames = %v, want %v", got, want)
	}
	all, err := AllHardware(NewCalibrator(fixedCPU))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range all {
		if err := h.Validate(); err != nil {
			t.Error(err)
		}
		if len(h.Source) < 20 || h.Device == "" {
			t.Errorf("%s: needs a device and a source, got %q / %q", h.Name, h.Device, h.Source)
		}
		if h.PeakFLOPS[model.INT4] != 0 {
			t.Errorf("%s lists int4, which the model cannot price honestly (W4A16)", h.Name)
		}
	}
}

// TestDatasheetFigures pins the transcription of the headline figures
// (dense, so half the sparse headline tensor numbers).
func TestDatasheetFigures(t *testing.T) {
	cases := []struct {
		name      string
		dt        model.DType
		flops, bw float64
		memGiB    int64
	}{
		{"a100-40gb", model.BF16, 312e12, 1555e9, 40},
		{"a100-80gb", model.FP16, 312e12, 2039e9, 80},
		{"h100-sxm", model.BF16, 989.4e12, 3.35e12, 80},
		{"h100-sxm", model.FP8, 1978.9e12, 3.35e12, 80},
		{"h200", model.BF16, 989.4e12, 4.8e12, 141},
		{"l4", model.BF16, 121e12, 300e9, 24},
		{"rtx-4090", model.BF16, 165.2e12, 1008e9, 24},
		{"m2-max", model.FP16, 13.6e12, 400e9, 96},
		{"b200", model.BF16, 2.25e15, 7.7e12, 180},
		{"b200", model.FP8, 4.5e15, 7.7e12, 180},
		{"mi300x", model.BF16, 1307.4e12, 5.3e12, 192},
		{"mi300x", model.FP8, 2614.9e12, 5.3e12, 192},
		{"l40s", model.BF16, 362.05e12, 864e9, 48},
		{"a10g", model.BF16, 70e12, 600e9, 24},
		{"t4", model.FP16, 65e12, 320e9, 16},
	}
	for _, tc := range cases {
		h := mustHardware(t, tc.name)
		if h.PeakFLOPS[tc.dt] != tc.flops || h.MemoryBandwidth != tc.bw || h.MemoryBytes != tc.memGiB*gib {
			t.Errorf("%s %s: %g FLOP/s, %g B/s, %d B; want %g, %g, %d GiB",
				tc.name, tc.dt, h.PeakFLOPS[tc.dt], h.MemoryBandwidth, h.MemoryBytes, tc.flops, tc.bw, tc.memGiB)
		}
	}
}

func TestLookupHardwareIsLooseAndListsPresetsWhenUnknown(t *testing.T) {
	for query, want := range map[string]string{"H100 SXM": "h100-sxm", "A100_80GB": "a100-80gb", "RTX 4090": "rtx-4090", "This CPU": "this-cpu", "H100": "h100-sxm", "4090": "", "h2": "h200"} {
		if want == "" {
			continue
		}
		h, err := LookupHardware(query, NewCalibrator(fixedCPU))
		if err != nil || h.Name != want {
			t.Errorf("LookupHardware(%q) = %s, %v; want %s", query, h.Name, err, want)
		}
	}
	_, err := LookupHardware("tpu-v5", nil)
	if err == nil {
		t.Fatal("unknown hardware accepted")
	}
	for _, name := range HardwareNames() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list preset %s", err, name)
		}
	}
	if _, err := LookupHardware("a100", nil); err == nil || !strings.Contains(err.Error(), "a100-40gb or a100-80gb") {
		t.Errorf("ambiguous a100: %v", err)
	}
	if _, err := LookupHardware("this-cpu", nil); err == nil || !strings.Contains(err.Error(), "Calibrator") {
		t.Errorf("this-cpu without a calibrator: %v", err)
	}
}

func TestDTypeWithoutAFigureIsRefused(t *testing.T) {
	cases := []struct {
		hw   string
		dt   model.DType
		list string
	}{
		{"a100-80gb", model.FP8, "bf16, fp16, fp32, int8"},
		{"m2-max", model.BF16, "fp16, fp32"},
		{"this-cpu", model.BF16, "fp32"},
		{"h100-sxm", model.INT4, "bf16, fp16, fp32, fp8, int8"},
	}
	for _, tc := range cases {
		_, err := New(mustSpec(t, "llama-tiny"), mustHardware(t, tc.hw), Options{DType: tc.dt})
		if err == nil {
			t.Errorf("%s accepted %s", tc.hw, tc.dt)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, string(tc.dt)) || !strings.Contains(msg, tc.list) || !strings.HasPrefix(msg, "cost: ") {
			t.Errorf("%s %s: error %q should name the dtype and list %s", tc.hw, tc.dt, msg, tc.list)
		}
	}
}

func TestValidateRefusesBrokenHardware(t *testing.T) {
	base := mustHardware(t, "h100-sxm")
	breaks := map[string]func(*Hardware){
		"no name":         func(h *Hardware) { h.Name = "" },
		"no bandwidth":    func(h *Hardware) { h.MemoryBandwidth = 0 },
		"no memory":       func(h *Hardware) { h.MemoryBytes = 0 },
		"efficiency>1":    func(h *Hardware) { h.ComputeEfficiency = 1.5 },
		"no peaks":        func(h *Hardware) { h.PeakFLOPS = nil },
		"negative gap":    func(h *Hardware) { h.KernelGapSeconds = -1 },
		"tp, no link":     func(h *Hardware) { h.LinkBandwidth = 0 },
		"zero max tp":     func(h *Hardware) { h.MaxTP = 0 },
		"default dtype":   func(h *Hardware) { h.DefaultDType = model.INT4 },
		"negative hop":    func(h *Hardware) { h.NCCLHopSeconds = -1e-6 },
		"hop of a second": func(h *Hardware) { h.NCCLHopSeconds = 1 },
	}
	for name, brk := range breaks {
		h := base
		h.PeakFLOPS = map[model.DType]float64{}
		for k, v := range base.PeakFLOPS {
			h.PeakFLOPS[k] = v
		}
		brk(&h)
		if err := h.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		}
	}
}
