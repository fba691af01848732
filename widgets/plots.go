package widgets

import (
	"fmt"
	"math"
	"sort"
	"strconv"

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
// in rows under it (never paged: a paged legend hides series), axis labels
// inside the canvas (containLabel), the y axis named above the axis and the
// x axis under its labels. The runtime places each part in pixels for the
// canvas it draws on (assets/runtime.js, layout), wraps the title to the
// width, and adds the toolbox, zoom and unit-aware tooltips.
func frame(title string, x, y Axis, xType string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithTitleOpts(opts.Title{Title: title, Left: "8", Top: "8"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "plain", Left: "8", Top: "34"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "8", Top: "84", Bottom: "30", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: xType, Name: x.heading(), NameLocation: "middle", NameGap: 30,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: y.valueType(), Name: y.heading(), NameLocation: "end", NameGap: 8}),
		charts.WithAnimation(false),
	}
}

// maxSymbols is the most points a line shows a marker on: markers on a
// longer line clutter it, and each is an element to draw at every redraw.
const maxSymbols = 30

// LineChart is a go-echarts line chart over numeric x values, laid out so
// that its title, axis names (with units) and legend stay readable.
//
//	widgets.NewLineChart("Decode latency", widgets.Axis{Name: "Context", Unit: "tokens"},
//		widgets.Axis{Name: "Latency", Unit: "ms"}).
//		Series("with KV cache", ctx, with).
//		Series("without", ctx, without)
type LineChart struct {
	line   *charts.Line
	points []seriesPoints // each series' points, to find lines drawn over one another
	firstError
}

// seriesPoints are the points of the series at index in the chart's
// series (other helpers may add series between, bands say).
type seriesPoints struct {
	index  int
	xs, ys []float64
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
	c.line.AddSeries(name, data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(len(xs) <= maxSymbols), ConnectNulls: opts.Bool(false)}))
	c.points = append(c.points, seriesPoints{len(c.line.MultiSeries) - 1, append([]float64(nil), xs...), append([]float64(nil), ys...)})
	return c
}

// Line is the underlying go-echarts chart, for any option the helper does
// not set (c.Line().SetGlobalOptions(...)).
func (c *LineChart) Line() *charts.Line { return c.line }

// Validate and JSON make a LineChart a Charter. Both first tell apart
// lines drawn over one another (Distinguish).
func (c *LineChart) Validate() { c.distinguish(); c.line.Validate() }

// JSON is the chart's ECharts option.
func (c *LineChart) JSON() map[string]any { c.distinguish(); return c.line.JSON() }

// overlapSymbols mark a line that runs over an earlier one.
var overlapSymbols = []string{"rect", "triangle", "diamond", "circle", "pin", "arrow"}

// distinguish gives every line that runs over an earlier one (Overlaps) a
// dash pattern of its own and markers, so that neither hides the other:
// two models with the same KV bytes per token draw the same line. It runs
// when the chart is encoded, after every style was set, and gives the same
// result however often it runs.
func (c *LineChart) distinguish() {
	n := 0
	for k, pk := range c.points {
		if pk.index >= len(c.line.MultiSeries) || c.filled(pk.index) { // areas and bands: their edges are not lines to tell apart
			continue
		}
		over := -1
		for _, pj := range c.points[:k] {
			if !c.filled(pj.index) && Overlaps(pj.xs, pj.ys, pk.xs, pk.ys) {
				over = pj.index
				break
			}
		}
		if over < 0 {
			continue
		}
		s := &c.line.MultiSeries[pk.index]
		ls := opts.LineStyle{}
		if s.LineStyle != nil {
			ls = *s.LineStyle
		}
		base := opts.LineStyle{}
		if o := c.line.MultiSeries[over].LineStyle; o != nil {
			base = *o
		}
		ls.Type = "dashed"
		if base.Type == "dashed" {
			ls.Type = "dotted"
		}
		s.LineStyle = &ls
		if len(pk.xs) <= 2*maxSymbols {
			s.ShowSymbol = opts.Bool(true)
			s.Symbol = overlapSymbols[n%len(overlapSymbols)]
			s.SymbolSize = 7
		}
		n++
	}
}

