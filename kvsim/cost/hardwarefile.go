package cost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"kvcache/kvsim/model"
)

// MaxHardwareFileBytes bounds a hardware file; a device is a few hundred bytes.
const MaxHardwareFileBytes = 1 << 20

// LoadHardwareFile reads one's own devices from a JSON file: one object or
// an array, with the fields of the presets as kvsim hardware NAME --json
// prints them (name, device, peak_flops by dtype, memory_bandwidth,
// memory_bytes, max_tp, link_bandwidth, ... source). Unknown fields are
// refused, so a typo cannot pass. Fields a device file may leave out take
// the GPU presets' values, and the device's Source says so:
// compute_efficiency, bandwidth_efficiency, launch_s, kernel_gap_s,
// link_efficiency and all_reduce_latency; max_tp defaults to 1 and
// default_dtype to bf16, else fp16, else fp32. Without nccl_hop_s an
// engine's NCCL all-reduce costs all_reduce_latency too; pcie_only says
// the devices have no NVLink-class link. Every device
// is validated; a name that a preset (or this-cpu) already has, or two
// devices of one name, are refused.
func LoadHardwareFile(path string) ([]Hardware, error) {
	data, err := readHardwareFile(path)
	if err != nil {
		return nil, err
	}
	items, err := hardwareItems(data)
	if err != nil {
		return nil, fmt.Errorf("cost: %s: %w", path, err)
	}
	taken := map[string]string{hardwareKey(ThisCPU): ThisCPU}
	for _, h := range Presets() {
		taken[hardwareKey(h.Name)] = h.Name
	}
	var out []Hardware
	for i, item := range items {
		h, err := parseHardware(item, path)
		if err == nil {
			if other, ok := taken[hardwareKey(h.Name)]; ok {
				err = fmt.Errorf("hardware %q has the name of %s; rename it", h.Name, other)
			}
		}
		if err != nil {
			if len(items) > 1 {
				return nil, fmt.Errorf("cost: %s: device %d of %d: %w", path, i+1, len(items), err)
			}
			return nil, fmt.Errorf("cost: %s: %w", path, err)
		}
		taken[hardwareKey(h.Name)] = h.Name + " (earlier in this file)"
		out = append(out, h)
	}
	return out, nil
}

func readHardwareFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cost: hardware file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("cost: hardware file %s is not a regular file; give a JSON file", path)
	}
	if info.Size() > MaxHardwareFileBytes {
		return nil, fmt.Errorf("cost: hardware file %s has %d bytes, beyond the %d allowed", path, info.Size(), MaxHardwareFileBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cost: hardware file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxHardwareFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cost: hardware file %s: %w", path, err)
	}
	if len(data) > MaxHardwareFileBytes {
		return nil, fmt.Errorf("cost: hardware file %s grew beyond %d bytes while being read", path, MaxHardwareFileBytes)
	}
	return data, nil
}

// hardwareItems splits the file into its objects: one JSON value, an
// object or an array of them, and nothing after it.
func hardwareItems(data []byte) ([]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("empty hardware file: want a JSON object or an array of them")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, fmt.Errorf("invalid hardware JSON: %w", err)
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return nil, fmt.Errorf("text after the JSON value at byte %d; a hardware file holds one object or one array of them", len(data)-len(rest))
	}
	if top[0] != '[' {
		return []json.RawMessage{top}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(top, &items); err != nil {
		return nil, fmt.Errorf("invalid hardware JSON: %w", err)
	}
	if len(items) == 0 {
		return nil, errors.New("the hardware array is empty")
	}
	return items, nil
}

// parseHardware decodes one device strictly, fills what it leaves out and
// validates it.
func parseHardware(item json.RawMessage, path string) (Hardware, error) {
	var present map[string]json.RawMessage
	if err := json.Unmarshal(item, &present); err != nil || present == nil {
		return Hardware{}, errors.New("want a JSON object describing a device")
	}
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.DisallowUnknownFields()
	var h Hardware
	if err := dec.Decode(&h); err != nil {
		if strings.Contains(err.Error(), "memory_bytes") {
			return Hardware{}, fmt.Errorf("invalid hardware JSON: %w; give memory_bytes as a whole number of bytes, e.g. 85899345920 for 80 GiB", err)
		}
		return Hardware{}, fmt.Errorf("invalid hardware JSON: %w", err)
	}
	if strings.TrimSpace(h.Name) == "" {
		return Hardware{}, errors.New(`hardware has no "name"`)
	}
	for field, rates := range map[string]map[model.DType]float64{"peak_flops": h.PeakFLOPS, "matvec_flops": h.MatvecFLOPS} {
		for d, v := range rates {
			if d.Bits() == 0 || d == model.INT4 {
				return Hardware{}, fmt.Errorf("hardware %s: %s names %q; use fp32, fp16, bf16, fp8 or int8", h.Name, field, d)
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return Hardware{}, fmt.Errorf("hardware %s: %s[%s] is %g; it must be a positive FLOP/s figure", h.Name, field, d, v)
			}
		}
	}
	var assumed []string
	defaults := []struct {
		key string
		dst *float64
		v   float64
	}{
		{"compute_efficiency", &h.ComputeEfficiency, gpuComputeEfficiency},
		{"bandwidth_efficiency", &h.BandwidthEfficiency, gpuBandwidthEfficiency},
		{"launch_s", &h.LaunchSeconds, gpuLaunchSeconds},
		{"kernel_gap_s", &h.KernelGapSeconds, gpuKernelGapSeconds},
		{"link_efficiency", &h.LinkEfficiency, linkEfficiency},
		{"all_reduce_latency", &h.AllReduceLatency, allReduceLatency},
	}
	for _, d := range defaults {
		if _, ok := present[d.key]; !ok {
			*d.dst = d.v
			assumed = append(assumed, fmt.Sprintf("%s %g", d.key, d.v))
		}
	}
	if _, ok := present["max_tp"]; !ok {
		h.MaxTP = 1
	}
	if _, ok := present["default_dtype"]; !ok {
		h.DefaultDType = model.FP32
		for _, d := range []model.DType{model.BF16, model.FP16} {
			if h.PeakFLOPS[d] > 0 {
				h.DefaultDType = d
				break
			}
		}
	}
	if strings.TrimSpace(h.Source) == "" {
		h.Source = "hardware file " + path + " (no source given)"
	}
	if len(assumed) > 0 {
		slices.Sort(assumed)
		h.Source += ". Taken from the GPU presets, not the file: " + strings.Join(assumed, ", ")
	}
	if err := h.Validate(); err != nil {
		return Hardware{}, err
	}
	return h, nil
}

// LookupHardwareIn finds a device of own (read by LoadHardwareFile) by
// name, or else a preset as LookupHardware does; an unknown name gets an
// error listing both.
func LookupHardwareIn(name string, own []Hardware, cal *Calibrator) (Hardware, error) {
	key := hardwareKey(name)
	for _, h := range own {
		if hardwareKey(h.Name) == key {
			return h, nil
		}
	}
	h, err := LookupHardware(name, cal)
	if err != nil && len(own) > 0 {
		names := make([]string, len(own))
		for i, o := range own {
			names[i] = o.Name
		}
		return Hardware{}, fmt.Errorf("%w; from the hardware file: %s", err, strings.Join(names, ", "))
	}
	return h, err
}
