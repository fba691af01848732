package timing

import (
	"math"
	"slices"
)

// Spread describes repeated measurements of one quantity: how many, their
// median, quartiles (Q1, Q3), 10th and 90th percentiles, and extremes.
// Quantiles interpolate linearly between order statistics (Hyndman and
// Fan's definition 7).
type Spread struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P10    float64 `json:"p10"`
	P90    float64 `json:"p90"`
	Q1     float64 `json:"q1"`
	Q3     float64 `json:"q3"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// Of describes xs (NaN values are left out); no values give a zero Spread.
func Of(xs []float64) Spread {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return Spread{}
	}
	slices.Sort(s)
	return Spread{N: len(s), Median: quantile(s, 0.5), P10: quantile(s, 0.1), P90: quantile(s, 0.9),
		Q1: quantile(s, 0.25), Q3: quantile(s, 0.75), Min: s[0], Max: s[len(s)-1]}
}

// quantile is the p-quantile of sorted xs: with h = (n-1)p, the value at
// h interpolated between its neighbours (definition 7).
func quantile(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// Median is the median of xs (NaN for none).
func Median(xs []float64) float64 {
	s := Of(xs)
	if s.N == 0 {
		return math.NaN()
	}
	return s.Median
}

// Noise is the relative width of the spread, (Max - Min) / Median: 0 for a
// single measurement, NaN when the median is not positive.
func (s Spread) Noise() float64 {
	if !(s.Median > 0) {
		return math.NaN()
	}
	return (s.Max - s.Min) / s.Median
}

// Overlaps says the two min-max ranges share a value: the measurements
// cannot tell the quantities apart.
func (s Spread) Overlaps(o Spread) bool { return s.Min <= o.Max && o.Min <= s.Max }

// Contains says x lies inside the min-max range.
func (s Spread) Contains(x float64) bool { return s.Min <= x && x <= s.Max }

// Scaled multiplies every figure by k (k > 0): seconds to milliseconds.
func (s Spread) Scaled(k float64) Spread {
	return Spread{N: s.N, Median: s.Median * k, P10: s.P10 * k, P90: s.P90 * k, Q1: s.Q1 * k, Q3: s.Q3 * k, Min: s.Min * k, Max: s.Max * k}
}

// PerIndex describes, index by index, series measured once per repeat
// (per-token latencies of each repeat): one Spread per index of the
// shortest series.
func PerIndex(series [][]float64) []Spread {
	if len(series) == 0 {
		return nil
	}
	n := len(series[0])
	for _, s := range series {
		n = min(n, len(s))
	}
	out := make([]Spread, n)
	col := make([]float64, len(series))
	for i := range n {
		for r, s := range series {
			col[r] = s[i]
		}
		out[i] = Of(col)
	}
	return out
}

// Medians, Mins and Maxes pick one figure of each Spread.
func Medians(ss []Spread) []float64 { return pick(ss, func(s Spread) float64 { return s.Median }) }
func Mins(ss []Spread) []float64    { return pick(ss, func(s Spread) float64 { return s.Min }) }
func Maxes(ss []Spread) []float64   { return pick(ss, func(s Spread) float64 { return s.Max }) }

func pick(ss []Spread, f func(Spread) float64) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = f(s)
	}
	return out
}
