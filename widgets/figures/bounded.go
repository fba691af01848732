package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// BoundedCache is the figure of section 6: a capacity slider over the
// per-token latency of the two policies and the full cache (medians of the
// runs, shaded from the fastest to the slowest), the window's divergence
// per token, and, against capacity, the generation time (with the runs'
// range) and the window's top-1 agreement with the slider's capacity
// marked. A policy whose time is within noise of the full cache's, or
// ordered impossibly (recompute faster than the full cache), is said to
// be so, not ranked.
func BoundedCache(ps study.BoundedStudy) *widgets.Explorer {
	caps := ints(ps.Capacities)
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("%s, %d-token prompt + %d new tokens, with the cache bounded; medians of %d runs of every path in turn",
			ps.Model, ps.Prompt, ps.New, max(ps.Repeat, 1))).
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
	runs := runsLabel(max(ps.Repeat, 1))
	withBand := func(pl plot, name string, t study.PathTiming, color string) plot {
		xs, lo := steps(t.PerTokenMinS, 1e3)
		if _, hi := steps(t.PerTokenMaxS, 1e3); len(lo) > 0 && len(hi) == len(lo) {
			pl.runBand(name+", "+runs, xs, lo, hi, color)
		}
		return pl
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
			pl = pl.markX(float64(ps.Capacities[i]), "cache full", colorNeutral)
			pl = withBand(pl, "recompute", ps.Recompute[i], colorRecompute)
			pl = withBand(pl, "window", ps.Window[i], colorWindow)
			return withBand(pl, "full cache", ps.Full, colorCached).legendRows(124)
		}, widgets.Size("49%", "380px")).
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
		}, widgets.Size("49%", "380px")).
		Chart(func(widgets.At) widgets.Charter {
			n := len(caps)
			total := func(t func(int) study.PathTiming) (med, lo, hi []float64) {
				for i := range n {
					s := t(i).Total
					med, lo, hi = append(med, 1e3*s.Median), append(lo, 1e3*s.Min), append(hi, 1e3*s.Max)
				}
				return med, lo, hi
			}
			rec, recLo, recHi := total(func(i int) study.PathTiming { return ps.Recompute[i] })
			win, winLo, winHi := total(func(i int) study.PathTiming { return ps.Window[i] })
			full, fullLo, fullHi := total(func(int) study.PathTiming { return ps.Full })
			return newPlot("What each policy costs in time", widgets.Axis{Name: "Cache capacity", Unit: "tokens"}, widgets.Axis{Name: "Generation time", Unit: "ms", Log: true}).
				add("recompute (exact)", caps, rec, style{color: colorRecompute}).
				add(fmt.Sprintf("window + %d sinks", ps.Sinks), caps, win, style{color: colorWindow}).
				add("full cache", caps, full, style{color: colorCached, dashed: true, width: 1}).
				errorBars("recompute, "+runs, caps, recLo, recHi, colorRecompute).
				errorBars("window, "+runs, caps, winLo, winHi, colorWindow).
				runBand("full cache, "+runs, caps, fullLo, fullHi, colorCached).
				legendRows(124)
		}, widgets.MarkX("cap"), widgets.Size("49%", "380px")).
		Chart(func(widgets.At) widgets.Charter {
			top, exact := make([]float64, len(caps)), make([]float64, len(caps))
			for i := range caps {
				top[i], exact[i] = 100*ps.WindowTop1[i], 100
			}
			return newPlot("What each policy costs in quality", widgets.Axis{Name: "Cache capacity", Unit: "tokens"}, widgets.Axis{Name: "Top-1 agreement with a full cache", Unit: "%"}).
				add(fmt.Sprintf("window + %d sinks", ps.Sinks), caps, top, style{color: colorWindow}).
				add("recompute (exact)", caps, exact, style{color: colorRecompute, dashed: true}).
				yRange(0, 100)
		}, widgets.MarkX("cap"), widgets.Size("49%", "380px")).
		Fragment(func(at widgets.At) string { return boundedSentence(ps, at.Index("cap")) })
}

// boundedSentence compares each policy with the full cache at capacity i,
// ranking only what stands out of the noise.
func boundedSentence(ps study.BoundedStudy, i int) string {
	time := func(t study.PathTiming, r []study.Ranking) string {
		ratio := spreadText(ps.RatioSpread(t), units.Times)
		if i >= len(r) {
			return ratio + " the full cache's time"
		}
		return fmt.Sprintf("%s the full cache's time, %s", ratio, ranked(r[i]))
	}
	return fmt.Sprintf("<p>With a cache of <b>%d tokens</b> (of %d positions): recompute takes %s "+
		"(%d positions recomputed) and gives the same tokens; the window takes %s, but agrees on the next token in <b>%s</b> "+
		"of the steps (mean KL %.3g nats). Ratios are run by run (each round times every path in turn), median with the range over %d runs.%s</p>",
		ps.Capacities[i], ps.Prompt+ps.New-1, time(ps.Recompute[i], ps.RecomputeRank), ps.Recompute[i].Recomputed,
		time(ps.Window[i], ps.WindowRank), units.Percent(ps.WindowTop1[i]), ps.WindowMeanKL[i], max(ps.Repeat, 1), busy(ps.OthersBusy))
}
