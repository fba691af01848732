package main

import (
	"fmt"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/decoder"
	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
)

const benchUsage = `Usage: kvsim bench [--model NAME] [--prompt P] [--new N] [--cache on|off|both]
                   [--cache-tokens C --bounded recompute|window] [--repeat R] [--seed S] [--predict] [--json]
       kvsim bench --sweep [--sweep-budget 3m] [--prompt P] [--new N] [--repeat R] [--json]

Runs a real transformer forward pass on this CPU and times every generated token
with and/or without a KV cache: a few untimed warm-up tokens, then --repeat runs
of each path in turn; times are medians, with the runs' range beside them.
--sweep measures the cache's speedup on every catalog model that fits in memory
and the time budget, smallest first.

`

func runBench(args []string, e *env) error {
	f := newFlags("bench", benchUsage)
	name := f.String("model", "gpt-tiny", "model `NAME` from the catalog (kvsim models)")
	prompt := f.Int("prompt", decoder.DefaultPrompt, "prompt length in `tokens` (random ids from --seed)")
	newTokens := f.Int("new", decoder.DefaultNew, "`tokens` to generate")
	cache := f.String("cache", "both", "run with a KV cache (on), without (off), or both and compare")
	cacheTokens := f.Int("cache-tokens", 0, "bound the cache to `C` tokens (default: every position)")
	f.String("bounded", "", "with --cache-tokens, what the bounded cache does: recompute (exact) or window (sliding window + attention sinks)")
	f.alias("policy", "bounded")
	sinks := f.Int("sinks", 0, "window: attention-sink tokens kept (default 4)")
	seed := f.Uint64("seed", 1, "seed of the random weights and prompt")
	threads := f.Int("threads", 0, "goroutines per matmul (default: one per core)")
	weights := f.String("weights", "", "safetensors `FILE`, its model.safetensors.index.json (shards), or their folder; GPT-2 or LLaMA tensor names, F32/F16/BF16 (default: random weights)")
	asJSON := f.Bool("json", false, "print the full result as JSON")
	predict := f.Bool("predict", false, "also predict every decode step with the this-cpu cost model, calibrated here first (about a second), and print the error")
	repeat := f.Int("repeat", 3, "timed runs of each path, the paths in turn (`R`)")
	warmUp := f.Int("warmup", decoder.DefaultWarmUp, "untimed `tokens` each path generates first (0: none)")
	sweep := f.Bool("sweep", false, "measure the speedup on every catalog model that fits memory and --sweep-budget, smallest first (default 16+16 tokens)")
	budget := f.Duration("sweep-budget", 3*time.Minute, "--sweep: skip a model whose run, extrapolated from the one before, would end past this `duration`")
	modelFile := addModelFileFlag(f)
	if _, err := f.parse(args, e, 0, "the model goes in --model NAME"); err != nil {
		return err
	}
	bounded, boundedGiven, err := f.pick("bounded", "policy")
	if err != nil {
		return err
	}
	bounds := f.given["cache-tokens"]
	if err := atLeast(minimum{"prompt", *prompt, 1}, minimum{"new", *newTokens, 1}, minimum{"repeat", *repeat, 1}, minimum{"warmup", *warmUp, 0}); err != nil {
		return err
	}
	if *warmUp == 0 {
		*warmUp = -1 // none
	}
	if *sweep {
		return runSweep(f, e, *prompt, *newTokens, *repeat, *warmUp, *budget, *seed, *threads, *modelFile, *asJSON)
	}
	switch {
	case bounds && *cacheTokens <= 0:
		return usagef("--cache-tokens %d: a cache holds at least 1 token (leave the flag out for an unbounded cache)", *cacheTokens)
	case boundedGiven && !bounds:
		return usagef("--bounded needs --cache-tokens: an unbounded cache evicts nothing")
	case bounds && !boundedGiven:
		return usagef("--cache-tokens needs --bounded recompute or --bounded window")
	case *predict && bounds:
		return usagef("--predict prices a full cache and no cache; drop --cache-tokens")
	case *predict && *newTokens < 2:
		return usagef("--predict compares decode steps; give --new 2 or more")
	}
	mode, err := decoder.ParseCacheMode(*cache)
	if err != nil {
		return usagef("%v", err)
	}
	var policy decoder.Policy
	if boundedGiven {
		if policy, err = decoder.ParsePolicy(bounded); err != nil {
			return usagef("%v", err)
		}
	}
	cat, err := loadCatalog(*modelFile)
	if err != nil {
		return err
	}
	spec, err := cat.Lookup(*name)
	if err != nil {
		return err
	}
	var pred *cost.Predictor
	if *predict { // calibrate before the run, as a notebook would
		hw, err := cost.NewCalibrator(cost.MeasureDecoderKernelsOn(*threads)).Hardware()
		if err != nil {
			return err
		}
		if pred, err = cost.New(spec, hw, cost.Options{}); err != nil {
			return err
		}
	}
	opt := decoder.BenchOptions{Prompt: *prompt, New: *newTokens, Cache: mode, CacheTokens: *cacheTokens,
		Policy: policy, Sinks: *sinks, Seed: *seed, Threads: *threads, WeightsFile: *weights, Repeat: *repeat, WarmUp: *warmUp}
	if e.stderrIsTerminal {
		opt.Progress = func(p decoder.Progress) { progressLine(e, spec.Name, p) }
	}
	res, err := decoder.Run(spec, opt)
	if e.stderrIsTerminal {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	var cmp []cost.DecodeComparison
	for _, p := range []struct {
		run    *decoder.PathResult
		cached bool
	}{{res.Cached, true}, {res.Uncached, false}} {
		if pred == nil || p.run == nil {
			continue
		}
		c, err := pred.CompareDecode(res.Prompt, p.cached, p.run.PerTokenS[1:])
		if err != nil {
			return err
		}
		cmp = append(cmp, c)
	}
	if *asJSON {
		if pred == nil {
			return writeJSON(e, res)
		}
		return writeJSON(e, struct {
			*decoder.BenchResult
			Prediction []cost.DecodeComparison `json:"prediction"`
			Hardware   cost.Hardware           `json:"prediction_hardware"`
		}{res, cmp, pred.Hardware()})
	}
	if err := report.BenchTable(res).WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nfirst token = the prompt's prefill; decode tok/s excludes it.")
	if res.Cached != nil && res.Uncached != nil {
		fmt.Fprintf(e.stdout, "speedup with the cache: %.2fx (%.2fx-%.2fx over %d runs, %s); same tokens: %v; max |logit diff| %.3g (%.2g relative)\n",
			res.Speedup, res.SpeedupSpread.Min, res.SpeedupSpread.Max, res.Repeat, res.Ranking.Label(), res.SameTokens, res.MaxAbsLogitDiff, res.MaxRelLogitDiff)
	}
	if b := busyLine(res.OthersBusy); b != "" {
		fmt.Fprintln(e.stdout, b[1:])
	}
	if d := res.Divergence; d != nil {
		fmt.Fprintf(e.stdout, "window vs full cache (same tokens fed): top-1 agreement %.1f%%, KL mean %.3g max %.3g nats\n",
			100*d.Top1Agreement, d.MeanKL, d.MaxKL)
	}
	if pred == nil {
		return nil
	}
	fmt.Fprintln(e.stdout)
	if err := report.DecodeComparisonTable(cmp).WriteText(e.stdout); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "\nlast step = median of the last 8 decode steps. this-cpu: %s\n", pred.Hardware().Source)
	return err
}

