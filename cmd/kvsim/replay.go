package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
	"kvcache/kvsim/workload"
)

const replayUsage = `Usage: kvsim replay (--trace FILE | --workload NAME) [flags]

Replays requests through a prefix cache, in order (the Mooncake paper's
capacity analysis), and prints hit rates, evictions and memory per capacity
and eviction policy. Capacities run in parallel.

  kvsim replay --trace mooncake_conversation_trace.jsonl --capacity-blocks 1000,10000,100000
  kvsim replay --workload multi-turn --sweep 20 --eviction lru,s3fifo --belady --json
  kvsim replay --workload rag --capacity-bytes 8GiB --model llama3-8b --block-tokens 16
  kvsim replay --workload rag --block-sizes 16,64,256,1024

Workloads: ` + "%s" + `.

`

func runReplay(args []string, e *env) error {
	f := newFlags("replay", fmt.Sprintf(replayUsage, strings.Join(workload.Names(), ", ")))
	tracePath := f.String("trace", "", "replay a Mooncake JSONL trace `FILE`")
	workloadName := f.String("workload", "", "replay a synthetic workload `NAME`")
	seed := f.Uint64("seed", 1, "random seed of a synthetic workload")
	blockTokens := f.Int("block-tokens", workload.MooncakeBlockTokens, "tokens per block (traces: 512 only)")
	capBlocks := f.String("capacity-blocks", "", "cache capacities in blocks, comma-separated (`N[,N...]`; \"unbounded\" allowed)")
	capBytes := f.String("capacity-bytes", "", "cache capacities as memory (`SIZE[,SIZE...]`, e.g. 80GiB), with --model")
	sweep := f.Int("sweep", 0, "`N` capacities log-spaced from 16 blocks to the workload's distinct blocks, plus unbounded")
	f.String("eviction", cache.LRUName, "eviction policies, comma-separated: "+strings.Join(cache.PolicyNames(), ", "))
	f.alias("policy", "eviction")
	belady := f.Bool("belady", false, "add Belady's offline optimum at every capacity")
	modelName := f.String("model", "", "model `NAME` whose KV bytes per token size the blocks (see kvsim models)")
	kvDType := f.String("kv-dtype", "fp16", "KV cache data type with --model")
	modelFile := addModelFileFlag(f)
	skipBad := f.Bool("skip-bad-lines", false, "skip malformed trace lines (counted) instead of failing")
	var blockSizes ints
	f.Var(&blockSizes, "block-sizes", "block-size sweep instead: waste and reuse for each `B[,B...]` tokens (synthetic workloads)")
	hwName := f.String("hardware", "", "with --model: time prefills on this hardware `NAME` (kvsim hardware) to report TTFT saved")
	hwFile := addHardwareFileFlag(f)
	timed := f.Bool("timed", false, "timed serving replay (arrivals, continuous batching, pinned blocks); needs --model and --hardware")
	asJSON := f.Bool("json", false, "print JSON: an array with one object per capacity and policy")
	progress := addProgressFlag(f, e)
	timedOpts := addTimedFlags(f.FlagSet)
	if _, err := f.parse(args, e, 0, "give the trace with --trace FILE"); err != nil {
		return err
	}
	evictionList, _, err := f.pick("eviction", "policy")
	if err != nil {
		return err
	}
	evictions := splitList(evictionList)
	switch {
	case (*tracePath == "") == (*workloadName == ""):
		return usagef("give exactly one of --trace FILE or --workload NAME (%s)", strings.Join(workload.Names(), ", "))
	case len(evictions) == 0:
		return usagef("--eviction is empty: use one of %s", strings.Join(cache.PolicyNames(), ", "))
	case *timed && (*hwName == "" || *modelName == ""):
		return usagef("--timed needs --model NAME and --hardware NAME to time prefills and decodes")
	case *hwName == "" && *hwFile != "":
		return usagef("--hardware-file adds devices; name the one to time prefills on with --hardware NAME")
	case *hwName != "" && *modelName == "":
		return usagef("--hardware needs --model NAME: the model whose prefills are timed")
	case *capBytes != "" && *modelName == "":
		return usagef("--capacity-bytes needs --model NAME (and --kv-dtype) to know the bytes per block")
	case *modelName == "" && (f.given["kv-dtype"] || f.given["model-file"]):
		return usagef("--kv-dtype and --model-file go with --model NAME, the model whose KV bytes size the blocks")
	case *tracePath != "" && f.given["seed"]:
		return usagef("--seed draws a synthetic workload; a trace (--trace) has no seed")
	case *tracePath == "" && *skipBad:
		return usagef("--skip-bad-lines applies to a trace (--trace); a synthetic workload has no bad lines")
	case blockSizes != nil:
		for _, other := range []string{"timed", "capacity-blocks", "capacity-bytes", "sweep", "belady", "eviction", "policy", "model", "hardware", "block-tokens"} {
			if f.given[other] {
				return usagef("--block-sizes sweeps block sizes through an unbounded cache, which --%s does not apply to; drop one of them", other)
			}
		}
	}
	if err := atLeast(minimum{"block-tokens", *blockTokens, 1}); err != nil {
		return err
	}
	csvFile, err := timedOpts.check(f.FlagSet, *timed)
	if err != nil {
		return err
	}
	defer csvFile.Discard()
	if *belady && !slices.Contains(evictions, cache.BeladyName) {
		evictions = append(evictions, cache.BeladyName)
	}
	src := study.Source{Trace: *tracePath, Name: *workloadName, Seed: *seed, BlockTokens: *blockTokens, SkipBadLines: *skipBad}
	if blockSizes != nil {
		return runBlockSizes(e, study.BlockSizeSettings{Workload: src, Sizes: blockSizes}, *asJSON)
	}
	s := study.ReplaySettings{Workload: src, Evictions: evictions, Timed: *timed, Serving: timedOpts.serving()}
	pr, onProgress := newProgress(e, *progress)
	defer pr.Done()
	s.Progress = onProgress
	if s.Capacities, err = capacities(*capBlocks, *capBytes, *sweep); err != nil {
		return err
	}
	if *modelName != "" {
		spec, err := lookupModel(*modelFile, *modelName)
		if err != nil {
			return err
		}
		if s.KVDType, err = model.ParseDType(*kvDType); err != nil {
			return usageError{err.Error()}
		}
		s.Model = &spec
	}
	if *hwName != "" {
		hw, err := lookupHardware(*hwFile, *hwName)
		if err != nil {
			return err
		}
		s.Hardware = &hw
	}
	res, err := study.Replay(e.context(), s)
	pr.Done()
	if err != nil {
		return replayError(err)
	}
	if csvFile != nil {
		if err := report.WriteRequestsCSV(csvFile, res.Served); err != nil {
			return fmt.Errorf("--requests-csv %s: %w", csvFile.Dest(), err)
		}
		if err := csvFile.Commit(); err != nil {
			return fmt.Errorf("--requests-csv: %w", err)
		}
	}
	if *asJSON {
		if *timed {
			return writeJSON(e, res.Served)
		}
		return writeJSON(e, res.Rows)
	}
	return res.WriteText(e.stdout)
}

// replayError makes a study's settings error a usage error and names the
// flag that skips bad trace lines.
func replayError(err error) error {
	var le *workload.LineError
	if errors.As(err, &le) {
		return fmt.Errorf("%w (--skip-bad-lines skips such lines)", err)
	}
	return settingsError(err)
}

// capacities reads the capacity flags: exactly one of them.
func capacities(blocks, bytes string, sweep int) (study.Capacities, error) {
	if n := btoi(blocks != "") + btoi(bytes != "") + btoi(sweep != 0); n != 1 {
		return study.Capacities{}, usagef("give exactly one of --capacity-blocks N[,N...], --capacity-bytes SIZE[,SIZE...] (with --model) or --sweep N")
	}
	c, err := study.ParseCapacities(blocks, bytes, sweep)
	return c, settingsError(err)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func runBlockSizes(e *env, s study.BlockSizeSettings, asJSON bool) error {
	r, err := study.BlockSizes(e.context(), s)
	if err != nil {
		return replayError(err)
	}
	if asJSON {
		return writeJSON(e, r.Points)
	}
	return report.WriteBlockSizes(e.stdout, r.Workload, r.Points)
}
