package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// ModelVsMeasurement is the second figure of section 3: the cost model's
// this-cpu prediction beside the measurement (the median of its runs,
// shaded from the fastest to the slowest run), per decode step, and the
// error of each step in percent with the band the runs allow.
func ModelVsMeasurement(c study.CPUComparison) *widgets.Explorer {
	xs := ints(c.Contexts)
	runs := runsLabel(max(c.Repeat, 1))
	return widgets.NewExplorer().
		Caption(fmt.Sprintf("%s: the cost model (this-cpu) against the measurement of section 2 (medians of %d runs)", c.Model, max(c.Repeat, 1))).
		Chart(func(widgets.At) widgets.Charter {
			pl := newPlot("Time per token, measured and predicted", widgets.Axis{Name: "Context", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true}).
				add("measured, with cache", xs, scaled(c.MeasuredCachedS, 1e3), style{color: colorCached, width: 1.5}).
				add("predicted, with cache", xs, scaled(c.PredictedCachedS, 1e3), style{color: colorCached, dashed: true}).
				add("measured, without", xs, scaled(c.MeasuredUncachedS, 1e3), style{color: colorUncached, width: 1.5}).
				add("predicted, without", xs, scaled(c.PredictedUncachedS, 1e3), style{color: colorUncached, dashed: true})
			if len(c.MeasuredCachedMinS) == len(xs) && len(c.MeasuredUncachedMinS) == len(xs) {
				pl.runBand("with cache, "+runs, xs, scaled(c.MeasuredCachedMinS, 1e3), scaled(c.MeasuredCachedMaxS, 1e3), colorCached).
					runBand("without, "+runs, xs, scaled(c.MeasuredUncachedMinS, 1e3), scaled(c.MeasuredUncachedMaxS, 1e3), colorUncached)
			}
			return pl.legendRows(124)
		}, widgets.Size("49%", "400px")).
		Chart(func(widgets.At) widgets.Charter {
			ec, eu := make([]float64, len(xs)), make([]float64, len(xs))
			var cLo, cHi, uLo, uHi []float64
			for i := range xs {
				ec[i], eu[i] = 100*c.StepError(i, true), 100*c.StepError(i, false)
				lo, hi := c.StepErrorBand(i, true)
				cLo, cHi = append(cLo, 100*lo), append(cHi, 100*hi)
				lo, hi = c.StepErrorBand(i, false)
				uLo, uHi = append(uLo, 100*lo), append(uHi, 100*hi)
			}
			return newPlot("Prediction error per step", widgets.Axis{Name: "Context", Unit: "tokens"}, widgets.Axis{Name: "(predicted − measured) / measured", Unit: "%"}).
				add("with cache", xs, ec, style{color: colorCached, width: 1.5}).
				add("without", xs, eu, style{color: colorUncached, width: 1.5}).
				runBand("with cache, against "+runs, xs, cLo, cHi, colorCached).
				runBand("without, against "+runs, xs, uLo, uHi, colorUncached).
				legendRows(124)
		}, widgets.Size("49%", "400px")).
		Fragment(func(widgets.At) string { return compareSentence(c) })
}

func compareSentence(c study.CPUComparison) string {
	errText := func(e float64, band [2]float64, within bool) string {
		s := fmt.Sprintf("<b>%+.0f%%</b>", 100*e)
		if band != [2]float64{} {
			s += fmt.Sprintf(" (%+.0f%% to %+.0f%% against the fastest and slowest runs", 100*band[0], 100*band[1])
			if within {
				s += ": within the measurement's noise"
			}
			s += ")"
		}
		return s
	}
	cal := c.Calibration
	figures := fmt.Sprintf("matmul %.3g GFLOP/s, matrix-vector %.3g GFLOP/s, stream %.3g GB/s, fork-join %.2g µs",
		cal.MatmulFLOPS/1e9, cal.MatvecFLOPS/1e9, cal.StreamBandwidth/1e9, cal.ForkJoinSeconds*1e6)
	if n := cal.Noise; n != nil {
		figures = fmt.Sprintf("matmul %s GFLOP/s, matrix-vector %s GFLOP/s, stream %s GB/s, fork-join %s µs (median round of %d, range in brackets)",
			spreadText(n.MatmulFLOPS.Scaled(1e-9), g3), spreadText(n.MatvecFLOPS.Scaled(1e-9), g3), spreadText(n.StreamBandwidth.Scaled(1e-9), g3),
			spreadText(n.ForkJoinSeconds.Scaled(1e6), g2), n.Rounds)
		if n.OthersBusy != nil {
			figures += fmt.Sprintf("; other processes kept %.2f cores busy while it ran", *n.OthersBusy)
		}
	}
	return fmt.Sprintf("<p>Summed over the decode steps the model is off by %s with the cache and %s without "+
		"(median step: %.0f%% and %.0f%%); it predicts a %s speedup where %s was measured. "+
		"this-cpu, timed with the decoder's own code (%d threads): %s, "+
		"plus the cost of attention and of each element-wise step (<code>kvsim hardware this-cpu</code> lists them).</p>",
		errText(c.TotalErrorCached, c.TotalErrorCachedBand, c.WithinNoise(true)), errText(c.TotalErrorUncached, c.TotalErrorUncachedBand, c.WithinNoise(false)),
		100*c.MedianAbsErrorCached, 100*c.MedianAbsErrorUncached,
		units.Times(c.PredictedSpeedup), units.Times(c.MeasuredSpeedup), cal.Threads, figures)
}

func g3(v float64) string { return fmt.Sprintf("%.3g", v) }
func g2(v float64) string { return fmt.Sprintf("%.2g", v) }
