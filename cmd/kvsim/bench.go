package main

import (
	"fmt"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/decoder"
	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
)

const benchUsage = `Usage: kvsim bench [--model NAME | --sweep] [--prompt P] [--new N] [--cache on|off|both] [--repeat R]
                   [--cache-tokens C --bounded recompute|window] [--seed S] [--predict] [--json]

Times every generated token of a real transformer on this CPU with and/or without
a KV cache: a warm-up, then --repeat runs of each path in turn (medians, ranges).

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
	predict := f.Bool("predict", false, "also predict every decode step with the this-cpu cost model, calibrated here first (about two seconds), and print the error")
	repeat := f.Int("repeat", 3, "timed runs of each path, the paths in turn (`R`)")
	sweep := f.Bool("sweep", false, "measure the speedup on every catalog model that fits memory and --sweep-budget, smallest first (16+16 tokens unless given)")
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
	if err := atLeast(minimum{"prompt", *prompt, 1}, minimum{"new", *newTokens, 1}, minimum{"repeat", *repeat, 1}); err != nil {
		return err
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
	switch {
	case *prompt > cost.MaxContextTokens || *newTokens > cost.MaxContextTokens:
		return usagef("--prompt %d, --new %d: at most %d tokens each (and together within the model's context)", *prompt, *newTokens, cost.MaxContextTokens)
	case bounds && *cacheTokens <= 0:
		return usagef("--cache-tokens %d: a cache holds at least 1 token (leave the flag out for an unbounded cache)", *cacheTokens)
	case boundedGiven && !bounds:
		return usagef("--bounded needs --cache-tokens: an unbounded cache evicts nothing")
	case bounds && !boundedGiven:
		return usagef("--cache-tokens needs --bounded recompute or --bounded window")
	case *threads < 0:
		return usagef("--threads %d: give a number of goroutines, or 0 for one per core", *threads)
	case mode == decoder.CacheOff && (bounds || f.given["sinks"]):
		return usagef("--cache off runs without a KV cache, so it has nothing to bound: drop --cache-tokens, --bounded and --sinks, or use --cache on or both")
	case f.given["sinks"] && policy != decoder.Window:
		return usagef("--sinks are the tokens a sliding window keeps: they need --bounded window (with --cache-tokens)")
	case f.given["sinks"] && (*sinks < 1 || *sinks >= *cacheTokens):
		return usagef("--sinks %d: keep from 1 to %d tokens (fewer than --cache-tokens %d)", *sinks, *cacheTokens-1, *cacheTokens)
	case bounds && *cacheTokens >= *prompt+*newTokens-1:
		return usagef("--cache-tokens %d holds all %d positions of this run, so the bounded cache never evicts: give fewer tokens, or leave out --cache-tokens and --bounded",
			*cacheTokens, *prompt+*newTokens-1)
	case *predict && bounds:
		return usagef("--predict prices a full cache and no cache; drop --cache-tokens")
	case *predict && *newTokens < 2:
		return usagef("--predict compares decode steps; give --new 2 or more")
	case *sweep && (f.given["model"] || f.given["cache"] || bounds || boundedGiven || f.given["sinks"] || *predict || *weights != ""):
		return usagef("--sweep runs every catalog model with and without a cache: drop --model, --cache, --cache-tokens, --bounded, --sinks, --predict and --weights")
	}
	spec, err := lookupModel(*modelFile, *name)
	if err != nil {
		return err
	}
	var pred *cost.Predictor
	if *predict {
		if pred, err = study.BenchPredictor(spec, *threads); err != nil {
			return err
		}
	}
	opt := decoder.BenchOptions{Prompt: *prompt, New: *newTokens, Cache: mode, CacheTokens: *cacheTokens,
		Policy: policy, Sinks: *sinks, Seed: *seed, Threads: *threads, WeightsFile: *weights, Repeat: *repeat}
	if e.stderrIsTerminal {
		opt.Progress = func(p decoder.Progress) { report.ProgressLine(e.stderr, p) }
	}
	var res *decoder.BenchResult
	var sw study.SpeedupStudy
	if *sweep {
		sw, err = study.SweepCatalog(e.context(), *modelFile, opt, *budget, f.given["prompt"], f.given["new"])
	} else {
		res, err = decoder.Run(spec, opt)
	}
	if e.stderrIsTerminal {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return settingsError(err)
	} else if *sweep && *asJSON {
		return writeJSON(e, sw)
	} else if *sweep {
		return study.WriteSpeedups(e.stdout, sw)
	}
	var cmp []cost.DecodeComparison
	if pred != nil {
		if cmp, err = study.CompareBench(pred, res); err != nil {
			return err
		}
	}
	if *asJSON && pred == nil {
		return writeJSON(e, res)
	} else if *asJSON {
		return writeJSON(e, report.BenchWithPrediction{BenchResult: res, Prediction: cmp, Hardware: pred.Hardware()})
	}
	return report.WriteBench(e.stdout, res, cmp, pred)
}
