package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
	def, sz := figures.DefaultSettings(), figures.DefaultSizes()
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	out := fs.String("out", "", "write the page and data files into `DIR` (created if missing)")
	small := fs.String("small-model", def.SmallModel, "model `NAME` that runs on this CPU (sections 2, 3, 6)")
	big := fs.String("model", def.BigModel, "big model `NAME` predicted on the hardware (sections 3, 8)")
	serving := fs.String("serving-model", def.ServingModel, "model `NAME` whose KV blocks fill the prefix cache (section 5)")
	hw := fs.String("hardware", def.Hardware, "hardware preset `NAME` (kvsim hardware)")
	wl := fs.String("workload", def.Workload, "synthetic workload `NAME` for the cache study")
	trace := fs.String("trace", "", "replay a Mooncake JSONL trace `FILE` instead of the workload")
	seed := fs.Uint64("seed", def.Seed, "seed of the weights, prompts and workload")
	modelFile := addModelFileFlag(fs)
	prompt := fs.Int("prompt", sz.Prompt, "section 2: prompt `tokens` of the measured generation")
	newTokens := fs.Int("new", sz.New, "section 2: `tokens` it generates")
	longPrompt := fs.Int("long-prompt", sz.LongPrompt, "section 6: prompt `tokens` of the long generation")
	longNew := fs.Int("long-new", sz.LongNew, "section 6: `tokens` it generates")
	cacheTokens := fs.String("cache-tokens", joinInts(sz.CacheTokens), "section 6: bounded cache capacities in tokens (`N[,N...]`)")
	capacities := fs.Int("capacities", sz.Capacities, "section 5: capacities of the slider (`N`)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), reportUsage, strings.Join(workload.Names(), ", "))
		fs.PrintDefaults()
	}
	rest, err := parse(fs, args, e)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case len(rest) > 0:
		return usagef("unexpected argument %s; give the output folder with --out DIR", joinQuoted(rest))
	case *out == "":
		return usagef("give --out DIR, the folder for the page and the data files")
	case set["trace"] && set["workload"]:
		return usagef("give --workload NAME or --trace FILE, not both")
	}
	for _, n := range []struct {
		flag string
		v    int
		min  int
	}{{"prompt", *prompt, 1}, {"new", *newTokens, 2}, {"long-prompt", *longPrompt, 1}, {"long-new", *longNew, 2}, {"capacities", *capacities, 2}} {
		if n.v < n.min {
			return usagef("--%s %d: give at least %d", n.flag, n.v, n.min)
		}
	}
	caps, err := parseTokenList(*cacheTokens)
	if err != nil {
		return err
	}
	// The page embeds the chart library: a build made before `make assets` has none, so say so before any work.
	if _, err := widgets.SetupHTML(); err != nil {
		return err
	}
	settings := figures.Settings{SmallModel: *small, BigModel: *big, ServingModel: *serving, Hardware: *hw, Workload: *wl, Trace: *trace, ModelFile: *modelFile, Seed: *seed}
	lab, err := figures.NewLab(settings, *out)
	if err != nil {
		return err
	}
	lab.Live, lab.Log = false, nil
	if e.stderrIsTerminal {
		lab.Log = e.stderr
	}
	lab.Sizes = figures.Sizes{Prompt: *prompt, New: *newTokens, LongPrompt: *longPrompt, LongNew: *longNew, CacheTokens: caps,
		Capacities: *capacities, SeriesPoints: sz.SeriesPoints, ContextPoints: sz.ContextPoints}
	start := time.Now()
	page, err := reportPage(lab)
	if err != nil {
		return err
	}
	rep, err := lab.Report()
	if err != nil {
		return err
	}
	page.Heading("7. Performance data").Add(figures.EnvironmentTable(rep.Results), figures.MetricsTable(rep.Results)).
		Heading("8. Findings").Add(figures.FindingsTable(rep.Findings)).Text(chartLibraryNotice())
	html := filepath.Join(*out, "kvcache-report.html")
	if err := page.WriteFile(html); err != nil {
		return err
	}
	if lab.Log != nil {
		fmt.Fprintf(lab.Log, "done in %.1f s\n", time.Since(start).Seconds())
	}
	return listFiles(e.stdout, append([]string{html}, rep.Files...), filepath.Join(*out, "data"))
}

// reportPage runs the studies of sections 1 to 6 and lays out their figures.
func reportPage(lab *figures.Lab) (*widgets.Page, error) {
	s := lab.Settings
	page := widgets.NewPage(fmt.Sprintf("What a KV cache does: %s on %s, %s", s.BigModel, s.Hardware, workloadLabel(s))).
		Text("Computed by kvsim (kvsim report); the same figures as notebooks/kvcache.ipynb. Sliders and pickers work in this file, offline.").
		Heading("1. The chosen models").Add(figures.ModelTable(lab))
	run, err := lab.Measure()
	if err != nil {
		return nil, err
	}
	page.Heading("2. Measured on this CPU").
		Text("A real float32 transformer generates tokens with a KV cache and again without one; every token is timed.").
		Add(figures.MeasuredLatency(run))
	pred, err := lab.Predict()
	if err != nil {
		return nil, err
	}
	cmp, err := lab.CompareCPU()
	if err != nil {
		return nil, err
	}
	page.Heading("3. Predicted for big models").
		Text("A roofline cost model prices each step from FLOPs, bytes and kernel launches on datasheet hardware; below, the same model on this CPU beside the measurement.").
		Add(figures.PredictedLatency(pred), figures.ModelVsMeasurement(cmp))
	kv, err := lab.KV()
	if err != nil {
		return nil, err
	}
	page.Heading("4. KV memory across architectures").Add(figures.KVMemory(kv), figures.KVTable(kv))
	st, err := lab.Cache()
	if err != nil {
		return nil, err
	}
	page.Heading("5. Cache size on a serving workload").
		Text("The workload replayed through a prefix cache at every capacity of the slider; the curves mark the slider's capacity and the memory one node leaves for the cache.").
		Add(figures.CacheSize(st))
	ps, err := lab.Policies()
	if err != nil {
		return nil, err
	}
	page.Heading("6. A bounded cache on one long generation").
		Text("Recompute (exact, slower) against a sliding window with attention sinks (fast, approximate), measured with random weights.").
		Add(figures.BoundedCache(ps))
	return page, nil
}

func workloadLabel(s figures.Settings) string {
	if s.Trace != "" {
		return "trace " + filepath.Base(s.Trace)
	}
	return s.Workload
}

func listFiles(w io.Writer, files []string, dataDir string) error {
	for _, f := range files {
		if _, err := fmt.Fprintln(w, f); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, dataDir+string(filepath.Separator))
	return err
}

func parseTokenList(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, usagef("--cache-tokens %q: give whole numbers of tokens, e.g. 16,32,64", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, usagef("--cache-tokens is empty: give at least one capacity in tokens")
	}
	return out, nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// chartLibraryNotice credits the chart library the page embeds, as its
// Apache-2.0 license asks (NOTICE).
func chartLibraryNotice() string {
	return "Charts drawn with Apache ECharts " + widgets.LibraryVersion() + ", embedded in this page: Copyright The Apache Software Foundation, " +
		"licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0). " +
		"This product includes software developed at The Apache Software Foundation (https://www.apache.org/)."
}
