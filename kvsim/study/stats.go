package study

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"

	"kvcache/kvsim/timing"
)

// Spread describes a set of measured numbers: how many, their median,
// quartiles, 10th and 90th percentiles and extremes (timing.Spread).
type Spread = timing.Spread

// Ranking compares two measured paths within their noise (timing.Rank).
type Ranking = timing.Ranking

// SpreadOf describes xs; an empty xs gives a zero Spread.
func SpreadOf(xs []float64) Spread { return timing.Of(xs) }

// median is the median of xs, NaN for none.
func median(xs []float64) float64 { return timing.Median(xs) }

// mean is the arithmetic mean of xs, NaN for none.
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return stat.Mean(xs, nil)
}

// sum adds xs.
func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// spearman is the rank correlation of xs and ys: the Pearson correlation
// (gonum) of their ranks, ties taking their mean rank; 0 when either is
// constant.
func spearman(xs, ys []float64) float64 {
	rx, ry := ranks(xs), ranks(ys)
	r := stat.Correlation(rx, ry, nil)
	if math.IsNaN(r) {
		return 0
	}
	return r
}

// ranks gives each value its 1-based rank in xs; tied values share the
// mean of their ranks.
func ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	out := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			out[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return out
}
