package figures

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// SlidingWindow is the figure of the sparse-attention comparison (section
// 3): an engine picker over the time per token with a cache and the
// speedup from it against context, for a sliding-window model and dense
// models of its size, each with its band. A dense model past its trained
// length is dashed (its architecture alone).
func SlidingWindow(s study.SparseStudy) *widgets.Explorer {
	engines := make([]string, len(s.Engines))
	for i, e := range s.Engines {
		engines[i] = study.EngineLabel(e)
	}
	start := max(0, slices.Index(s.Engines, "vllm"))
	return widgets.NewExplorer().
		Caption(fmt.Sprintf("Sliding-window attention at long context: %s (%s) against dense models on %s", s.Sparse, s.Attention[0], s.Hardware)).
		Select("engine", "Engine", engines).
		Start("engine", start).
		Chart(func(at widgets.At) widgets.Charter { return sparseChart(s, at.Index("engine"), false) }, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter { return sparseChart(s, at.Index("engine"), true) }, widgets.Size("49%", "380px")).
		Fragment(func(at widgets.At) string { return sparseSentence(s, at.Index("engine")) }).
		Note(fmt.Sprintf("Batch 1; a step without a cache reruns its whole prefix. %s caches and attends to its last %s tokens on every layer. "+
			"Dashed: past a dense model's trained length, priced as its architecture would run. Shaded: likely measured (the engine's validated bands).",
			s.Sparse, units.Thousands(int64(s.Window))))
}

func sparseChart(s study.SparseStudy, e int, speedup bool) widgets.Charter {
	title, y := "Time per token with a KV cache, "+s.Engines[e], widgets.Axis{Name: "Time per token", Unit: "ms", Log: true}
	if speedup {
		title, y = "Speedup from the cache, "+s.Engines[e], widgets.Axis{Name: "Speedup (without / with)", Unit: "×", Log: true}
	}
	pl := newPlot(title, widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, y)
	xs := ints(s.Contexts)
	b := s.Bands[e]
	for m, name := range s.Models {
		trained, beyond := make([]float64, len(xs)), make([]float64, len(xs))
		for c, pt := range s.Points[m][e] {
			v := nanIf(1e3*pt.CachedS, pt.Fits)
			if speedup {
				v = nanIf(pt.Speedup, pt.Fits)
			}
			trained[c], beyond[c] = nanIf(v, !pt.BeyondTrained), nanIf(v, pt.BeyondTrained)
			if c+1 < len(xs) && !pt.BeyondTrained && s.Points[m][e][c+1].BeyondTrained {
				beyond[c] = v // the dashed part starts where the solid one ends
			}
		}
		color := palette[m%len(palette)]
		label := name + " (" + s.Attention[m] + ")"
		pl.add(label, xs, trained, style{color: color})
		edge := b.DecodeCached.Range
		if speedup {
			edge = func(v float64) (float64, float64) { return study.SpeedupRange(v, b.DecodeCached, b.Prefill) }
		}
		pl.band(name+", likely measured", xs, trained, edge, color)
		if anyFinite(beyond) {
			pl.add(name+", past its trained length", xs, beyond, style{color: color, dashed: true})
		}
	}
	return pl.legendRows(124)
}

func anyFinite(xs []float64) bool {
	return slices.ContainsFunc(xs, func(x float64) bool { return !math.IsNaN(x) })
}

// sparseSentence compares the models at the longest context both were
// trained to, with bands.
func sparseSentence(s study.SparseStudy, e int) string {
	b := s.Bands[e]
	var parts []string
	for _, p := range s.Pairs(e) {
		window := "past the window"
		if !p.WindowActive {
			window = "within the window: it drops nothing yet"
		}
		parts = append(parts, fmt.Sprintf("at %s tokens (%s), %s gains %s and %s %s; its cache is %.0fx smaller",
			units.Thousands(int64(p.Context)), window, s.Sparse, study.SpeedupWithBand(p.Sparse, b.DecodeCached, b.Prefill), p.Dense, units.Times(p.Other), p.KVRatio))
	}
	if len(parts) == 0 {
		return "<p>" + html.EscapeString("No context within both trained lengths fits under "+s.Engines[e]) + ".</p>"
	}
	return "<p>" + html.EscapeString("Under "+s.Engines[e]+": "+strings.Join(parts, "; ")) + ".</p>"
}
