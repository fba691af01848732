package report

import (
	"fmt"
	"io"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/units"
)

var hardwareDTypes = []model.DType{model.FP32, model.FP16, model.BF16, model.FP8, model.INT8}

// HardwareTable lists hardware presets with their datasheet figures.
func HardwareTable(all []cost.Hardware) Table {
	cols := []Column{{Name: "name"}, {Name: "device"}, {Name: "memory"}, {Name: "bandwidth", Unit: "GB/s"}}
	for _, d := range hardwareDTypes {
		cols = append(cols, Column{Name: string(d), Unit: "FLOP/s"})
	}
	cols = append(cols, Column{Name: "max TP"}, Column{Name: "link", Unit: "GB/s each way"})
	t := Table{Title: "Hardware presets", Columns: cols}
	for _, h := range all {
		row := []string{h.Name, h.Device, units.Bytes(float64(h.MemoryBytes)), fmt.Sprintf("%.4g", h.MemoryBandwidth/1e9)}
		for _, d := range hardwareDTypes {
			row = append(row, FLOPS(h.PeakFLOPS[d]))
		}
		link := "-"
		if h.LinkBandwidth > 0 {
			link = fmt.Sprintf("%.4g", h.LinkBandwidth/1e9)
		}
		t.AddRow(append(row, fmt.Sprint(h.MaxTP), link)...)
	}
	return t
}

// HardwareDetail shows one preset in full; for this-cpu, the decoder's
// measured operation costs too.
func HardwareDetail(h cost.Hardware) Table {
	t := Table{Title: h.Name + ": " + h.Device, Columns: []Column{{Name: "figure"}, {Name: "value", Align: Left}}}
	for _, d := range h.DTypes() {
		t.AddRow("peak "+string(d), FLOPS(h.PeakFLOPS[d])+"FLOP/s")
		if v := h.MatvecFLOPS[d]; v > 0 {
			t.AddRow("matvec "+string(d), FLOPS(v)+"FLOP/s")
		}
	}
	t.AddRow("memory", units.Bytes(float64(h.MemoryBytes)))
	t.AddRow("bandwidth", fmt.Sprintf("%.4g GB/s", h.MemoryBandwidth/1e9))
	t.AddRow("compute efficiency", fmt.Sprintf("%.2f", h.ComputeEfficiency))
	t.AddRow("bandwidth efficiency", fmt.Sprintf("%.2f", h.BandwidthEfficiency))
	t.AddRow("kernel gap (device)", units.Seconds(h.KernelGapSeconds))
	if h.FP16AccumulateFLOPS > 0 {
		t.AddRow("fp16 with fp16 accumulate", FLOPS(h.FP16AccumulateFLOPS)+"FLOP/s")
	}
	if o := h.CPU; o != nil {
		addCPUOps(&t, o)
	}
	t.AddRow("max TP", fmt.Sprint(h.MaxTP))
	if h.LinkBandwidth > 0 {
		t.AddRow("link", fmt.Sprintf("%s: %.4g GB/s each way, efficiency %.2f, all-reduce latency %s",
			h.Link, h.LinkBandwidth/1e9, h.LinkEfficiency, units.Seconds(h.AllReduceLatency)))
	}
	t.AddRow("default dtype", string(h.DefaultDType))
	return t
}

// FLOPS formats a rate with an SI prefix: 989.4 T, 14.6 G; "-" for none.
func FLOPS(v float64) string {
	switch {
	case v <= 0:
		return "-"
	case v >= 1e12:
		return fmt.Sprintf("%.4g T", v/1e12)
	case v >= 1e9:
		return fmt.Sprintf("%.4g G", v/1e9)
	}
	return fmt.Sprintf("%.4g M", v/1e6)
}

// addCPUOps lists the decoder's measured operation costs that price this-cpu.
func addCPUOps(t *Table, o *cost.CPUOps) {
	var ladder []string
	for _, m := range o.Matvec {
		ladder = append(ladder, fmt.Sprintf("%s %sFLOP/s", units.Bytes(float64(m.Bytes)), FLOPS(m.FLOPS)))
	}
	t.AddRow("matvec by working set", strings.Join(ladder, ", "))
	t.AddRow("matmul, each further row", fmt.Sprintf("%sFLOP/s + %s per output", FLOPS(o.MatmulRowFLOPS), units.Seconds(o.MatmulOutputSeconds)))
	t.AddRow("attention (thread time)", fmt.Sprintf("%s per (row, head) + %s per position + %s per position and head_dim value",
		units.Seconds(o.AttentionItemSeconds), units.Seconds(o.AttentionPositionSeconds), units.Seconds(o.AttentionDimSeconds)))
	t.AddRow("element-wise, per value", fmt.Sprintf("layernorm %s, rmsnorm %s, gelu %s, swiglu %s, rope %s, add %s (fresh %s), copy %s",
		units.Seconds(o.LayerNormSeconds), units.Seconds(o.RMSNormSeconds), units.Seconds(o.GELUSeconds), units.Seconds(o.SwiGLUSeconds),
		units.Seconds(o.RoPESeconds), units.Seconds(o.AddSeconds), units.Seconds(o.AddFreshSeconds), units.Seconds(o.CopySeconds)))
	t.AddRow("calibration rounds", fmt.Sprintf("%d threads; spread %.0f%% (at most %.0f%%, %s)", o.Threads, 100*o.Spread, 100*o.MaxSpread, o.MaxSpreadProbe))
}

// WriteHardwareList is kvsim hardware: the table, then each device's source.
func WriteHardwareList(w io.Writer, all []cost.Hardware) error {
	if err := HardwareTable(all).WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nFLOP/s are dense (no 2:4 sparsity). Sources:")
	for _, h := range all {
		fmt.Fprintf(w, "  %s: %s\n", h.Name, h.Source)
	}
	return nil
}
