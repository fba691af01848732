package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
)

func runHardware(args []string, e *env) error {
	fs := flag.NewFlagSet("hardware", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON: an array of every preset, or one object for a named preset")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: kvsim hardware [NAME] [--json]\n\n"+
			"Lists the hardware presets with their datasheet figures and sources;\n"+
			"this-cpu is measured on this machine with the decoder's own code (about a second).\n\n")
		fs.PrintDefaults()
	}
	names, err := parse(fs, args, e)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return usagef("give at most one hardware name, got %s", joinQuoted(names))
	}
	cal := cost.NewCalibrator(nil)
	if len(names) == 1 {
		h, err := cost.LookupHardware(names[0], cal)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, h)
		}
		return writeHardwareDetail(e.stdout, h)
	}
	all, err := cost.AllHardware(cal)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e, all)
	}
	if err := hardwareTable(all).WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nFLOP/s are dense (no 2:4 sparsity). Sources:")
	for _, h := range all {
		fmt.Fprintf(e.stdout, "  %s: %s\n", h.Name, h.Source)
	}
	return nil
}

var tableDTypes = []model.DType{model.FP32, model.FP16, model.BF16, model.FP8, model.INT8}

func hardwareTable(all []cost.Hardware) report.Table {
	cols := []report.Column{{Name: "name"}, {Name: "device"}, {Name: "memory"}, {Name: "bandwidth", Unit: "GB/s"}}
	for _, d := range tableDTypes {
		cols = append(cols, report.Column{Name: string(d), Unit: "FLOP/s"})
	}
	cols = append(cols, report.Column{Name: "max TP"}, report.Column{Name: "link", Unit: "GB/s each way"})
	t := report.Table{Title: "Hardware presets", Columns: cols}
	for _, h := range all {
		row := []string{h.Name, h.Device, report.Bytes(float64(h.MemoryBytes)), fmt.Sprintf("%.4g", h.MemoryBandwidth/1e9)}
		for _, d := range tableDTypes {
			row = append(row, flops(h.PeakFLOPS[d]))
		}
		link := "-"
		if h.LinkBandwidth > 0 {
			link = fmt.Sprintf("%.4g", h.LinkBandwidth/1e9)
		}
		t.AddRow(append(row, fmt.Sprint(h.MaxTP), link)...)
	}
	return t
}

func writeHardwareDetail(w io.Writer, h cost.Hardware) error {
	t := report.Table{Title: h.Name + ": " + h.Device, Columns: []report.Column{{Name: "figure"}, {Name: "value"}}}
	for _, d := range h.DTypes() {
		t.AddRow("peak "+string(d), flops(h.PeakFLOPS[d])+"FLOP/s")
		if v := h.MatvecFLOPS[d]; v > 0 {
			t.AddRow("matvec "+string(d), flops(v)+"FLOP/s")
		}
	}
	t.AddRow("memory", report.Bytes(float64(h.MemoryBytes)))
	t.AddRow("bandwidth", fmt.Sprintf("%.4g GB/s", h.MemoryBandwidth/1e9))
	t.AddRow("compute efficiency", fmt.Sprintf("%.2f", h.ComputeEfficiency))
	t.AddRow("bandwidth efficiency", fmt.Sprintf("%.2f", h.BandwidthEfficiency))
	t.AddRow("kernel gap (device)", report.Seconds(h.KernelGapSeconds))
	if h.FP16AccumulateFLOPS > 0 {
		t.AddRow("fp16 with fp16 accumulate", flops(h.FP16AccumulateFLOPS)+"FLOP/s")
	}
	if o := h.CPU; o != nil {
		addCPUOps(&t, o)
	}
	t.AddRow("max TP", fmt.Sprint(h.MaxTP))
	if h.LinkBandwidth > 0 {
		t.AddRow("link", fmt.Sprintf("%s: %.4g GB/s each way, efficiency %.2f, all-reduce latency %s",
			h.Link, h.LinkBandwidth/1e9, h.LinkEfficiency, report.Seconds(h.AllReduceLatency)))
	}
	t.AddRow("default dtype", string(h.DefaultDType))
	if err := t.WriteText(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nSource: %s\n", h.Source)
	return err
}

// flops formats a rate with an SI prefix: 989.4 T, 14.6 G.
func flops(v float64) string {
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
func addCPUOps(t *report.Table, o *cost.CPUOps) {
	var ladder []string
	for _, m := range o.Matvec {
		ladder = append(ladder, fmt.Sprintf("%s %sFLOP/s", report.Bytes(float64(m.Bytes)), flops(m.FLOPS)))
	}
	t.AddRow("matvec by working set", strings.Join(ladder, ", "))
	t.AddRow("matmul, each further row", fmt.Sprintf("%sFLOP/s + %s per output", flops(o.MatmulRowFLOPS), report.Seconds(o.MatmulOutputSeconds)))
	t.AddRow("attention (thread time)", fmt.Sprintf("%s per (row, head) + %s per position + %s per position and head_dim value",
		report.Seconds(o.AttentionItemSeconds), report.Seconds(o.AttentionPositionSeconds), report.Seconds(o.AttentionDimSeconds)))
	t.AddRow("element-wise, per value", fmt.Sprintf("layernorm %s, rmsnorm %s, gelu %s, swiglu %s, rope %s, add %s (fresh %s), copy %s",
		report.Seconds(o.LayerNormSeconds), report.Seconds(o.RMSNormSeconds), report.Seconds(o.GELUSeconds), report.Seconds(o.SwiGLUSeconds),
		report.Seconds(o.RoPESeconds), report.Seconds(o.AddSeconds), report.Seconds(o.AddFreshSeconds), report.Seconds(o.CopySeconds)))
	t.AddRow("calibration rounds", fmt.Sprintf("%d threads; spread %.0f%% (at most %.0f%%, %s)", o.Threads, 100*o.Spread, 100*o.MaxSpread, o.MaxSpreadProbe))
}
