package main

import (
	"flag"
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
	"kvcache/kvsim/workload"
)

const replayUsage = `Usage: kvsim replay (--trace FILE | --workload NAME) [flags]

Replays requests through a prefix cache, in order (the Mooncake paper's
capacity analysis), and prints hit rates, evictions and memory per capacity
and policy. Capacities run in parallel.

  kvsim replay --trace mooncake_conversation_trace.jsonl --capacity-blocks 1000,10000,100000
  kvsim replay --workload multi-turn --sweep 20 --policy lru,s3fifo --belady --json
  kvsim replay --workload rag --capacity-bytes 8GiB --model llama3-8b --block-tokens 16
  kvsim replay --workload rag --block-sizes 16,64,256,1024

Workloads: %s.

`

func runReplay(args []string, e *env) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	tracePath := fs.String("trace", "", "replay a Mooncake JSONL trace `FILE`")
	workloadName := fs.String("workload", "", "replay a synthetic workload `NAME`")
	seed := fs.Uint64("seed", 1, "random seed of a synthetic workload")
	blockTokens := fs.Int("block-tokens", workload.MooncakeBlockTokens, "tokens per block (traces: 512 only)")
	capBlocks := fs.String("capacity-blocks", "", "cache capacities in blocks, comma-separated (`N[,N...]`; \"unbounded\" allowed)")
	capBytes := fs.String("capacity-bytes", "", "cache capacities as memory (`SIZE[,SIZE...]`, e.g. 80GiB), with --model")
	sweep := fs.Int("sweep", 0, "`N` capacities log-spaced from 16 blocks to the workload's distinct blocks, plus unbounded")
	policies := fs.String("policy", cache.LRUName, "eviction policies, comma-separated: "+strings.Join(cache.PolicyNames(), ", "))
	belady := fs.Bool("belady", false, "add Belady's offline optimum at every capacity")
	modelName := fs.String("model", "", "model `NAME` whose KV bytes per token size the blocks (see kvsim models)")
	kvDType := fs.String("kv-dtype", "fp16", "KV cache data type with --model")
	modelFile := addModelFileFlag(fs)
	skipBad := fs.Bool("skip-bad-lines", false, "skip malformed trace lines (counted) instead of failing")
	blockSizes := fs.String("block-sizes", "", "block-size sweep instead: waste and reuse for each `B[,B...]` (synthetic workloads)")
	hwName := fs.String("hardware", "", "with --model: time prefills on this hardware `NAME` (kvsim hardware) to report TTFT saved")
	hwFile := addHardwareFileFlag(fs)
	timed := fs.Bool("timed", false, "timed serving replay (arrivals, continuous batching, pinned blocks); needs --model and --hardware")
	asJSON := fs.Bool("json", false, "print JSON: an array with one object per capacity and policy")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), replayUsage, strings.Join(workload.Names(), ", "))
		fs.PrintDefaults()
	}
	rest, err := parse(fs, args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q: give the trace with --trace FILE", rest[0])
	}
	if (*tracePath == "") == (*workloadName == "") {
		return usagef("give exactly one of --trace FILE or --workload NAME (%s)", strings.Join(workload.Names(), ", "))
	}
	if *blockTokens < 1 {
		return usagef("--block-tokens %d: must be at least 1", *blockTokens)
	}
	if *tracePath != "" && *blockTokens != workload.MooncakeBlockTokens {
		return usagef("--block-tokens %d: a Mooncake trace fixes its blocks at %d tokens (its hash_ids); other sizes need a synthetic workload", *blockTokens, workload.MooncakeBlockTokens)
	}
	pols, err := parsePolicies(*policies, *belady)
	if err != nil {
		return err
	}
	w, err := loadWorkload(*tracePath, *workloadName, *seed, *blockTokens, *skipBad)
	if err != nil {
		return err
	}
	if *blockSizes != "" {
		return runBlockSizes(e, w, *blockSizes, pols[0], *asJSON)
	}
	bytesPerBlock, err := blockBytes(*modelName, *kvDType, *modelFile, *blockTokens)
	if err != nil {
		return err
	}
	caps, unbounded, err := capacities(*capBlocks, *capBytes, *sweep, bytesPerBlock, w)
	if err != nil {
		return err
	}
	timer, err := stepTimer(*modelName, *hwName, *hwFile, *kvDType, *modelFile, *timed)
	if err != nil {
		return err
	}
	p, err := sim.Prepare(w)
	if err != nil {
		return err
	}
	if *timed {
		return runTimed(e, p, pols, caps, unbounded, bytesPerBlock, timer, *asJSON)
	}
	var rows []sim.Summary
	if len(caps) > 0 {
		sw, err := p.SweepCapacity(sim.SweepConfig{Policies: pols, Capacities: caps, BytesPerBlock: bytesPerBlock, Timer: timer})
		if err != nil {
			return err
		}
		for j := range sw.Capacities {
			for _, c := range sw.Curves {
				rows = append(rows, c.Points[j])
			}
		}
	}
	if unbounded {
		r, err := p.Replay(sim.Config{CapacityBlocks: cache.Unbounded, BytesPerBlock: bytesPerBlock, Timer: timer, MaxPoints: 1})
		if err != nil {
			return err
		}
		r.Summary.Policy = "unbounded"
		rows = append(rows, r.Summary)
	}
	if *asJSON {
		return writeJSON(e, rows)
	}
	return writeReplayTable(e.stdout, w, rows, bytesPerBlock > 0, timer != nil)
}

