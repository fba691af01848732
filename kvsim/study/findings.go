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
	// DependsOnEngine: the claim holds under some engines and not under
	// others (Finding.ByEngine says which).
	DependsOnEngine = "depends on the engine"
)

// Finding is a common claim checked against the numbers of this run.
type Finding struct {
	ID       string `json:"id"` // short and stable: bigger-gain-more, gpt3-5-8x, ...
	Claim    string `json:"claim"`
	Verdict  string `json:"verdict"`
	Engine   string `json:"engine"`   // the engine (or engines) the verdict assumes
	Evidence string `json:"evidence"` // the numbers and their conditions
	// ByEngine is the verdict under each engine the claim was checked
	// with (the measured CPU counts as one: kvsim's decoder), when it
	// rests on how a stack runs the model.
	ByEngine []EngineVerdict `json:"by_engine,omitempty"`
}

// EngineVerdict is a claim's verdict under one engine.
type EngineVerdict struct {
	Engine   string `json:"engine"`
	Verdict  string `json:"verdict"`
	Evidence string `json:"evidence"`
}

// Check checks one claim against the results. A claim whose section did
// not run is NotTested; every other verdict is computed from the numbers.
type Check func(Results) Finding

// Checks are the claims of the findings table, in its order. A new claim
// is a function in its own file and one line here.
func Checks() []Check {
	return []Check{biggerGainMore, gpt3Gains, smallGainLittle, sweetSpot, gqaBetter, sparseGainsMore, cacheSharing}
}

// Findings checks every claim of Checks against r.
func Findings(r Results) []Finding {
	var out []Finding
	for _, c := range Checks() {
		out = append(out, c(r))
	}
	return out
}

// FindingByID returns the finding with that id.
func FindingByID(fs []Finding, id string) (Finding, bool) {
	i := slices.IndexFunc(fs, func(f Finding) bool { return f.ID == id })
	if i < 0 {
		return Finding{}, false
	}
	return fs[i], true
}

// LittleGain is the speedup under which a cache "gains little".
const LittleGain = 1.5

// measuredOnCPU names the engine of a measurement on this CPU.
const measuredOnCPU = cost.ThisCPUEngine + " (measured on this CPU)"

// judge sets f's verdict from its per-engine verdicts: theirs when they
// all agree, DependsOnEngine when they do not (the evidence then opens by
// saying where it holds and where not), and names the engines assumed.
// The engines' own evidence follows what.
func (f *Finding) judge(what string) {
	var tested []EngineVerdict
	byVerdict := map[string][]string{}
	var order []string
	for _, v := range f.ByEngine {
		if v.Verdict == NotTested {
			continue
		}
		tested = append(tested, v)
		if _, ok := byVerdict[v.Verdict]; !ok {
			order = append(order, v.Verdict)
		}
		byVerdict[v.Verdict] = append(byVerdict[v.Verdict], v.Engine)
	}
	var lines []string
	for _, v := range f.ByEngine {
		lines = append(lines, fmt.Sprintf("%s: %s", v.Engine, v.Evidence))
	}
	switch len(order) {
	case 0:
		f.Verdict = NotTested
	case 1:
		f.Verdict = order[0]
	default:
		f.Verdict = DependsOnEngine
	}
	var engines []string
	for _, v := range tested {
		engines = append(engines, v.Engine)
	}
	f.Engine = strings.Join(engines, ", ")
	if f.Verdict == DependsOnEngine {
		var parts []string
		for _, v := range order {
			parts = append(parts, fmt.Sprintf("%s under %s", v, strings.Join(byVerdict[v], ", ")))
		}
		f.Engine = "by engine: " + strings.Join(parts, "; ")
		f.Evidence = "The verdict flips with the engine: " + strings.Join(parts, "; ") + ". "
	} else if len(tested) > 1 {
		f.Evidence = fmt.Sprintf("The same verdict under each of the %d engines. ", len(tested))
	}
	f.Evidence += what + " " + strings.Join(lines, ". ") + "."
}

// bandNote says how far an engine's predicted speedups may be from
// measured ones (SpeedupRange of its bands).
func bandNote(b EngineBands, cached, uncached cost.Band) string {
	lo, hi := SpeedupRange(1, cached, uncached)
	if hi == 0 {
		return "no validated band"
	}
	return fmt.Sprintf("likely measured ×%.2f to ×%.2f of each (bands of %s)", lo, hi, b.Engine)
}

