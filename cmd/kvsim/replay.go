package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/sim"
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

Over cache tiers and serving instances (--tiers; kvsim/sim/doc.go defines the terms):

  kvsim replay --trace mooncake_conversation_trace.jsonl --tiers hbm:20GiB,dram:256GiB,ssd:2TiB \
      --instances 4 --router cache-aware --model llama3-70b --hardware h100-sxm
  kvsim replay --workload multi-turn --tiers hbm:1000blocks,dram:4000blocks --instances 8 --shared

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
	blockSizes := f.String("block-sizes", "", "block-size sweep instead: waste and reuse for each `B[,B...]` (synthetic workloads)")
	hwName := f.String("hardware", "", "with --model: time prefills on this hardware `NAME` (kvsim hardware) to report TTFT saved")
	hwFile := addHardwareFileFlag(f)
	timed := f.Bool("timed", false, "timed serving replay (arrivals, continuous batching, pinned blocks); needs --model and --hardware")
	asJSON := f.Bool("json", false, "print JSON: an array with one object per capacity and policy (with --tiers: one object, the replay)")
	timedOpts := addTimedFlags(f.FlagSet)
	tieredOpts := addTieredFlags(f.FlagSet)
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
	}
	if err := atLeast(minimum{"block-tokens", *blockTokens, 1}); err != nil {
		return err
	}
	csvFile, err := timedOpts.check(f.FlagSet, *timed)
	if err != nil {
		return err
	}
	defer csvFile.discard()
	tiers, err := tieredOpts.check(f, evictions)
	if err != nil {
		return err
	}
	if *belady && !slices.Contains(evictions, cache.BeladyName) {
		evictions = append(evictions, cache.BeladyName)
	}
	src := study.Source{Trace: *tracePath, Name: *workloadName, Seed: *seed, BlockTokens: *blockTokens, SkipBadLines: *skipBad}
	if *blockSizes != "" {
		return runBlockSizes(e, src, *blockSizes, evictions[0], *asJSON)
	}
	s := study.ReplaySettings{Workload: src, Evictions: evictions, Timed: *timed, Serving: timedOpts.serving()}
	if s.Capacities, err = capacities(*capBlocks, *capBytes, *sweep); err != nil && !tieredOpts.on() {
		return err
	}
	if *modelName != "" {
		cat, err := loadCatalog(*modelFile)
		if err != nil {
			return err
		}
		spec, err := cat.Lookup(*modelName)
		if err != nil {
			return err
		}
		if s.KVDType, err = model.ParseDType(*kvDType); err != nil {
			return usageError{err.Error()}
		}
		s.Model = &spec
	}
	if *hwName != "" {
		own, err := loadHardware(*hwFile)
		if err != nil {
			return err
		}
		hw, err := cost.LookupHardwareIn(*hwName, own, cost.NewCalibrator(nil))
		if err != nil {
			return err
		}
		s.Hardware = &hw
	}
	if tieredOpts.on() {
		return runTiered(e, tieredOpts, tiers, s, *asJSON)
	}
	res, err := study.Replay(e.context(), s)
	if err != nil {
		return replayError(err)
	}
	if csvFile != nil {
		if err := writeRequestsCSV(csvFile, res.Served); err != nil {
			return fmt.Errorf("--requests-csv %s: %w", csvFile.dest, err)
		}
		if err := csvFile.commit(); err != nil {
			return fmt.Errorf("--requests-csv %s: %w", csvFile.dest, err)
		}
	}
	if *asJSON {
		if *timed {
			return writeJSON(e, res.Served)
		}
		return writeJSON(e, res.Rows)
	}
	return writeReplay(e, res, *timed)
}

// replayError makes a study's settings error a usage error and names the
// flag that skips bad trace lines.
func replayError(err error) error {
	if errors.Is(err, study.ErrBadSettings) {
		return usageError{err.Error()}
	}
	var le *workload.LineError
	if errors.As(err, &le) {
		return fmt.Errorf("%w (--skip-bad-lines skips such lines)", err)
	}
	return err
}

// capacities reads the capacity flags: exactly one of them.
func capacities(blocks, bytes string, sweep int) (study.Capacities, error) {
	var c study.Capacities
	given := 0
	for _, set := range []bool{blocks != "", bytes != "", sweep != 0} {
		if set {
			given++
		}
	}
	if given != 1 {
		return c, usagef("give exactly one of --capacity-blocks N[,N...], --capacity-bytes SIZE[,SIZE...] (with --model) or --sweep N")
	}
	c.Sweep = sweep
	for _, f := range splitList(blocks) {
		if n := strings.ToLower(f); n == "unbounded" || n == "inf" {
			c.Unbounded = true
			continue
		}
		n, err := strconv.Atoi(f)
		switch {
		case err != nil:
			return c, usagef("--capacity-blocks %q: not a whole number of blocks", f)
		case n < 1:
			return c, usagef("--capacity-blocks %d: a cache holds at least 1 block", n)
		}
		c.Blocks = append(c.Blocks, n)
	}
	for _, f := range splitList(bytes) {
		b, err := parseBytes(f)
		if err != nil {
			return c, err
		}
		c.Bytes = append(c.Bytes, b)
	}
	return c, nil
}

// parseBytes reads 80GiB, 512MiB, 1.5TB or a plain number of bytes.
func parseBytes(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"b", 1},
	}
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) || v*mult >= math.MaxInt64 {
		return 0, usagef("--capacity-bytes %q: give a positive size such as 80GiB, 512MiB or 1e9", s)
	}
	return int64(v * mult), nil
}

func runBlockSizes(e *env, src study.Source, list, policy string, asJSON bool) error {
	var sizes []int
	for _, f := range splitList(list) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return usagef("--block-sizes %q: give whole numbers of tokens >= 1", f)
		}
		sizes = append(sizes, n)
	}
	w, err := src.Load()
	if err != nil {
		return replayError(err)
	}
	if !w.HasTokens() {
		return usagef("--block-sizes needs a synthetic workload: a trace fixes its blocks at %d tokens", w.BlockTokens)
	}
	pts, err := sim.SweepBlockSize(w, sim.BlockSizeConfig{Sizes: sizes, Policy: policy})
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e, pts)
	}
	if err := report.BlockSizeTable(fmt.Sprintf("%s: block size against waste and reuse (unbounded cache)", w.Name), pts).WriteText(e.stdout); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "\ntoken-granular ideal: %s%% of prompt tokens\n", report.Percent2(pts[0].IdealTokenHitRate))
	return err
}

func writeReplay(e *env, r study.ReplayResult, timed bool) error {
	w := e.stdout
	writeWorkloadLine(w, r.Workload, r.Stats, r.Notes)
	if r.Hardware != "" {
		fmt.Fprintf(w, "prefills timed on %d× %s (the fewest devices that hold one request at the model's full context)\n", r.TP, r.Hardware)
	}
	fmt.Fprintln(w)
	if timed {
		return report.ServeTable(r.Workload, r.Served).WriteText(w)
	}
	return report.ReplayTable(r.Rows, r.BytesPerBlock > 0, r.Hardware != "").WriteText(w)
}

// writeWorkloadLine says what was replayed, with the workload's notes.
func writeWorkloadLine(w io.Writer, name string, st workload.Stats, notes []string) {
	fmt.Fprintf(w, "%s: %d requests, avg input %.0f tokens, avg output %.0f, %d prompt blocks of %d tokens (%d distinct)\n",
		name, st.Requests, st.AvgInputTokens, st.AvgOutputTokens, st.PromptBlocks, st.BlockTokens, st.DistinctBlocks)
	for _, n := range notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
