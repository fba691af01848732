package study

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
	"kvcache/kvsim/units"
)

// Verdicts of a finding.
const (
	Holds       = "holds"
	HoldsPartly = "holds partly"
	DoesNotHold = "does not hold"
	NotTested   = "not tested"
)

// Finding is a common claim checked against the numbers of this run.
type Finding struct {
	Claim    string `json:"claim"`
	Verdict  string `json:"verdict"`
	Evidence string `json:"evidence"` // the numbers and their conditions
}

// LittleGain is the speedup under which a cache "gains little".
const LittleGain = 1.5

// Findings checks six common claims against r. Every verdict is computed
// from the numbers; a claim whose section did not run is NotTested.
func Findings(r Results) []Finding {
	return []Finding{biggerGainMore(r), gpt3Gains(r), smallGainLittle(r), sweetSpot(r), gqaBetter(r),
		cacheSharing(r)}
}

// index locates a hardware and a mode in the predictions.
func (p Predictions) index(hw string, mode cost.ExecMode) (h, e int, ok bool) {
	h, e = slices.Index(p.Hardware, hw), slices.Index(p.Modes, mode)
	return h, e, h >= 0 && e >= 0
}

func biggerGainMore(r Results) Finding {
	f := Finding{Claim: "Bigger models gain more from a KV cache", Verdict: NotTested}
	p := r.Predictions
	if p == nil {
		f.Evidence = "the predictions (section 3) did not run"
		return f
	}
	var parts []string
	allUp, anyUp := true, false
	for _, mode := range p.Modes {
		h, e, ok := p.index(r.Settings.Hardware, mode)
		if !ok {
			continue
		}
		for _, fam := range p.FamilyNames() {
			var params, speed []float64
			for i := range p.Models {
				pt := p.Sizes[h][e][i]
				if p.Families[i] == fam && pt.Fits && pt.Error == "" {
					params, speed = append(params, float64(p.Params[i])), append(speed, pt.Generation.Speedup)
				}
			}
			if len(params) < 3 {
				continue
			}
			rho := spearman(params, speed)
			lo, hi := argMin(params), argMax(params)
			parts = append(parts, fmt.Sprintf("%s, %s: %s %s → %s %s (rank correlation %.2f)", fam, mode,
				units.Count(params[lo]), units.Times(speed[lo]), units.Count(params[hi]), units.Times(speed[hi]), rho))
			up := rho >= 0.8 && speed[hi] > speed[lo]
			allUp = allUp && up
			anyUp = anyUp || up
		}
	}
	if len(parts) == 0 {
		f.Evidence = "no family with 3 or more models fits on " + r.Settings.Hardware
		return f
	}
	switch {
	case allUp:
		f.Verdict = Holds
	case anyUp:
		f.Verdict = HoldsPartly
	default:
		f.Verdict = DoesNotHold
	}
	f.Evidence = fmt.Sprintf("Generation speedup (%d-token prompt + %d new tokens, batch %d) predicted on %s: %s. Holds where the rank correlation of size and speedup is at least 0.8.",
		p.Prompt, p.New, p.Batch, r.Settings.Hardware, strings.Join(parts, "; "))
	return f
}

func gpt3Gains(r Results) Finding {
	f := Finding{Claim: "GPT-3 175B gains 5-8x from a KV cache", Verdict: NotTested}
	p := r.Predictions
	i := -1
	if p != nil {
		i = slices.Index(p.Models, "gpt3-175b")
	}
	if i < 0 {
		f.Evidence = "gpt3-175b was not predicted (section 3)"
		return f
	}
	var inside, all []string
	var here string
	hereInside := false
	for h, hw := range p.Hardware {
		for e, mode := range p.Modes {
			pt := p.Sizes[h][e][i]
			if !pt.Fits || pt.Error != "" {
				continue
			}
			s := pt.Generation.Speedup
			cond := fmt.Sprintf("%s on %d× %s", mode, pt.TP, hw)
			all = append(all, cond)
			if s >= 5 && s <= 8 {
				inside = append(inside, fmt.Sprintf("%s %s", cond, units.Times(s)))
			}
			if hw == r.Settings.Hardware && mode == cost.Graph {
				here = fmt.Sprintf("%s: %s for the generation, %s per decode step at context %d", cond, units.Times(s), units.Times(pt.DecodeSpeedup), p.Prompt+p.New-2)
				hereInside = s >= 5 && s <= 8
			}
		}
	}
	switch {
	case len(all) == 0:
		f.Evidence = "gpt3-175b fits on none of the hardware presets"
		return f
	case hereInside && len(inside) == len(all):
		f.Verdict = Holds
	case len(inside) > 0:
		f.Verdict = HoldsPartly
	default:
		f.Verdict = DoesNotHold
	}
	if here == "" {
		here = "gpt3-175b does not fit on " + r.Settings.Hardware
	}
	f.Evidence = fmt.Sprintf("Predicted, %d-token prompt + %d new tokens, batch %d, bf16. %s. Inside 5-8x in %d of %d (hardware, mode) settings: %s.",
		p.Prompt, p.New, p.Batch, here, len(inside), len(all), strings.Join(inside, ", "))
	return f
}

