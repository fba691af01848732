package figures

import (
	"fmt"
	"slices"

	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// PredictedLatency is the figure of section 3: pickers for the model, the
// hardware and the execution mode over three charts: the per-token
// latency against context with and without a cache, the speedup against
// context, and the generation speedup against model size (one line per
// family) on the chosen hardware and mode.
func PredictedLatency(p study.Predictions) *widgets.Explorer {
	modes := make([]string, len(p.Modes))
	for i, m := range p.Modes {
		modes[i] = study.ExecLabel(m)
	}
	return widgets.NewExplorer().
		Caption("Predicted per-token latency with and without a KV cache (roofline cost model)").
		Select("model", "Model", p.Models).
		Select("hw", "Hardware", p.Hardware).
		Select("mode", "Execution", modes).
		Start("model", p.StartModel).
		Start("hw", p.StartHardware).
		Chart(func(at widgets.At) widgets.Charter {
			return latencyChart(p, at.Index("model"), at.Index("hw"), at.Index("mode"))
		}, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			return speedupChart(p, at.Index("model"), at.Index("hw"), at.Index("mode"))
		}, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			return sizeChart(p, at.Index("hw"), at.Index("mode"))
		}, widgets.Size("100%", "380px")).
		Note(fmt.Sprintf("Batch %d. A decode step without a cache reruns the whole prefix (a prefill of context+1 tokens). "+
			"Each model runs on the fewest devices it fits on (tensor parallelism, TP). The size chart prices a whole generation: "+
			"a %d-token prompt, then %d new tokens. Gaps: the step does not fit in memory.", p.Batch, p.Prompt, p.New))
}

func deviceLabel(hw string, c study.LatencyCurve) string {
	if c.TP > 1 {
		return fmt.Sprintf("%d× %s", c.TP, hw)
	}
	return hw
}

func latencyChart(p study.Predictions, m, h, e int) widgets.Charter {
	if w, ok := noFitMessage(p, m, h, e); ok {
		return w
	}
	c := p.Curves[m][h][e]
	title := fmt.Sprintf("%s on %s, %s: time per token", p.Models[m], deviceLabel(p.Hardware[h], c), p.Modes[e])
	if c.Error != "" || !c.Fits {
		title = fmt.Sprintf("%s on %s: does not fit or cannot be priced", p.Models[m], p.Hardware[h])
	}
	pl := newPlot(title, widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
	xs, cached, uncached := make([]float64, len(c.Points)), make([]float64, len(c.Points)), make([]float64, len(c.Points))
	for i, pt := range c.Points {
		xs[i] = float64(pt.Context)
		cached[i] = nanIf(pt.CachedSeconds*1e3, pt.CachedFits)
		uncached[i] = nanIf(pt.UncachedSeconds*1e3, pt.UncachedFits)
	}
	if len(xs) == 0 { // keep two (empty) series so the legend reads the same
		xs, cached, uncached = []float64{16}, []float64{nan()}, []float64{nan()}
	}
	pl.add("with KV cache", xs, cached, style{color: colorCached})
	pl.add("without (recompute the prefix)", xs, uncached, style{color: colorUncached})
	return pl
}

func speedupChart(p study.Predictions, m, h, e int) widgets.Charter {
	if w, ok := noFitMessage(p, m, h, e); ok {
		return w
	}
	c := p.Curves[m][h][e]
	pl := newPlot(fmt.Sprintf("%s on %s: speedup from the cache", p.Models[m], deviceLabel(p.Hardware[h], c)),
		widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "Speedup (without / with)", Unit: "×"})
	xs, ys := make([]float64, len(c.Points)), make([]float64, len(c.Points))
	for i, pt := range c.Points {
		xs[i], ys[i] = float64(pt.Context), positive(pt.Speedup)
	}
	if len(xs) == 0 {
		xs, ys = []float64{16}, []float64{nan()}
	}
	pl.add("per-token speedup", xs, ys, style{color: colorNeutral})
	return pl
}

func sizeChart(p study.Predictions, h, e int) widgets.Charter {
	pl := newPlot(fmt.Sprintf("Generation speedup against model size on %s, %s (%d prompt + %d new tokens)", p.Hardware[h], p.Modes[e], p.Prompt, p.New),
		widgets.Axis{Name: "Parameters", Unit: "billions", Log: true}, widgets.Axis{Name: "Speedup (without / with)", Unit: "×"})
	for fi, f := range p.FamilyNames() {
		var xs, ys []float64
		for i, pt := range p.Sizes[h][e] {
			if p.Families[i] != f {
				continue
			}
			xs = append(xs, float64(p.Params[i])/1e9)
			ys = append(ys, nanIf(pt.Generation.Speedup, pt.Fits && pt.Error == ""))
		}
		sortPairs(xs, ys)
		pl.add(f, xs, ys, style{color: palette[fi%len(palette)]})
	}
	return pl
}

// sortPairs sorts xs ascending, carrying ys along.
func sortPairs(xs, ys []float64) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	x2, y2 := make([]float64, len(xs)), make([]float64, len(ys))
	for i, j := range idx {
		x2[i], y2[i] = xs[j], ys[j]
	}
	copy(xs, x2)
	copy(ys, y2)
}