// stepTimer is the cost model's serving timer for --model on --hardware, or
// nil when no hardware is named.
func stepTimer(modelName, hwName, hwFile, dtype, modelFile string, timed bool) (sim.StepTimer, error) {
	switch {
	case hwName == "" && hwFile != "":
		return nil, usagef("--hardware-file adds devices; name the one to time on with --hardware NAME")
	case hwName == "" && timed:
		return nil, usagef("--timed needs --model NAME and --hardware NAME to time prefills and decodes")
	case hwName == "":
		return nil, nil
	case modelName == "":
		return nil, usagef("--hardware needs --model NAME: the model whose prefills are timed")
	}
	cat, err := loadCatalog(modelFile)
	if err != nil {
		return nil, err
	}
	spec, err := cat.Lookup(modelName)
	if err != nil {
		return nil, err
	}
	d, err := model.ParseDType(dtype)
	if err != nil {
		return nil, usageError{err.Error()}
	}
	own, err := loadHardware(hwFile)
	if err != nil {
		return nil, err
	}
	hw, err := cost.LookupHardwareIn(hwName, own, cost.NewCalibrator(nil))
	if err != nil {
		return nil, err
	}
	// Traces carry prompts beyond some models' trained context: time them anyway.
	opt := cost.Options{DType: d, AllowLongContext: true}
	tp, fits, err := cost.ChooseTP(spec, hw, opt, min(spec.MaxContext, 8192), 1)
	if err != nil {
		return nil, err
	}
	if !fits {
		return nil, fmt.Errorf("%s does not fit on %s even with %d devices at %s; pick larger hardware or a smaller --kv-dtype", spec.Name, hw.Name, tp, d)
	}
	opt.TP = tp
	pred, err := cost.New(spec, hw, opt)
	if err != nil {
		return nil, err
	}
	return pred.Serving(), nil
}