// filled reports whether the series at index is drawn as an area
// (stacked or shaded).
func (c *LineChart) filled(index int) bool {
	s := c.line.MultiSeries[index]
	return s.Stack != "" || s.AreaStyle != nil
}

// Overlaps reports whether line b runs over line a: at half or more of b's
// points inside a's x range, b is within 1% of a (a linearly interpolated),
// and at two points at least. Such lines would hide one another.
func Overlaps(ax, ay, bx, by []float64) bool {
	if len(ax) < 2 || len(ax) != len(ay) || len(bx) != len(by) {
		return false
	}
	inside, close := 0, 0
	for i, x := range bx {
		y, ok := interpolate(ax, ay, x)
		if !ok || math.IsNaN(by[i]) {
			continue
		}
		inside++
		if math.Abs(y-by[i]) <= 0.01*math.Max(math.Abs(y), math.Abs(by[i])) {
			close++
		}
	}
	return close >= 2 && 2*close >= inside
}

// interpolate is a's y at x, linear between the points around it; ok is
// false outside a's x range or next to a gap.
func interpolate(xs, ys []float64, x float64) (float64, bool) {
	for i := 1; i < len(xs); i++ {
		lo, hi := xs[i-1], xs[i]
		if lo > hi {
			lo, hi = hi, lo
		}
		if x < lo || x > hi {
			continue
		}
		if math.IsNaN(ys[i-1]) || math.IsNaN(ys[i]) {
			return 0, false
		}
		if xs[i] == xs[i-1] {
			return ys[i], true
		}
		t := (x - xs[i-1]) / (xs[i] - xs[i-1])
		return ys[i-1] + t*(ys[i]-ys[i-1]), true
	}
	return 0, false
}

// BarChart is a go-echarts bar chart over named categories (models,
// hardware), laid out like LineChart.
//
//	widgets.NewBarChart("KV cache per token", "Model", widgets.Axis{Name: "KV", Unit: "KiB"}, names).
//		Series("fp16", kib)
type BarChart struct {
	bar        *charts.Bar
	categories []string
	xName      string
	y          Axis
	values     []seriesValues // each Series call's values
	horizontal bool
	clipped    bool // ClipSpikes has run
	firstError
}

// NewBarChart starts a bar chart whose x axis lists categories.
func NewBarChart(title, xName string, y Axis, categories []string) *BarChart {
	b := charts.NewBar()
	b.SetGlobalOptions(frame(title, Axis{Name: xName}, y, "category")...)
	b.SetGlobalOptions(charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: xName, NameLocation: "middle", NameGap: 30,
		AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 0, HideOverlap: opts.Bool(true)}}))
	b.SetXAxis(append([]string(nil), categories...))
	return &BarChart{bar: b, categories: append([]string(nil), categories...), xName: xName, y: y}
}

// seriesValues are the values of the series at index in the chart's series.
type seriesValues struct {
	index  int
	values []float64
}

// Horizontal turns the bars sideways: categories down the left, values
// along the bottom. Long category names (a model and its attention) read
// in full there, where under vertical bars they would be cut or rotated.
func (c *BarChart) Horizontal() *BarChart {
	c.horizontal = true
	c.bar.XYReversal()
	cats := append([]string(nil), c.categories...)
	c.bar.SetGlobalOptions(
		charts.WithXAxisOpts(opts.XAxis{Type: c.y.valueType(), Name: c.y.heading(), NameLocation: "middle", NameGap: 30,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: c.xName, Data: cats, Inverse: opts.Bool(true),
			AxisLabel: &opts.AxisLabel{Interval: "0"}}))
	return c
}

