package study

import (
	"context"
	"fmt"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
)

// MeasureSettings set up the measurement of section 2: the model generates
// New tokens after a Prompt on this CPU, with a KV cache and without one.
type MeasureSettings struct {
	Model       model.Spec
	Prompt, New int
	Seed        uint64 // weights and prompt
	Threads     int    // 0: one per core
	// OnToken, when set, sees every token as it is timed (a live chart).
	// Its own time is not counted in the totals.
	OnToken func(Token)
}

// Token is one generated token as Measure reports it.
type Token struct {
	Path     string  // "cached" or "uncached"
	Index    int     // 0 is the prompt's prefill
	Position int     // tokens before the new one
	Seconds  float64 // the step's latency
}

// PathTiming is one decoder path (with a cache, without one, or a bounded
// cache) as measured on this CPU: every array has one entry per generated
// token, entry 0 being the prompt's prefill.
type PathTiming struct {
	PerTokenS  []float64 `json:"per_token_s"`
	MatmulS    []float64 `json:"matmul_s"`
	AttentionS []float64 `json:"attention_s"`
	KVIOS      []float64 `json:"kv_io_s"`
	RecomputeS []float64 `json:"recompute_s"`
	OtherS     []float64 `json:"other_s"`
	// TotalS is the decoder's total for the path (decoder.PathResult.TotalS,
	// what kvsim bench prints as total_s): the wall time of the whole
	// generation, prefill included. A caller's OnToken is not generation, so
	// its time is taken out.
	TotalS      float64 `json:"total_s"`
	DecodeStep  Spread  `json:"decode_step"` // the decode steps' latencies (entries 1..)
	HitRate     float64 `json:"hit_rate"`    // K/V reads served by the cache (decoder doc)
	KVBytesPeak int64   `json:"kv_bytes_peak"`
	Recomputed  int     `json:"recomputed_positions"`
}

// Measured is section 2: the small model generating New tokens after a
// Prompt on this CPU, with and without a KV cache.
type Measured struct {
	Model     string     `json:"model"`
	Params    int64      `json:"params"`
	Prompt    int        `json:"prompt"`
	New       int        `json:"new"`
	Threads   int        `json:"threads"`
	Seed      uint64     `json:"seed"`
	Positions []int      `json:"positions"` // tokens before each step's new token; entry 0: the prefill (its last position)
	Cached    PathTiming `json:"cached"`
	Uncached  PathTiming `json:"uncached"`
	Speedup   float64    `json:"speedup"` // total uncached / total cached (the decoder's speedup)
	// The two paths must agree: same tokens, logits within float32 noise.
	SameTokens      bool    `json:"same_tokens"`
	MaxRelLogitDiff float64 `json:"max_rel_logit_diff"`
	Seconds         float64 `json:"seconds"` // wall time of the study
	Provenance      `json:"provenance"`
}

// Study names the result: data/measured.json.
func (Measured) Study() string { return "measured" }

// Summary says what was measured.
func (m Measured) Summary() string {
	return fmt.Sprintf("measured %s on this CPU (%d threads), %d+%d tokens with and without a cache, in %.1f s", m.Model, m.Threads, m.Prompt, m.New, m.Took)
}

// Measure runs decoder.Run on both paths and keeps what the figures, the
// report and the CPU comparison need.
func Measure(ctx context.Context, s MeasureSettings) (Measured, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return Measured{}, err
	}
	opt := decoder.BenchOptions{Prompt: s.Prompt, New: s.New, Cache: decoder.CacheBoth, Seed: s.Seed, Threads: s.Threads}
	observed := map[string]time.Duration{}
	if s.OnToken != nil {
		opt.OnToken = func(path string, ev decoder.TokenEvent) {
			t := time.Now()
			s.OnToken(Token{Path: path, Index: ev.Index, Position: ev.Position, Seconds: ev.Step.Latency.Seconds()})
			observed[path] += time.Since(t)
		}
	}
	res, err := decoder.Run(s.Model, opt)
	if err != nil {
		return Measured{}, fmt.Errorf("study: measuring %s on this CPU: %w", s.Model.Name, err)
	}
	m := NewMeasured(s.Model, res)
	m.Cached.TotalS -= observed["cached"].Seconds()
	m.Uncached.TotalS -= observed["uncached"].Seconds()
	if m.Cached.TotalS > 0 {
		m.Speedup = m.Uncached.TotalS / m.Cached.TotalS
	}
	m.Provenance = stamp(start)
	m.Seconds = m.Took
	return m, nil
}

// NewMeasured keeps what the figures need of a decoder run with both
// paths; its totals and speedup are the decoder's.
func NewMeasured(spec model.Spec, res *decoder.BenchResult) Measured {
	m := Measured{Model: res.Model, Params: spec.TotalParams(), Prompt: res.Prompt, New: res.New, Threads: res.Threads, Seed: res.Seed,
		Speedup: res.Speedup, SameTokens: res.SameTokens, MaxRelLogitDiff: res.MaxRelLogitDiff}
	for i := range res.New {
		m.Positions = append(m.Positions, res.Prompt-1+i)
	}
	if res.Cached != nil {
		m.Cached = pathTiming(res.Cached)
	}
	if res.Uncached != nil {
		m.Uncached = pathTiming(res.Uncached)
	}
	return m
}

// pathTiming copies a path's per-token arrays and the decoder's total.
func pathTiming(p *decoder.PathResult) PathTiming {
	t := PathTiming{PerTokenS: p.PerTokenS, TotalS: p.TotalS, HitRate: p.HitRate, KVBytesPeak: p.KVBytesPeak, Recomputed: p.Recomputed}
	for _, b := range p.PerTokenBreakdown {
		t.MatmulS = append(t.MatmulS, b.MatmulS)
		t.AttentionS = append(t.AttentionS, b.AttentionS)
		t.KVIOS = append(t.KVIOS, b.KVIOS)
		t.RecomputeS = append(t.RecomputeS, b.RecomputeS)
		t.OtherS = append(t.OtherS, b.OtherS)
	}
	if len(p.PerTokenS) > 1 {
		t.DecodeStep = SpreadOf(p.PerTokenS[1:])
	}
	return t
}

// MeanDecodeS is the mean decode step (the prefill left out), NaN with none.
func (t PathTiming) MeanDecodeS() float64 {
	if len(t.PerTokenS) < 2 {
		return mean(nil)
	}
	return mean(t.PerTokenS[1:])
}

// LastS is the last token's latency, NaN with none.
func (t PathTiming) LastS() float64 {
	if len(t.PerTokenS) == 0 {
		return mean(nil)
	}
	return t.PerTokenS[len(t.PerTokenS)-1]
}

// PrefillS is the first token's latency (the prompt's prefill), 0 with none.
func (t PathTiming) PrefillS() float64 {
	if len(t.PerTokenS) == 0 {
		return 0
	}
	return t.PerTokenS[0]
}
