package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
)

func runPredict(args []string, e *env) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	modelName := fs.String("model", "", "model `NAME` from the catalog (kvsim models)")
	all := fs.Bool("all", false, "predict every catalog model (one row each) instead of --model")
	hwName := fs.String("hardware", "", "hardware `NAME` (kvsim hardware), or all with --all")
	context := fs.Int("context", 0, "tokens before the new one (`L`); the prefill is a prompt of L tokens")
	batch := fs.Int("batch", 1, "requests decoded together (`B`)")
	dtype := fs.String("dtype", "", "weights, KV cache and compute `type`: fp32, fp16, bf16, fp8, int8 (default: bf16 on GPUs, fp16 on m2-max, fp32 on this-cpu)")
	exec := fs.String("exec", "", "kernel launches, an alias of an engine: eager (pytorch-eager) or graph (vllm)")
	engine := fs.String("engine", "", "execution profile `NAME` (kvsim engines; default: vllm, or kvsim-decoder on this-cpu)")
	tp := fs.Int("tp", 0, "tensor-parallel devices `T` (default: the fewest that fit)")
	fraction := fs.Float64("memory-fraction", 0, "share of device memory the engine may use (default: the engine's, e.g. vllm 0.9)")
	expertParallel := fs.Bool("expert-parallel", false, "MoE: place whole experts on each device instead of sharding every expert")
	allowLong := fs.Bool("allow-long", false, "allow a context beyond the model's trained maximum")
	asJSON := fs.Bool("json", false, "print JSON (an array with --all)")
	modelFile := addModelFileFlag(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: kvsim predict --model NAME --hardware NAME --context L [--batch B] [--dtype bf16] [--engine NAME] [--tp T] [--json]\n"+
			"       kvsim predict --all --hardware NAME|all --context L [...]\n\n"+
			"Predicts a decode step with and without a KV cache, the prefill and the cache capacity\n"+
			"with a roofline model and an engine's execution profile (see kvsim/cost), each time\n"+
			"with the band the published validation gives it (kvsim validate).\n\n")
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
		return usagef("unexpected argument %s; name the model with --model", joinQuoted(rest))
	case *all && *modelName != "":
		return usagef("give --model NAME or --all, not both")
	case !*all && *modelName == "":
		return usagef("give --model NAME (kvsim models lists them) or --all")
	case *hwName == "":
		return usagef("give --hardware NAME; presets: %s", strings.Join(cost.HardwareNames(), ", "))
	case !set["context"]:
		return usagef("give --context L, the tokens before the new one (e.g. --context 1024)")
	case *context < 1:
		return usagef("--context must be 1 or more tokens, got %d", *context)
	case *batch < 1:
		return usagef("--batch must be 1 or more requests, got %d", *batch)
	case set["tp"] && *tp < 1:
		return usagef("--tp must be 1 or more devices, got %d", *tp)
	case set["memory-fraction"] && !(*fraction > 0 && *fraction <= 1):
		return usagef("--memory-fraction must be in (0, 1], got %g", *fraction)
	case *context >= cost.MaxContextTokens:
		return usagef("--context %d is beyond what kvsim can size (at most %d tokens)", *context, cost.MaxContextTokens-1)
	case *batch > cost.MaxBatch:
		return usagef("--batch %d is beyond what kvsim can size (at most %d requests)", *batch, cost.MaxBatch)
	}
	opt := cost.Options{TP: *tp, MemoryFraction: *fraction, AllowLongContext: *allowLong, ExpertParallel: *expertParallel}
	if *exec != "" {
		mode, err := cost.ParseExecMode(*exec)
		if err != nil {
			return usagef("%v", err)
		}
		opt.Exec = mode
	}
	if *engine != "" {
		eng, err := cost.LookupEngine(*engine)
		if err != nil {
			return usagef("%v", err)
		}
		if opt.Exec != "" && opt.Exec != eng.Decode.Exec {
			return usagef("--exec %s contradicts --engine %s, which runs decode steps %s; give one of them", opt.Exec, eng.Name, eng.Decode.Exec)
		}
		opt.Engine = eng.Name
	}
	if *dtype != "" {
		if opt.DType, err = model.ParseDType(*dtype); err != nil {
			return usagef("%v", err)
		}
	}
	cat, err := loadCatalog(*modelFile)
	if err != nil {
		return err
	}
	cal := cost.NewCalibrator(nil)
	var hardware []cost.Hardware
	if *all && strings.EqualFold(*hwName, "all") {
		if hardware, err = cost.AllHardware(cal); err != nil {
			return err
		}
	} else {
		h, err := cost.LookupHardware(*hwName, cal)
		if err != nil {
			return err
		}
		hardware = []cost.Hardware{h}
	}
	if !*all {
		spec, err := cat.Lookup(*modelName)
		if err != nil {
			return err
		}
		pr, err := predictOne(spec, hardware[0], opt, *context, *batch)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, pr)
		}
		return writePrediction(e.stdout, pr, hardware[0])
	}
	var rows []predictRow
	for _, h := range hardware {
		for _, spec := range cat.Specs() {
			o := opt
			if h.CPU != nil && o.Engine != "" && o.Engine != cost.ThisCPUEngine { // --all --hardware all: this-cpu runs its decoder
				o.Engine, o.Exec = "", ""
			}
			pr, err := predictOne(spec, h, o, *context, *batch)
			rows = append(rows, predictRow{pr: pr, spec: spec, hw: h.Name, err: err})
		}
	}
	if *asJSON {
		return writeJSON(e, jsonRows(rows))
	}
	return predictTable(rows, *context, *batch, opt).WriteText(e.stdout)
}