// Series adds one bar per category; values must be finite, one per category.
func (c *BarChart) Series(name string, values []float64) *BarChart {
	if len(values) != len(c.categories) {
		c.fail(fmt.Errorf("widgets: bar series %q has %d values for %d categories", name, len(values), len(c.categories)))
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
	c.values = append(c.values, seriesValues{len(c.bar.MultiSeries) - 1, append([]float64(nil), values...)})
	return c
}

// Bar is the underlying go-echarts chart.
func (c *BarChart) Bar() *charts.Bar { return c.bar }

// Validate and JSON make a BarChart a Charter. Both first cut off spikes
// that would flatten every other bar (clipSpikes).
func (c *BarChart) Validate() { c.clipSpikes(); c.bar.Validate() }

// JSON is the chart's ECharts option.
func (c *BarChart) JSON() map[string]any { c.clipSpikes(); return c.bar.JSON() }

// Spike rule: a bar is a spike when it is more than spikeRatio times the
// 90th percentile of the bars (of at least spikeBars bars); the value axis
// then ends a little above the tallest other bar, and each spike (at most
// spikeLabels, the tallest) is labelled with its value at the top.
const (
	spikeRatio  = 3
	spikeBars   = 10
	spikeLabels = 5
)

// clipSpikes keeps one outlier (a 190 ms step among 1 ms ones: the machine
// was busy for a moment) from flattening every other bar: it caps the value
// axis above the bars that are not spikes and writes each spike's value
// where it is cut. Stacked series count as one bar per category. The
// tooltip and the data view still give every value.
func (c *BarChart) clipSpikes() {
	if c.clipped || c.horizontal || len(c.values) == 0 || len(c.categories) < spikeBars {
		return
	}
	c.clipped = true
	tops := make([]float64, len(c.categories))
	for _, sv := range c.values {
		stacked := sv.index < len(c.bar.MultiSeries) && c.bar.MultiSeries[sv.index].Stack != ""
		for i, v := range sv.values {
			if stacked {
				tops[i] += v
			} else {
				tops[i] = math.Max(tops[i], v)
			}
		}
	}
	sorted := append([]float64(nil), tops...)
	sort.Float64s(sorted)
	p90 := sorted[int(0.9*float64(len(sorted)-1))]
	if p90 <= 0 || sorted[len(sorted)-1] <= spikeRatio*p90 {
		return
	}
	rest := 0.0
	for _, t := range tops {
		if t <= spikeRatio*p90 {
			rest = math.Max(rest, t)
		}
	}
	top := niceCeil(1.15 * rest)
	c.bar.YAxisList[0].Max = top
	var spikes []int
	for i, t := range tops {
		if t > top {
			spikes = append(spikes, i)
		}
	}
	sort.SliceStable(spikes, func(a, b int) bool { return tops[spikes[a]] > tops[spikes[b]] })
	if len(spikes) > spikeLabels {
		spikes = spikes[:spikeLabels]
	}
	// Labels point toward the middle (a label at the right edge would leave
	// the canvas); one closer than an eighth of the axis to the last
	// labelled spike keeps its triangle only.
	sort.Ints(spikes)
	var marks []opts.MarkPointNameCoordItem
	lastLabel := math.Inf(-1)
	for _, i := range spikes {
		side := "right"
		if 2*i >= len(c.categories) {
			side = "left"
		}
		at := float64(i) / float64(len(c.categories))
		show := at-lastLabel >= 0.125
		if show {
			lastLabel = at
		}
		text := strconv.FormatFloat(tops[i], 'g', 3, 64)
		if c.y.Unit != "" {
			text += " " + c.y.Unit
		}
		// A symbol carries the label (ECharts draws no label without one):
		// a small red triangle at the top of the axis, over the cut bar.
		marks = append(marks, opts.MarkPointNameCoordItem{Name: "cut", Coordinate: []any{c.categories[i], top}, Value: "↑ " + text,
			Symbol: "triangle", SymbolSize: 8, ItemStyle: &opts.ItemStyle{Color: "#a40000"},
			Label: &opts.Label{Show: opts.Bool(show), Position: side, Color: "#a40000", Formatter: "{c}"}})
	}
	last := &c.bar.MultiSeries[len(c.bar.MultiSeries)-1]
	last.ConfigureSeriesOpts(charts.WithMarkPointNameCoordItemOpts(marks...))
}

// niceCeil rounds v up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return v
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}
