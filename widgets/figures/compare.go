package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// ModelVsMeasurement is the second figure of section 3: the cost model's
// this-cpu prediction beside the measurement, per decode step, and the
// error of each step in percent.
func ModelVsMeasurement(c study.CPUComparison) *widgets.Explorer {
	xs := ints(c.Contexts)
	return widgets.NewExplorer().
		Caption(fmt.Sprintf("%s: the cost model (this-cpu) against the measurement", c.Model)).
		Chart(func(widgets.At) widgets.Charter {
			return newPlot("Time per token, measured and predicted", widgets.Axis{Name: "Context", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true}).
				add("measured, with cache", xs, scaled(c.MeasuredCachedS, 1e3), style{color: colorCached, width: 1.5}).
				add("predicted, with cache", xs, scaled(c.PredictedCachedS, 1e3), style{color: colorCached, dashed: true}).
				add("measured, without", xs, scaled(c.MeasuredUncachedS, 1e3), style{color: colorUncached, width: 1.5}).
				add("predicted, without", xs, scaled(c.PredictedUncachedS, 1e3), style{color: colorUncached, dashed: true}).
				legendRows(104)
		}, widgets.Size("49%", "380px")).
		Chart(func(widgets.At) widgets.Charter {
			ec, eu := make([]float64, len(xs)), make([]float64, len(xs))
			for i := range xs {
				ec[i], eu[i] = 100*c.StepError(i, true), 100*c.StepError(i, false)
			}
			return newPlot("Prediction error per step", widgets.Axis{Name: "Context", Unit: "tokens"}, widgets.Axis{Name: "(predicted − measured) / measured", Unit: "%"}).
				add("with cache", xs, ec, style{color: colorCached, width: 1.5}).
				add("without", xs, eu, style{color: colorUncached, width: 1.5}).
				legendRows(104)
		}, widgets.Size("49%", "380px")).
		Fragment(func(widgets.At) string {
			cal := c.Calibration
			return fmt.Sprintf("<p>Summed over the decode steps the model is off by <b>%+.0f%%</b> with the cache and <b>%+.0f%%</b> without "+
				"(median step: %.0f%% and %.0f%%); it predicts a %s speedup where %s was measured. "+
				"this-cpu, timed with the decoder's own code (%d threads): matmul %.3g GFLOP/s, matrix-vector %.3g GFLOP/s, stream %.3g GB/s, fork-join %.2g µs, "+
				"plus the cost of attention and of each element-wise step (<code>kvsim hardware this-cpu</code> lists them).</p>",
				100*c.TotalErrorCached, 100*c.TotalErrorUncached, 100*c.MedianAbsErrorCached, 100*c.MedianAbsErrorUncached,
				units.Times(c.PredictedSpeedup), units.Times(c.MeasuredSpeedup),
				cal.Threads, cal.MatmulFLOPS/1e9, cal.MatvecFLOPS/1e9, cal.StreamBandwidth/1e9, cal.ForkJoinSeconds*1e6)
		})
}