// predictOne fills in the tensor-parallel degree (the fewest devices that
// fit, unless given) and predicts.
func predictOne(spec model.Spec, hw cost.Hardware, opt cost.Options, context, batch int) (cost.Prediction, error) {
	if opt.TP == 0 {
		tp, _, err := cost.ChooseTP(spec, hw, opt, context, batch)
		if err != nil {
			return cost.Prediction{}, err
		}
		opt.TP = tp
	}
	return cost.Predict(spec, hw, opt, context, batch)
}

// predictRow is one model on one hardware in --all mode.
type predictRow struct {
	pr   cost.Prediction
	spec model.Spec
	hw   string
	err  error
}

// jsonRows gives each --all row as its prediction or, when it could not be
// predicted, the model, hardware and error.
func jsonRows(rows []predictRow) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		if r.err != nil {
			out[i] = map[string]any{"model": r.spec.Name, "hardware": r.hw, "fits": false, "error": r.err.Error()}
			continue
		}
		out[i] = r.pr
	}
	return out
}

func predictTable(rows []predictRow, context, batch int, opt cost.Options) report.Table {
	t := report.Table{
		Title: fmt.Sprintf("Decode step at context %d, batch %d, engine %s (roofline prediction; per step)", context, batch, engineLabel(opt)),
		Columns: []report.Column{{Name: "model"}, {Name: "params"}, {Name: "hardware"}, {Name: "dtype"}, {Name: "TP"},
			{Name: "cached"}, {Name: "uncached"}, {Name: "speedup"}, {Name: "bound cached/uncached"},
			{Name: "prefill"}, {Name: "KV cache", Unit: "tokens"}, {Name: "max concurrency"}},
	}
	for _, r := range rows {
		params := report.Count(float64(r.spec.TotalParams()))
		if r.err != nil {
			msg := r.err.Error()
			if ce := (*cost.ContextError)(nil); errors.As(r.err, &ce) {
				msg = fmt.Sprintf("context beyond its window of %d (--allow-long)", ce.MaxContext)
			}
			t.AddRow(r.spec.Name, params, r.hw, "-", "-", msg, "", "", "", "", "", "")
			continue
		}
		pr := r.pr
		if !pr.Fits {
			t.AddRow(pr.Model, params, pr.Hardware, string(pr.DType), fmt.Sprint(pr.TP), "does not fit", "", "", "",
				"", report.Count(float64(pr.KVCacheTokens)), fmt.Sprint(pr.MaxConcurrency))
			continue
		}
		t.AddRow(pr.Model, params, pr.Hardware, string(pr.DType), fmt.Sprint(pr.TP),
			seconds(pr.DecodeCachedSeconds), seconds(pr.DecodeUncachedSeconds), ratio(pr.Speedup),
			bound(pr.BoundCached)+"/"+bound(pr.BoundUncached), seconds(pr.PrefillSeconds),
			report.Count(float64(pr.KVCacheTokens)), fmt.Sprint(pr.MaxConcurrency))
	}
	return t
}

// engineLabel names the engine the options pick for titles.
func engineLabel(opt cost.Options) string {
	if opt.Engine != "" {
		return opt.Engine
	}
	return cost.EngineForExec(opt.Exec)
}

