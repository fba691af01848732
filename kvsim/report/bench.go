package report

import (
	"fmt"
	"io"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/decoder"
	"kvcache/kvsim/units"
)

// BenchTable is a decoder run, one row per path: totals (the median of
// the runs, then their range), first and last token, decode rate, where
// the time went, hit rate and KV memory. Times are medians over the runs.
func BenchTable(r *decoder.BenchResult) Table {
	t := Table{
		Title: fmt.Sprintf("%s: %d prompt + %d new tokens, %d threads, %s weights; medians of %d runs of each path in turn, after %d warm-up tokens",
			r.Model, r.Prompt, r.New, r.Threads, r.Weights, r.Repeat, r.WarmUpTokens),
		Columns: []Column{{Name: "path"}, {Name: "total"}, {Name: "total min-max", Align: Left}, {Name: "first token"}, {Name: "last token"},
			{Name: "decode", Unit: "tok/s"}, {Name: "decode min-max", Align: Left}, {Name: "matmul"}, {Name: "attention"}, {Name: "KV io"},
			{Name: "recompute"}, {Name: "other"}, {Name: "hit rate"}, {Name: "KV peak"}},
	}
	add := func(label string, p *decoder.PathResult) {
		if p == nil {
			return
		}
		b := p.Breakdown
		t.AddRow(label, units.Seconds(p.TotalS), SecondsRange(p.TotalSSpread.Min, p.TotalSSpread.Max),
			units.Seconds(p.PerTokenS[0]), units.Seconds(p.PerTokenS[len(p.PerTokenS)-1]),
			fmt.Sprintf("%.1f", p.DecodeTokensPerS), fmt.Sprintf("%.1f-%.1f", p.DecodeSpread.Min, p.DecodeSpread.Max),
			units.Seconds(b.MatmulS), units.Seconds(b.AttentionS), units.Seconds(b.KVIOS), units.Seconds(b.RecomputeS), units.Seconds(b.OtherS),
			fmt.Sprintf("%.1f%%", 100*p.HitRate), units.Bytes(float64(p.KVBytesPeak)))
	}
	cachedLabel := "cached"
	if r.CacheTokens > 0 {
		cachedLabel = fmt.Sprintf("cached (%d tokens, %s)", r.CacheTokens, r.Policy)
	}
	add(cachedLabel, r.Cached)
	add("uncached", r.Uncached)
	add("reference (full cache)", r.Reference)
	return t
}

// BusyCores is the load of other processes, in cores, from which a
// measurement is said to be taken on a busy machine.
const BusyCores = 0.5

// SecondsRange writes a range of seconds: "1.2 ms-1.5 ms".
func SecondsRange(lo, hi float64) string { return units.Seconds(lo) + "-" + units.Seconds(hi) }

// DecodeComparisonTable sets a prediction beside the measured decode steps
// of each path (the prefill left out on both sides); "last step" is the
// median of the last 8 steps.
func DecodeComparisonTable(cmp []cost.DecodeComparison) Table {
	t := Table{
		Title: "this-cpu prediction (kvsim/cost, calibrated before the run) against the measurement, decode steps only",
		Columns: []Column{{Name: "path"}, {Name: "steps"}, {Name: "measured"}, {Name: "predicted"}, {Name: "error"},
			{Name: "last step measured"}, {Name: "last step predicted"}, {Name: "error"}},
	}
	for _, c := range cmp {
		label := "uncached"
		if c.Cached {
			label = "cached"
		}
		n := len(c.MeasuredS)
		last, lastPred, lastErr := c.Window(n-1, 8)
		t.AddRow(label, fmt.Sprint(n), units.Seconds(c.TotalMeasuredS), units.Seconds(c.TotalPredictedS),
			fmt.Sprintf("%+.0f%%", 100*c.TotalError), units.Seconds(last), units.Seconds(lastPred), fmt.Sprintf("%+.0f%%", 100*lastErr))
	}
	return t
}

// BenchWithPrediction is kvsim bench --predict --json: the run, the cost
// model's prediction of each decode step, and the hardware it priced.
type BenchWithPrediction struct {
	*decoder.BenchResult
	Prediction []cost.DecodeComparison `json:"prediction"`
	Hardware   cost.Hardware           `json:"prediction_hardware"`
}

// ProgressLine redraws a terminal's progress line: the model, the phase,
// the timed run and the tokens done.
func ProgressLine(w io.Writer, p decoder.Progress) {
	run := ""
	if p.Repeats > 0 {
		run = fmt.Sprintf(" (run %d/%d)", p.Repeat, p.Repeats)
	}
	fmt.Fprintf(w, "\r\033[K%s %s%s: %d/%d", p.Model, p.Phase, run, p.Done, p.Total)
}

// WriteBench is kvsim bench's text: the table, the comparison of the two
// paths, a window's divergence, and the cost model's prediction of each
// decode step when cmp holds one (pred: the this-cpu predictor).
func WriteBench(w io.Writer, r *decoder.BenchResult, cmp []cost.DecodeComparison, pred *cost.Predictor) error {
	if err := BenchTable(r).WriteText(w); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nfirst token = the prompt's prefill; decode tok/s excludes it.")
	if r.Cached != nil && r.Uncached != nil && r.Ranking != nil {
		fmt.Fprintf(w, "speedup with the cache: %.2fx (%.2fx-%.2fx over %d runs, %s); same tokens: %v; max |logit diff| %.3g (%.2g relative)\n",
			r.Speedup, r.SpeedupSpread.Min, r.SpeedupSpread.Max, r.Repeat, r.Ranking.Label(), r.SameTokens, r.MaxAbsLogitDiff, r.MaxRelLogitDiff)
	}
	if r.OthersBusy != nil && *r.OthersBusy >= BusyCores {
		fmt.Fprintf(w, "busy machine: other processes kept %.1f cores busy during the runs\n", *r.OthersBusy)
	}
	if d := r.Divergence; d != nil {
		fmt.Fprintf(w, "window vs full cache (same tokens fed): top-1 agreement %.1f%%, KL mean %.3g max %.3g nats\n",
			100*d.Top1Agreement, d.MeanKL, d.MaxKL)
	}
	if len(cmp) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	if err := DecodeComparisonTable(cmp).WriteText(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nlast step = median of the last 8 decode steps. this-cpu: %s\n", pred.Hardware().Source)
	return err
}
