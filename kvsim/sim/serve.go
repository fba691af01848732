package sim

import (
	"fmt"
	"math"
	"sort"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// DefaultMaxBatch is the default limit on running requests.
const DefaultMaxBatch = 256

// ServeConfig sets up a timed serving replay.
type ServeConfig struct {
	Config       // Timer is required; Belady is not allowed (the order depends on the run)
	MaxBatch int // running requests at most; 0 means DefaultMaxBatch
}

// Serving describes a timed replay. TTFT is the time from arrival to the
// end of the request's prefill (queueing included).
type Serving struct {
	Completed             int     `json:"completed"`
	Rejected              int     `json:"rejected"` // footprint larger than the whole cache: can never run
	MakespanSeconds       float64 `json:"makespan_seconds"`
	MeanTTFTSeconds       float64 `json:"mean_ttft_seconds"`
	P50TTFTSeconds        float64 `json:"p50_ttft_seconds"`
	P99TTFTSeconds        float64 `json:"p99_ttft_seconds"`
	MeanQueueSeconds      float64 `json:"mean_queue_seconds"`
	MaxQueueSeconds       float64 `json:"max_queue_seconds"`
	MaxQueued             int     `json:"max_queued"`
	PeakPinnedBlocks      int     `json:"peak_pinned_blocks"`
	PrefillSteps          int64   `json:"prefill_steps"`
	DecodeSteps           int64   `json:"decode_steps"`
	MeanDecodeBatch       float64 `json:"mean_decode_batch"`
	CapacityStalls        int64   `json:"capacity_stalls"` // admissions put off because pinned blocks left no room
	OutputTokensPerSecond float64 `json:"output_tokens_per_second"`
}

// ServeResult is a timed replay's outcome.
type ServeResult struct {
	Summary Summary     `json:"summary"`
	Serving Serving     `json:"serving"`
	Series  Series      `json:"series"`
	Cache   cache.Stats `json:"cache"`
}

// running is a request between admission and its last token.
type running struct {
	req          workload.Request
	generated    int
	decodeBlocks int
}

// Serve replays the workload in time on one engine with continuous
// batching, prefill first (as vLLM's default scheduler without chunked
// prefill):
//
//  1. Requests join a FCFS queue at their arrival.
//  2. Admission, in queue order while fewer than MaxBatch run: a request
//     needs its prompt blocks plus ceil((P+O)/B) - ceil(P/B) private decode
//     blocks at once. Its cached blocks are pinned; missing ones are
//     inserted (evicting unpinned blocks) and pinned; the decode blocks are
//     reserved. If pinned and reserved blocks leave too little room, the
//     head waits (a capacity stall) and so does everyone behind it. A
//     request larger than the whole cache is rejected.
//  3. If any request was admitted, one prefill step runs them, lasting
//     the sum of their PrefillSeconds; each emits its first token at its end.
//  4. Otherwise one decode step runs every running request, lasting
//     DecodeSeconds(batch, sum of contexts); each emits one token.
//  5. A request that has emitted OutputTokens tokens finishes: its blocks
//     are unpinned (they stay cached) and its decode blocks are freed.
//
// Output lengths are known in advance, so decode space is reserved whole and
// nothing is ever preempted (vLLM instead grows it and preempts on need).
func (p *Prepared) Serve(cfg ServeConfig) (ServeResult, error) {
	base, err := cfg.Config.normalized()
	if err != nil {
		return ServeResult{}, err
	}
	if base.Timer == nil {
		return ServeResult{}, fmt.Errorf("sim: timed replay needs a StepTimer (the cost model)")
	}
	if cache.IsOffline(base.Policy) {
		return ServeResult{}, fmt.Errorf("sim: policy belady needs the future, which a timed replay does not know in advance: use a sequential replay")
	}
	maxBatch := cfg.MaxBatch
	if maxBatch == 0 {
		maxBatch = DefaultMaxBatch
	}
	if maxBatch < 1 {
		return ServeResult{}, fmt.Errorf("sim: MaxBatch %d: must be >= 1 (0 means %d)", maxBatch, DefaultMaxBatch)
	}
	reqs := p.w.Requests
	for i := 1; i < len(reqs); i++ {
		if reqs[i].ArrivalSeconds < reqs[i-1].ArrivalSeconds {
			return ServeResult{}, fmt.Errorf("sim: timed replay needs requests sorted by arrival: request %d arrives at %g s, before request %d at %g s",
				i, reqs[i].ArrivalSeconds, i-1, reqs[i-1].ArrivalSeconds)
		}
	}
	c, err := p.newCache(base)
	if err != nil {
		return ServeResult{}, err
	}
	s := server{p: p, c: c, timer: base.Timer, rec: newRecorder(p, base), maxBatch: maxBatch, block: p.w.BlockTokens}
	if err := s.run(); err != nil {
		return ServeResult{}, err
	}
	return ServeResult{Summary: s.rec.finish(c), Serving: s.serving(), Series: s.rec.series, Cache: c.Stats()}, nil
}

type server struct {
	p        *Prepared
	c        *cache.Cache
	timer    StepTimer
	rec      *recorder
	maxBatch int
	block    int

	now      float64
	queue    []int // request indices waiting, FCFS
	batch    []running
	ttfts    []float64
	waits    []float64
	out      Serving
	batchSum float64
	outTok   int64
}

func (s *server) run() error {
	reqs := s.p.w.Requests
	next, done := 0, 0
	for done < len(reqs) {
		if len(s.batch) == 0 && len(s.queue) == 0 && next < len(reqs) {
			s.now = math.Max(s.now, reqs[next].ArrivalSeconds)
		}
		for next < len(reqs) && reqs[next].ArrivalSeconds <= s.now {
			s.queue = append(s.queue, next)
			next++
		}
		s.out.MaxQueued = max(s.out.MaxQueued, len(s.queue))
		admitted, prefill, rejected, err := s.admit()
		if err != nil {
			return err
		}
		done += rejected
		switch {
		case admitted > 0:
			s.now += prefill
			s.out.PrefillSteps++
			for i := len(s.batch) - admitted; i < len(s.batch); i++ {
				r := &s.batch[i]
				s.ttfts = append(s.ttfts, s.now-r.req.ArrivalSeconds)
				r.generated = min(1, r.req.OutputTokens)
			}
		case len(s.batch) > 0:
			context := 0
			for _, r := range s.batch {
				context += r.req.InputTokens + r.generated
			}
			s.now += s.timer.DecodeSeconds(len(s.batch), context)
			s.out.DecodeSteps++
			s.batchSum += float64(len(s.batch))
			for i := range s.batch {
				s.batch[i].generated++
			}
		case rejected > 0:
			continue
		case len(s.queue) > 0:
			return fmt.Errorf("sim: timed replay stuck at %.3f s with %d queued and nothing running", s.now, len(s.queue))
		default:
			continue // idle: the next pass jumps to the next arrival
		}
		n, err := s.finish()
		if err != nil {
			return err
		}
		done += n
	}
	return nil
}

// admit moves queued requests into the batch, in order, while they fit.
func (s *server) admit() (admitted int, prefill float64, rejected int, err error) {
	capacity := s.c.Pool().Capacity()
	for len(s.queue) > 0 && len(s.batch) < s.maxBatch {
		req := s.p.w.Requests[s.queue[0]]
		decode := workload.BlocksFor(req.InputTokens+req.OutputTokens, s.block) - len(req.Blocks)
		if capacity != cache.Unbounded && len(req.Blocks)+decode > capacity {
			s.queue = s.queue[1:]
			s.out.Rejected++
			rejected++
			continue
		}
		k, fits, err := s.place(req.Blocks, decode)
		if err != nil {
			return admitted, prefill, rejected, fmt.Errorf("sim: request %d: %w", s.queue[0], err)
		}
		if !fits {
			s.out.CapacityStalls++
			break
		}
		s.queue = s.queue[1:]
		s.waits = append(s.waits, s.now-req.ArrivalSeconds)
		s.batch = append(s.batch, running{req: req, decodeBlocks: decode})
		s.rec.request(req, k, s.now, s.c, s.c.Pool().Pinned(), len(s.queue), true)
		newTok, cachedTok := prefillSplit(req.InputTokens, hitTokens(k, s.block, req.InputTokens))
		prefill += s.timer.PrefillSeconds(newTok, cachedTok)
		admitted++
	}
	s.out.PeakPinnedBlocks = max(s.out.PeakPinnedBlocks, s.c.Pool().Pinned())
	return admitted, prefill, rejected, nil
}

// place pins a request's blocks and reserves its decode blocks if they fit,
// and returns its cached prefix. It changes nothing when they do not fit.
func (s *server) place(blocks []cache.BlockHash, decode int) (k int, fits bool, err error) {
	pool, index := s.c.Pool(), s.c.Index()
	present, presentUnpinned := 0, 0
	for _, h := range blocks {
		if slot, ok := index.Lookup(h); ok {
			present++
			if !pool.IsPinned(slot) {
				presentUnpinned++
			}
		}
	}
	if pool.Capacity() != cache.Unbounded {
		room := pool.Capacity() - pool.Used() + pool.Evictable() - presentUnpinned
		if len(blocks)-present+decode > room {
			return 0, false, nil
		}
	}
	k = s.c.CachedPrefix(blocks)
	// Pin what is resident first, so inserting the rest cannot evict it.
	missing := make([]cache.BlockHash, 0, len(blocks)-present)
	for _, h := range blocks {
		if !s.c.Contains(h) {
			missing = append(missing, h)
			continue
		}
		if err := s.use(h); err != nil {
			return 0, false, err
		}
	}
	for _, h := range missing {
		if err := s.use(h); err != nil {
			return 0, false, err
		}
	}
	if _, err := s.c.Reserve(decode); err != nil {
		return 0, false, err
	}
	return k, true, nil
}

func (s *server) use(h cache.BlockHash) error {
	if _, err := s.c.Access(h); err != nil {
		return err
	}
	return s.c.Pin(h)
}

// finish retires requests that have emitted all their tokens.
func (s *server) finish() (int, error) {
	kept := s.batch[:0]
	n := 0
	for _, r := range s.batch {
		if r.generated < r.req.OutputTokens {
			kept = append(kept, r)
			continue
		}
		for _, h := range r.req.Blocks {
			if err := s.c.Unpin(h); err != nil {
				return n, err
			}
		}
		if err := s.c.Unreserve(r.decodeBlocks); err != nil {
			return n, err
		}
		s.out.Completed++
		s.outTok += int64(r.req.OutputTokens)
		n++
	}
	s.batch = kept
	return n, nil
}

func (s *server) serving() Serving {
	out := s.out
	out.MakespanSeconds = s.now
	if n := len(s.ttfts); n > 0 {
		sorted := append([]float64(nil), s.ttfts...)
		sort.Float64s(sorted)
		out.MeanTTFTSeconds = mean(sorted)
		out.P50TTFTSeconds = nearestRank(sorted, 0.50)
		out.P99TTFTSeconds = nearestRank(sorted, 0.99)
	}
	if len(s.waits) > 0 {
		out.MeanQueueSeconds = mean(s.waits)
		for _, w := range s.waits {
			out.MaxQueueSeconds = math.Max(out.MaxQueueSeconds, w)
		}
	}
	if out.DecodeSteps > 0 {
		out.MeanDecodeBatch = s.batchSum / float64(out.DecodeSteps)
	}
	if s.now > 0 {
		out.OutputTokensPerSecond = float64(s.outTok) / s.now
	}
	return out
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// nearestRank is the q-quantile of sorted values (nearest-rank method).
func nearestRank(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
