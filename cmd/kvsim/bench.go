package main

import (
	"flag"
	"fmt"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/decoder"
	"kvcache/kvsim/report"
)

func runBench(args []string, e *env) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	name := fs.String("model", "gpt-tiny", "model `NAME` from the catalog (kvsim models)")
	prompt := fs.Int("prompt", decoder.DefaultPrompt, "prompt length in `tokens` (random ids from --seed)")
	newTokens := fs.Int("new", decoder.DefaultNew, "`tokens` to generate")
	cache := fs.String("cache", "both", "run with a KV cache (on), without (off), or both and compare")
	cacheTokens := fs.Int("cache-tokens", 0, "bound the cache to `C` tokens (default: every position)")
	policy := fs.String("policy", "", "with --cache-tokens: recompute (exact) or window (sliding window + attention sinks)")
	sinks := fs.Int("sinks", 0, "window policy: attention-sink tokens kept (default 4)")
	seed := fs.Uint64("seed", 1, "seed of the random weights and prompt")
	threads := fs.Int("threads", 0, "goroutines per matmul (default: one per core)")
	weights := fs.String("weights", "", "safetensors `FILE`, its model.safetensors.index.json (shards), or their folder; GPT-2 or LLaMA tensor names, F32/F16/BF16 (default: random weights)")
	asJSON := fs.Bool("json", false, "print the full result as JSON")
	predict := fs.Bool("predict", false, "also predict every decode step with the this-cpu cost model, calibrated here first (about a second), and print the error")
	modelFile := addModelFileFlag(fs)
	fs.Usage = func() {
		fs.Output().Write([]byte("Usage: kvsim bench [--model NAME] [--prompt P] [--new N] [--cache on|off|both]\n" +
			"                   [--cache-tokens C --policy recompute|window] [--seed S] [--predict] [--json]\n\n" +
			"Runs a real transformer forward pass on this CPU and times every generated token\n" +
			"with and/or without a KV cache.\n\n"))
		fs.PrintDefaults()
	}
	rest, err := parse(fs, args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected arguments %s", joinQuoted(rest))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case *prompt <= 0:
		return usagef("--prompt %d: give at least 1 token", *prompt)
	case *newTokens <= 0:
		return usagef("--new %d: give at least 1 token", *newTokens)
	case set["cache-tokens"] && *cacheTokens <= 0:
		return usagef("--cache-tokens %d: a cache holds at least 1 token (leave the flag out for an unbounded cache)", *cacheTokens)
	case set["policy"] && !set["cache-tokens"]:
		return usagef("--policy needs --cache-tokens: an unbounded cache evicts nothing")
	case set["cache-tokens"] && !set["policy"]:
		return usagef("--cache-tokens needs --policy recompute or --policy window")
	case *predict && set["cache-tokens"]:
		return usagef("--predict prices a full cache and no cache; drop --cache-tokens")
	case *predict && *newTokens < 2:
		return usagef("--predict compares decode steps; give --new 2 or more")
	}
	mode, err := decoder.ParseCacheMode(*cache)
	if err != nil {
		return usagef("%v", err)
	}
	var pol decoder.Policy
	if set["policy"] {
		if pol, err = decoder.ParsePolicy(*policy); err != nil {
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
		Policy: pol, Sinks: *sinks, Seed: *seed, Threads: *threads, WeightsFile: *weights}
	if e.stderrIsTerminal {
		opt.Progress = func(p decoder.Progress) {
			fmt.Fprintf(e.stderr, "\r\033[K%s %s: %d/%d", spec.Name, p.Phase, p.Done, p.Total)
		}
	}
	res, err := decoder.Run(spec, opt)
	if e.stderrIsTerminal {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	var cmp []cost.DecodeComparison
	if pred != nil {
		for _, p := range []struct {
			run    *decoder.PathResult
			cached bool
		}{{res.Cached, true}, {res.Uncached, false}} {
			if p.run == nil {
				continue
			}
			c, err := pred.CompareDecode(res.Prompt, p.cached, p.run.PerTokenS[1:])
			if err != nil {
				return err
			}
			cmp = append(cmp, c)
		}
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
	if err := writeBenchText(e, res); err != nil {
		return err
	}
	if pred != nil {
		return writeBenchPrediction(e, cmp, pred.Hardware())
	}
	return nil
}

// writeBenchPrediction sets the this-cpu prediction beside the measured
// decode steps (the prefill left out on both sides).
func writeBenchPrediction(e *env, cmp []cost.DecodeComparison, hw cost.Hardware) error {
	t := report.Table{
		Title: "this-cpu prediction (kvsim/cost, calibrated before the run) against the measurement, decode steps only",
		Columns: []report.Column{{Name: "path"}, {Name: "steps"}, {Name: "measured"}, {Name: "predicted"}, {Name: "error"},
			{Name: "last step measured"}, {Name: "last step predicted"}, {Name: "error"}},
	}
	for _, c := range cmp {
		label := "uncached"
		if c.Cached {
			label = "cached"
		}
		n := len(c.MeasuredS)
		last, lastPred, lastErr := c.Window(n-1, 8)
		t.AddRow(label, fmt.Sprint(n), report.Seconds(c.TotalMeasuredS), report.Seconds(c.TotalPredictedS),
			fmt.Sprintf("%+.0f%%", 100*c.TotalError), report.Seconds(last), report.Seconds(lastPred), fmt.Sprintf("%+.0f%%", 100*lastErr))
	}
	fmt.Fprintln(e.stdout)
	if err := t.WriteText(e.stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintf(e.stdout, "\nlast step = median of the last 8 decode steps. this-cpu: %s\n", hw.Source)
	return err
}

func writeBenchText(e *env, r *decoder.BenchResult) error {
	t := report.Table{
		Title: fmt.Sprintf("%s: %d prompt + %d new tokens, %d threads, %s weights", r.Model, r.Prompt, r.New, r.Threads, r.Weights),
		Columns: []report.Column{{Name: "path"}, {Name: "total"}, {Name: "first token"}, {Name: "last token"},
			{Name: "decode", Unit: "tok/s"}, {Name: "matmul"}, {Name: "attention"}, {Name: "KV io"}, {Name: "recompute"},
			{Name: "other"}, {Name: "hit rate"}, {Name: "KV peak"}},
	}
	add := func(label string, p *decoder.PathResult) {
		if p == nil {
			return
		}
		b := p.Breakdown
		t.AddRow(label, report.Seconds(p.TotalS), report.Seconds(p.PerTokenS[0]), report.Seconds(p.PerTokenS[len(p.PerTokenS)-1]),
			fmt.Sprintf("%.1f", p.DecodeTokensPerS), report.Seconds(b.MatmulS), report.Seconds(b.AttentionS),
			report.Seconds(b.KVIOS), report.Seconds(b.RecomputeS), report.Seconds(b.OtherS),
			fmt.Sprintf("%.1f%%", 100*p.HitRate), report.Bytes(float64(p.KVBytesPeak)))
	}
	cachedLabel := "cached"
	if r.CacheTokens > 0 {
		cachedLabel = fmt.Sprintf("cached (%d tokens, %s)", r.CacheTokens, r.Policy)
	}
	add(cachedLabel, r.Cached)
	add("uncached", r.Uncached)
	if err := t.WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nfirst token = the prompt's prefill; decode tok/s excludes it.")
	if r.Cached != nil && r.Uncached != nil {
		fmt.Fprintf(e.stdout, "speedup with the cache: %.2fx; same tokens: %v; max |logit diff| %.3g (%.2g relative)\n",
			r.Speedup, r.SameTokens, r.MaxAbsLogitDiff, r.MaxRelLogitDiff)
	}
	if d := r.Divergence; d != nil {
		fmt.Fprintf(e.stdout, "window vs full cache (same tokens fed): top-1 agreement %.1f%%, KL mean %.3g max %.3g nats\n",
			100*d.Top1Agreement, d.MeanKL, d.MaxKL)
	}
	return nil
}
