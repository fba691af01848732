package widgets

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// bandID marks the two series that draw a band, so that the tooltip
// leaves them out (it lists the curves, not the band's edges).
const bandID = "kvw-band-"

// Band shades the range from lo to hi at each x (the time a prediction's
// validated band suggests, a measurement's spread) in color, under the
// name name in the legend. It draws as two stacked series: lo, invisible,
// and hi - lo, filled, stacked on y; NaN in lo or hi leaves a gap. Bands do not appear
// in the tooltip. On a log axis lo must be > 0 where it is drawn.
//
//	chart.Series("predicted", ctx, ms).Band("likely measured", ctx, lo, hi, "#2563eb")
func (c *LineChart) Band(name string, xs, lo, hi []float64, color string) *LineChart {
	if len(xs) != len(lo) || len(xs) != len(hi) {
		c.fail(fmt.Errorf("widgets: band %q has %d x values, %d low and %d high; they must pair up", name, len(xs), len(lo), len(hi)))
		return c
	}
	width := make([]float64, len(xs))
	base := make([]float64, len(xs))
	for i := range xs {
		switch {
		case math.IsNaN(lo[i]) || math.IsNaN(hi[i]):
			base[i], width[i] = math.NaN(), math.NaN()
		case hi[i] < lo[i]:
			c.fail(fmt.Errorf("widgets: band %q point %d runs from %v down to %v; give low <= high", name, i, lo[i], hi[i]))
			return c
		default: // the width keeps 4 digits, as charts do: a difference of rounded edges carries float noise
			w, err := strconv.ParseFloat(strconv.FormatFloat(hi[i]-lo[i], 'g', 4, 64), 64)
			if err != nil {
				w = hi[i] - lo[i]
			}
			base[i], width[i] = lo[i], w
		}
	}
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsInf(base[i], 0) || math.IsInf(width[i], 0) {
			c.fail(fmt.Errorf("widgets: band %q point %d is (%v, %v to %v); x must be finite, the edges finite or NaN (a gap)", name, i, x, lo[i], hi[i]))
			return c
		}
	}
	n := len(c.line.MultiSeries)
	stack := fmt.Sprintf("%s%d", bandID, n)
	for j, ys := range [][]float64{base, width} {
		// Plain [y, x] pairs, encoded back to the axes: ECharts stacks the
		// first numeric value of each point, which must be y (with x first,
		// a value x axis would be stacked), and a band has no per-point options.
		data := make([][2]any, len(xs))
		for i := range xs {
			data[i] = [2]any{ys[i], xs[i]}
			if math.IsNaN(ys[i]) {
				data[i][0] = "-" // ECharts' empty value: a gap
			}
		}
		c.line.AddSeries(name, nil)
		s := &c.line.MultiSeries[n+j]
		s.Data, s.Encode = data, &opts.Encode{X: 1, Y: 0}
		s.ConnectNulls = opts.Bool(false)
	}
	for i := n; i < n+2; i++ {
		s := &c.line.MultiSeries[i]
		s.Id, s.Stack = fmt.Sprintf("%s%d", stack, i-n), stack
		s.ShowSymbol, s.Symbol = opts.Bool(false), "rect" // no markers; a filled square in the legend
		s.ConfigureSeriesOpts(charts.WithLineStyleOpts(opts.LineStyle{Width: 0, Opacity: opts.Float(0), Color: color}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}))
	}
	c.line.MultiSeries[n+1].ConfigureSeriesOpts(charts.WithAreaStyleOpts(opts.AreaStyle{Color: color, Opacity: opts.Float(0.18)}))
	c.line.Accept(bandVisitor{})
	return c
}

// bandVisitor writes the band series with the tooltip switched off.
type bandVisitor struct {
	charts.BaseConfigurationVisitor
}

// silent is a band's series with its tooltip off.
type silent struct {
	charts.SingleSeries
	Tooltip struct {
		Show bool `json:"show"`
	} `json:"tooltip"`
}

func (bandVisitor) VisitSeriesOpt(series charts.MultiSeries) interface{} {
	out := make([]any, len(series))
	for i, s := range series {
		if strings.HasPrefix(s.Id, bandID) {
			out[i] = silent{SingleSeries: s}
			continue
		}
		out[i] = s
	}
	return out
}