func smallGainLittle(r Results) Finding {
	f := Finding{Claim: fmt.Sprintf("Models under 1B parameters gain little from a cache (under %.1fx)", LittleGain), Verdict: NotTested}
	var parts, where []string
	var verdicts []bool // true: gains little
	if m := r.Measured; m != nil && m.Params < 1e9 {
		parts = append(parts, fmt.Sprintf("measured on this CPU (%d threads): %s (%s params), %d+%d tokens: %s",
			m.Threads, m.Model, units.Count(float64(m.Params)), m.Prompt, m.New, units.Times(m.Speedup)))
		verdicts, where = append(verdicts, m.Speedup < LittleGain), append(where, "this CPU")
	}
	if p := r.Predictions; p != nil {
		for _, mode := range p.Modes {
			h, e, ok := p.index(r.Settings.Hardware, mode)
			if !ok {
				continue
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			n := 0
			for i := range p.Models {
				pt := p.Sizes[h][e][i]
				if p.Params[i] < 1e9 && pt.Fits && pt.Error == "" {
					lo, hi = math.Min(lo, pt.Generation.Speedup), math.Max(hi, pt.Generation.Speedup)
					n++
				}
			}
			if n == 0 {
				continue
			}
			span := units.Times(lo) + " to " + units.Times(hi)
			if units.Times(lo) == units.Times(hi) {
				span = units.Times(lo) + " for each"
			}
			parts = append(parts, fmt.Sprintf("predicted on %s in %s mode for %d models under 1B, %d+%d tokens: %s",
				r.Settings.Hardware, mode, n, p.Prompt, p.New, span))
			verdicts, where = append(verdicts, hi < LittleGain), append(where, fmt.Sprintf("%s in %s mode", r.Settings.Hardware, mode))
		}
	}
	if len(verdicts) == 0 {
		f.Evidence = "no model under 1B parameters was measured or predicted"
		return f
	}
	little := 0
	var gainLittle, gainMore []string
	for i, v := range verdicts {
		if v {
			little++
			gainLittle = append(gainLittle, where[i])
		} else {
			gainMore = append(gainMore, where[i])
		}
	}
	switch little {
	case len(verdicts):
		f.Verdict = Holds
	case 0:
		f.Verdict = DoesNotHold
	default:
		f.Verdict = HoldsPartly
	}
	f.Evidence = strings.Join(parts, "; ") + "."
	if len(gainLittle) > 0 && len(gainMore) > 0 {
		f.Evidence += fmt.Sprintf(" Little gain: %s; %.1fx or more: %s.", strings.Join(gainLittle, ", "), LittleGain, strings.Join(gainMore, ", "))
	}
	return f
}

func sweetSpot(r Results) Finding {
	f := Finding{Claim: "Cache size has a sweet spot", Verdict: NotTested}
	st := r.Cache
	if st == nil {
		f.Evidence = "the cache study (section 5) did not run"
		return f
	}
	lru, ok := st.LRU()
	if !ok || len(lru.Points) < 3 {
		f.Evidence = "the cache study has no LRU curve"
		return f
	}
	first, last := lru.Points[0], lru.Points[len(lru.Points)-1]
	if st.SweetSpot < 0 {
		f.Verdict = DoesNotHold
		f.Evidence = fmt.Sprintf("on %s no capacity up to %s blocks reaches %.0f%% of the unbounded hit rate (%s)",
			st.Workload, units.Thousands(int64(last.CapacityBlocks)), 100*SweetSpotFraction, units.Percent(st.Sweep.Unbounded.TokenHitRate))
		return f
	}
	sp := lru.Points[st.SweetSpot]
	perDoubling := func(a, b capHit) float64 {
		d := math.Log2(float64(b.capacity) / float64(a.capacity))
		if d <= 0 {
			return 0
		}
		return 100 * (b.hit - a.hit) / d
	}
	a, s, b := capHit{first.CapacityBlocks, first.TokenHitRate}, capHit{sp.CapacityBlocks, sp.TokenHitRate}, capHit{last.CapacityBlocks, last.TokenHitRate}
	before, after := perDoubling(a, s), perDoubling(s, b)
	if st.SweetSpot == len(lru.Points)-1 {
		f.Verdict = DoesNotHold
		f.Evidence = fmt.Sprintf("on %s the hit rate keeps rising up to the largest capacity tested, %s blocks (%s of the possible %s): no flat part",
			st.Workload, units.Thousands(int64(last.CapacityBlocks)), units.Percent(last.TokenHitRate), units.Percent(st.Sweep.Unbounded.TokenHitRate))
		return f
	}
	if after < 0.25*before {
		f.Verdict = Holds
	} else {
		f.Verdict = DoesNotHold
	}
	gb := func(blocks int) string { return units.GiBLabel(units.GiB(float64(blocks) * float64(st.BytesPerBlock))) }
	f.Evidence = fmt.Sprintf("%s, LRU, %s KV blocks: %s blocks (%s) reach %s of the possible %s (%.0f%%). Up to there each doubling of the cache adds %.1f points of hit rate; "+
		"past it %.1f points, up to %s blocks (%s). Holds when the gain per doubling past the sweet spot is under a quarter of the gain before.",
		st.Workload, st.Model, units.Thousands(int64(sp.CapacityBlocks)), gb(sp.CapacityBlocks), units.Percent(sp.TokenHitRate), units.Percent(st.Sweep.Unbounded.TokenHitRate),
		100*SweetSpotFraction, before, after, units.Thousands(int64(last.CapacityBlocks)), gb(last.CapacityBlocks))
	return f
}

type capHit struct {
	capacity int
	hit      float64
}

func gqaBetter(r Results) Finding {
	f := Finding{Claim: "GQA (LLaMA) uses its cache better than MHA (GPT)", Verdict: NotTested}
	if r.KV == nil {
		f.Evidence = "the KV study (section 4) did not run"
		return f
	}
	fit := func(name string) (KVFit, bool) {
		i := slices.IndexFunc(r.KV.Fits, func(k KVFit) bool { return k.Model == name })
		if i < 0 {
			return KVFit{}, false
		}
		return r.KV.Fits[i], true
	}
	budget := func(name string) (BudgetPoint, bool) {
		if r.Cache == nil {
			return BudgetPoint{}, false
		}
		i := slices.IndexFunc(r.Cache.Budget, func(b BudgetPoint) bool { return b.Model == name && b.Error == "" })
		if i < 0 {
			return BudgetPoint{}, false
		}
		return r.Cache.Budget[i], true
	}
	var parts []string
	wins, tests := 0, 0
	for _, pair := range [][2]string{{"llama2-70b", "llama-65b"}, {"llama3-70b", "gpt3-175b"}} {
		g, okG := fit(pair[0])
		m, okM := fit(pair[1])
		if !okG || !okM {
			continue
		}
		tests++
		ratio := m.KVBytesPerTokenPB / g.KVBytesPerTokenPB
		if ratio > 1 {
			wins++
		}
		s := fmt.Sprintf("%s (%s) vs %s (%s): %s vs %s KV bytes per token per billion parameters (%.1fx less)",
			g.Model, g.Attention, m.Model, m.Attention, units.Count(g.KVBytesPerTokenPB), units.Count(m.KVBytesPerTokenPB), ratio)
		if g.Fits && m.Fits {
			// Each runs on the fewest devices it fits on, so compare per device.
			tests++
			gPer, mPer := float64(g.NodeKVTokens)/float64(g.TP), float64(m.NodeKVTokens)/float64(m.TP)
			if gPer > mPer {
				wins++
			}
			s += fmt.Sprintf(", %s vs %s tokens fit per device in the memory the weights leave (%d× and %d× %s at %s)",
				units.Count(gPer), units.Count(mPer), g.TP, m.TP, g.Hardware, g.DType)
		}
		bg, okBG := budget(g.Model)
		bm, okBM := budget(m.Model)
		if okBG && okBM {
			tests++
			if bg.TokenHitRate > bm.TokenHitRate {
				wins++
			}
			s += fmt.Sprintf(", hit rate %s vs %s on %s with the same %s of KV (%s vs %s blocks)", units.Percent(bg.TokenHitRate), units.Percent(bm.TokenHitRate),
				r.Cache.Workload, units.GiBLabel(units.GiB(float64(r.Cache.BudgetBytes))), units.Thousands(int64(bg.Blocks)), units.Thousands(int64(bm.Blocks)))
		}
		parts = append(parts, s)
	}
	if tests == 0 {
		f.Evidence = "the KV study holds none of the compared pairs"
		return f
	}
	switch wins {
	case tests:
		f.Verdict = Holds
	case 0:
		f.Verdict = DoesNotHold
	default:
		f.Verdict = HoldsPartly
	}
	f.Evidence = "Better = fewer KV bytes per token per parameter, more tokens per device in the memory left after the weights, a higher prefix-cache hit rate per GiB. " +
		strings.Join(parts, "; ") + fmt.Sprintf(". GQA wins %d of %d comparisons.", wins, tests)
	return f
}

func argMin(xs []float64) int { return slices.Index(xs, slices.Min(xs)) }
func argMax(xs []float64) int { return slices.Index(xs, slices.Max(xs)) }

// FindingsTable is each claim, its verdict (coloured) and the evidence.
func FindingsTable(fs []Finding) report.Table {
	t := report.Table{Title: "Findings", Columns: []report.Column{{Name: "claim"},
		{Name: "verdict", Align: report.Left, Colors: map[string]string{Holds: "#047857", HoldsPartly: "#b45309", DoesNotHold: "#b91c1c", NotTested: "#6b7280"}},
		{Name: "evidence (computed from this run)", Align: report.Left}}}
	for _, f := range fs {
		t.AddRow(f.Claim, f.Verdict, f.Evidence)
	}
	return t
}
