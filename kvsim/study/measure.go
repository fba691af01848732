package study

import (
	"context"
	"fmt"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/timing"
)

// MeasureSettings set up the measurement of section 2: the model generates
// New tokens after a Prompt on this CPU, with a KV cache and without one,
// Repeat times each, the two paths in turn, after an untimed warm-up.
type MeasureSettings struct {
	Model       model.Spec
	Prompt, New int
	Repeat      int    // timed runs of each path, interleaved; 0: 1
	WarmUp      int    // untimed tokens of each path first; 0: decoder.DefaultWarmUp; negative: none
	Seed        uint64 // weights and prompt
	Threads     int    // 0: one per core
	// OnToken, when set, sees every timed token as it arrives (a live
	// chart). Its own time is not counted in the totals.
	OnToken func(Token)
}

// Token is one generated token as Measure reports it.
type Token struct {
	Path     string  // "cached" or "uncached"
	Repeat   int     // the timed run, from 0
	Index    int     // 0 is the prompt's prefill
	Position int     // tokens before the new one
	Seconds  float64 // the step's latency
}

// PathTiming is one decoder path (with a cache, without one, or a bounded
// cache) as measured on this CPU over its timed runs: every array has one
// entry per generated token, entry 0 being the prompt's prefill. Times are
// medians over the runs (token by token, or of the totals), with the
// fastest and slowest run beside them.
type PathTiming struct {
	PerTokenS    []float64 `json:"per_token_s"`     // median of the runs
	PerTokenMinS []float64 `json:"per_token_min_s"` // fastest run, token by token
	PerTokenMaxS []float64 `json:"per_token_max_s"` // slowest
	MatmulS      []float64 `json:"matmul_s"`        // medians of each part
	AttentionS   []float64 `json:"attention_s"`
	KVIOS        []float64 `json:"kv_io_s"`
	RecomputeS   []float64 `json:"recompute_s"`
	OtherS       []float64 `json:"other_s"`
	// TotalS is the decoder's total for the path (decoder.PathResult.TotalS,
	// what kvsim bench prints as total_s): the wall time of the whole
	// generation, prefill included, median over the runs. A caller's OnToken
	// is not generation and is not counted.
	TotalS  float64   `json:"total_s"`
	Total   Spread    `json:"total"`    // of the runs' totals
	TotalsS []float64 `json:"totals_s"` // each run's total, in run order
	Repeats int       `json:"repeats"`
	// DecodeStep spreads the decode steps' median latencies (entries 1..)
	// over the positions: how the step time varies along the run.
	DecodeStep          Spread  `json:"decode_step"`
	HitRate             float64 `json:"hit_rate"` // K/V reads served by the cache (decoder doc)
	KVBytesPeak         int64   `json:"kv_bytes_peak"`
	Recomputed          int     `json:"recomputed_positions"`
	FLOPs               float64 `json:"flops"` // recomputation included
	KVPositionsAttended int64   `json:"kv_positions_attended"`
}

// Sample is the path's totals and work under a name, for timing.Rank.
func (t PathTiming) Sample(name string) timing.Sample {
	return timing.Sample{Name: name, Seconds: t.Total, Work: timing.Work{FLOPs: t.FLOPs, Bytes: float64(t.KVPositionsAttended)}}
}

// Measured is section 2: the small model generating New tokens after a
// Prompt on this CPU, with and without a KV cache.
type Measured struct {
	Model        string     `json:"model"`
	Params       int64      `json:"params"`
	Prompt       int        `json:"prompt"`
	New          int        `json:"new"`
	Threads      int        `json:"threads"`
	Seed         uint64     `json:"seed"`
	Repeat       int        `json:"repeat"`         // timed runs of each path, interleaved
	WarmUpTokens int        `json:"warm_up_tokens"` // untimed tokens of each path first
	Positions    []int      `json:"positions"`      // tokens before each step's new token; entry 0: the prefill (its last position)
	Cached       PathTiming `json:"cached"`
	Uncached     PathTiming `json:"uncached"`
	// Speedup is the median over runs of the uncached total over the cached
	// one of the same round (the decoder's speedup); SpeedupSpread their spread.
	Speedup       float64 `json:"speedup"`
	SpeedupSpread Spread  `json:"speedup_spread"`
	// Ranking of the two paths: faster beyond the noise, within noise, or
	// an impossible ordering flagged as noise (timing.Rank).
	Ranking timing.Ranking `json:"ranking"`
	// The two paths must agree: same tokens, logits within float32 noise.
	SameTokens      bool     `json:"same_tokens"`
	MaxRelLogitDiff float64  `json:"max_rel_logit_diff"`
	OthersBusy      *float64 `json:"others_busy_cores,omitempty"` // cores other processes kept busy meanwhile
	Seconds         float64  `json:"seconds"`                     // wall time of the study
	Provenance      `json:"provenance"`
}

