package cost

import (
	"fmt"
	"math"

	"kvcache/kvsim/model"
)

// ContextPoint is one point of the per-token latency chart: a decode step
// at Context tokens, with and without a cache. Seconds are 0 where the step
// does not fit.
type ContextPoint struct {
	Context         int     `json:"context"`
	CachedSeconds   float64 `json:"cached_s"`
	UncachedSeconds float64 `json:"uncached_s"`
	Speedup         float64 `json:"speedup"` // uncached / cached; 0 unless both fit
	CachedBound     Bound   `json:"cached_bound,omitempty"`
	UncachedBound   Bound   `json:"uncached_bound,omitempty"`
	CachedFits      bool    `json:"cached_fits"`
	UncachedFits    bool    `json:"uncached_fits"`
}

// ContextSweep prices a decode step at each context for batch requests.
func (p *Predictor) ContextSweep(batch int, contexts []int) ([]ContextPoint, error) {
	out := make([]ContextPoint, 0, len(contexts))
	for _, l := range contexts {
		c, err := p.Decode(batch, l, true)
		if err != nil {
			return nil, err
		}
		u, err := p.Decode(batch, l, false)
		if err != nil {
			return nil, err
		}
		pt := ContextPoint{Context: l, CachedFits: c.Fits, UncachedFits: u.Fits}
		if c.Fits {
			pt.CachedSeconds, pt.CachedBound = c.Seconds, c.Bound
		}
		if u.Fits {
			pt.UncachedSeconds, pt.UncachedBound = u.Seconds, u.Bound
		}
		if c.Fits && u.Fits {
			pt.Speedup = u.Seconds / c.Seconds
		}
		out = append(out, pt)
	}
	return out, nil
}

