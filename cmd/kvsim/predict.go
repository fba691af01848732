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
	exec := fs.String("exec", "graph", "kernel launches: eager (one per op, PyTorch default) or graph (CUDA graphs, vLLM)")
	tp := fs.Int("tp", 0, "tensor-parallel devices `T` (default: the fewest that fit)")
	fraction := fs.Float64("memory-fraction", cost.DefaultMemoryFraction, "share of device memory the engine may use")
	allowLong := fs.Bool("allow-long", false, "allow a context beyond the model's trained maximum")
	asJSON := fs.Bool("json", false, "print JSON (an array with --all)")
	modelFile := addModelFileFlag(fs)
	hwFile := addHardwareFileFlag(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: kvsim predict --model NAME --hardware NAME --context L [--batch B] [--dtype bf16] [--exec eager|graph] [--tp T] [--json]\n"+
			"       kvsim predict --all --hardware NAME|all --context L [...]\n\n"+
			"Predicts a decode step with and without a KV cache, the prefill and the cache capacity\n"+
			"with a roofline model (see kvsim/cost).\n\n")
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
	case *hwName == "" && *hwFile != "":
		return usagef("--hardware-file adds devices; name the one to predict on with --hardware NAME")
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
	case !(*fraction > 0 && *fraction <= 1):
		return usagef("--memory-fraction must be in (0, 1], got %g", *fraction)
	}
	mode, err := cost.ParseExecMode(*exec)
	if err != nil {
		return usagef("%v", err)
	}
	opt := cost.Options{Exec: mode, TP: *tp, MemoryFraction: *fraction, AllowLongContext: *allowLong}
	if *dtype != "" {
		if opt.DType, err = model.ParseDType(*dtype); err != nil {
			return usagef("%v", err)
		}
	}
	cat, err := loadCatalog(*modelFile)
	if err != nil {
		return err
	}
	own, err := loadHardware(*hwFile)
	if err != nil {
		return err
	}
	cal := cost.NewCalibrator(nil)
	var hardware []cost.Hardware
	if *all && strings.EqualFold(*hwName, "all") {
		if hardware, err = cost.AllHardware(cal); err != nil {
			return err
		}
		hardware = append(hardware, own...)
	} else {
		h, err := cost.LookupHardwareIn(*hwName, own, cal)
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
			pr, err := predictOne(spec, h, opt, *context, *batch)
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
		Title: fmt.Sprintf("Decode step at context %d, batch %d, %s mode (roofline prediction; per step)", context, batch, orDefault(string(opt.Exec), "graph")),
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

func writePrediction(w io.Writer, pr cost.Prediction, hw cost.Hardware) error {
	fmt.Fprintf(w, "%s on %s (%s), %s, %s mode, TP %d, batch %d, context %d\n\n",
		pr.Model, pr.Hardware, hw.Device, pr.DType, pr.Exec, pr.TP, pr.Batch, pr.Context)
	mem := pr.Cached.Memory
	if !pr.Fits {
		fmt.Fprintf(w, "Does not fit: %s.\n", pr.Note)
		fmt.Fprintf(w, "Try more devices (--tp), a smaller dtype (--dtype), or a smaller batch or context.\n")
		return nil
	}
	summary := report.Table{Columns: []report.Column{{Name: ""}, {Name: "with KV cache"}, {Name: "without"}}}
	summary.AddRow("decode step", seconds(pr.DecodeCachedSeconds), seconds(pr.DecodeUncachedSeconds))
	summary.AddRow("bound", bound(pr.BoundCached), bound(pr.BoundUncached))
	summary.AddRow("tokens/s (batch)", perSecond(pr.DecodeCachedSeconds, pr.Batch), perSecond(pr.DecodeUncachedSeconds, pr.Batch))
	summary.AddRow("speedup", ratio(pr.Speedup), "")
	summary.AddRow(fmt.Sprintf("prefill of %d tokens", pr.Context), seconds(pr.PrefillSeconds), "")
	if err := summary.WriteText(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nMemory per device: weights %s + KV %s + activations %s = %s of %s usable (%.0f%% of %s).\n",
		report.Bytes(float64(mem.WeightBytes)), report.Bytes(float64(mem.KVBytes)), report.Bytes(float64(mem.ActivationBytes)),
		report.Bytes(float64(mem.TotalBytes)), report.Bytes(float64(mem.UsableBytes)),
		100*float64(mem.UsableBytes)/float64(hw.MemoryBytes), report.Bytes(float64(hw.MemoryBytes)))
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

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