// Study names the result: data/measured.json.
func (Measured) Study() string { return "measured" }

// Summary says what was measured.
func (m Measured) Summary() string {
	return fmt.Sprintf("measured %s on this CPU (%d threads), %d+%d tokens with and without a cache, %d runs each, in %.1f s%s",
		m.Model, m.Threads, m.Prompt, m.New, m.Repeat, m.Took, busyNote(m.OthersBusy))
}

// busyNote says, when other processes kept a core or more busy, that the
// machine was busy.
func busyNote(busy *float64) string {
	if busy == nil || *busy < BusyCores {
		return ""
	}
	return fmt.Sprintf(" (busy machine: other processes kept %.1f cores busy)", *busy)
}

// MaxRepeat bounds the timed runs of each path a study takes (Sizes.Repeat).
const MaxRepeat = 50

// BusyCores is the load of other processes, in cores, from which a
// measurement is said to be taken on a busy machine.
const BusyCores = report.BusyCores

// Measure runs decoder.Run on both paths, interleaved, and keeps what the
// figures, the report and the CPU comparison need.
func Measure(ctx context.Context, s MeasureSettings) (Measured, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return Measured{}, err
	}
	opt := decoder.BenchOptions{Prompt: s.Prompt, New: s.New, Cache: decoder.CacheBoth, Seed: s.Seed, Threads: s.Threads,
		Repeat: s.Repeat, WarmUp: s.WarmUp}
	if s.OnToken != nil {
		opt.OnToken = func(path string, ev decoder.TokenEvent) {
			s.OnToken(Token{Path: path, Repeat: ev.Repeat, Index: ev.Index, Position: ev.Position, Seconds: ev.Step.Latency.Seconds()})
		}
	}
	res, err := decoder.Run(s.Model, opt)
	if err != nil {
		return Measured{}, fmt.Errorf("study: measuring %s on this CPU: %w", s.Model.Name, err)
	}
	m := NewMeasured(s.Model, res)
	m.Provenance = stamp(start)
	m.Seconds = m.Took
	return m, nil
}

// NewMeasured keeps what the figures need of a decoder run with both
// paths; its totals and speedup are the decoder's.
func NewMeasured(spec model.Spec, res *decoder.BenchResult) Measured {
	m := Measured{Model: res.Model, Params: spec.TotalParams(), Prompt: res.Prompt, New: res.New, Threads: res.Threads, Seed: res.Seed,
		Repeat: res.Repeat, WarmUpTokens: res.WarmUpTokens, Speedup: res.Speedup, SpeedupSpread: res.SpeedupSpread,
		SameTokens: res.SameTokens, MaxRelLogitDiff: res.MaxRelLogitDiff, OthersBusy: res.OthersBusy}
	for i := range res.New {
		m.Positions = append(m.Positions, res.Prompt-1+i)
	}
	if res.Cached != nil {
		m.Cached = pathTiming(res.Cached)
	}
	if res.Uncached != nil {
		m.Uncached = pathTiming(res.Uncached)
	}
	if res.Ranking != nil {
		m.Ranking = *res.Ranking
	}
	return m
}

// pathTiming copies a path's per-token arrays and the decoder's totals.
func pathTiming(p *decoder.PathResult) PathTiming {
	t := PathTiming{PerTokenS: p.PerTokenS, PerTokenMinS: p.PerTokenSMin, PerTokenMaxS: p.PerTokenSMax,
		TotalS: p.TotalS, Total: p.TotalSSpread, TotalsS: p.TotalsS, Repeats: p.Repeats,
		HitRate: p.HitRate, KVBytesPeak: p.KVBytesPeak, Recomputed: p.Recomputed,
		FLOPs: p.FLOPs + p.RecomputeFLOPs, KVPositionsAttended: p.KVPositionsAttended}
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

// PrefillSpread is the first token's latency over the runs: fastest,
// median, slowest (0 with none).
func (t PathTiming) PrefillSpread() (lo, med, hi float64) {
	if len(t.PerTokenS) == 0 || len(t.PerTokenMinS) == 0 || len(t.PerTokenMaxS) == 0 {
		return 0, 0, 0
	}
	return t.PerTokenMinS[0], t.PerTokenS[0], t.PerTokenMaxS[0]
}

// RatioSpread is the spread of p's total over base's, run by run (runs of
// one round were timed together).
func RatioSpread(p, base PathTiming) Spread {
	n := min(len(p.TotalsS), len(base.TotalsS))
	r := make([]float64, n)
	for i := range n {
		r[i] = p.TotalsS[i] / base.TotalsS[i]
	}
	return SpreadOf(r)
}
