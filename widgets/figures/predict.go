package figures

import (
	"fmt"
	"html"
	"math"
	"slices"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// PredictedLatency is the figure of section 3: pickers for the model, the
// hardware and the engine over three charts: the per-token latency against
// context with and without a cache, the speedup against context, and the
// generation speedup against model size (one line per family) on the
// chosen hardware and engine. A shaded band around each predicted curve is
// what a measurement would likely show (the engine's validated band), and
// the sentence under the charts gives the numbers at the longest context
// with their bands.
func PredictedLatency(p study.Predictions) *widgets.Explorer {
	engines := make([]string, len(p.Engines))
	for i, e := range p.Engines {
		engines[i] = study.EngineLabel(e)
	}
	return widgets.NewExplorer().
		Caption("Predicted per-token latency with and without a KV cache (roofline cost model and engine profiles; shaded: likely measured)").
		Select("model", "Model", p.Models).
		Select("hw", "Hardware", p.Hardware).
		Select("engine", "Engine", engines).
		Start("model", p.StartModel).
		Start("hw", p.StartHardware).
		Start("engine", p.StartEngine).
		Chart(func(at widgets.At) widgets.Charter {
			return latencyChart(p, at.Index("model"), at.Index("hw"), at.Index("engine"))
		}, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			return speedupChart(p, at.Index("model"), at.Index("hw"), at.Index("engine"))
		}, widgets.Size("49%", "380px")).
		Fragment(func(at widgets.At) string {
			return predictedSentence(p, at.Index("model"), at.Index("hw"), at.Index("engine"))
		}).
		Fragment(func(at widgets.At) string { return bandsSentence(p, at.Index("hw"), at.Index("engine")) }).
		Chart(func(at widgets.At) widgets.Charter {
			return sizeChart(p, at.Index("hw"), at.Index("engine"))
		}, widgets.Size("100%", "380px")).
		Note(fmt.Sprintf("Batch %d. A decode step without a cache reruns the whole prefix (a prefill of context+1 tokens). "+
			"Each model runs on the fewest devices it fits on (tensor parallelism, TP) within the engine's share of memory. The size chart prices a whole generation: "+
			"a %d-token prompt, then %d new tokens. Gaps: the step does not fit in memory. Shaded: the predicted time divided by the 10th-90th percentile of "+
			"predicted/measured in the published runs of this engine and kind of pass (kvsim validate; a speedup's band takes both times' bands at opposite ends).", p.Batch, p.Prompt, p.New))
}

func deviceLabel(hw string, c study.LatencyCurve) string {
	if c.TP > 1 {
		return fmt.Sprintf("%d× %s", c.TP, hw)
	}
	return hw
}

// bandEdges are the likely measured values of ys (NaN where ys is):
// edge(y), or nil when edge has no band (it maps 1 to 0, 0).
func bandEdges(ys []float64, edge func(float64) (lo, hi float64)) (lo, hi []float64) {
	if _, h := edge(1); h == 0 {
		return nil, nil
	}
	lo, hi = make([]float64, len(ys)), make([]float64, len(ys))
	for i, y := range ys {
		lo[i], hi[i] = nan(), nan()
		if !math.IsNaN(y) {
			lo[i], hi[i] = edge(y)
		}
	}
	return rounded(lo), rounded(hi)
}

func latencyChart(p study.Predictions, m, h, e int) widgets.Charter {
	if w, ok := noFitMessage(p, m, h, e); ok {
		return w
	}
	c := p.Curves[m][h][e]
	engine := p.EngineAt(h, e)
	title := fmt.Sprintf("%s on %s, %s: time per token", p.Models[m], deviceLabel(p.Hardware[h], c), engine)
	if c.Error != "" || !c.Fits {
		title = fmt.Sprintf("%s on %s, %s: does not fit or cannot be priced", p.Models[m], p.Hardware[h], engine)
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
	b := p.Band(h, e)
	pl.add("with KV cache", xs, cached, style{color: colorCached})
	pl.add("without (recompute the prefix)", xs, uncached, style{color: colorUncached})
	pl.band("likely measured, with", xs, cached, b.DecodeCached.Range, colorCached)
	pl.band("likely measured, without", xs, uncached, b.Prefill.Range, colorUncached)
	return pl.legendRows(104)
}

func speedupChart(p study.Predictions, m, h, e int) widgets.Charter {
	if w, ok := noFitMessage(p, m, h, e); ok {
		return w
	}
	c := p.Curves[m][h][e]
	pl := newPlot(fmt.Sprintf("%s on %s, %s: speedup", p.Models[m], deviceLabel(p.Hardware[h], c), p.EngineAt(h, e)),
		widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "Speedup (without / with)", Unit: "×"})
	xs, ys := make([]float64, len(c.Points)), make([]float64, len(c.Points))
	for i, pt := range c.Points {
		xs[i], ys[i] = float64(pt.Context), positive(pt.Speedup)
	}
	if len(xs) == 0 {
		xs, ys = []float64{16}, []float64{nan()}
	}
	b := p.Band(h, e)
	pl.add("per-token speedup", xs, ys, style{color: colorNeutral})
	pl.band("likely measured", xs, ys, func(s float64) (float64, float64) { return study.SpeedupRange(s, b.DecodeCached, b.Prefill) }, colorNeutral)
	return pl
}

// predictedSentence gives the curves' numbers at the longest context that
// fits, each with the measured range its band suggests.
func predictedSentence(p study.Predictions, m, h, e int) string {
	c := p.Curves[m][h][e]
	b := p.Band(h, e)
	last := -1
	for i, pt := range c.Points {
		if pt.CachedFits && pt.UncachedFits {
			last = i
		}
	}
	if last < 0 {
		return "<p>" + html.EscapeString(fmt.Sprintf("%s does not fit on %s under %s at any context of the chart.", p.Models[m], p.Hardware[h], p.EngineAt(h, e))) + "</p>"
	}
	pt := c.Points[last]
	return "<p>" + html.EscapeString(fmt.Sprintf("At context %s on %s: %s per token with the cache; %s without; speedup %s.",
		units.Thousands(int64(pt.Context)), deviceLabel(p.Hardware[h], c), study.WithBand(pt.CachedSeconds, b.DecodeCached),
		study.WithBand(pt.UncachedSeconds, b.Prefill), study.SpeedupWithBand(pt.Speedup, b.DecodeCached, b.Prefill))) + "</p>"
}

// bandsSentence says where an engine's bands come from.
func bandsSentence(p study.Predictions, h, e int) string {
	b := p.Band(h, e)
	return "<p class=\"kvw-note\">" + html.EscapeString(fmt.Sprintf("Bands of %s: cached decode step %s; uncached step and prefill %s; a generation with a cache %s.",
		p.EngineAt(h, e), b.DecodeCached, b.Prefill, b.EndToEnd)) + "</p>"
}

func sizeChart(p study.Predictions, h, e int) widgets.Charter {
	pl := newPlot(fmt.Sprintf("Generation speedup against model size on %s, %s (%d prompt + %d new tokens)", p.Hardware[h], p.EngineAt(h, e), p.Prompt, p.New),
		widgets.Axis{Name: "Parameters", Unit: "billions", Log: true}, widgets.Axis{Name: "Speedup (without / with)", Unit: "×"})
	b := p.Band(h, e)
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
		color := palette[fi%len(palette)]
		pl.add(f, xs, ys, style{color: color})
		pl.band(f+", likely measured", xs, ys, func(s float64) (float64, float64) { return study.SpeedupRange(s, b.EndToEnd, b.Prefill) }, color)
	}
	return pl.legendRows(104)
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
