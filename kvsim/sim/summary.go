package sim

import (
	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// Summary is the outcome of one replay at one capacity. The glossary in
// doc.go defines every field. Byte fields are 0 when BytesPerBlock is
// unknown; TTFT fields are 0 without a StepTimer (a note says so).
type Summary struct {
	Workload       string `json:"workload"`
	Policy         string `json:"policy"`
	CapacityBlocks int    `json:"capacity_blocks"` // -1 when unbounded
	Unbounded      bool   `json:"unbounded,omitempty"`
	BlockTokens    int    `json:"block_tokens"`
	CapacityBytes  int64  `json:"capacity_bytes,omitempty"`

	Requests        int     `json:"requests"`
	AvgInputTokens  float64 `json:"avg_input_tokens"`
	AvgOutputTokens float64 `json:"avg_output_tokens"`

	PromptBlocks     int64   `json:"prompt_blocks"`
	HitBlocks        int64   `json:"hit_blocks"`
	BlockHitRate     float64 `json:"block_hit_rate"`
	PromptTokens     int64   `json:"prompt_tokens"`
	HitTokens        int64   `json:"hit_tokens"`
	TokenHitRate     float64 `json:"token_hit_rate"`
	RecomputedTokens int64   `json:"recomputed_tokens"`

	MeanRequestTokenHitRate float64 `json:"mean_request_token_hit_rate"`

	Evictions    int64   `json:"evictions"`
	EvictedBytes int64   `json:"evicted_bytes,omitempty"`
	Bypassed     int64   `json:"bypassed,omitempty"`
	PeakBlocks   int     `json:"peak_blocks"`
	MeanBlocks   float64 `json:"mean_blocks"`
	PeakBytes    int64   `json:"peak_bytes,omitempty"`
	MeanBytes    float64 `json:"mean_bytes,omitempty"`

	TTFTSavedSeconds           float64 `json:"ttft_saved_seconds,omitempty"`
	MeanTTFTSavedSeconds       float64 `json:"mean_ttft_saved_seconds,omitempty"`
	MeanPrefillSecondsUncached float64 `json:"mean_prefill_seconds_uncached,omitempty"`
	MeanPrefillSecondsCached   float64 `json:"mean_prefill_seconds_cached,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// Series is a replay over time, one entry per point, at most MaxPoints
// points: a point every ceil(requests / MaxPoints) requests and at the last.
// Window fields cover the requests since the previous point.
type Series struct {
	Request            []int     `json:"request"`                 // requests done so far
	Seconds            []float64 `json:"seconds"`                 // time of the point (arrival, or admission when timed)
	BlockHitRate       []float64 `json:"block_hit_rate"`          // cumulative
	WindowBlockHitRate []float64 `json:"window_block_hit_rate"`   // over the window
	TokenHitRate       []float64 `json:"token_hit_rate"`          // cumulative
	WindowTokenHitRate []float64 `json:"window_token_hit_rate"`   // over the window
	BlocksUsed         []int     `json:"blocks_used"`             // resident + reserved
	BytesUsed          []int64   `json:"bytes_used,omitempty"`    // blocks used x bytes per block
	Evictions          []int64   `json:"evictions"`               // cumulative
	PinnedBlocks       []int     `json:"pinned_blocks,omitempty"` // timed replay only
	Queued             []int     `json:"queued,omitempty"`        // timed replay only
}

// Len is the number of points.
func (s Series) Len() int { return len(s.Request) }

// recorder accumulates a Summary and a downsampled Series, one request at a
// time. Its memory is bounded by the number of points.
type recorder struct {
	sum      Summary
	stride   int
	total    int
	timer    StepTimer
	bytes    int64
	usedSum  float64
	rateSum  float64 // sum of C_r / P_r
	done     int
	win      struct{ blocks, hits, tokens, hitTokens int64 }
	series   Series
	prefill0 float64 // prefill seconds without a cache
	prefill1 float64 // prefill seconds with the cache
}

func newRecorder(p *Prepared, cfg Config) *recorder {
	n := len(p.w.Requests)
	r := &recorder{stride: (n + cfg.MaxPoints - 1) / cfg.MaxPoints, total: n, timer: cfg.Timer, bytes: cfg.BytesPerBlock}
	s := &r.sum
	s.Workload, s.Policy, s.CapacityBlocks, s.BlockTokens = p.w.Name, cfg.Policy, cfg.CapacityBlocks, p.w.BlockTokens
	s.Unbounded = cfg.CapacityBlocks == cache.Unbounded
	if !s.Unbounded {
		s.CapacityBytes = int64(cfg.CapacityBlocks) * cfg.BytesPerBlock
	}
	s.Requests = n
	s.AvgInputTokens = float64(p.promptTokens) / float64(n)
	s.AvgOutputTokens = float64(p.outputTokens) / float64(n)
	s.Notes = append(s.Notes, p.w.Notes...)
	return r
}

// request records one request whose first k blocks were cached, at time at.
func (r *recorder) request(req workload.Request, k int, at float64, c *cache.Cache, pinned, queued int, timed bool) {
	s := &r.sum
	hitTok := int64(hitTokens(k, s.BlockTokens, req.InputTokens))
	s.PromptBlocks += int64(len(req.Blocks))
	s.HitBlocks += int64(k)
	s.PromptTokens += int64(req.InputTokens)
	s.HitTokens += hitTok
	r.win.blocks += int64(len(req.Blocks))
	r.win.hits += int64(k)
	r.win.tokens += int64(req.InputTokens)
	r.win.hitTokens += hitTok
	used := c.Pool().Used()
	s.PeakBlocks = max(s.PeakBlocks, used)
	r.usedSum += float64(used)
	r.rateSum += float64(hitTok) / float64(req.InputTokens)
	if r.timer != nil {
		newTok, cachedTok := prefillSplit(req.InputTokens, int(hitTok))
		r.prefill0 += r.timer.PrefillSeconds(req.InputTokens, 0)
		r.prefill1 += r.timer.PrefillSeconds(newTok, cachedTok)
	}
	r.done++
	if r.done%r.stride != 0 && r.done != r.total {
		return
	}
	ser := &r.series
	ser.Request = append(ser.Request, r.done)
	ser.Seconds = append(ser.Seconds, at)
	ser.BlockHitRate = append(ser.BlockHitRate, ratio(s.HitBlocks, s.PromptBlocks))
	ser.WindowBlockHitRate = append(ser.WindowBlockHitRate, ratio(r.win.hits, r.win.blocks))
	ser.TokenHitRate = append(ser.TokenHitRate, ratio(s.HitTokens, s.PromptTokens))
	ser.WindowTokenHitRate = append(ser.WindowTokenHitRate, ratio(r.win.hitTokens, r.win.tokens))
	ser.BlocksUsed = append(ser.BlocksUsed, used)
	if r.bytes > 0 {
		ser.BytesUsed = append(ser.BytesUsed, int64(used)*r.bytes)
	}
	ser.Evictions = append(ser.Evictions, c.Stats().Evictions)
	if timed {
		ser.PinnedBlocks = append(ser.PinnedBlocks, pinned)
		ser.Queued = append(ser.Queued, queued)
	}
	r.win = struct{ blocks, hits, tokens, hitTokens int64 }{}
}

// finish computes the rates.
func (r *recorder) finish(c *cache.Cache) Summary {
	s := r.sum
	st := c.Stats()
	s.BlockHitRate = ratio(s.HitBlocks, s.PromptBlocks)
	s.TokenHitRate = ratio(s.HitTokens, s.PromptTokens)
	s.RecomputedTokens = s.PromptTokens - s.HitTokens
	s.Evictions, s.EvictedBytes, s.Bypassed = st.Evictions, st.EvictedBytes, st.Bypassed
	if r.done > 0 {
		s.MeanBlocks = r.usedSum / float64(r.done)
		s.MeanRequestTokenHitRate = r.rateSum / float64(r.done)
	}
	s.PeakBytes = int64(s.PeakBlocks) * r.bytes
	s.MeanBytes = s.MeanBlocks * float64(r.bytes)
	if r.timer != nil && r.done > 0 {
		s.TTFTSavedSeconds = r.prefill0 - r.prefill1
		s.MeanTTFTSavedSeconds = s.TTFTSavedSeconds / float64(r.done)
		s.MeanPrefillSecondsUncached = r.prefill0 / float64(r.done)
		s.MeanPrefillSecondsCached = r.prefill1 / float64(r.done)
	} else {
		s.Notes = append(s.Notes, "no step timer: TTFT saved not computed")
	}
	if s.Bypassed > 0 {
		s.Notes = append(s.Notes, "belady is offline: it bypasses blocks needed later than every resident one")
	}
	return s
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