// runTimed serves the workload in time once per policy and capacity.
func runTimed(e *env, p *sim.Prepared, pols []string, caps []int, unbounded bool, bytesPerBlock int64, timer sim.StepTimer, asJSON bool) error {
	if unbounded {
		caps = append(caps, cache.Unbounded)
	}
	var results []sim.ServeResult
	for _, c := range caps {
		for _, pol := range pols {
			if pol == cache.BeladyName {
				return usagef("--timed cannot use belady: the offline optimum needs the access order, which the timed run decides")
			}
			r, err := p.Serve(sim.ServeConfig{Config: sim.Config{Policy: pol, CapacityBlocks: c, BytesPerBlock: bytesPerBlock, Timer: timer, MaxPoints: 1}})
			if err != nil {
				return err
			}
			r.Series = sim.Series{}
			results = append(results, r)
		}
	}
	if asJSON {
		return writeJSON(e, results)
	}
	t := report.Table{
		Title: p.Workload().Name + ": timed serving replay",
		Columns: []report.Column{{Name: "capacity", Unit: "blocks"}, {Name: "policy"}, {Name: "token hits", Unit: "%"},
			{Name: "TTFT p50"}, {Name: "TTFT p99"}, {Name: "mean queue"}, {Name: "stalls"}, {Name: "rejected"}, {Name: "output", Unit: "tokens/s"}},
	}
	for _, r := range results {
		capacity := strconv.Itoa(r.Summary.CapacityBlocks)
		if r.Summary.Unbounded || r.Summary.CapacityBlocks == cache.Unbounded {
			capacity = "unbounded"
		}
		s := r.Serving
		t.AddRow(capacity, r.Summary.Policy, pct(r.Summary.TokenHitRate), report.Seconds(s.P50TTFTSeconds), report.Seconds(s.P99TTFTSeconds),
			report.Seconds(s.MeanQueueSeconds), strconv.FormatInt(s.CapacityStalls, 10), strconv.Itoa(s.Rejected), strconv.FormatFloat(s.OutputTokensPerSecond, 'f', 1, 64))
	}
	return t.WriteText(e.stdout)
}

func parsePolicies(list string, belady bool) ([]string, error) {
	var out []string
	for _, f := range splitList(list) {
		n, err := cache.CanonicalPolicy(f)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, usagef("--policy is empty: use one of %s", strings.Join(cache.PolicyNames(), ", "))
	}
	if belady && !slices.Contains(out, cache.BeladyName) {
		out = append(out, cache.BeladyName)
	}
	return out, nil
}

func loadWorkload(tracePath, name string, seed uint64, blockTokens int, skipBad bool) (workload.Workload, error) {
	if tracePath != "" {
		w, _, err := workload.LoadMooncake(tracePath, workload.ReadOptions{SkipBad: skipBad})
		if err != nil && !skipBad && strings.Contains(err.Error(), "trace line") {
			err = fmt.Errorf("%w (--skip-bad-lines skips such lines)", err)
		}
		return w, err
	}
	g, err := workload.Default(name)
	if err != nil {
		return workload.Workload{}, usageError{err.Error()}
	}
	return g.Generate(workload.NewRand(seed), blockTokens)
}

// blockBytes is the memory of one block of the named model, or 0 without one.
func blockBytes(modelName, dtype, modelFile string, blockTokens int) (int64, error) {
	if modelName == "" {
		return 0, nil
	}
	cat, err := loadCatalog(modelFile)
	if err != nil {
		return 0, err
	}
	spec, err := cat.Lookup(modelName)
	if err != nil {
		return 0, err
	}
	d, err := model.ParseDType(dtype)
	if err != nil {
		return 0, usageError{err.Error()}
	}
	return cache.BlockBytes(spec, d, blockTokens)
}

// capacities turns the capacity flags into block counts, and says whether
// the unbounded run is wanted.
func capacities(blocks, bytes string, sweep int, bytesPerBlock int64, w workload.Workload) (caps []int, unbounded bool, err error) {
	given := 0
	for _, set := range []bool{blocks != "", bytes != "", sweep != 0} {
		if set {
			given++
		}
	}
	if given != 1 {
		return nil, false, usagef("give exactly one of --capacity-blocks N[,N...], --capacity-bytes SIZE[,SIZE...] (with --model) or --sweep N")
	}
	switch {
	case blocks != "":
		for _, f := range splitList(blocks) {
			if n := strings.ToLower(f); n == "unbounded" || n == "inf" {
				unbounded = true
				continue
			}
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, false, usagef("--capacity-blocks %q: not a whole number of blocks", f)
			}
			if n < 1 {
				return nil, false, usagef("--capacity-blocks %d: a cache holds at least 1 block", n)
			}
			caps = append(caps, n)
		}
	case bytes != "":
		if bytesPerBlock == 0 {
			return nil, false, usagef("--capacity-bytes needs --model NAME (and --kv-dtype) to know the bytes per block")
		}
		for _, f := range splitList(bytes) {
			b, err := parseBytes(f)
			if err != nil {
				return nil, false, err
			}
			n := b / bytesPerBlock
			if n < 1 {
				return nil, false, usagef("--capacity-bytes %s holds no block of %d bytes", f, bytesPerBlock)
			}
			if n > math.MaxInt32-1 {
				return nil, false, usagef("--capacity-bytes %s is %d blocks, more than a cache indexes", f, n)
			}
			caps = append(caps, int(n))
		}
	default:
		if sweep < 2 {
			return nil, false, usagef("--sweep %d: give at least 2 points", sweep)
		}
		distinct := max(w.Stats().DistinctBlocks, 17)
		if caps, err = sim.LogCapacities(16, distinct, sweep); err != nil {
			return nil, false, err
		}
		unbounded = true
	}
	if len(caps) == 0 && !unbounded {
		return nil, false, usagef("no capacity given")
	}
	return caps, unbounded, nil
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