// Contexts returns about n context lengths from lo to hi, spaced evenly on
// a log scale (the x axis of the latency charts), distinct and ascending.
func Contexts(lo, hi, n int) []int {
	lo, hi = max(lo, 1), max(hi, 1)
	if hi < lo {
		lo, hi = hi, lo
	}
	if n < 2 || lo == hi {
		return []int{lo}
	}
	var out []int
	ratio := math.Log(float64(hi) / float64(lo))
	for i := range n {
		v := int(math.Round(float64(lo) * math.Exp(ratio*float64(i)/float64(n-1))))
		if len(out) == 0 || v > out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// Generation is the time to generate NewTokens tokens after a Prompt, for
// Batch requests in lockstep. The first token comes from the prefill; each
// later one from a decode step at contexts Prompt .. Prompt+NewTokens-2.
// Without a cache each of those steps reruns its whole prefix.
type Generation struct {
	Prompt          int     `json:"prompt"`
	NewTokens       int     `json:"new_tokens"`
	Batch           int     `json:"batch"`
	Fits            bool    `json:"fits"` // both the cached and the uncached run fit
	PrefillSeconds  float64 `json:"prefill_s"`
	CachedSeconds   float64 `json:"cached_s"`   // prefill + cached steps
	UncachedSeconds float64 `json:"uncached_s"` // prefill + uncached steps
	Speedup         float64 `json:"speedup"`    // uncached / cached
}

// Generate prices generating newTokens after a prompt of prompt tokens:
//
//	cached   = prefill(P) + sum over L = P .. P+N-2 of decode(L, cached)
//	uncached = prefill(P) + sum over L = P .. P+N-2 of prefill(L+1)
//
// With a cache this is O(N) weight passes; without one O(sum of lengths).
// Nothing is timed when either run does not fit (Fits false).
func (p *Predictor) Generate(batch, prompt, newTokens int) (Generation, error) {
	if err := checkBatch(batch); err != nil {
		return Generation{}, err
	}
	if prompt < 1 || newTokens < 1 {
		return Generation{}, fmt.Errorf("cost: generation needs a prompt and new tokens of 1 or more, got %d and %d", prompt, newTokens)
	}
	last := prompt + newTokens - 2 // context of the last decode step
	if err := p.checkContext(max(last, prompt-1)); err != nil {
		return Generation{}, err
	}
	if err := checkRange("generation", newTokens, MaxContextTokens); err != nil {
		return Generation{}, err
	}
	g := Generation{Prompt: prompt, NewTokens: newTokens, Batch: batch}
	pre := p.prefillPass(batch, prompt, 0)
	if err := p.checkSizes(p.decodePass(batch, float64(max(last, prompt-1)), true)); err != nil {
		return Generation{}, err
	}
	g.Fits = p.footprint(pre).Fits
	if last >= prompt { // the largest decode steps are the last ones
		g.Fits = g.Fits && p.footprint(p.decodePass(batch, float64(last), true)).Fits &&
			p.footprint(p.decodePass(batch, float64(last), false)).Fits
	}
	if !g.Fits {
		return g, nil
	}
	g.PrefillSeconds = p.seconds(pre)
	g.CachedSeconds, g.UncachedSeconds = g.PrefillSeconds, g.PrefillSeconds
	for l := prompt; l <= last; l++ {
		g.CachedSeconds += p.seconds(p.decodePass(batch, float64(l), true))
		g.UncachedSeconds += p.seconds(p.decodePass(batch, float64(l), false))
	}
	g.Speedup = g.UncachedSeconds / g.CachedSeconds
	return g, nil
}

// DecodeSteps prices each decode step of a generation of newTokens after
// a prompt, one request: step i (1 <= i < newTokens) runs at context
// prompt-1+i, as decoder.Run's per-token entries 1.. do (entry 0, the
// prefill, is not a decode step). Steps that do not fit are 0.
func (p *Predictor) DecodeSteps(prompt, newTokens int, cached bool) ([]float64, error) {
	if prompt < 1 || newTokens < 1 {
		return nil, fmt.Errorf("cost: generation needs a prompt and new tokens of 1 or more, got %d and %d", prompt, newTokens)
	}
	if err := p.checkContext(prompt + newTokens - 2); err != nil {
		return nil, err
	}
	steps := make([]float64, newTokens-1)
	for i := range steps {
		st := p.step(p.decodePass(1, float64(prompt+i), cached))
		steps[i] = st.Seconds
	}
	return steps, nil
}

// FamilyPoint is one model of a size sweep.
type FamilyPoint struct {
	Model  string `json:"model"`
	Params int64  `json:"params"`
	TP     int    `json:"tp"`
	Fits   bool   `json:"fits"`
	Error  string `json:"error,omitempty"` // why the model could not be priced
	// One decode step at the last context of the generation (Prompt+NewTokens-2).
	DecodeCachedSeconds   float64    `json:"decode_step_s_cached"`
	DecodeUncachedSeconds float64    `json:"decode_step_s_uncached"`
	DecodeSpeedup         float64    `json:"decode_speedup"`
	Generation            Generation `json:"generation"`
}

// FamilySweep prices the same generation (prompt, newTokens, batch) for
// each model, e.g. GPT-3 125M to 175B. With opt.TP 0 each model gets the
// smallest tensor-parallel degree it fits at (ChooseTP). A model that cannot
// be priced (say, a context beyond its window) carries the reason in Error.
func FamilySweep(specs []model.Spec, hw Hardware, opt Options, batch, prompt, newTokens int) []FamilyPoint {
	out := make([]FamilyPoint, 0, len(specs))
	final := prompt + newTokens - 1
	for _, s := range specs {
		pt := FamilyPoint{Model: s.Name, Params: s.TotalParams()}
		o := opt
		if o.TP == 0 {
			tp, _, err := ChooseTP(s, hw, o, final, batch)
			if err != nil {
				pt.Error = err.Error()
				out = append(out, pt)
				continue
			}
			o.TP = tp
		}
		pt.TP = o.TP
		p, err := New(s, hw, o)
		if err == nil {
			pt.Generation, err = p.Generate(batch, prompt, newTokens)
		}
		if err != nil {
			pt.Error = err.Error()
			out = append(out, pt)
			continue
		}
		pt.Fits = pt.Generation.Fits
		if pt.Fits {
			pt.DecodeCachedSeconds = p.seconds(p.decodePass(batch, float64(final-1), true))
			pt.DecodeUncachedSeconds = p.seconds(p.decodePass(batch, float64(final-1), false))
			pt.DecodeSpeedup = pt.DecodeUncachedSeconds / pt.DecodeCachedSeconds
		}
		out = append(out, pt)
	}
	return out
}
