package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"kvcache/kvsim/atomicfile"
	"kvcache/kvsim/study"
	"kvcache/kvsim/workload"
	"kvcache/widgets"
	"kvcache/widgets/figures"
)

const reportUsage = `Usage: kvsim report --out DIR [--model NAME] [--hardware NAME] [--workload NAME | --trace FILE] [flags]

Runs every study of notebooks/kvcache.ipynb and writes, into DIR:
  kvcache-report.html   the notebook's figures as one standalone page (works offline;
                        its sliders and pickers work without a kernel)
  kvcache-report.csv    the headline numbers; .json adds the environment and findings; .md all three
  data/*.json           each study's full result

  kvsim report --out reports
  kvsim report --out /tmp/r --model llama3-70b --hardware a100-80gb --workload rag
  kvsim report --out /tmp/r --trace mooncake_conversation_trace.jsonl

Workloads: %s.

`

func runReport(args []string, e *env) error {
	def, sz := study.DefaultPicks(), study.DefaultSizes()
	f := newFlags("report", fmt.Sprintf(reportUsage, strings.Join(workload.Names(), ", ")))
	out := f.String("out", "", "write the page and data files into `DIR` (created if missing)")
	p := def
	f.StringVar(&p.SmallModel, "small-model", def.SmallModel, "model `NAME` that runs on this CPU (sections 2, 3, 6)")
	f.StringVar(&p.BigModel, "model", def.BigModel, "big model `NAME` predicted on the hardware (sections 3, 8)")
	f.StringVar(&p.ServingModel, "serving-model", def.ServingModel, "model `NAME` whose KV blocks fill the prefix cache (section 5)")
	f.StringVar(&p.Hardware, "hardware", def.Hardware, "hardware preset `NAME` (kvsim hardware)")
	f.StringVar(&p.Workload, "workload", def.Workload, "synthetic workload `NAME` for the cache study")
	f.StringVar(&p.Trace, "trace", "", "replay a Mooncake JSONL trace `FILE` instead of the workload")
	f.Uint64Var(&p.Seed, "seed", def.Seed, "seed of the weights, prompts and workload")
	f.StringVar(&p.ModelFile, "model-file", "", "add models from a JSON `FILE` (one spec or an array; see README)")
	f.Float64Var(&p.MemoryFraction, "memory-fraction", 0, "share of device memory the engines may use when placing a model, in (0, 1] (default: each engine's, e.g. vllm 0.9)")
	f.IntVar(&sz.Prompt, "prompt", sz.Prompt, "section 2: prompt `tokens` of the measured generation")
	f.IntVar(&sz.New, "new", sz.New, "section 2: `tokens` it generates")
	f.IntVar(&sz.LongPrompt, "long-prompt", sz.LongPrompt, "section 6: prompt `tokens` of the long generation")
	f.IntVar(&sz.LongNew, "long-new", sz.LongNew, "section 6: `tokens` it generates")
	f.Var((*ints)(&sz.CacheTokens), "cache-tokens", "section 6: bounded cache capacities in tokens (`N[,N...]`)")
	f.IntVar(&sz.CapacityPoints, "capacities", sz.CapacityPoints, fmt.Sprintf("section 5: capacities of the slider (`N`, at most %d)", study.MaxCapacityPoints))
	f.IntVar(&sz.Repeat, "repeat", sz.Repeat, "sections 2 and 6, the sweep: timed runs of each path, the paths in turn (`R`)")
	sweep := f.String("sweep-models", strings.Join(sz.SweepModels, ","), "section 2: models of the speedup sweep (`NAME[,NAME...]`)")
	progress := addProgressFlag(f, e)
	if _, err := f.parse(args, e, 0, "give the output folder with --out DIR"); err != nil {
		return err
	}
	sz.SweepModels = splitList(*sweep)
	switch {
	case *out == "":
		return usagef("give --out DIR, the folder for the page and the data files")
	case f.given["trace"] && f.given["workload"]:
		return usagef("give --workload NAME or --trace FILE, not both")
	case f.given["memory-fraction"] && !(p.MemoryFraction > 0 && p.MemoryFraction <= 1):
		return usagef("--memory-fraction must be in (0, 1], got %g", p.MemoryFraction)
	}
	if err := atLeast(minimum{"prompt", sz.Prompt, 1}, minimum{"new", sz.New, 2}, minimum{"long-prompt", sz.LongPrompt, 1},
		minimum{"long-new", sz.LongNew, 2}, minimum{"capacities", sz.CapacityPoints, 2}, minimum{"repeat", sz.Repeat, 1}); err != nil {
		return err
	}
	// Before any work: the page has its chart library (a build made before
	// `make assets` has none; checked first, it changes nothing), the folder
	// takes files, the picks and sizes can run.
	if _, err := widgets.SetupHTML(); err != nil {
		return err
	}
	if err := atomicfile.CheckDir(filepath.Join(*out, "data")); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	lab, err := study.NewLab(p, *out)
	if err != nil {
		return err
	}
	unlock, err := lab.Lock("kvsim report")
	if err != nil {
		return err
	}
	defer unlock()
	pr, onProgress := newProgress(e, *progress)
	defer pr.Done()
	lab.Sizes, lab.Log, lab.Progress = sz, nil, onProgress
	if pr != nil {
		lab.Log = pr
	}
	start := time.Now()
	r, err := lab.RunAll(e.context())
	if err != nil {
		return settingsError(err)
	}
	rep := study.NewReport(r)
	if err := rep.Write(*out); err != nil {
		return err
	}
	html := filepath.Join(*out, "kvcache-report.html")
	if err := figures.Page(rep).WriteFile(html); err != nil {
		return err
	}
	if pr != nil {
		fmt.Fprintf(pr, "done in %.1f s\n", time.Since(start).Seconds())
	}
	for _, file := range append([]string{html}, rep.Files...) {
		fmt.Fprintln(e.stdout, file)
	}
	_, err = fmt.Fprintln(e.stdout, filepath.Join(*out, "data")+string(filepath.Separator))
	return err
}
