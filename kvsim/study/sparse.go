package study

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// SparseSettings set up the check of "models with sparse attention gain
// more from a KV cache": a sliding-window model beside dense ones of its
// size, predicted at contexts up to the window and past it.
type SparseSettings struct {
	Sparse         model.Spec    // a model with a sliding window on every layer (mistral-7b)
	Dense          []model.Spec  // models of its size without one (llama2-7b, llama3-8b)
	Hardware       cost.Hardware // one device of it or more (cost.ChooseTP)
	Engines        []string      // nil: PredictedEngines
	Contexts       []int         // tokens before the new one; nil: SparseContexts
	MemoryFraction float64       // 0: each engine's own
}

// SparseContexts are the contexts of the comparison: up to Mistral's
// 4,096-token window, LLaMA-2's and LLaMA-3's trained lengths (4,096 and
// 8,192) and Mistral's (32,768).
func SparseContexts() []int { return []int{512, 1024, 2048, 4095, 8191, 16383, 32767} }

// SparseStudy is a sliding-window model and dense ones, each decode step
// with and without a cache at each context, under each engine. A dense
// model past its trained length is priced as its architecture would run
// (marked BeyondTrained): the comparison then shows the window alone.
type SparseStudy struct {
	Sparse     string        `json:"sparse"`
	Window     int           `json:"window"` // tokens the sparse model attends to and caches per layer
	Models     []string      `json:"models"` // the sparse model first
	Attention  []string      `json:"attention"`
	MaxContext []int         `json:"max_context"` // trained length of each model
	Hardware   string        `json:"hardware"`
	Engines    []string      `json:"engines"`
	Bands      []EngineBands `json:"bands"` // per engine
	Contexts   []int         `json:"contexts"`
	// KVBytes[m][c]: one request's cache at context c (its window caps
	// the sparse model's).
	KVBytes [][]int64 `json:"kv_bytes"`
	// Points[m][e][c]: model m under engine e at context c.
	Points     [][][]SparsePoint `json:"points"`
	Provenance `json:"provenance"`
}

// SparsePoint is one decode step with and without a cache (kvsim
// predict's answer: study.PredictAt, batch 1).
type SparsePoint struct {
	Context       int     `json:"context"`
	TP            int     `json:"tp"`
	Fits          bool    `json:"fits"` // both steps fit
	CachedS       float64 `json:"cached_s,omitempty"`
	UncachedS     float64 `json:"uncached_s,omitempty"`
	Speedup       float64 `json:"speedup,omitempty"`
	BeyondTrained bool    `json:"beyond_trained,omitempty"` // past the model's trained length
	Error         string  `json:"error,omitempty"`
}

// Study names the result: data/sparse.json.
func (SparseStudy) Study() string { return "sparse" }

// Summary says what was compared.
func (s SparseStudy) Summary() string {
	return fmt.Sprintf("compared %s (window %d) with %d dense models at %d contexts under %d engines in %.2f s",
		s.Sparse, s.Window, len(s.Models)-1, len(s.Contexts), len(s.Engines), s.Took)
}

