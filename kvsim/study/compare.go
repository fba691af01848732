package study

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// CompareSettings set up the comparison of section 3: the cost model on
// this CPU against section 2's measurement.
type CompareSettings struct {
	Model       model.Spec       // the measured model
	Measured    Measured         // its run (Measure)
	Hardware    cost.Hardware    // this-cpu, as kvsim bench --predict prices it
	Calibration cost.Calibration // what measured Hardware, recorded with the result
}

// CPUComparison is the cost model's this-cpu prediction beside the
// measurement of section 2, decode step by decode step. Its errors are
// cost.CompareDecode's, as kvsim bench --predict prints them.
type CPUComparison struct {
	Model              string           `json:"model"`
	Calibration        cost.Calibration `json:"calibration"`
	Contexts           []int            `json:"contexts"`          // tokens before the new one, one per decode step
	MeasuredCachedS    []float64        `json:"measured_cached_s"` // medians over the measurement's runs
	MeasuredUncachedS  []float64        `json:"measured_uncached_s"`
	PredictedCachedS   []float64        `json:"predicted_cached_s"`
	PredictedUncachedS []float64        `json:"predicted_uncached_s"`
	// The fastest and slowest run of each measured step.
	MeasuredCachedMinS   []float64 `json:"measured_cached_min_s,omitempty"`
	MeasuredCachedMaxS   []float64 `json:"measured_cached_max_s,omitempty"`
	MeasuredUncachedMinS []float64 `json:"measured_uncached_min_s,omitempty"`
	MeasuredUncachedMaxS []float64 `json:"measured_uncached_max_s,omitempty"`
	Repeat               int       `json:"repeat"` // the measurement's runs of each path
	// (predicted - measured) / measured over the summed decode steps.
	TotalErrorCached   float64 `json:"total_error_cached"`
	TotalErrorUncached float64 `json:"total_error_uncached"`
	// The same error against the summed fastest and slowest runs of each
	// step: a band wider than any one run's, inside which the model cannot
	// be told from the measurement. [lo, hi]; zero without repeats.
	TotalErrorCachedBand   [2]float64 `json:"total_error_cached_band"`
	TotalErrorUncachedBand [2]float64 `json:"total_error_uncached_band"`
	// Median over steps of |predicted - measured| / measured.
	MedianAbsErrorCached   float64 `json:"median_abs_error_cached"`
	MedianAbsErrorUncached float64 `json:"median_abs_error_uncached"`
	PredictedSpeedup       float64 `json:"predicted_speedup"` // summed decode steps
	MeasuredSpeedup        float64 `json:"measured_speedup"`
	Provenance             `json:"provenance"`
}

// Study names the result: data/cpu.json.
func (CPUComparison) Study() string { return "cpu" }

// Summary says what was compared.
func (c CPUComparison) Summary() string {
	return fmt.Sprintf("priced %d measured decode steps with the this-cpu cost model in %.2f s", len(c.Contexts), c.Took)
}

// StepError is (predicted - measured) / measured of decode step i.
func (c CPUComparison) StepError(i int, cached bool) float64 {
	if cached {
		return relErr(c.PredictedCachedS[i], c.MeasuredCachedS[i])
	}
	return relErr(c.PredictedUncachedS[i], c.MeasuredUncachedS[i])
}

func relErr(predicted, measured float64) float64 { return (predicted - measured) / measured }

