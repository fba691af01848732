package figures

import (
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"

	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// Colours, the same in every figure: a path or a part keeps its colour.
const (
	colorCached    = "#2563eb" // with a KV cache
	colorUncached  = "#dc2626" // without one
	colorMatmul    = "#2563eb"
	colorAttention = "#f59e0b"
	colorKVIO      = "#10b981"
	colorRecompute = "#8b5cf6"
	colorOther     = "#9ca3af"
	colorWindow    = "#0d9488"
	colorNeutral   = "#374151"
)

// palette colours series that carry no meaning of their own (models,
// families, policies): ten colours no two of which are closer than 25 in
// CIELAB (ΔE76; the old teal and cyan were 18 apart and read as one).
// Lines drawn over one another also get a dash and markers
// (widgets.LineChart), so a colour never has to tell them apart alone.
var palette = []string{"#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#111827", "#84cc16", "#0ea5e9", "#92400e"}

// style is how one series is drawn.
type style struct {
	color  string
	dashed bool
	area   string // stack name: the series is drawn as a stacked area
	width  float64
}

// plot is a line chart whose series carry a style.
type plot struct{ *widgets.LineChart }

func newPlot(title string, x, y widgets.Axis) plot {
	return plot{widgets.NewLineChart(title, x, y)}
}

// add draws ys against xs; NaN ys leave a gap.
func (p plot) add(name string, xs, ys []float64, st style) plot {
	before := len(p.Line().MultiSeries)
	p.Series(name, rounded(xs), rounded(ys))
	if len(p.Line().MultiSeries) == before { // refused: the chart holds the error
		return p
	}
	s := &p.Line().MultiSeries[before]
	width := st.width
	if width == 0 {
		width = 2
	}
	ls := opts.LineStyle{Width: float32(width)}
	if st.color != "" {
		ls.Color = st.color
		s.ConfigureSeriesOpts(charts.WithItemStyleOpts(opts.ItemStyle{Color: st.color}))
	}
	if st.dashed {
		ls.Type = "dashed"
	}
	s.ConfigureSeriesOpts(charts.WithLineStyleOpts(ls))
	if st.area != "" {
		s.Stack = st.area
		s.ConfigureSeriesOpts(charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.55), Color: st.color}))
		s.ShowSymbol = opts.Bool(false)
	}
	return p
}

// band shades, around ys (NaN: a gap), the range edge gives each value
// (a prediction's likely measured range); nothing when edge has no band.
// The values are ms or x: the band's edges scale with them.
func (p plot) band(name string, xs, ys []float64, edge func(float64) (lo, hi float64), color string) plot {
	lo, hi := bandEdges(ys, edge)
	if lo == nil {
		return p
	}
	p.Band(name, rounded(xs), lo, hi, color)
	return p
}

// markX draws a fixed dashed vertical line labelled text at x on the last
// series (Explorer markers use series 0).
func (p plot) markX(x float64, text, color string) plot {
	n := len(p.Line().MultiSeries)
	if n == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return p
	}
	p.Line().MultiSeries[n-1].ConfigureSeriesOpts(
		charts.WithMarkLineNameXAxisItemOpts(opts.MarkLineNameXAxisItem{Name: text, XAxis: x}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			LineStyle: &opts.LineStyle{Type: "dotted", Color: color, Width: 1.5},
			Label:     &opts.Label{Show: opts.Bool(true), Formatter: types.FuncStr(text), Position: "insideStartTop"}}),
	)
	return p
}

// yRange pins the y axis (percentages from 0 to 100, say).
func (p plot) yRange(lo, hi float64) plot {
	if ys := p.Line().YAxisList; len(ys) > 0 {
		ys[0].Min, ys[0].Max = lo, hi
	}
	return p
}

// xRange pins the x axis.
func (p plot) xRange(lo, hi float64) plot {
	if xs := p.Line().XAxisList; len(xs) > 0 {
		xs[0].Min, xs[0].Max = lo, hi
	}
	return p
}

// nanIf returns NaN (a gap in the line) where keep is false.
func nanIf(v float64, keep bool) float64 {
	if !keep {
		return math.NaN()
	}
	return v
}

// positive is v, or NaN (a gap) when v <= 0: log axes cannot show it.
func positive(v float64) float64 { return nanIf(v, v > 0) }

// ints converts to float64 for chart axes.
func ints[T ~int | ~int64](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

func nan() float64 { return math.NaN() }

// rounded keeps 4 significant digits: charts need no more, and the page
// carries every number of every state.
func rounded(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = study.Round4(x)
	}
	return out
}

// legendRows lets a legend wrap onto several rows under the chart, leaving
// bottom pixels for the axis name and the legend.
func (p plot) legendRows(bottom int) plot {
	p.Line().SetGlobalOptions(charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "4", Type: "plain"}))
	// Replace the frame's grid: WithGridOpts appends one, which the axes (on grid 0) ignore.
	p.Line().GridList = []opts.Grid{{Left: "88", Right: "40", Top: "56", Bottom: strconv.Itoa(bottom)}}
	return p
}

// scaled multiplies each x by k.
func scaled(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * k
	}
	return out
}

// sum adds xs.
func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}
