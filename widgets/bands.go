package widgets

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Band shades the range from lo[i] to hi[i] around each xs[i]: the spread
// of repeated measurements around a line drawn with Series. Each point gets
// a rectangle reaching half way to its neighbours (xs ascending, a value
// axis), filled in color at low opacity: a series of that name with no
// line of its own (the legend shows and hides it; the tooltip skips it).
// Rectangles, unlike a stacked area, stay right on a log axis. NaN in lo
// or hi leaves a point without one; otherwise lo ≤ hi, all finite.
//
//	chart.Series("with KV cache", pos, median).
//		Band("with KV cache, fastest to slowest run", pos, fastest, slowest, "#2563eb")
func (c *LineChart) Band(name string, xs, lo, hi []float64, color string) *LineChart {
	if len(xs) != len(lo) || len(xs) != len(hi) {
		c.fail(fmt.Errorf("widgets: band %q has %d x values, %d low and %d high values; they must pair up", name, len(xs), len(lo), len(hi)))
		return c
	}
	type corner struct {
		Coord [2]float64 `json:"coord"`
	}
	var areas []any
	for i := range xs {
		switch {
		case math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsInf(lo[i], 0) || math.IsInf(hi[i], 0):
			c.fail(fmt.Errorf("widgets: band %q point %d is (%v, %v to %v); x must be finite, the edges finite or NaN (a gap)", name, i, xs[i], lo[i], hi[i]))
			return c
		case i > 0 && xs[i] <= xs[i-1]:
			c.fail(fmt.Errorf("widgets: band %q x values must ascend; point %d is %v after %v", name, i, xs[i], xs[i-1]))
			return c
		case math.IsNaN(lo[i]) || math.IsNaN(hi[i]):
			continue
		case lo[i] > hi[i]:
			c.fail(fmt.Errorf("widgets: band %q point %d runs from %v down to %v; give the low edge first", name, i, lo[i], hi[i]))
			return c
		}
		left, right := halfway(xs, i)
		areas = append(areas, [2]corner{{[2]float64{left, lo[i]}}, {[2]float64{right, hi[i]}}})
	}
	c.line.AddSeries(name, []opts.LineData{}, charts.WithItemStyleOpts(opts.ItemStyle{Color: color}))
	s := &c.line.MultiSeries[len(c.line.MultiSeries)-1]
	s.MarkAreas = &opts.MarkAreas{Data: areas,
		MarkAreaStyle: opts.MarkAreaStyle{ItemStyle: &opts.ItemStyle{Color: color, Opacity: opts.Float(0.18)}}}
	return c
}

// halfway is where point i's rectangle starts and ends: half way to each
// neighbour, as far on the other side at the ends (one point: ±0.5).
func halfway(xs []float64, i int) (left, right float64) {
	n := len(xs)
	if n == 1 {
		return xs[0] - 0.5, xs[0] + 0.5
	}
	if i > 0 {
		left = (xs[i-1] + xs[i]) / 2
	}
	if i < n-1 {
		right = (xs[i] + xs[i+1]) / 2
	}
	if i == 0 {
		left = xs[0] - (right - xs[0])
	}
	if i == n-1 {
		right = xs[i] + (xs[i] - left)
	}
	return left, right
}

// ErrorBars draws a vertical bar from lo[i] to hi[i] at each xs[i]: the
// range of repeated measurements around a point drawn with Series. The
// bars are one series of segments, in color; NaN in lo or hi leaves a
// point without a bar. Otherwise lo ≤ hi, all finite.
func (c *LineChart) ErrorBars(name string, xs, lo, hi []float64, color string) *LineChart {
	if len(xs) != len(lo) || len(xs) != len(hi) {
		c.fail(fmt.Errorf("widgets: error bars %q have %d x values, %d low and %d high values; they must pair up", name, len(xs), len(lo), len(hi)))
		return c
	}
	var data []opts.LineData
	for i := range xs {
		if math.IsNaN(lo[i]) || math.IsNaN(hi[i]) {
			continue
		}
		if math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsInf(lo[i], 0) || math.IsInf(hi[i], 0) || lo[i] > hi[i] {
			c.fail(fmt.Errorf("widgets: error bar %q point %d is (%v, %v to %v); x and both ends must be finite, the low end first", name, i, xs[i], lo[i], hi[i]))
			return c
		}
		data = append(data, opts.LineData{Value: []any{xs[i], lo[i]}}, opts.LineData{Value: []any{xs[i], hi[i]}},
			opts.LineData{Value: []any{xs[i], "-"}}) // the gap ends the bar
	}
	c.line.AddSeries(name, data,
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false), ConnectNulls: opts.Bool(false)}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: color, Width: 1.5}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: color}))
	return c
}
