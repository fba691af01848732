package widgets

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/report"
)

// Axis names an axis and its unit; the chart shows "Name (Unit)".
type Axis struct {
	Name string
	Unit string
	// Log makes a value axis logarithmic (base 10); values must be > 0.
	Log bool
}

func (a Axis) heading() string { return report.Column{Name: a.Name, Unit: a.Unit}.Heading() }

func (a Axis) valueType() string {
	if a.Log {
		return "log"
	}
	return "value"
}

// frame is the layout every helper chart shares: title top left, legend
// at the bottom, axis names centred along their axes, room for all three.
func frame(title string, x, y Axis, xType string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithTitleOpts(opts.Title{Title: title, Left: "10", Top: "6"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "4", Type: "scroll"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "88", Right: "40", Top: "56", Bottom: "84"}),
		charts.WithXAxisOpts(opts.XAxis{Type: xType, Name: x.heading(), NameLocation: "middle", NameGap: 30,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: y.valueType(), Name: y.heading(), NameLocation: "middle", NameGap: 62}),
		charts.WithAnimation(false),
	}
}

// LineChart is a go-echarts line chart over numeric x values, laid out so
// that its title, axis names (with units) and legend stay readable.
//
//	widgets.NewLineChart("Decode latency", widgets.Axis{Name: "Context", Unit: "tokens"},
//		widgets.Axis{Name: "Latency", Unit: "ms"}).
//		Series("with KV cache", ctx, with).
//		Series("without", ctx, without)
type LineChart struct {
	line *charts.Line
	firstError
}

// NewLineChart starts a line chart with a value x axis.
func NewLineChart(title string, x, y Axis) *LineChart {
	l := charts.NewLine()
	l.SetGlobalOptions(frame(title, x, y, x.valueType())...)
	return &LineChart{line: l}
}

// Series adds a line through (xs[i], ys[i]). NaN in ys leaves a gap;
// lengths must match and values be finite otherwise.
func (c *LineChart) Series(name string, xs, ys []float64) *LineChart {
	if len(xs) != len(ys) {
		c.fail(fmt.Errorf("widgets: series %q has %d x values and %d y values; they must pair up", name, len(xs), len(ys)))
		return c
	}
	data := make([]opts.LineData, len(xs))
	for i := range xs {
		if math.IsNaN(xs[i]) || math.IsInf(xs[i], 0) || math.IsInf(ys[i], 0) {
			c.fail(fmt.Errorf("widgets: series %q point %d is (%v, %v); x must be finite, y finite or NaN (a gap)", name, i, xs[i], ys[i]))
			return c
		}
		var y any = ys[i]
		if math.IsNaN(ys[i]) {
			y = "-" // ECharts' empty value: the line breaks here
		}
		data[i] = opts.LineData{Value: []any{xs[i], y}}
	}
	c.line.AddSeries(name, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(len(xs) <= 60), ConnectNulls: opts.Bool(false)}))
	return c
}

// Line is the underlying go-echarts chart, for any option the helper does
// not set (c.Line().SetGlobalOptions(...)).
func (c *LineChart) Line() *charts.Line { return c.line }

// Validate and JSON make a LineChart a Charter.
func (c *LineChart) Validate()            { c.line.Validate() }
func (c *LineChart) JSON() map[string]any { return c.line.JSON() }

// BarChart is a go-echarts bar chart over named categories (models,
// hardware), laid out like LineChart.
//
//	widgets.NewBarChart("KV cache per token", "Model", widgets.Axis{Name: "KV", Unit: "KiB"}, names).
//		Series("fp16", kib)
type BarChart struct {
	bar        *charts.Bar
	categories int
	firstError
}

// NewBarChart starts a bar chart whose x axis lists categories.
func NewBarChart(title, xName string, y Axis, categories []string) *BarChart {
	b := charts.NewBar()
	b.SetGlobalOptions(frame(title, Axis{Name: xName}, y, "category")...)
	b.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 30,
		AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 0, HideOverlap: opts.Bool(true)}}))
	b.SetXAxis(append([]string(nil), categories...))
	return &BarChart{bar: b, categories: len(categories)}
}

// Series adds one bar per category; values must be finite, one per category.
func (c *BarChart) Series(name string, values []float64) *BarChart {
	if len(values) != c.categories {
		c.fail(fmt.Errorf("widgets: bar series %q has %d values for %d categories", name, len(values), c.categories))
		return c
	}
	data := make([]opts.BarData, len(values))
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			c.fail(fmt.Errorf("widgets: bar series %q value %d is %v; values must be finite", name, i, v))
			return c
		}
		data[i] = opts.BarData{Value: v}
	}
	c.bar.AddSeries(name, data)
	return c
}

// Bar is the underlying go-echarts chart.
func (c *BarChart) Bar() *charts.Bar { return c.bar }

// Validate and JSON make a BarChart a Charter.
func (c *BarChart) Validate()            { c.bar.Validate() }
func (c *BarChart) JSON() map[string]any { return c.bar.JSON() }