// Sparse prices each model at each context under each engine.
func Sparse(ctx context.Context, s SparseSettings) (SparseStudy, error) {
	start := time.Now()
	w := s.Sparse.SlidingWindow
	switch {
	case w <= 0 || s.Sparse.WindowedLayers() < s.Sparse.Layers:
		return SparseStudy{}, badSettings("%s has no sliding window on every layer; give a model such as mistral-7b", s.Sparse.Name)
	case len(s.Dense) == 0:
		return SparseStudy{}, errors.New("study: the sparse-attention comparison needs at least one dense model")
	}
	for _, d := range s.Dense {
		if d.SlidingWindow > 0 {
			return SparseStudy{}, badSettings("%s has a sliding window; the comparison needs dense models", d.Name)
		}
	}
	engines := orDefaultSlice(s.Engines, PredictedEngines())
	contexts := orDefaultSlice(s.Contexts, SparseContexts())
	v, err := cost.ValidatePublished()
	if err != nil {
		return SparseStudy{}, fmt.Errorf("study: %w", err)
	}
	st := SparseStudy{Sparse: s.Sparse.Name, Window: w, Hardware: s.Hardware.Name, Contexts: contexts}
	for _, name := range engines {
		e, err := cost.LookupEngine(name)
		if err != nil {
			return SparseStudy{}, fmt.Errorf("study: %w", err)
		}
		st.Engines = append(st.Engines, e.Name)
		st.Bands = append(st.Bands, BandsOf(v, e.Name, 1))
	}
	dtype := s.Hardware.DefaultDType
	for _, m := range append([]model.Spec{s.Sparse}, s.Dense...) {
		if err := ctx.Err(); err != nil {
			return SparseStudy{}, err
		}
		st.Models, st.Attention, st.MaxContext = append(st.Models, m.Name), append(st.Attention, AttentionLabel(m)), append(st.MaxContext, m.MaxContext)
		kv := make([]int64, len(contexts))
		for c, l := range contexts {
			kv[c] = m.KVBytes(l+1, dtype)
		}
		st.KVBytes = append(st.KVBytes, kv)
		rows := make([][]SparsePoint, len(st.Engines))
		for e, eng := range st.Engines {
			for _, l := range contexts {
				rows[e] = append(rows[e], sparsePoint(m, s.Hardware, cost.Options{Engine: eng, MemoryFraction: s.MemoryFraction, AllowLongContext: true}, l))
			}
		}
		st.Points = append(st.Points, rows)
	}
	st.Provenance = stamp(start)
	return st, nil
}

func sparsePoint(m model.Spec, hw cost.Hardware, opt cost.Options, context int) SparsePoint {
	pt := SparsePoint{Context: context, BeyondTrained: context >= m.MaxContext}
	pr, err := PredictAt(m, hw, opt, context, 1)
	if err != nil {
		pt.Error = err.Error()
		return pt
	}
	pt.TP = pr.TP
	if pr.Speedup == nil {
		pt.Error = pr.Note
		return pt
	}
	pt.Fits, pt.CachedS, pt.UncachedS, pt.Speedup = true, *pr.DecodeCachedSeconds, *pr.DecodeUncachedSeconds, *pr.Speedup
	return pt
}

// orDefaultSlice is v, or def when v is empty.
func orDefaultSlice[T any](v, def []T) []T {
	if len(v) == 0 {
		return def
	}
	return v
}

// SparseMargin is how much larger one model's speedup must be than
// another's to count as gaining more (10%): closer speedups are "about
// the same", within what the bands of either could move.
const SparseMargin = 1.10

// SparsePair is the sparse model against one dense model at the longest
// context both were trained to.
type SparsePair struct {
	Dense         string
	Context       int
	WindowActive  bool    // the context is past the window: the sparse model attends to fewer positions
	Sparse, Other float64 // step speedups
	KVRatio       float64 // dense cache / sparse cache at that context
}

// Pairs compares the sparse model with each dense one under engine e at
// the longest context of SparseStudy.Contexts within both trained lengths.
func (s SparseStudy) Pairs(e int) []SparsePair {
	var out []SparsePair
	for d := 1; d < len(s.Models); d++ {
		c := -1
		for i, l := range s.Contexts {
			if l < s.MaxContext[0] && l < s.MaxContext[d] {
				c = i
			}
		}
		if c < 0 {
			continue
		}
		sp, dp := s.Points[0][e][c], s.Points[d][e][c]
		if !sp.Fits || !dp.Fits {
			continue
		}
		out = append(out, SparsePair{Dense: s.Models[d], Context: s.Contexts[c], WindowActive: s.Contexts[c]+1 > s.Window,
			Sparse: sp.Speedup, Other: dp.Speedup, KVRatio: float64(s.KVBytes[d][c]) / float64(s.KVBytes[0][c])})
	}
	return out
}

// Index is the position of model name, or -1.
func (s SparseStudy) Index(name string) int { return slices.Index(s.Models, name) }