func writePrediction(w io.Writer, pr cost.Prediction, hw cost.Hardware) error {
	fmt.Fprintf(w, "%s on %s (%s), %s, engine %s (%s launches), TP %d, batch %d, context %d\n\n",
		pr.Model, pr.Hardware, hw.Device, pr.DType, pr.Engine, pr.Exec, pr.TP, pr.Batch, pr.Context)
	mem := pr.Cached.Memory
	if !pr.Fits {
		fmt.Fprintf(w, "Does not fit: %s.\n", pr.Note)
		fmt.Fprintf(w, "Try more devices (--tp), a smaller dtype (--dtype), or a smaller batch or context.\n")
		return nil
	}
	summary := report.Table{Columns: []report.Column{{Name: ""}, {Name: "with KV cache"}, {Name: "without"}}}
	summary.AddRow("decode step", seconds(pr.DecodeCachedSeconds), seconds(pr.DecodeUncachedSeconds))
	summary.AddRow("  likely measured", likely(pr.DecodeCachedSeconds, pr.Bands.DecodeCached), likely(pr.DecodeUncachedSeconds, pr.Bands.DecodeUncached))
	summary.AddRow("bound", bound(pr.BoundCached), bound(pr.BoundUncached))
	summary.AddRow("tokens/s (batch)", perSecond(pr.DecodeCachedSeconds, pr.Batch), perSecond(pr.DecodeUncachedSeconds, pr.Batch))
	summary.AddRow("speedup", ratio(pr.Speedup), "")
	summary.AddRow(fmt.Sprintf("prefill of %d tokens", pr.Context), seconds(pr.PrefillSeconds), "")
	summary.AddRow("  likely measured", likely(pr.PrefillSeconds, pr.Bands.Prefill), "")
	if err := summary.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nHow far to trust it: \"likely measured\" is the prediction divided by the 10th-90th percentile\n"+
		"of predicted/measured times in published runs (kvsim validate lists them):\n")
	for _, b := range []struct {
		what string
		band cost.Band
	}{{"cached decode step", pr.Bands.DecodeCached}, {"uncached step and prefill", pr.Bands.Prefill}} {
		fmt.Fprintf(w, "  %s: %s\n", b.what, b.band)
	}
	fmt.Fprintf(w, "\nMemory per device: weights %s + KV %s + activations %s = %s of %s usable (%.0f%% of %s; engine fraction %.2f, --memory-fraction to change).\n",
		report.Bytes(float64(mem.WeightBytes)), report.Bytes(float64(mem.KVBytes)), report.Bytes(float64(mem.ActivationBytes)),
		report.Bytes(float64(mem.TotalBytes)), report.Bytes(float64(mem.UsableBytes)),
		100*float64(mem.UsableBytes)/float64(hw.MemoryBytes), report.Bytes(float64(hw.MemoryBytes)), pr.MemoryFraction)
	fmt.Fprintf(w, "KV cache capacity: %d tokens; %d concurrent requests of %d tokens.\n",
		pr.KVCacheTokens, pr.MaxConcurrency, pr.Context+1)
	if pr.Note != "" {
		fmt.Fprintf(w, "Note: %s.\n", pr.Note)
	}
	for _, st := range []struct {
		title string
		step  cost.Step
	}{{"Cached decode step", pr.Cached}, {"Uncached decode step", pr.Uncached}} {
		if !st.step.Fits {
			continue
		}
		fmt.Fprintln(w)
		if err := breakdownTable(st.title, st.step).WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

func breakdownTable(title string, st cost.Step) report.Table {
	t := report.Table{
		Title: fmt.Sprintf("%s, per device: %s, %s-bound", title, report.Seconds(st.Seconds), st.Bound),
		Columns: []report.Column{{Name: "op"}, {Name: "kernels"}, {Name: "FLOPs"}, {Name: "weights"}, {Name: "KV"},
			{Name: "activations"}, {Name: "time"}, {Name: "share"}, {Name: "bound"}},
	}
	for _, o := range st.Ops {
		t.AddRow(o.Name, fmt.Sprint(o.Kernels), report.Count(o.FLOPs), report.Bytes(o.WeightBytes), report.Bytes(o.KVBytes),
			report.Bytes(o.ActivationBytes), report.Seconds(o.Seconds), fmt.Sprintf("%.1f%%", 100*o.Seconds/st.Seconds), string(o.Bound))
	}
	return t
}

// likely is the measured time a band suggests for a predicted one.
func likely(s *float64, b cost.Band) string {
	if s == nil {
		return "-"
	}
	lo, hi := b.Range(*s)
	if hi == 0 {
		return "no band"
	}
	return report.Seconds(lo) + " - " + report.Seconds(hi)
}

func seconds(s *float64) string {
	if s == nil {
		return "-"
	}
	return report.Seconds(*s)
}

func perSecond(s *float64, batch int) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", float64(batch) / *s)
}

func ratio(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.3gx", *r)
}

func bound(b *cost.Bound) string {
	if b == nil {
		return "-"
	}
	return string(*b)
}