// progressLine redraws a terminal's progress line.
func progressLine(e *env, name string, p decoder.Progress) {
	run := ""
	if p.Repeats > 0 {
		run = fmt.Sprintf(" (run %d/%d)", p.Repeat, p.Repeats)
	}
	fmt.Fprintf(e.stderr, "\r\033[K%s %s%s: %d/%d", name, p.Phase, run, p.Done, p.Total)
}

// runSweep is kvsim bench --sweep: study.MeasureSpeedups over the catalog.
func runSweep(f *flags, e *env, prompt, newTokens, repeat, warmUp int, budget time.Duration, seed uint64, threads int, modelFile string, asJSON bool) error {
	for _, name := range []string{"model", "cache", "cache-tokens", "bounded", "policy", "predict", "weights"} {
		if f.given[name] {
			return usagef("--sweep runs every catalog model with and without a cache; drop --%s", name)
		}
	}
	if !f.given["prompt"] {
		prompt = 16
	}
	if !f.given["new"] {
		newTokens = 16
	}
	if newTokens < 2 {
		return usagef("--sweep compares decode steps; give --new 2 or more")
	}
	cat, err := loadCatalog(modelFile)
	if err != nil {
		return err
	}
	s := study.SpeedupSettings{Models: study.SweepModels(cat), Prompt: prompt, New: newTokens, Repeat: repeat, WarmUp: warmUp,
		Budget: budget, Seed: seed, Threads: threads}
	if e.stderrIsTerminal {
		s.Progress = func(name string, p decoder.Progress) { progressLine(e, name, p) }
	}
	st, err := study.MeasureSpeedups(e.context(), s)
	if e.stderrIsTerminal {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e, st)
	}
	if err := study.SpeedupTable(st).WriteText(e.stdout); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "\n%s.%s\n", st.Trend.Verdict, busyLine(st.OthersBusy))
	return err
}

// busyLine says when other processes kept the machine busy.
func busyLine(busy *float64) string {
	if busy == nil || *busy < study.BusyCores {
		return ""
	}
	return fmt.Sprintf(" Busy machine: other processes kept %.1f cores busy meanwhile.", *busy)
}
