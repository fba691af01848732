package widgets

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

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