// CompareCPU prices every decode step the measurement timed with the cost
// model on this-cpu, through cost.Predictor.CompareDecode.
func CompareCPU(ctx context.Context, s CompareSettings) (CPUComparison, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return CPUComparison{}, err
	}
	m := s.Measured
	if len(m.Cached.PerTokenS) < 2 || len(m.Uncached.PerTokenS) < 2 {
		return CPUComparison{}, errors.New("study: the measured run has no decode steps to compare on both paths")
	}
	pred, err := cost.New(s.Model, s.Hardware, cost.Options{})
	if err != nil {
		return CPUComparison{}, fmt.Errorf("study: %w", err)
	}
	cached, err := pred.CompareDecode(m.Prompt, true, m.Cached.PerTokenS[1:])
	if err != nil {
		return CPUComparison{}, fmt.Errorf("study: %w", err)
	}
	uncached, err := pred.CompareDecode(m.Prompt, false, m.Uncached.PerTokenS[1:])
	if err != nil {
		return CPUComparison{}, fmt.Errorf("study: %w", err)
	}
	c := NewCPUComparison(m.Model, cached, uncached)
	c.Calibration = s.Calibration
	c.Repeat = m.Repeat
	n := len(c.Contexts)
	band := func(fastest, slowest []float64, predicted []float64) (fast, slow []float64, errBand [2]float64) {
		if len(fastest) < n+1 || len(slowest) < n+1 {
			return nil, nil, errBand
		}
		fast, slow = fastest[1:n+1], slowest[1:n+1] // the decode steps
		p := sum(predicted)
		return fast, slow, [2]float64{relErr(p, sum(slow)), relErr(p, sum(fast))}
	}
	c.MeasuredCachedMinS, c.MeasuredCachedMaxS, c.TotalErrorCachedBand = band(m.Cached.PerTokenMinS, m.Cached.PerTokenMaxS, c.PredictedCachedS)
	c.MeasuredUncachedMinS, c.MeasuredUncachedMaxS, c.TotalErrorUncachedBand = band(m.Uncached.PerTokenMinS, m.Uncached.PerTokenMaxS, c.PredictedUncachedS)
	c.Provenance = stamp(start)
	return c, nil
}

// StepErrorBand is the error of decode step i against its slowest and
// fastest run: (predicted - max) / max to (predicted - min) / min; both the
// median's error without repeats.
func (c CPUComparison) StepErrorBand(i int, cached bool) (lo, hi float64) {
	pred, fast, slow := c.PredictedUncachedS, c.MeasuredUncachedMinS, c.MeasuredUncachedMaxS
	if cached {
		pred, fast, slow = c.PredictedCachedS, c.MeasuredCachedMinS, c.MeasuredCachedMaxS
	}
	if i >= len(fast) || i >= len(slow) {
		e := c.StepError(i, cached)
		return e, e
	}
	return relErr(pred[i], slow[i]), relErr(pred[i], fast[i])
}

// WithinNoise says the predicted total of the path lies inside the
// measurement's band (TotalError*Band holds 0).
func (c CPUComparison) WithinNoise(cached bool) bool {
	b := c.TotalErrorUncachedBand
	if cached {
		b = c.TotalErrorCachedBand
	}
	return b != [2]float64{} && b[0] <= 0 && 0 <= b[1]
}

// NewCPUComparison sets the two paths' comparisons side by side; their
// decode steps must match (the same run).
func NewCPUComparison(modelName string, cached, uncached cost.DecodeComparison) CPUComparison {
	n := min(len(cached.MeasuredS), len(uncached.MeasuredS))
	c := CPUComparison{Model: modelName,
		MeasuredCachedS: cached.MeasuredS[:n], PredictedCachedS: cached.PredictedS[:n],
		MeasuredUncachedS: uncached.MeasuredS[:n], PredictedUncachedS: uncached.PredictedS[:n],
		TotalErrorCached: cached.TotalError, TotalErrorUncached: uncached.TotalError}
	absC, absU := make([]float64, n), make([]float64, n)
	for i := range n {
		c.Contexts = append(c.Contexts, cached.Prompt+i)
		absC[i], absU[i] = math.Abs(c.StepError(i, true)), math.Abs(c.StepError(i, false))
	}
	c.MedianAbsErrorCached, c.MedianAbsErrorUncached = median(absC), median(absU)
	c.PredictedSpeedup = sum(c.PredictedUncachedS) / sum(c.PredictedCachedS)
	c.MeasuredSpeedup = sum(c.MeasuredUncachedS) / sum(c.MeasuredCachedS)
	return c
}
