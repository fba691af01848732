package cost

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	"kvcache/kvsim/model"
)

// ThisCPU is the name of the preset measured on the running machine.
const ThisCPU = "this-cpu"

// Hardware is one accelerator (or CPU) as the roofline sees it: peak rates
// from a datasheet (or a measurement), the fractions of them real kernels
// reach, and the fixed costs of launching work.
type Hardware struct {
	Name   string `json:"name"`
	Device string `json:"device"` // SKU, e.g. "NVIDIA H100 SXM5 80GB"

	// PeakFLOPS is the dense peak per data type, in FLOP/s (no 2:4 sparsity).
	// A data type missing here cannot be predicted on this hardware.
	PeakFLOPS map[model.DType]float64 `json:"peak_flops"`
	// FP16AccumulateFLOPS is the dense fp16 tensor rate when products are
	// accumulated in fp16, where the datasheet gives one above PeakFLOPS'
	// fp16 figure (GeForce parts accumulate in fp32 at half the rate). An
	// engine that accumulates in fp16 (llama.cpp's cuBLAS calls) runs fp16
	// matmuls at it; 0: the same as PeakFLOPS[fp16].
	FP16AccumulateFLOPS float64 `json:"fp16_accumulate_flops,omitempty"`
	// MatvecFLOPS, when set, caps matrix-vector work: a kernel whose every
	// weight is reused by M rows runs at most at M x MatvecFLOPS (this-cpu,
	// where the Go matvec kernel is slower than streaming memory allows).
	MatvecFLOPS map[model.DType]float64 `json:"matvec_flops,omitempty"`

	MemoryBandwidth float64 `json:"memory_bandwidth"` // bytes/s, device memory
	MemoryBytes     int64   `json:"memory_bytes"`     // device memory

	ComputeEfficiency   float64 `json:"compute_efficiency"`   // achievable fraction of PeakFLOPS
	BandwidthEfficiency float64 `json:"bandwidth_efficiency"` // achievable fraction of MemoryBandwidth

	// LaunchSeconds is the host's cost to issue one kernel in eager mode
	// (framework dispatch + driver launch). The host runs ahead of the device,
	// so it only shows when kernels are shorter than it. In graph mode the
	// host pays it once per step.
	LaunchSeconds float64 `json:"launch_s"`
	// KernelGapSeconds is the device-side fixed cost of every kernel (the gap
	// between dependent kernels, or a CPU fork-join), paid in both modes.
	KernelGapSeconds float64 `json:"kernel_gap_s"`

	MaxTP            int     `json:"max_tp"`             // devices one tensor-parallel group may span
	LinkBandwidth    float64 `json:"link_bandwidth"`     // bytes/s per direction per device, for all-reduce
	LinkEfficiency   float64 `json:"link_efficiency"`    // achievable fraction of LinkBandwidth
	AllReduceLatency float64 `json:"all_reduce_latency"` // seconds per all-reduce, on top of the transfer
	Link             string  `json:"link,omitempty"`     // what the link is, e.g. "NVLink 4"
	// PCIeOnly: the devices reach each other over PCIe only (no NVLink-class
	// link); vLLM and SGLang then run NCCL instead of their custom
	// all-reduce beyond two devices.
	PCIeOnly bool `json:"pcie_only,omitempty"`
	// NCCLHopSeconds is NCCL's own latency per ring step on this link for
	// small messages (its LL protocol): a ring all-reduce over T devices
	// takes NCCLBaseSeconds + 2 (T-1) NCCLHopSeconds before the transfer.
	// 0: NCCL all-reduces cost AllReduceLatency like the others.
	NCCLHopSeconds float64 `json:"nccl_hop_s,omitempty"`

	// CPU, when set (this-cpu measured by MeasureDecoderKernels), prices
	// every operation with the measured cost of the decoder's code for it
	// instead of the roofline; see CPUOps.
	CPU *CPUOps `json:"cpu_ops,omitempty"`

	DefaultDType model.DType `json:"default_dtype"`
	Source       string      `json:"source"`
}

// DTypes lists the data types the hardware has a peak figure for, widest first.
func (h Hardware) DTypes() []model.DType {
	var out []model.DType
	for _, d := range model.DTypes() {
		if h.PeakFLOPS[d] > 0 {
			out = append(out, d)
		}
	}
	return out
}

