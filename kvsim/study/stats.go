package study

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Spread describes a set of measured numbers: how many, their median and
// the range that holds the middle 80% (10th to 90th percentile, gonum's
// empirical quantiles), and the extremes.
type Spread struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P10    float64 `json:"p10"`
	P90    float64 `json:"p90"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

// SpreadOf describes xs; an empty xs gives a zero Spread.
func SpreadOf(xs []float64) Spread {
	if len(xs) == 0 {
		return Spread{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	q := func(p float64) float64 { return stat.Quantile(p, stat.Empirical, s, nil) }
	return Spread{N: len(s), Median: q(0.5), P10: q(0.1), P90: q(0.9), Min: s[0], Max: s[len(s)-1]}
}

// median is the empirical median of xs (the lower middle value of an even
// count), NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return SpreadOf(xs).Median
}

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