func biggerGainMore(r Results) Finding {
	f := Finding{ID: "bigger-gain-more", Claim: "Bigger models gain more from a KV cache", Verdict: NotTested}
	if p := r.Predictions; p != nil {
		if h := slices.Index(p.Hardware, r.Settings.Hardware); h >= 0 {
			for _, e := range p.Columns(h) {
				f.ByEngine = append(f.ByEngine, sizeTrend(p, h, e))
			}
		}
	}
	measured := "Measured on this CPU: not measured in this run (the size sweep did not run)."
	if m := r.Speedup; m != nil {
		v := measuredTrend(*m)
		f.ByEngine = append(f.ByEngine, v)
		measured = ""
	}
	if len(f.ByEngine) == 0 {
		f.Evidence = "neither the predictions (section 3) on " + r.Settings.Hardware + " nor a measured size sweep ran"
		return f
	}
	what := "Holds where the rank correlation of size and speedup is at least 0.8 and the largest model gains more than the smallest (measured: beyond the spread of both)."
	if p := r.Predictions; p != nil {
		what = fmt.Sprintf("Generation speedup (%d-token prompt + %d new tokens, batch %d) predicted on %s for each family with 3 or more models that fit. %s A band scales an engine's speedups alike, so it moves no rank.",
			p.Prompt, p.New, p.Batch, r.Settings.Hardware, what)
	}
	if measured != "" {
		what += " " + measured
	}
	f.judge(what)
	return f
}

// sizeTrend is the verdict of one engine's predictions on hardware h.
func sizeTrend(p *Predictions, h, e int) EngineVerdict {
	v := EngineVerdict{Engine: p.EngineAt(h, e), Verdict: NotTested}
	var parts []string
	allUp, anyUp := true, false
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
		parts = append(parts, fmt.Sprintf("%s %s %s → %s %s (ρ %.2f)", fam,
			units.Count(params[lo]), units.Times(speed[lo]), units.Count(params[hi]), units.Times(speed[hi]), rho))
		up := rho >= 0.8 && speed[hi] > speed[lo]
		allUp = allUp && up
		anyUp = anyUp || up
	}
	if len(parts) == 0 {
		v.Evidence = "no family with 3 or more models fits"
		return v
	}
	v.Verdict = verdictOf(allUp, anyUp)
	b := p.Band(h, e)
	v.Evidence = strings.Join(parts, ", ") + "; " + bandNote(b, b.EndToEnd, b.Prefill)
	return v
}

// verdictOf: every test passed, some, or none.
func verdictOf(all, any bool) string {
	switch {
	case all:
		return Holds
	case any:
		return HoldsPartly
	}
	return DoesNotHold
}

// measuredTrend is the verdict of the size sweep measured on this CPU
// (section 2): it holds when the rank correlation of size and median
// speedup is at least 0.8 and the largest model's slowest speedup is above
// the smallest's fastest (SpeedupTrend.BeyondNoise, growing); partly when
// it rises within the noise.
func measuredTrend(st SpeedupStudy) EngineVerdict {
	v := EngineVerdict{Engine: measuredOnCPU, Verdict: NotTested}
	if len(st.Points) < 3 {
		v.Evidence = fmt.Sprintf("the size sweep measured %d models; 3 or more are needed", len(st.Points))
		return v
	}
	small, big := st.Points[0], st.Points[len(st.Points)-1]
	rises := st.Trend.RankCorrelation >= 0.8 && big.Speedup.Median > small.Speedup.Median
	apart := st.Trend.BeyondNoise && big.Speedup.Min > small.Speedup.Max
	switch {
	case rises && apart:
		v.Verdict = Holds
	case rises:
		v.Verdict = HoldsPartly
	default:
		v.Verdict = DoesNotHold
	}
	v.Evidence = fmt.Sprintf("%d threads, %d+%d tokens, %d runs each: %s", st.Threads, st.Prompt, st.New, st.Repeat, st.Trend.Verdict)
	return v
}

// The claim's range of speedups for GPT-3 175B.
const gpt3Low, gpt3High = 5, 8

func gpt3Gains(r Results) Finding {
	f := Finding{ID: "gpt3-5-8x", Claim: "GPT-3 175B gains 5-8x from a KV cache", Verdict: NotTested}
	p := r.Predictions
	i := -1
	if p != nil {
		i = slices.Index(p.Models, "gpt3-175b")
	}
	if i < 0 {
		f.Evidence = "gpt3-175b was not predicted (section 3)"
		return f
	}
	inside := func(s float64) bool { return s >= gpt3Low && s <= gpt3High }
	for e := range p.Engines {
		v := EngineVerdict{Engine: p.Engines[e], Verdict: NotTested}
		var in, all []string
		here := ""
		for h, hw := range p.Hardware {
			pt := p.Sizes[h][e][i]
			if !pt.Fits || pt.Error != "" || p.EngineAt(h, e) != p.Engines[e] {
				continue
			}
			s := pt.Generation.Speedup
			all = append(all, hw)
			if inside(s) {
				in = append(in, fmt.Sprintf("%s %s", hw, units.Times(s)))
			}
			if hw == r.Settings.Hardware {
				b := p.Bands[e]
				here = fmt.Sprintf("on %d× %s %s (a decode step at context %d: %s)", pt.TP, hw,
					SpeedupWithBand(s, b.EndToEnd, b.Prefill), p.Prompt+p.New-2, units.Times(pt.DecodeSpeedup))
			}
		}
		if len(all) == 0 {
			v.Evidence = "gpt3-175b fits on none of the hardware"
			f.ByEngine = append(f.ByEngine, v)
			continue
		}
		v.Verdict = verdictOf(len(in) == len(all), len(in) > 0)
		if here == "" {
			here = "does not fit on " + r.Settings.Hardware
		}
		v.Evidence = fmt.Sprintf("%s; inside 5-8x on %d of %d hardware", here, len(in), len(all))
		if len(in) > 0 && len(in) < len(all) {
			v.Evidence += " (" + strings.Join(in, ", ") + ")"
		}
		f.ByEngine = append(f.ByEngine, v)
	}
	f.judge(fmt.Sprintf("Predicted generation speedup, %d-token prompt + %d new tokens, batch %d, bf16, on the fewest devices that fit; holds under an engine when every hardware it fits on gives 5-8x.",
		p.Prompt, p.New, p.Batch))
	return f
}