// Validate checks that every figure the roofline divides by is positive.
func (h Hardware) Validate() error {
	bad := func(field string, v float64) error {
		return fmt.Errorf("cost: hardware %s: %s is %g; it must be positive", h.Name, field, v)
	}
	if strings.TrimSpace(h.Name) == "" {
		return errors.New("cost: hardware has no name")
	}
	if len(h.DTypes()) == 0 {
		return fmt.Errorf("cost: hardware %s: no peak FLOP/s figure for any data type", h.Name)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"memory bandwidth", h.MemoryBandwidth},
		{"memory size", float64(h.MemoryBytes)},
		{"compute efficiency", h.ComputeEfficiency},
		{"bandwidth efficiency", h.BandwidthEfficiency},
	} {
		if !(f.v > 0) {
			return bad(f.name, f.v)
		}
	}
	if h.ComputeEfficiency > 1 || h.BandwidthEfficiency > 1 {
		return fmt.Errorf("cost: hardware %s: efficiencies are fractions of peak, at most 1", h.Name)
	}
	if h.LaunchSeconds < 0 || h.KernelGapSeconds < 0 {
		return fmt.Errorf("cost: hardware %s: launch costs cannot be negative", h.Name)
	}
	if !(h.NCCLHopSeconds >= 0 && h.NCCLHopSeconds <= 1e-3) {
		return fmt.Errorf("cost: hardware %s: nccl_hop_s is %g; NCCL's latency per ring step is a few µs (0.6e-6 on NVLink), between 0 and 1e-3 s", h.Name, h.NCCLHopSeconds)
	}
	if h.MaxTP < 1 {
		return bad("max_tp", float64(h.MaxTP))
	}
	if h.MaxTP > 1 && !(h.LinkBandwidth > 0 && h.LinkEfficiency > 0) {
		return fmt.Errorf("cost: hardware %s: tensor parallelism needs a link bandwidth and efficiency", h.Name)
	}
	if h.PeakFLOPS[h.DefaultDType] <= 0 {
		return fmt.Errorf("cost: hardware %s: default dtype %s has no peak figure", h.Name, h.DefaultDType)
	}
	if h.CPU != nil {
		if err := h.CPU.Validate(); err != nil {
			return fmt.Errorf("cost: hardware %s: %w", h.Name, err)
		}
	}
	return nil
}

// Figures common to the GPU presets; see doc.go for where each comes from.
const (
	gpuComputeEfficiency   = 0.70  // large bf16 GEMMs and FlashAttention-2 reach 50-80% of the dense peak
	gpuBandwidthEfficiency = 0.80  // streaming kernels reach 80-90% of datasheet bandwidth
	gpuLaunchSeconds       = 25e-6 // unused by the cost model since engines carry host costs (Engine.LaunchSeconds); kept for hardware files
	gpuKernelGapSeconds    = 2e-6  // back-to-back dependent kernels on a stream or in a CUDA graph
	linkEfficiency         = 0.80  // nccl-tests bus bandwidth vs the per-direction link figure
	allReduceLatency       = 10e-6 // one small custom (one-shot) all-reduce inside an NVLink node
	// NCCL's tuning model (src/graph/tuning.cc, v2.18-v2.30 defaults): a
	// ring all-reduce with the LL protocol costs baseLatencies[Ring][LL]
	// 6.6 µs plus hwLatencies[NVLINK or PCI][Ring][LL] 0.6 or 1.0 µs per
	// step, 2 (T-1) steps over T devices.
	NCCLBaseSeconds   = 6.6e-6
	ncclNVLinkSeconds = 0.6e-6
	ncclPCIeSeconds   = 1.0e-6
	gib               = 1 << 30
)

