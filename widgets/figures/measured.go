package figures

import "kvcache/kvsim/cost"

// PathTiming is one decoder path (with a cache, without one, or a bounded
// cache) as measured on this CPU: every array has one entry per generated
// token, entry 0 being the prompt's prefill.
type PathTiming struct {
	PerTokenS   []float64 `json:"per_token_s"`
	MatmulS     []float64 `json:"matmul_s"`
	AttentionS  []float64 `json:"attention_s"`
	KVIOS       []float64 `json:"kv_io_s"`
	RecomputeS  []float64 `json:"recompute_s"`
	OtherS      []float64 `json:"other_s"`
	TotalS      float64   `json:"total_s"`
	HitRate     float64   `json:"hit_rate"` // K/V reads served by the cache (decoder doc)
	KVBytesPeak int64     `json:"kv_bytes_peak"`
	Recomputed  int       `json:"recomputed_positions"`
}

// MeasuredRun is section 2: the small model generating New tokens after a
// Prompt on this CPU, with and without a KV cache.
type MeasuredRun struct {
	Model     string     `json:"model"`
	Params    int64      `json:"params"`
	Prompt    int        `json:"prompt"`
	New       int        `json:"new"`
	Threads   int        `json:"threads"`
	Positions []int      `json:"positions"` // tokens before each step's new token; entry 0: the prefill (its last position)
	Cached    PathTiming `json:"cached"`
	Uncached  PathTiming `json:"uncached"`
	Speedup   float64    `json:"speedup"` // total uncached / total cached
	// The two paths must agree: same tokens, logits within float32 noise.
	SameTokens      bool    `json:"same_tokens"`
	MaxRelLogitDiff float64 `json:"max_rel_logit_diff"`
	Seconds         float64 `json:"seconds"`
}

// CPUComparison is the cost model's this-cpu prediction beside the
// measurement of section 2, decode step by decode step.
type CPUComparison struct {
	Model              string           `json:"model"`
	Calibration        cost.Calibration `json:"calibration"`
	Contexts           []int            `json:"contexts"` // tokens before the new one, one per decode step
	MeasuredCachedS    []float64        `json:"measured_cached_s"`
	MeasuredUncachedS  []float64        `json:"measured_uncached_s"`
	PredictedCachedS   []float64        `json:"predicted_cached_s"`
	PredictedUncachedS []float64        `json:"predicted_uncached_s"`
	// (predicted - measured) / measured over the summed decode steps.
	TotalErrorCached   float64 `json:"total_error_cached"`
	TotalErrorUncached float64 `json:"total_error_uncached"`
	// Median over steps of |predicted - measured| / measured.
	MedianAbsErrorCached   float64 `json:"median_abs_error_cached"`
	MedianAbsErrorUncached float64 `json:"median_abs_error_uncached"`
	PredictedSpeedup       float64 `json:"predicted_speedup"` // summed decode steps
	MeasuredSpeedup        float64 `json:"measured_speedup"`
}

// PolicyStudy is section 6: one long generation of the small model with a
// cache bounded at each capacity, under the recompute policy (exact, pays
// in time) and the sliding window with attention sinks (fast, pays in
// quality), beside a full cache.
type PolicyStudy struct {
	Model      string       `json:"model"`
	Prompt     int          `json:"prompt"`
	New        int          `json:"new"`
	Sinks      int          `json:"sinks"`
	Capacities []int        `json:"capacities"` // tokens the cache holds
	Full       PathTiming   `json:"full"`
	Recompute  []PathTiming `json:"recompute"` // one per capacity
	Window     []PathTiming `json:"window"`
	// Window against a full cache, on the same tokens (teacher forcing).
	WindowTop1   []float64   `json:"window_top1"`    // share of steps whose argmax matches
	WindowMeanKL []float64   `json:"window_mean_kl"` // nats
	WindowKL     [][]float64 `json:"window_kl"`      // per step
	Seconds      float64     `json:"seconds"`
}