func smallGainLittle(r Results) Finding {
	f := Finding{ID: "small-gain-little", Claim: fmt.Sprintf("Models under 1B parameters gain little from a cache (under %.1fx)", LittleGain), Verdict: NotTested}
	if p := r.Predictions; p != nil {
		if h := slices.Index(p.Hardware, r.Settings.Hardware); h >= 0 {
			for _, e := range p.Columns(h) {
				v := EngineVerdict{Engine: p.EngineAt(h, e), Verdict: NotTested}
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
					v.Evidence = "no model under 1B was predicted"
					f.ByEngine = append(f.ByEngine, v)
					continue
				}
				span := units.Times(lo) + " to " + units.Times(hi)
				if units.Times(lo) == units.Times(hi) {
					span = units.Times(lo) + " for each"
				}
				b := p.Band(h, e)
				v.Verdict = verdictOf(hi < LittleGain, false)
				v.Evidence = fmt.Sprintf("%d %s, %s; %s", n, plural(n, "model"), span, bandNote(b, b.EndToEnd, b.Prefill))
				f.ByEngine = append(f.ByEngine, v)
			}
		}
	}
	if m := r.Measured; m != nil && m.Params < 1e9 {
		f.ByEngine = append(f.ByEngine, EngineVerdict{Engine: measuredOnCPU, Verdict: verdictOf(m.Speedup < LittleGain, false),
			Evidence: fmt.Sprintf("%s (%s params), %d threads, %d+%d tokens: %s", m.Model, units.Count(float64(m.Params)), m.Threads, m.Prompt, m.New, units.Times(m.Speedup))})
	}
	if len(f.ByEngine) == 0 {
		f.Evidence = "no model under 1B parameters was measured or predicted"
		return f
	}
	what := "Gains little when every model under 1B gains under 1.5x."
	if p := r.Predictions; p != nil {
		what = fmt.Sprintf("Generation speedup, %d-token prompt + %d new tokens, batch %d, predicted on %s. %s", p.Prompt, p.New, p.Batch, r.Settings.Hardware, what)
	}
	f.judge(what)
	return f
}

func sweetSpot(r Results) Finding {
	f := Finding{ID: "sweet-spot", Claim: "Cache size has a sweet spot", Verdict: NotTested,
		Engine: "none: a hit rate does not depend on the engine"}
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
	f := Finding{ID: "gqa-better", Claim: "GQA (LLaMA) uses its cache better than MHA (GPT)", Verdict: NotTested}
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
			if f.Engine == "" {
				f.Engine = memoryRule(g, r.KV.MemoryFraction)
			}
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
	if f.Engine == "" {
		f.Engine = "none: bytes per token do not depend on the engine"
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

// memoryRule says whose memory rule placed a model: "vllm's memory rule
// (0.90 of each device)", or the override.
func memoryRule(k KVFit, override float64) string {
	if override > 0 {
		return fmt.Sprintf("%s with memory fraction %.2f (--memory-fraction)", k.Engine, override)
	}
	return fmt.Sprintf("%s's memory rule (%.2f of each device)", k.Engine, k.MemoryFraction)
}

func argMin(xs []float64) int { return slices.Index(xs, slices.Min(xs)) }
func argMax(xs []float64) int { return slices.Index(xs, slices.Max(xs)) }

// FindingsTable is each claim, its verdict (coloured), the engine it
// assumes and the evidence.
func FindingsTable(fs []Finding) report.Table {
	t := report.Table{Title: "Findings", Columns: []report.Column{{Name: "claim"},
		{Name: "verdict", Align: report.Left, Colors: map[string]string{Holds: "#047857", HoldsPartly: "#b45309", DoesNotHold: "#b91c1c", NotTested: "#6b7280", DependsOnEngine: "#6d28d9"}},
		{Name: "engine assumed", Align: report.Left},
		{Name: "evidence (computed from this run)", Align: report.Left}}}
	for _, f := range fs {
		t.AddRow(f.Claim, f.Verdict, f.Engine, f.Evidence)
	}
	return t
}

// plural is word, with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
