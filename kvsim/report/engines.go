package report

import (
	"fmt"
	"io"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/units"
)

// EnginesTable lists the execution profiles, one row each.
func EnginesTable(all []cost.Engine) Table {
	t := Table{Title: "Execution profiles", Columns: []Column{{Name: "name"}, {Name: "aliases"},
		{Name: "decode"}, {Name: "prefill"}, {Name: "launch", Unit: "host"}, {Name: "per step", Unit: "host"},
		{Name: "sync per step"}, {Name: "memory"}, {Name: "engine"}}}
	for _, x := range all {
		t.AddRow(x.Name, strings.Join(x.Aliases, ", "), execLabel(x.Decode), execLabel(x.Prefill),
			units.Seconds(x.LaunchSeconds), units.Seconds(x.StepSeconds), fmt.Sprint(x.SyncPerStep), memoryLabel(x), x.Title)
	}
	return t
}

func execLabel(x cost.Execution) string { return fmt.Sprintf("%s/%s", x.Exec, x.Plan) }

func memoryLabel(x cost.Engine) string {
	s := fmt.Sprintf("%.2f", x.MemoryFraction)
	if x.MemoryOfFree {
		s += " of free"
	}
	if len(x.MemoryFractionByTP) > 0 {
		s += " (less at higher TP)"
	}
	return s
}

// WriteEngineDetail writes one profile in full, with its sources.
func WriteEngineDetail(w io.Writer, x cost.Engine) error {
	t := Table{Title: x.Name + ": " + x.Title, Columns: []Column{{Name: "constant"}, {Name: "value"}}}
	t.AddRow("aliases", strings.Join(x.Aliases, ", "))
	t.AddRow("decode steps", execLabel(x.Decode))
	t.AddRow("prefills", execLabel(x.Prefill))
	t.AddRow("host per eager launch", units.Seconds(x.LaunchSeconds))
	t.AddRow("host per call that launches nothing", units.Seconds(x.HostOpSeconds))
	t.AddRow("host per graph replay", units.Seconds(x.ReplaySeconds))
	t.AddRow("host per step", units.Seconds(x.StepSeconds))
	t.AddRow("waits for each step's tokens", fmt.Sprint(x.SyncPerStep))
	t.AddRow("sampler kernels per step", fmt.Sprint(x.SamplerKernels))
	t.AddRow("fused attention (no score matrix)", fmt.Sprint(x.FlashAttention))
	t.AddRow("GQA: K/V copied per query head", fmt.Sprint(x.ExpandKV))
	t.AddRow("GQA: K/V read per query head", fmt.Sprint(x.KVReadsPerQueryHead))
	t.AddRow("MLA decode with absorbed weights", fmt.Sprint(x.MLAAbsorbed))
	if x.PrefillChunk > 0 {
		t.AddRow("prompt micro-batch", fmt.Sprintf("%d tokens", x.PrefillChunk))
	}
	t.AddRow("tensor-parallel all-reduce", x.AllReduce)
	if x.AllReduceSeconds > 0 {
		t.AddRow("all-reduce latency", units.Seconds(x.AllReduceSeconds))
	}
	if x.ReplicatedLMHead {
		t.AddRow("LM head under TP", "whole on every device")
	}
	if !x.FlashAttention && x.ScoreBytes > 0 {
		t.AddRow("bytes per attention score", fmt.Sprintf("%g", x.ScoreBytes))
	}
	if c := x.TopP; c != nil {
		for i, b := range c.Batches {
			t.AddRow(fmt.Sprintf("top-p sort per step, batch %d", b), fmt.Sprintf("%s at vocabulary %d", units.Seconds(c.Seconds[i]), c.Vocab))
		}
	}
	t.AddRow("memory fraction", memoryLabel(x))
	for _, tp := range []int{2, 4, 8, 16} {
		if f := x.Fraction(tp); len(x.MemoryFractionByTP) > 0 && f != x.MemoryFraction {
			t.AddRow(fmt.Sprintf("  at TP %d", tp), fmt.Sprintf("%.2f", f))
		}
	}
	if err := t.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nSources:")
	for _, s := range x.Sources {
		fmt.Fprintf(w, "  - %s\n", s)
	}
	return nil
}
