package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
)

func runEngines(args []string, e *env) error {
	fs := flag.NewFlagSet("engines", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON: an array of every profile, or one object for a named one")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: kvsim engines [NAME] [--json]\n\n"+
			"Lists the execution profiles kvsim predict --engine takes: how each engine launches\n"+
			"kernels, its host costs, its memory fraction, and where every constant comes from.\n\n")
		fs.PrintDefaults()
	}
	names, err := parse(fs, args, e)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return usagef("give at most one engine name, got %s", joinQuoted(names))
	}
	if len(names) == 1 {
		eng, err := cost.LookupEngine(names[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, eng)
		}
		return writeEngineDetail(e.stdout, eng)
	}
	all := cost.Engines()
	if *asJSON {
		return writeJSON(e, all)
	}
	if err := enginesTable(all).WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nkvsim engines NAME shows one profile with its sources; --exec eager and graph stand for pytorch-eager and vllm.")
	return nil
}

func enginesTable(all []cost.Engine) report.Table {
	t := report.Table{Title: "Execution profiles", Columns: []report.Column{{Name: "name"}, {Name: "aliases"},
		{Name: "decode"}, {Name: "prefill"}, {Name: "launch", Unit: "host"}, {Name: "per step", Unit: "host"},
		{Name: "sync per step"}, {Name: "memory"}, {Name: "engine"}}}
	for _, x := range all {
		t.AddRow(x.Name, strings.Join(x.Aliases, ", "), execLabel(x.Decode), execLabel(x.Prefill),
			report.Seconds(x.LaunchSeconds), report.Seconds(x.StepSeconds), fmt.Sprint(x.SyncPerStep), memoryLabel(x), x.Title)
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

func writeEngineDetail(w io.Writer, x cost.Engine) error {
	t := report.Table{Title: x.Name + ": " + x.Title, Columns: []report.Column{{Name: "constant"}, {Name: "value"}}}
	t.AddRow("aliases", strings.Join(x.Aliases, ", "))
	t.AddRow("decode steps", execLabel(x.Decode))
	t.AddRow("prefills", execLabel(x.Prefill))
	t.AddRow("host per eager launch", report.Seconds(x.LaunchSeconds))
	t.AddRow("host per call that launches nothing", report.Seconds(x.HostOpSeconds))
	t.AddRow("host per graph replay", report.Seconds(x.ReplaySeconds))
	t.AddRow("host per step", report.Seconds(x.StepSeconds))
	t.AddRow("waits for each step's tokens", fmt.Sprint(x.SyncPerStep))
	t.AddRow("sampler kernels per step", fmt.Sprint(x.SamplerKernels))
	t.AddRow("fused attention (no score matrix)", fmt.Sprint(x.FlashAttention))
	t.AddRow("GQA: K/V copied per query head", fmt.Sprint(x.ExpandKV))
	t.AddRow("GQA: K/V read per query head", fmt.Sprint(x.KVReadsPerQueryHead))
	t.AddRow("MLA decode with absorbed weights", fmt.Sprint(x.MLAAbsorbed))
	if x.PrefillChunk > 0 {
		t.AddRow("prompt micro-batch", fmt.Sprintf("%d tokens", x.PrefillChunk))
	}
	if x.AllReduceSeconds > 0 {
		t.AddRow("all-reduce latency", report.Seconds(x.AllReduceSeconds))
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
