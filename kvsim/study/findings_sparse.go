package study

import (
	"fmt"
	"strings"

	"kvcache/kvsim/units"
)

// sparseGainsMore checks "models with sparse attention gain more from a KV
// cache" on the sliding-window comparison (SparseStudy), predicted under
// each engine, with the bounded-cache study's window measured on this CPU
// beside it.
func sparseGainsMore(r Results) Finding {
	f := Finding{ID: "sparse-gain-more", Claim: "Models with sparse attention (a sliding window) gain more from a KV cache", Verdict: NotTested}
	s := r.Sparse
	if s == nil {
		f.Evidence = "the sliding-window comparison (section 3) did not run"
		return f
	}
	var notes []string
	for e, eng := range s.Engines {
		v := EngineVerdict{Engine: eng, Verdict: NotTested}
		var parts []string
		all, any, n := true, false, 0
		for _, p := range s.Pairs(e) {
			if !p.WindowActive {
				if e == 0 {
					notes = append(notes, fmt.Sprintf("At %s tokens (%s's trained length) the window drops nothing: %s gains %s, %s %s, a difference of attention heads, not sparsity (%.0fx less cache)",
						units.Thousands(int64(p.Context)), p.Dense, s.Sparse, units.Times(p.Sparse), p.Dense, units.Times(p.Other), p.KVRatio))
				}
				continue
			}
			n++
			more := p.Sparse > SparseMargin*p.Other
			all, any = all && more, any || more
			parts = append(parts, fmt.Sprintf("at %s tokens %s vs %s %s (%.2fx)", units.Thousands(int64(p.Context)), units.Times(p.Sparse), p.Dense, units.Times(p.Other), p.Sparse/p.Other))
		}
		if n > 0 {
			v.Verdict = verdictOf(all, any)
			b := s.Bands[e]
			v.Evidence = strings.Join(parts, ", ") + "; " + bandNote(b, b.DecodeCached, b.Prefill)
		} else {
			v.Evidence = "no context past the window within both trained lengths fits"
		}
		if long := s.longest(e); long != "" {
			v.Evidence += "; " + long
		}
		f.ByEngine = append(f.ByEngine, v)
	}
	what := fmt.Sprintf("Predicted per-token speedup (uncached / cached decode step, batch 1) of %s (%s) against dense models of its size on %s, at the longest context both were trained to; "+
		"gains more when its speedup is more than %.0f%% above the dense model's.", s.Sparse, s.Attention[0], s.Hardware, 100*(SparseMargin-1))
	if len(notes) > 0 {
		what += " " + strings.Join(notes, ". ") + "."
	}
	what += " " + windowMeasured(r.Bounded)
	f.judge(what)
	return f
}

// longest is the comparison at the longest context, past the dense
// models' trained lengths (their architecture alone).
func (s SparseStudy) longest(e int) string {
	c := len(s.Contexts) - 1
	sp := s.Points[0][e][c]
	if !sp.Fits {
		return ""
	}
	var parts []string
	for d := 1; d < len(s.Models); d++ {
		if p := s.Points[d][e][c]; p.Fits && p.BeyondTrained {
			parts = append(parts, fmt.Sprintf("%s %s (cache %.0fx larger)", s.Models[d], units.Times(p.Speedup), float64(s.KVBytes[d][c])/float64(s.KVBytes[0][c])))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("at %s tokens, past the dense models' trained lengths (architecture alone): %s %s vs %s", units.Thousands(int64(s.Contexts[c])), s.Sparse, units.Times(sp.Speedup), strings.Join(parts, ", "))
}

// windowMeasured is the bounded-cache study's sliding window on this CPU:
// the cached side of the claim (the decoder has no windowed path without
// a cache), not part of the verdict.
func windowMeasured(b *BoundedStudy) string {
	if b == nil || len(b.Capacities) == 0 || len(b.Window) == 0 {
		return "Measured on this CPU: the bounded-cache study (section 6) did not run."
	}
	i := 0 // the smallest window: the sparsest attention
	w, full := b.Window[i], b.Full
	last := func(p PathTiming) float64 {
		if len(p.PerTokenS) == 0 {
			return 0
		}
		return p.PerTokenS[len(p.PerTokenS)-1]
	}
	return fmt.Sprintf("Measured on this CPU (%s, %d+%d tokens, a window of %d tokens with %d sinks, section 6; its cached side only, not part of the verdict: the decoder has no windowed path without a cache): "+
		"the windowed cache generated in %s of the full cache's time, its last step took %s against %s (its cache stops growing), top-1 agreement %s.",
		b.Model, b.Prompt, b.New, b.Capacities[i], b.Sinks, units.Times(b.Ratio(w)), units.Seconds(last(w)), units.Seconds(last(full)), units.Percent(b.WindowTop1[i]))
}
