package cost

import (
	"fmt"
	"math"
	"slices"
)

// DecodeComparison is a measured generation's decode steps beside the
// prediction of the same steps.
type DecodeComparison struct {
	Prompt          int       `json:"prompt"`
	Cached          bool      `json:"cached"`
	MeasuredS       []float64 `json:"measured_s"`  // decode step i+1 (context prompt+i)
	PredictedS      []float64 `json:"predicted_s"` // the same step predicted
	TotalMeasuredS  float64   `json:"total_measured_s"`
	TotalPredictedS float64   `json:"total_predicted_s"`
	TotalError      float64   `json:"total_error"` // (predicted - measured) / measured
}

// CompareDecode prices the decode steps of a generation after a prompt of
// prompt tokens and sets them beside measured, the measured time of each
// decode step in order (decoder.PathResult.PerTokenS without entry 0, the
// prefill).
func (p *Predictor) CompareDecode(prompt int, cached bool, measured []float64) (DecodeComparison, error) {
	if len(measured) == 0 {
		return DecodeComparison{}, fmt.Errorf("cost: no measured decode steps to compare (a generation of 1 token has none)")
	}
	for i, m := range measured {
		if !(m > 0) || math.IsInf(m, 0) {
			return DecodeComparison{}, fmt.Errorf("cost: measured decode step %d took %g s; need positive times", i+1, m)
		}
	}
	pred, err := p.DecodeSteps(prompt, len(measured)+1, cached)
	if err != nil {
		return DecodeComparison{}, err
	}
	c := DecodeComparison{Prompt: prompt, Cached: cached, MeasuredS: slices.Clone(measured), PredictedS: pred}
	for i := range pred {
		c.TotalMeasuredS += measured[i]
		c.TotalPredictedS += pred[i]
	}
	c.TotalError = relativeError(c.TotalPredictedS, c.TotalMeasuredS)
	return c, nil
}

// Window compares the median measured and predicted steps of the n steps
// centred on step index i (clipped to the run) and returns them with the
// relative error; medians keep one disturbed step from deciding.
func (c DecodeComparison) Window(i, n int) (measured, predicted, relErr float64) {
	lo := min(max(i-n/2, 0), max(len(c.MeasuredS)-n, 0))
	hi := min(lo+n, len(c.MeasuredS))
	measured, predicted = median(c.MeasuredS[lo:hi]), median(c.PredictedS[lo:hi])
	return measured, predicted, relativeError(predicted, measured)
}

func relativeError(predicted, measured float64) float64 { return (predicted - measured) / measured }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
