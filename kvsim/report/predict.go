package report

import (
	"errors"
	"fmt"
	"io"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/units"
)

// PredictionRow is one model on one hardware of kvsim predict --all.
type PredictionRow struct {
	Prediction cost.Prediction
	Spec       model.Spec
	Hardware   string
	Err        error // why it could not be predicted
}

// PredictionTable is kvsim predict --all: one row per model and hardware,
// or the reason it could not be predicted.
func PredictionTable(rows []PredictionRow, context, batch int, opt cost.Options) Table {
	t := Table{
		Title: fmt.Sprintf("Decode step at context %d, batch %d, engine %s (roofline prediction; per step)", context, batch, EngineLabel(opt)),
		Columns: []Column{{Name: "model"}, {Name: "params"}, {Name: "hardware"}, {Name: "dtype"}, {Name: "TP"},
			{Name: "cached"}, {Name: "uncached"}, {Name: "speedup"}, {Name: "bound cached/uncached"},
			{Name: "prefill"}, {Name: "KV cache", Unit: "tokens"}, {Name: "max concurrency"}},
	}
	for _, r := range rows {
		params := units.Count(float64(r.Spec.TotalParams()))
		if r.Err != nil {
			msg := r.Err.Error()
			if ce := (*cost.ContextError)(nil); errors.As(r.Err, &ce) {
				msg = fmt.Sprintf("context beyond its window of %d (--allow-long)", ce.MaxContext)
			}
			t.AddRow(r.Spec.Name, params, r.Hardware, "-", "-", msg, "", "", "", "", "", "")
			continue
		}
		pr := r.Prediction
		if !pr.Fits {
			t.AddRow(pr.Model, params, pr.Hardware, string(pr.DType), fmt.Sprint(pr.TP), "does not fit", "", "", "",
				"", units.Count(float64(pr.KVCacheTokens)), fmt.Sprint(pr.MaxConcurrency))
			continue
		}
		t.AddRow(pr.Model, params, pr.Hardware, string(pr.DType), fmt.Sprint(pr.TP),
			seconds(pr.DecodeCachedSeconds), seconds(pr.DecodeUncachedSeconds), ratio(pr.Speedup),
			bound(pr.BoundCached)+"/"+bound(pr.BoundUncached), seconds(pr.PrefillSeconds),
			units.Count(float64(pr.KVCacheTokens)), fmt.Sprint(pr.MaxConcurrency))
	}
	return t
}

// WritePrediction writes one prediction in full: the decode steps with and
// without a cache, memory per device, capacity, and each step's breakdown.
func WritePrediction(w io.Writer, pr cost.Prediction, hw cost.Hardware) error {
	fmt.Fprintf(w, "%s on %s (%s), %s, engine %s (%s launches), TP %d, batch %d, context %d\n\n",
		pr.Model, pr.Hardware, hw.Device, pr.DType, pr.Engine, pr.Exec, pr.TP, pr.Batch, pr.Context)
	mem := pr.Cached.Memory
	if !pr.Fits {
		fmt.Fprintf(w, "Does not fit: %s.\n", pr.Note)
		fmt.Fprintf(w, "Try more devices (--tp), a smaller dtype (--dtype), or a smaller batch or context.\n")
		return nil
	}
	summary := Table{Columns: []Column{{Name: ""}, {Name: "with KV cache"}, {Name: "without"}}}
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
		units.Bytes(float64(mem.WeightBytes)), units.Bytes(float64(mem.KVBytes)), units.Bytes(float64(mem.ActivationBytes)),
		units.Bytes(float64(mem.TotalBytes)), units.Bytes(float64(mem.UsableBytes)),
		100*float64(mem.UsableBytes)/float64(hw.MemoryBytes), units.Bytes(float64(hw.MemoryBytes)), pr.MemoryFraction)
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
		if err := StepBreakdown(st.title, st.step).WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

// StepBreakdown is one predicted step, operation by operation.
func StepBreakdown(title string, st cost.Step) Table {
	t := Table{
		Title: fmt.Sprintf("%s, per device: %s, %s-bound", title, units.Seconds(st.Seconds), st.Bound),
		Columns: []Column{{Name: "op"}, {Name: "kernels"}, {Name: "FLOPs"}, {Name: "weights"}, {Name: "KV"},
			{Name: "activations"}, {Name: "time"}, {Name: "share"}, {Name: "bound"}},
	}
	for _, o := range st.Ops {
		t.AddRow(o.Name, fmt.Sprint(o.Kernels), units.Count(o.FLOPs), units.Bytes(o.WeightBytes), units.Bytes(o.KVBytes),
			units.Bytes(o.ActivationBytes), units.Seconds(o.Seconds), fmt.Sprintf("%.1f%%", 100*o.Seconds/st.Seconds), string(o.Bound))
	}
	return t
}

// EngineLabel names the engine the options pick, for titles.
func EngineLabel(opt cost.Options) string {
	if opt.Engine != "" {
		return opt.Engine
	}
	return cost.EngineForExec(opt.Exec)
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
	return units.Seconds(lo) + " - " + units.Seconds(hi)
}

func seconds(s *float64) string {
	if s == nil {
		return "-"
	}
	return units.Seconds(*s)
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

// PredictionRowsJSON is kvsim predict --all --json: each row's prediction
// or, when it could not be predicted, its model, hardware and error.
func PredictionRowsJSON(rows []PredictionRow) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r.Prediction
		if r.Err != nil {
			out[i] = map[string]any{"model": r.Spec.Name, "hardware": r.Hardware, "fits": false, "error": r.Err.Error()}
		}
	}
	return out
}
