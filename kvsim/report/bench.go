package report

import (
	"fmt"

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
