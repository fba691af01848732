package figures

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/widgets"
)

// CompareCPU prices every decode step that section 2 measured with the cost
// model on this-cpu (calibrated with the decoder's own code,
// cost.MeasureDecoderKernels, as kvsim predict is) and saves the comparison.
func (l *Lab) CompareCPU() (CPUComparison, error) {
	start := time.Now()
	var run MeasuredRun
	if _, err := l.load("measured", &run); err != nil {
		return CPUComparison{}, err
	}
	hw, err := l.Calibrator.Hardware()
	if err != nil {
		return CPUComparison{}, fmt.Errorf("figures: %w", err)
	}
	c, err := CompareWithModel(run, l.Small, hw)
	if err != nil {
		return CPUComparison{}, err
	}
	c.Calibration, _ = l.Calibrator.Calibration()
	sec := time.Since(start).Seconds()
	l.logf("priced %d measured decode steps with the this-cpu cost model in %.2f s", len(c.Contexts), sec)
	return c, l.save("cpu", c, sec)
}

// CompareWithModel prices the decode steps of run (a run of spec) on hw
// (this-cpu) and sets the errors: (predicted - measured) / measured, per
// step and summed.
func CompareWithModel(run MeasuredRun, spec model.Spec, hw cost.Hardware) (CPUComparison, error) {
	c := CPUComparison{Model: run.Model}
	n := min(len(run.Positions), len(run.Cached.PerTokenS), len(run.Uncached.PerTokenS))
	if n < 2 {
		return c, errors.New("figures: the measured run has no decode steps to compare")
	}
	pred, err := cost.New(spec, hw, cost.Options{})
	if err != nil {
		return c, fmt.Errorf("figures: %w", err)
	}
	var errC, errU []float64
	for i := 1; i < n; i++ {
		ctx := run.Positions[i]
		sc, err := pred.Decode(1, ctx, true)
		if err != nil {
			return c, fmt.Errorf("figures: %w", err)
		}
		su, err := pred.Decode(1, ctx, false)
		if err != nil {
			return c, fmt.Errorf("figures: %w", err)
		}
		c.Contexts = append(c.Contexts, ctx)
		c.MeasuredCachedS = append(c.MeasuredCachedS, run.Cached.PerTokenS[i])
		c.MeasuredUncachedS = append(c.MeasuredUncachedS, run.Uncached.PerTokenS[i])
		c.PredictedCachedS = append(c.PredictedCachedS, sc.Seconds)
		c.PredictedUncachedS = append(c.PredictedUncachedS, su.Seconds)
		errC = append(errC, math.Abs(sc.Seconds-run.Cached.PerTokenS[i])/run.Cached.PerTokenS[i])
		errU = append(errU, math.Abs(su.Seconds-run.Uncached.PerTokenS[i])/run.Uncached.PerTokenS[i])
	}
	c.TotalErrorCached = relErr(sum(c.PredictedCachedS), sum(c.MeasuredCachedS))
	c.TotalErrorUncached = relErr(sum(c.PredictedUncachedS), sum(c.MeasuredUncachedS))
	c.MedianAbsErrorCached, c.MedianAbsErrorUncached = median(errC), median(errU)
	c.PredictedSpeedup = sum(c.PredictedUncachedS) / sum(c.PredictedCachedS)
	c.MeasuredSpeedup = sum(c.MeasuredUncachedS) / sum(c.MeasuredCachedS)
	return c, nil
}

func relErr(predicted, measured float64) float64 { return (predicted - measured) / measured }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return nan()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ModelVsMeasurement is the second figure of section 3: the cost model's
// this-cpu prediction beside the measurement, per decode step, and the
// error of each step in percent.
func ModelVsMeasurement(c CPUComparison) *widgets.Explorer {
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
				ec[i] = 100 * relErr(c.PredictedCachedS[i], c.MeasuredCachedS[i])
				eu[i] = 100 * relErr(c.PredictedUncachedS[i], c.MeasuredUncachedS[i])
			}
			return newPlot("Prediction error per step", widgets.Axis{Name: "Context", Unit: "tokens"}, widgets.Axis{Name: "(predicted − measured) / measured", Unit: "%"}).
				add("with cache", xs, ec, style{color: colorCached, width: 1.5}).
				add("without", xs, eu, style{color: colorUncached, width: 1.5}).
				legendRows(104)
		}, widgets.Size("49%", "380px")).
		Fragment(func(widgets.At) string {
			return fmt.Sprintf("<p>Summed over the decode steps the model is off by <b>%+.0f%%</b> with the cache and <b>%+.0f%%</b> without "+
				"(median step: %.0f%% and %.0f%%); it predicts a %s speedup where %s was measured. "+
				"this-cpu, timed with the decoder's own code (%d threads): matmul %.3g GFLOP/s, matrix-vector %.3g GFLOP/s, stream %.3g GB/s, fork-join %.2g µs, "+
				"plus the cost of attention and of each element-wise step (<code>kvsim hardware this-cpu</code> lists them).</p>",
				100*c.TotalErrorCached, 100*c.TotalErrorUncached, 100*c.MedianAbsErrorCached, 100*c.MedianAbsErrorUncached,
				times(c.PredictedSpeedup), times(c.MeasuredSpeedup),
				c.Calibration.Threads, c.Calibration.MatmulFLOPS/1e9, c.Calibration.MatvecFLOPS/1e9, c.Calibration.StreamBandwidth/1e9, c.Calibration.ForkJoinSeconds*1e6)
		})
}

func scaled(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * k
	}
	return out
}
