package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// BoundedCache is the figure of section 6: a capacity slider over the
// per-token latency of the two policies and the full cache, the window's
// divergence per token, and, against capacity, the generation time and the
// window's top-1 agreement with the slider's capacity marked.
func BoundedCache(ps study.BoundedStudy) *widgets.Explorer {
	caps := ints(ps.Capacities)
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("%s, %d-token prompt + %d new tokens, with the cache bounded", ps.Model, ps.Prompt, ps.New)).
		Slider("cap", "Cache capacity", caps, func(v float64) string { return fmt.Sprintf("%.0f tokens", v) })
	if len(ps.Capacities) == 0 || len(ps.Recompute) != len(caps) || len(ps.Window) != len(caps) {
		return e.Fragment(func(widgets.At) string { return "<p>The bounded-cache study is empty: run study.Bounded first.</p>" })
	}
	e.Start("cap", len(caps)/2)
	positions := make([]float64, len(ps.Full.PerTokenS))
	for i := range positions {
		positions[i] = float64(ps.Prompt - 1 + i)
	}
	steps := func(ys []float64, k float64) ([]float64, []float64) {
		var xs, out []float64
		for i := 1; i < len(ys) && i < len(positions); i++ {
			xs, out = append(xs, positions[i]), append(out, ys[i]*k)
		}
		return xs, out
	}
	return e.
		Chart(func(at widgets.At) widgets.Charter {
			i := at.Index("cap")
			pl := newPlot(fmt.Sprintf("Time per token with a %d-token cache", ps.Capacities[i]),
				widgets.Axis{Name: "Position of the new token", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
			xs, ys := steps(ps.Recompute[i].PerTokenS, 1e3)
			pl.add("recompute (exact)", xs, ys, style{color: colorRecompute, width: 1.5})
			xs, ys = steps(ps.Window[i].PerTokenS, 1e3)
			pl.add(fmt.Sprintf("window + %d sinks", ps.Sinks), xs, ys, style{color: colorWindow, width: 1.5})
			xs, ys = steps(ps.Full.PerTokenS, 1e3)
			pl.add("full cache", xs, ys, style{color: colorCached, dashed: true, width: 1})
			return pl.markX(float64(ps.Capacities[i]), "cache full", colorNeutral)
		}, widgets.Size("49%", "360px")).
		Chart(func(at widgets.At) widgets.Charter {
			i := at.Index("cap")
			kl := ps.WindowKL[i]
			xs := make([]float64, len(kl))
			for j := range kl {
				xs[j] = float64(ps.Prompt - 1 + j)
			}
			return newPlot(fmt.Sprintf("Window vs full cache, %d tokens: divergence per token", ps.Capacities[i]),
				widgets.Axis{Name: "Position of the new token", Unit: "tokens"}, widgets.Axis{Name: "KL(full ‖ window)", Unit: "nats"}).
				add("window + sinks", xs, kl, style{color: colorWindow, width: 1.5}).
				markX(float64(ps.Capacities[i]), "cache full", colorNeutral)
		}, widgets.Size("49%", "360px")).
		Chart(func(widgets.At) widgets.Charter {
			rec, win, full := make([]float64, len(caps)), make([]float64, len(caps)), make([]float64, len(caps))
			for i := range caps {
				rec[i], win[i], full[i] = 1e3*ps.Recompute[i].TotalS, 1e3*ps.Window[i].TotalS, 1e3*ps.Full.TotalS
			}
			return newPlot("What each policy costs in time", widgets.Axis{Name: "Cache capacity", Unit: "tokens"}, widgets.Axis{Name: "Generation time", Unit: "ms", Log: true}).
				add("recompute (exact)", caps, rec, style{color: colorRecompute}).
				add(fmt.Sprintf("window + %d sinks", ps.Sinks), caps, win, style{color: colorWindow}).
				add("full cache", caps, full, style{color: colorCached, dashed: true, width: 1})
		}, widgets.MarkX("cap"), widgets.Size("49%", "360px")).
		Chart(func(widgets.At) widgets.Charter {
			top, exact := make([]float64, len(caps)), make([]float64, len(caps))
			for i := range caps {
				top[i], exact[i] = 100*ps.WindowTop1[i], 100
			}
			return newPlot("What each policy costs in quality", widgets.Axis{Name: "Cache capacity", Unit: "tokens"}, widgets.Axis{Name: "Top-1 agreement with a full cache", Unit: "%"}).
				add(fmt.Sprintf("window + %d sinks", ps.Sinks), caps, top, style{color: colorWindow}).
				add("recompute (exact)", caps, exact, style{color: colorRecompute, dashed: true}).
				yRange(0, 100)
		}, widgets.MarkX("cap"), widgets.Size("49%", "360px")).
		Fragment(func(at widgets.At) string {
			i := at.Index("cap")
			return fmt.Sprintf("<p>With a cache of <b>%d tokens</b> (of %d positions): recompute takes <b>%s</b> the full cache's time "+
				"(%d positions recomputed) and gives the same tokens; the window takes %s its time but agrees on the next token in <b>%s</b> "+
				"of the steps (mean KL %.3g nats).</p>",
				ps.Capacities[i], ps.Prompt+ps.New-1, units.Times(ps.Ratio(ps.Recompute[i])), ps.Recompute[i].Recomputed,
				units.Times(ps.Ratio(ps.Window[i])), units.Percent(ps.WindowTop1[i]), ps.WindowMeanKL[i])
		})
}
