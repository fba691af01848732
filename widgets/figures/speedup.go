package figures

import (
	"fmt"
	"html"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// SpeedupBySize is section 2's sweep: the cache's measured speedup against
// parameter count (the median of the runs, with a bar from the fastest to
// the slowest run's ratio), and the generation times with and without a
// cache, model by model, smallest first.
func SpeedupBySize(st study.SpeedupStudy) *widgets.Explorer {
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("The cache's speedup by model size, measured on this CPU (%d threads): %d-token prompt, %d new tokens, medians of %d runs of each path in turn",
			st.Threads, st.Prompt, st.New, st.Repeat))
	if len(st.Points) == 0 {
		return e.Fragment(func(widgets.At) string { return "<p>No model was measured." + skippedText(st) + "</p>" })
	}
	var params, speed, sLo, sHi, cached, cLo, cHi, uncached, uLo, uHi []float64
	for _, p := range st.Points {
		params = append(params, float64(p.Params)/1e6)
		speed, sLo, sHi = append(speed, p.Speedup.Median), append(sLo, p.Speedup.Min), append(sHi, p.Speedup.Max)
		cached, cLo, cHi = append(cached, 1e3*p.Cached.Median), append(cLo, 1e3*p.Cached.Min), append(cHi, 1e3*p.Cached.Max)
		uncached, uLo, uHi = append(uncached, 1e3*p.Uncached.Median), append(uLo, 1e3*p.Uncached.Min), append(uHi, 1e3*p.Uncached.Max)
	}
	runs := runsLabel(st.Repeat)
	size := widgets.Axis{Name: "Parameters", Unit: "millions", Log: true}
	return e.
		Chart(func(widgets.At) widgets.Charter {
			return itemTooltip(newPlot("Speedup with a KV cache", size, widgets.Axis{Name: "Generation time without / with cache", Unit: "x"}).
				add("speedup (median)", params, speed, style{color: colorNeutral}).
				errorBars(runs, params, sLo, sHi, colorNeutral).
				legendRows(104))
		}, widgets.Size("49%", "380px")).
		Chart(func(widgets.At) widgets.Charter {
			return itemTooltip(newPlot("Generation time", size, widgets.Axis{Name: "Time", Unit: "ms", Log: true}).
				add("with KV cache", params, cached, style{color: colorCached}).
				add("without", params, uncached, style{color: colorUncached}).
				errorBars("with KV cache, "+runs, params, cLo, cHi, colorCached).
				errorBars("without, "+runs, params, uLo, uHi, colorUncached).
				legendRows(124))
		}, widgets.Size("49%", "380px")).
		Table(func(widgets.At) report.Table { return study.SpeedupTable(st) }).
		Fragment(func(widgets.At) string {
			return fmt.Sprintf("<p>%s.%s%s</p>", html.EscapeString(capitalize(st.Trend.Verdict)), skippedText(st), busy(st.OthersBusy))
		})
}

// itemTooltip shows the hovered point only: an axis tooltip would list the
// error bars' ends as if they were points.
func itemTooltip(p plot) plot {
	p.Line().SetGlobalOptions(charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}))
	return p
}

// skippedText lists the models the sweep left out, and why.
func skippedText(st study.SpeedupStudy) string {
	if len(st.Skipped) == 0 {
		return ""
	}
	var names []string
	for _, s := range st.Skipped {
		names = append(names, s.Model)
	}
	return fmt.Sprintf(" Not measured: %s (the table says why).", html.EscapeString(strings.Join(names, ", ")))
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