// Presets returns the datasheet hardware presets, a fresh copy on each
// call. this-cpu is not among them: it is measured (see Calibrator).
func Presets() []Hardware {
	gpu := func(h Hardware) Hardware {
		h.PeakFLOPS = maps.Clone(h.PeakFLOPS) // presets sharing a chip share no map
		h.ComputeEfficiency, h.BandwidthEfficiency = gpuComputeEfficiency, gpuBandwidthEfficiency
		h.LaunchSeconds, h.KernelGapSeconds = gpuLaunchSeconds, gpuKernelGapSeconds
		h.LinkEfficiency, h.AllReduceLatency = linkEfficiency, allReduceLatency
		h.NCCLHopSeconds = ncclNVLinkSeconds
		if h.PCIeOnly {
			h.NCCLHopSeconds = ncclPCIeSeconds
		}
		if h.DefaultDType == "" {
			h.DefaultDType = model.BF16
		}
		h.Source += fmt.Sprintf(". Assumed, not from the datasheet (kvsim/cost doc): compute efficiency %.2f, bandwidth efficiency %.2f, %g µs per kernel on the device (host costs: kvsim engines)",
			h.ComputeEfficiency, h.BandwidthEfficiency, h.KernelGapSeconds*1e6)
		if h.MaxTP > 1 {
			h.Source += fmt.Sprintf(", link efficiency %.2f, %g µs per custom all-reduce; NCCL's own latency model (%g µs + %g µs per ring step)",
				h.LinkEfficiency, h.AllReduceLatency*1e6, NCCLBaseSeconds*1e6, h.NCCLHopSeconds*1e6)
		}
		return h
	}
	const (
		nvlink3 = 300e9 // NVLink 3 (A100 SXM): 600 GB/s total, 300 GB/s each way
		nvlink4 = 450e9 // NVLink 4 (H100/H200 SXM): 900 GB/s total, 450 GB/s each way
		pcie4   = 32e9  // PCIe Gen4 x16: 64 GB/s total, 32 GB/s each way

		nvlink5        = 900e9 // NVLink 5 (B200): 1.8 TB/s total, 900 GB/s each way
		infinityFabric = 448e9 // MI300X: 7 links x 64 GB/s each way
		pcie3          = 16e9  // PCIe Gen3 x16: 32 GB/s total, 16 GB/s each way
	)
	a100 := map[model.DType]float64{model.FP32: 19.5e12, model.FP16: 312e12, model.BF16: 312e12, model.INT8: 624e12}
	hopper := map[model.DType]float64{model.FP32: 67e12, model.FP16: 989.4e12, model.BF16: 989.4e12, model.FP8: 1978.9e12, model.INT8: 1978.9e12}
	return []Hardware{
		gpu(Hardware{
			Name: "a100-40gb", Device: "NVIDIA A100 SXM4 40GB (HBM2)",
			PeakFLOPS: a100, MemoryBandwidth: 1555e9, MemoryBytes: 40 * gib,
			MaxTP: 8, LinkBandwidth: nvlink3, Link: "NVLink 3, 600 GB/s (HGX A100 8-GPU)",
			Source: "NVIDIA A100 Tensor Core GPU datasheet (2021): FP32 19.5, BF16/FP16 tensor 312 dense (624 sparse), INT8 624 TOPS dense; A100 40GB SXM: 1,555 GB/s; NVLink 600 GB/s",
		}),
		gpu(Hardware{
			Name: "a100-80gb", Device: "NVIDIA A100 SXM4 80GB (HBM2e)",
			PeakFLOPS: a100, MemoryBandwidth: 2039e9, MemoryBytes: 80 * gib,
			MaxTP: 8, LinkBandwidth: nvlink3, Link: "NVLink 3, 600 GB/s (HGX A100 8-GPU)",
			Source: "NVIDIA A100 Tensor Core GPU datasheet (2021): FP32 19.5, BF16/FP16 tensor 312 dense (624 sparse), INT8 624 TOPS dense; A100 80GB SXM: 2,039 GB/s (PCIe: 1,935); NVLink 600 GB/s",
		}),
		gpu(Hardware{
			Name: "h100-sxm", Device: "NVIDIA H100 SXM5 80GB (HBM3)",
			PeakFLOPS: hopper, MemoryBandwidth: 3.35e12, MemoryBytes: 80 * gib,
			MaxTP: 8, LinkBandwidth: nvlink4, Link: "NVLink 4, 900 GB/s (HGX H100 8-GPU)",
			Source: "NVIDIA H100 Tensor Core GPU datasheet, H100 SXM column: FP32 67, BF16/FP16 tensor 1,979 and FP8/INT8 3,958 with sparsity, so 989.4 and 1,978.9 dense; 3.35 TB/s HBM3; NVLink 900 GB/s",
		}),
		gpu(Hardware{
			Name: "h200", Device: "NVIDIA H200 SXM 141GB (HBM3e)",
			PeakFLOPS: hopper, MemoryBandwidth: 4.8e12, MemoryBytes: 141 * gib,
			MaxTP: 8, LinkBandwidth: nvlink4, Link: "NVLink 4, 900 GB/s (HGX H200 8-GPU)",
			Source: "NVIDIA H200 Tensor Core GPU datasheet, H200 SXM column: same tensor cores as H100 SXM (BF16 1,979 / FP8 3,958 sparse, so 989.4 / 1,978.9 dense, FP32 67); 141 GB HBM3e at 4.8 TB/s; NVLink 900 GB/s",
		}),
		gpu(Hardware{
			Name: "l4", Device: "NVIDIA L4 24GB (GDDR6, PCIe, 72 W)",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 30.3e12, model.FP16: 121e12, model.BF16: 121e12, model.FP8: 242.5e12, model.INT8: 242.5e12},
			MemoryBandwidth: 300e9, MemoryBytes: 24 * gib,
			MaxTP: 8, PCIeOnly: true, LinkBandwidth: pcie4, Link: "PCIe Gen4 x16, 64 GB/s (no NVLink)",
			Source: "NVIDIA L4 Tensor Core GPU datasheet: FP32 30.3, FP16/BF16 tensor 242 and FP8/INT8 485 with sparsity, so 121 and 242.5 dense; 24 GB GDDR6 at 300 GB/s; PCIe Gen4 x16 64 GB/s",
		}),
		gpu(Hardware{
			Name: "rtx-4090", Device: "NVIDIA GeForce RTX 4090 24GB (GDDR6X)",
			PeakFLOPS:           map[model.DType]float64{model.FP32: 82.6e12, model.FP16: 165.2e12, model.BF16: 165.2e12, model.FP8: 330.3e12, model.INT8: 660.6e12},
			FP16AccumulateFLOPS: 330.3e12,
			MemoryBandwidth:     1008e9, MemoryBytes: 24 * gib,
			MaxTP: 8, PCIeOnly: true, LinkBandwidth: pcie4, Link: "PCIe Gen4 x16, 64 GB/s (no NVLink)",
			Source: "NVIDIA Ada GPU Architecture whitepaper, Appendix A (GeForce RTX 4090): FP32 82.6; FP16/BF16 tensor with FP32 accumulate 165.2 dense (330.3 only with FP16 accumulate); FP8 with FP32 accumulate 330.3; INT8 660.6 TOPS dense; 24 GB GDDR6X at 1,008 GB/s",
		}),
		gpu(Hardware{
			Name: "m2-max", Device: "Apple M2 Max, 38-core GPU, 96 GB unified memory",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 13.6e12, model.FP16: 13.6e12},
			MemoryBandwidth: 400e9, MemoryBytes: 96 * gib,
			MaxTP: 1, DefaultDType: model.FP16,
			Source: "Apple newsroom, 'Apple unveils M2 Pro and M2 Max' (2023-01-17): 38-core GPU, 400 GB/s, up to 96 GB unified memory; " +
				"FP32 13.6 TFLOPS = 38 cores x 128 ALUs x 2 FLOP x 1.398 GHz; Apple GPUs run FP16 at the FP32 rate (no separate tensor rate). " +
				"macOS lets the GPU wire about 75% of unified memory by default",
		}),
		gpu(Hardware{
			Name: "b200", Device: "NVIDIA B200 180GB (HBM3e, HGX B200)",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 75e12, model.FP16: 2.25e15, model.BF16: 2.25e15, model.FP8: 4.5e15, model.INT8: 4.5e15},
			MemoryBandwidth: 7.7e12, MemoryBytes: 180 * gib,
			MaxTP: 8, LinkBandwidth: nvlink5, Link: "NVLink 5, 1.8 TB/s (HGX B200 8-GPU)",
			Source: "NVIDIA GB200 NVL72 / HGX B200 technical specifications, HGX B200 column, per GPU: FP32 75 TFLOPS; FP16/BF16 4.5 PFLOPS, FP8 9 PFLOPS and INT8 9 POPS with sparsity, so 2.25, 4.5 and 4.5 dense; 180 GB HBM3e at 7.7 TB/s; NVLink 5 1.8 TB/s",
		}),
		gpu(Hardware{
			Name: "mi300x", Device: "AMD Instinct MI300X 192GB (HBM3, OAM)",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 163.4e12, model.FP16: 1307.4e12, model.BF16: 1307.4e12, model.FP8: 2614.9e12, model.INT8: 2614.9e12},
			MemoryBandwidth: 5.3e12, MemoryBytes: 192 * gib,
			MaxTP: 8, LinkBandwidth: infinityFabric, Link: "AMD Infinity Fabric, 7 links of 128 GB/s, 896 GB/s total (8-GPU platform)",
			Source: "AMD Instinct MI300X accelerator data sheet: FP32 163.4 TFLOPS; FP16/BF16 1,307.4 and FP8 2,614.9 TFLOPS, INT8 2,614.9 TOPS dense (2,614.9 / 5,229.8 with sparsity); 192 GB HBM3 at 5.3 TB/s; 7 Infinity Fabric links of 128 GB/s (64 each way), so 448 GB/s each way. Launch costs assumed as for CUDA",
		}),
		gpu(Hardware{
			Name: "l40s", Device: "NVIDIA L40S 48GB (GDDR6, PCIe, 350 W)",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 91.6e12, model.FP16: 362.05e12, model.BF16: 362.05e12, model.FP8: 733e12, model.INT8: 733e12},
			MemoryBandwidth: 864e9, MemoryBytes: 48 * gib,
			MaxTP: 8, PCIeOnly: true, LinkBandwidth: pcie4, Link: "PCIe Gen4 x16, 64 GB/s (no NVLink)",
			Source: "NVIDIA L40S GPU datasheet: FP32 91.6 TFLOPS; BF16/FP16 tensor 362.05 dense (733 with sparsity); FP8 733 TFLOPS and INT8 733 TOPS dense (1,466 with sparsity); 48 GB GDDR6 at 864 GB/s; PCIe Gen4 x16 64 GB/s",
		}),
		gpu(Hardware{
			Name: "a10g", Device: "NVIDIA A10G 24GB (GDDR6, PCIe; AWS EC2 G5)",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 35e12, model.FP16: 70e12, model.BF16: 70e12, model.INT8: 140e12},
			MemoryBandwidth: 600e9, MemoryBytes: 24 * gib,
			MaxTP: 8, PCIeOnly: true, LinkBandwidth: pcie4, Link: "PCIe Gen4 x16, 64 GB/s (g5.48xlarge: 8 GPUs, no NVLink)",
			Source: "NVIDIA publishes no A10G datasheet (it is AWS's variant of the A10). Figures as Baseten's 'NVIDIA A10 vs A10G for ML model inference' spec table gives them, dense: FP32 35 TFLOPS, FP16/BF16 tensor 70 TFLOPS, INT8 140 TOPS (the A10's are 31.2, 125 and 250); they match 80 SMs at 1.71 GHz with half-rate FP32-accumulate tensor cores. 24 GB GDDR6 at 600 GB/s (AWS EC2 G5)",
		}),
		gpu(Hardware{
			Name: "t4", Device: "NVIDIA T4 16GB (GDDR6, PCIe, 70 W)",
			PeakFLOPS:       map[model.DType]float64{model.FP32: 8.1e12, model.FP16: 65e12, model.INT8: 130e12},
			MemoryBandwidth: 320e9, MemoryBytes: 16 * gib,
			MaxTP: 8, PCIeOnly: true, LinkBandwidth: pcie3, Link: "PCIe Gen3 x16, 32 GB/s (no NVLink)",
			DefaultDType: model.FP16,
			Source:       "NVIDIA T4 Tensor Core GPU datasheet: FP32 8.1 TFLOPS; mixed precision (FP16/FP32) 65 TFLOPS; INT8 130 TOPS (Turing has no 2:4 sparsity: these are dense); no BF16; 16 GB GDDR6 at 320 GB/s; PCIe Gen3 x16 32 GB/s",
		}),
	}
}

