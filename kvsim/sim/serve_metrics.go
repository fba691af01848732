package sim

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// RequestRecord is one request of a timed replay. Times are seconds since
// the workload's start; a time that never came (a rejected request's) is
// NaN. doc.go's glossary defines the latencies.
type RequestRecord struct {
	Request           int // index in the workload (arrival order)
	ArrivalSeconds    float64
	AdmittedSeconds   float64 // first admission
	FirstTokenSeconds float64 // end of its prefill
	FinishSeconds     float64 // its last token
	PromptTokens      int     // P_r
	HitBlocks         int     // k_r, at first admission
	CachedTokens      int     // c_r = min(C_r, P_r - 1): prefill skipped thanks to the cache
	NewTokens         int     // P_r - c_r: prompt tokens prefilled
	OutputTokens      int     // O_r
	Preemptions       int
	RecomputedTokens  int // prefilled again after its preemptions
	Rejected          bool
}

// Completed reports whether the request emitted all its tokens.
func (r RequestRecord) Completed() bool { return !r.Rejected && !math.IsNaN(r.FinishSeconds) }

// TTFTSeconds is the time from arrival to the first token.
func (r RequestRecord) TTFTSeconds() float64 { return r.FirstTokenSeconds - r.ArrivalSeconds }

// E2ESeconds is the time from arrival to the last token.
func (r RequestRecord) E2ESeconds() float64 { return r.FinishSeconds - r.ArrivalSeconds }

// TPOTSeconds is the mean time per output token after the first,
// (finish - first token) / (O - 1); ok is false with fewer than 2 tokens.
func (r RequestRecord) TPOTSeconds() (seconds float64, ok bool) {
	if r.OutputTokens < 2 {
		return 0, false
	}
	return (r.FinishSeconds - r.FirstTokenSeconds) / float64(r.OutputTokens-1), true
}

// Latencies are the completed requests' latencies, each sorted ascending:
// the x values of a CDF (see CDF). TPOT leaves out requests with fewer than
// 2 output tokens.
type Latencies struct {
	TTFT []float64 `json:"ttft_seconds"`
	TPOT []float64 `json:"tpot_seconds"`
	E2E  []float64 `json:"e2e_seconds"`
}

// Latencies sorts the per-request latencies of a timed replay.
func (r ServeResult) Latencies() Latencies { return latencies(r.Requests) }

func latencies(rows []RequestRecord) Latencies {
	var l Latencies
	for _, r := range rows {
		if !r.Completed() {
			continue
		}
		l.TTFT = append(l.TTFT, r.TTFTSeconds())
		l.E2E = append(l.E2E, r.E2ESeconds())
		if t, ok := r.TPOTSeconds(); ok {
			l.TPOT = append(l.TPOT, t)
		}
	}
	slices.Sort(l.TTFT)
	slices.Sort(l.TPOT)
	slices.Sort(l.E2E)
	return l
}

// CDF is the empirical distribution of sorted values: p[i] = (i+1)/n is the
// share of values <= sorted[i]. Plot p against sorted as a step.
func CDF(sorted []float64) (p []float64) {
	p = make([]float64, len(sorted))
	for i := range sorted {
		p[i] = float64(i+1) / float64(len(sorted))
	}
	return p
}

// Quantile is the q-quantile of sorted values by the nearest-rank method,
// the smallest value with at least q x n values at or below it (gonum's
// stat.Empirical); 0 for no values.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return stat.Quantile(q, stat.Empirical, sorted, nil)
}

// serving computes the latency statistics from the rows.
func (s *server) serving() Serving {
	out := s.out
	out.MakespanSeconds = s.now
	var ttfts, waits []float64
	for _, r := range s.rows {
		if math.IsNaN(r.AdmittedSeconds) {
			continue
		}
		ttfts = append(ttfts, r.TTFTSeconds())
		waits = append(waits, r.AdmittedSeconds-r.ArrivalSeconds)
	}
	if len(ttfts) > 0 {
		slices.Sort(ttfts)
		out.MeanTTFTSeconds = mean(ttfts)
		out.P50TTFTSeconds = Quantile(ttfts, 0.50)
		out.P90TTFTSeconds = Quantile(ttfts, 0.90)
		out.P99TTFTSeconds = Quantile(ttfts, 0.99)
	}
	if len(waits) > 0 {
		out.MeanQueueSeconds = mean(waits)
		for _, w := range waits {
			out.MaxQueueSeconds = math.Max(out.MaxQueueSeconds, w)
		}
	}
	l := latencies(s.rows)
	if len(l.TPOT) > 0 {
		out.MeanTPOTSeconds = mean(l.TPOT)
		out.P50TPOTSeconds, out.P90TPOTSeconds, out.P99TPOTSeconds = Quantile(l.TPOT, 0.50), Quantile(l.TPOT, 0.90), Quantile(l.TPOT, 0.99)
	}
	if len(l.E2E) > 0 {
		out.MeanE2ESeconds = mean(l.E2E)
		out.P50E2ESeconds, out.P90E2ESeconds, out.P99E2ESeconds = Quantile(l.E2E, 0.50), Quantile(l.E2E, 0.90), Quantile(l.E2E, 0.99)
	}
	if len(s.gaps) > 0 {
		gaps := make([]float64, 0, len(s.gaps))
		for g := range s.gaps {
			gaps = append(gaps, g)
		}
		slices.Sort(gaps)
		counts := make([]float64, len(gaps))
		for i, g := range gaps {
			counts[i] = float64(s.gaps[g])
		}
		out.MeanITLSeconds = stat.Mean(gaps, counts)
		out.P50ITLSeconds = stat.Quantile(0.50, stat.Empirical, gaps, counts)
		out.P90ITLSeconds = stat.Quantile(0.90, stat.Empirical, gaps, counts)
		out.P99ITLSeconds = stat.Quantile(0.99, stat.Empirical, gaps, counts)
	}
	if out.DecodeSteps > 0 {
		out.MeanDecodeBatch = s.batchSum / float64(out.DecodeSteps)
	}
	if s.now > 0 {
		out.OutputTokensPerSecond = float64(s.outTok) / s.now
		out.RequestsPerSecond = float64(out.Completed) / s.now
		out.TotalTokensPerSecond = float64(s.doneTok) / s.now
	}
	return out
}

func mean(xs []float64) float64 { return stat.Mean(xs, nil) }
