package figures

import (
	"fmt"
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// HowFarToTrust is the figure of "How far to trust these predictions"
// (section 3): every published measurement the cost model is validated on,
// predicted against measured on log axes, coloured by engine, with the
// line where they agree and the lines ×1.25 either way; beside it the
// summary kvsim validate prints, with the covered and not covered counts.
func HowFarToTrust(t study.TrustStudy) *widgets.Explorer {
	miss := len(t.Cases) - t.Scored()
	note := fmt.Sprintf("Each point is one published measurement (kvsim/cost/validation, sources in kvsim validate) as the time it measured: "+
		"an ITL, a TTFT or a request's latency; a rate as the tokens it counts over the rate. Above the diagonal the model is pessimistic, below it optimistic. "+
		"%d cases the model does not cover are listed by kvsim validate, not drawn.", len(t.Unsupported))
	if miss > 0 {
		note += fmt.Sprintf(" %d covered cases could not be priced and count as misses.", miss)
	}
	return widgets.NewExplorer().
		Caption(fmt.Sprintf("How far to trust the predictions: %d published measurements, median predicted/measured %.2f, %.0f%% within ×%.2f",
			t.Scored(), t.Overall.Median, 100*t.Overall.Within, t.Tolerance)).
		Chart(func(widgets.At) widgets.Charter { return trustChart(t) }, widgets.Size("58%", "480px")).
		Table(func(widgets.At) report.Table { return t.SummaryTable() }, widgets.Size("40%", "auto")).
		Note(note)
}

func trustChart(t study.TrustStudy) widgets.Charter {
	pl := newPlot("Predicted against published", widgets.Axis{Name: "Published (measured)", Unit: "s", Log: true},
		widgets.Axis{Name: "Predicted", Unit: "s", Log: true})
	lo, hi := math.Inf(1), math.Inf(-1)
	for e, eng := range t.Engines {
		var xs, ys []float64
		var labels []string
		for _, c := range t.Cases {
			if c.Engine != eng || c.Error != "" {
				continue
			}
			xs, ys = append(xs, c.MeasuredS), append(ys, c.PredictedS)
			labels = append(labels, fmt.Sprintf("%s (%s, ratio %.2f)", c.ID, c.Regime, c.Ratio))
			lo, hi = math.Min(lo, math.Min(c.MeasuredS, c.PredictedS)), math.Max(hi, math.Max(c.MeasuredS, c.PredictedS))
		}
		pl.Points(eng, rounded(xs), rounded(ys), labels, palette[e%len(palette)])
	}
	if hi > lo {
		lo, hi = lo/1.5, hi*1.5
		ends := []float64{lo, hi}
		pl.add("predicted = measured", rounded(ends), rounded(ends), style{color: colorNeutral, width: 1})
		pl.add(fmt.Sprintf("×%.2f either way", t.Tolerance), rounded(ends), rounded(scaled(ends, t.Tolerance)), style{color: colorOther, dashed: true, width: 1})
		pl.add(fmt.Sprintf("×%.2f either way", t.Tolerance), rounded(ends), rounded(scaled(ends, 1/t.Tolerance)), style{color: colorOther, dashed: true, width: 1})
		for i := len(pl.Line().MultiSeries) - 3; i < len(pl.Line().MultiSeries); i++ {
			pl.Line().MultiSeries[i].ShowSymbol = opts.Bool(false)
		}
	}
	pl.Line().SetGlobalOptions(charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}))
	return pl.legendRows(104)
}
