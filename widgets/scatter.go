package widgets

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// Points adds a scatter series to a line chart's axes: one marker at
// (xs[i], ys[i]) in color, named labels[i] in the tooltip (nil: no names).
// Values must be finite (and > 0 on a log axis).
//
//	chart.Points("vllm", measured, predicted, caseIDs, "#2563eb")
func (c *LineChart) Points(name string, xs, ys []float64, labels []string, color string) *LineChart {
	if len(xs) != len(ys) || labels != nil && len(labels) != len(xs) {
		c.fail(fmt.Errorf("widgets: points %q have %d x values, %d y values and %d labels; they must pair up", name, len(xs), len(ys), len(labels)))
		return c
	}
	data := make([]opts.LineData, len(xs))
	for i := range xs {
		if math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			c.fail(fmt.Errorf("widgets: points %q point %d is (%v, %v); both must be finite", name, i, xs[i], ys[i]))
			return c
		}
		data[i] = opts.LineData{Value: []any{xs[i], ys[i]}}
		if labels != nil {
			data[i].Name = labels[i]
		}
	}
	c.line.AddSeries(name, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: color}))
	s := &c.line.MultiSeries[len(c.line.MultiSeries)-1]
	s.Type, s.SymbolSize = "scatter", 8
	return c
}