// LookupHardware finds a preset by name (case, spaces and dashes ignored).
// this-cpu needs cal, which measures it once; cal may be nil otherwise. An
// unknown name gets an error that lists every preset.
func LookupHardware(name string, cal *Calibrator) (Hardware, error) {
	key := hardwareKey(name)
	if key == hardwareKey(ThisCPU) {
		if cal == nil {
			return Hardware{}, errors.New("cost: this-cpu is measured at run time and needs a Calibrator")
		}
		return cal.Hardware()
	}
	var prefixed []Hardware // presets whose name starts with the query: h100 -> h100-sxm
	for _, h := range Presets() {
		if hardwareKey(h.Name) == key {
			return h, nil
		}
		if key != "" && strings.HasPrefix(hardwareKey(h.Name), key) {
			prefixed = append(prefixed, h)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], nil
	}
	hint := ""
	if len(prefixed) > 1 {
		names := make([]string, len(prefixed))
		for i, h := range prefixed {
			names[i] = h.Name
		}
		hint = " (did you mean " + strings.Join(names, " or ") + "?)"
	}
	return Hardware{}, fmt.Errorf("cost: unknown hardware %q%s; presets: %s (kvsim hardware lists their figures)",
		name, hint, strings.Join(HardwareNames(), ", "))
}

// HardwareNames lists every preset name, this-cpu last.
func HardwareNames() []string {
	var names []string
	for _, h := range Presets() {
		names = append(names, h.Name)
	}
	return append(names, ThisCPU)
}

// AllHardware returns the datasheet presets and, measured by cal, this-cpu.
func AllHardware(cal *Calibrator) ([]Hardware, error) {
	hw := Presets()
	cpu, err := LookupHardware(ThisCPU, cal)
	if err != nil {
		return nil, err
	}
	return append(hw, cpu), nil
}

func hardwareKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sortedDTypes renders a dtype set for messages.
func sortedDTypes(ds []model.DType) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