func runBlockSizes(e *env, w workload.Workload, list, policy string, asJSON bool) error {
	var sizes []int
	for _, f := range splitList(list) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return usagef("--block-sizes %q: give whole numbers of tokens >= 1", f)
		}
		sizes = append(sizes, n)
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
	t := report.Table{
		Title: fmt.Sprintf("%s: block size against waste and reuse (unbounded cache)", w.Name),
		Columns: []report.Column{{Name: "block", Unit: "tokens"}, {Name: "blocks"}, {Name: "last-block waste", Unit: "%"},
			{Name: "token hit rate", Unit: "%"}, {Name: "reuse lost", Unit: "points"}},
	}
	for _, p := range pts {
		t.AddRow(strconv.Itoa(p.BlockTokens), report.Count(float64(p.PromptBlocks)), pct(p.LastBlockWaste), pct(p.TokenHitRate), pct(p.ReuseLost))
	}
	if err := t.WriteText(e.stdout); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "\ntoken-granular ideal: %s%% of prompt tokens\n", pct(pts[0].IdealTokenHitRate))
	return err
}

func writeReplayTable(w io.Writer, wl workload.Workload, rows []sim.Summary, withBytes, withTTFT bool) error {
	st := wl.Stats()
	fmt.Fprintf(w, "%s: %d requests, avg input %.0f tokens, avg output %.0f, %d prompt blocks of %d tokens (%d distinct)\n",
		wl.Name, st.Requests, st.AvgInputTokens, st.AvgOutputTokens, st.PromptBlocks, st.BlockTokens, st.DistinctBlocks)
	for _, n := range wl.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w)
	t := report.Table{Columns: []report.Column{{Name: "capacity", Unit: "blocks"}}}
	if withBytes {
		t.Columns = append(t.Columns, report.Column{Name: "capacity", Unit: "bytes"})
	}
	t.Columns = append(t.Columns, report.Column{Name: "policy"}, report.Column{Name: "block hits", Unit: "%"}, report.Column{Name: "token hits", Unit: "%"},
		report.Column{Name: "recomputed", Unit: "tokens"}, report.Column{Name: "evictions"}, report.Column{Name: "peak", Unit: "blocks"})
	if withTTFT {
		t.Columns = append(t.Columns, report.Column{Name: "mean TTFT saved"})
	}
	for _, r := range rows {
		capacity := strconv.Itoa(r.CapacityBlocks)
		if r.Unbounded {
			capacity = "unbounded"
		}
		cells := []string{capacity}
		if withBytes {
			b := "-"
			if !r.Unbounded {
				b = report.Bytes(float64(r.CapacityBytes))
			}
			cells = append(cells, b)
		}
		cells = append(cells, r.Policy, pct(r.BlockHitRate), pct(r.TokenHitRate), report.Count(float64(r.RecomputedTokens)),
			report.Count(float64(r.Evictions)), strconv.Itoa(r.PeakBlocks))
		if withTTFT {
			cells = append(cells, report.Seconds(r.MeanTTFTSavedSeconds))
		}
		t.AddRow(cells...)
	}
	return t.WriteText(w)
}

func pct(x float64) string { return strconv.FormatFloat(100*x, 'f', 2, 64) }

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
