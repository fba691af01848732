package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// DefaultMaxBatch is the default limit on running requests.
const DefaultMaxBatch = 256

// Schedulers of the timed replay (doc.go's glossary defines them).
const (
	PrefillFirst   = "prefill-first"   // whole prefills first, decodes when none is waiting (the default)
	ChunkedPrefill = "chunked-prefill" // decodes first, then prefill chunks, within ChunkTokens per step
)

// SchedulerNames lists the timed replay's schedulers, the default first.
func SchedulerNames() []string { return []string{PrefillFirst, ChunkedPrefill} }

// DefaultChunkTokens is chunked-prefill's token budget per step: vLLM's
// default max_num_batched_tokens when it introduced chunked prefill
// (vllm-project/vllm#4580: the best inter-token latency on an A100 in its
// benchmark; later versions use 2048 or more).
const DefaultChunkTokens = 512

// Decode memory: how a running request holds the blocks its output needs.
const (
	DecodeReserve  = "reserve"   // all of them at admission: nothing is ever preempted (the default)
	DecodeOnDemand = "on-demand" // one block when a token needs it; preempts when none is left
)

// DecodeMemoryNames lists the decode memory modes, the default first.
func DecodeMemoryNames() []string { return []string{DecodeReserve, DecodeOnDemand} }

// ServeConfig sets up a timed serving replay.
type ServeConfig struct {
	Config              // Timer is required; Belady is not allowed (the order depends on the run)
	MaxBatch     int    // running requests at most; 0 means DefaultMaxBatch
	Scheduler    string // SchedulerNames(); "" means PrefillFirst
	ChunkTokens  int    // chunked-prefill's tokens per step (decodes + prefill chunks); 0 means DefaultChunkTokens
	DecodeMemory string // DecodeMemoryNames(); "" means DecodeReserve
}

// Serving describes a timed replay; doc.go's glossary defines every field.
// Latencies cover the completed requests; TTFT is the time from arrival to
// the end of the request's prefill (queueing included).
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

	Scheduler    string `json:"scheduler"`
	DecodeMemory string `json:"decode_memory"`
	ChunkTokens  int    `json:"chunk_tokens,omitempty"` // chunked-prefill only
	MixedSteps   int64  `json:"mixed_steps"`            // steps that ran prefill and decode work together (chunked-prefill)

	P90TTFTSeconds  float64 `json:"p90_ttft_seconds"`
	MeanTPOTSeconds float64 `json:"mean_tpot_seconds"` // per request, over requests with 2 or more output tokens
	P50TPOTSeconds  float64 `json:"p50_tpot_seconds"`
	P90TPOTSeconds  float64 `json:"p90_tpot_seconds"`
	P99TPOTSeconds  float64 `json:"p99_tpot_seconds"`
	MeanITLSeconds  float64 `json:"mean_itl_seconds"` // per gap between two tokens of a request
	P50ITLSeconds   float64 `json:"p50_itl_seconds"`
	P90ITLSeconds   float64 `json:"p90_itl_seconds"`
	P99ITLSeconds   float64 `json:"p99_itl_seconds"`
	MeanE2ESeconds  float64 `json:"mean_e2e_seconds"`
	P50E2ESeconds   float64 `json:"p50_e2e_seconds"`
	P90E2ESeconds   float64 `json:"p90_e2e_seconds"`
	P99E2ESeconds   float64 `json:"p99_e2e_seconds"`

	RequestsPerSecond    float64 `json:"requests_per_second"`     // completed requests / makespan
	TotalTokensPerSecond float64 `json:"total_tokens_per_second"` // completed requests' prompt + output tokens / makespan

	Preemptions                int64 `json:"preemptions"`                  // on-demand decode memory only
	PreemptedRequests          int   `json:"preempted_requests"`           // requests preempted at least once
	PreemptionRecomputedTokens int64 `json:"preemption_recomputed_tokens"` // tokens prefilled again after preemptions
}

// ServeResult is a timed replay's outcome. Requests has one row per
// request of the workload, in arrival order; it stays out of JSON (one row
// per request is a file of its own: kvsim replay --requests-csv).
type ServeResult struct {
	Summary  Summary         `json:"summary"`
	Serving  Serving         `json:"serving"`
	Series   Series          `json:"series"`
	Cache    cache.Stats     `json:"cache"`
	Requests []RequestRecord `json:"-"`
}

// Serve replays the workload in time on one engine with continuous
// batching. Every scheduler shares these rules:
//
//  1. Requests join a FCFS queue at their arrival.
//  2. Admission, in queue order while fewer than MaxBatch run: a request
//     needs its prompt blocks plus its decode blocks, ceil((P+g)/B) -
//     ceil(P/B) private blocks for the g output tokens it will hold (g = O
//     with DecodeReserve, the next token's with DecodeOnDemand). Its cached
//     blocks are pinned; missing ones are inserted (evicting unpinned
//     blocks) and pinned; the decode blocks are reserved. If pinned and
//     reserved blocks leave too little room, the head waits (a capacity
//     stall) and so does everyone behind it. A request whose prompt and
//     whole output need more blocks than the cache holds is rejected.
//  3. A request that has emitted OutputTokens tokens finishes: its blocks
//     are unpinned (they stay cached) and its decode blocks are freed.
//
// PrefillFirst (vLLM's scheduler without chunked prefill): if any request
// was admitted, one prefill step runs them, lasting the sum of their
// PrefillSeconds, and each emits its first token at its end; otherwise one
// decode step runs every running request, lasting DecodeSeconds(batch, sum
// of contexts), and each emits one token.
//
// ChunkedPrefill (Sarathi-Serve's stall-free batching, vLLM's chunked
// prefill): each step spends at most ChunkTokens tokens, first one per
// decoding request, then on the prompts being prefilled, in admission
// order, then on newly admitted requests. It lasts DecodeSeconds of its
// decodes plus PrefillSeconds(chunk, tokens before it) of each chunk. A
// request emits its first token at the end of the step that finishes its
// prompt. A block counts as cached only once its tokens are computed.
//
// With DecodeOnDemand a decoding request takes a block when its next token
// needs one; when none is left, the most recently admitted request is
// preempted (its blocks are released, its prompt blocks stay cached) and
// rejoins the head of the queue; readmitted, it prefills its prompt and its
// generated tokens again (vLLM's recompute preemption) before its next
// token. With DecodeReserve output lengths are known in advance, decode
// space is reserved whole and nothing is ever preempted.
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
	sched, chunk, memory, err := cfg.schedule()
	if err != nil {
		return ServeResult{}, err
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
	s := newServer(p, c, base, maxBatch, sched, chunk, memory == DecodeOnDemand)
	if err := s.run(); err != nil {
		return ServeResult{}, err
	}
	return ServeResult{Summary: s.rec.finish(c), Serving: s.serving(), Series: s.rec.series, Cache: c.Stats(), Requests: s.rows}, nil
}

// schedule checks and fills in the scheduler fields.
func (cfg ServeConfig) schedule() (sched string, chunk int, memory string, err error) {
	sched, memory, chunk = cmpOr(cfg.Scheduler, PrefillFirst), cmpOr(cfg.DecodeMemory, DecodeReserve), cfg.ChunkTokens
	if !slices.Contains(SchedulerNames(), sched) {
		return "", 0, "", fmt.Errorf("sim: unknown scheduler %q: use %s", cfg.Scheduler, strings.Join(SchedulerNames(), " or "))
	}
	if !slices.Contains(DecodeMemoryNames(), memory) {
		return "", 0, "", fmt.Errorf("sim: unknown decode memory %q: use %s", cfg.DecodeMemory, strings.Join(DecodeMemoryNames(), " or "))
	}
	switch {
	case sched != ChunkedPrefill && chunk != 0:
		return "", 0, "", fmt.Errorf("sim: ChunkTokens %d is for the %s scheduler, not %s", chunk, ChunkedPrefill, sched)
	case sched == ChunkedPrefill && chunk == 0:
		chunk = DefaultChunkTokens
	case chunk < 0:
		return "", 0, "", fmt.Errorf("sim: ChunkTokens %d: must be >= 1 (0 means %d)", chunk, DefaultChunkTokens)
	}
	return sched, chunk, memory, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// running is a request between admission and its last token (or its
// preemption).
type running struct {
	idx          int // request index
	req          workload.Request
	target       int // tokens to compute before its next token: P, or P + g after a preemption
	done         int // of target, computed so far (cached tokens included)
	computed     int // prompt blocks known computed (chunked-prefill)
	decodeBlocks int
}

type server struct {
	p        *Prepared
	c        *cache.Cache
	timer    StepTimer
	rec      *recorder
	maxBatch int
	block    int
	sched    string
	chunk    int
	onDemand bool

	now       float64
	queue     []int // request indices waiting, FCFS; preempted ones rejoin at the head
	batch     []running
	work      []int // chunked-prefill: what each running request does this step, reused
	rows      []RequestRecord
	generated []int     // output tokens emitted so far, per request (kept across preemptions)
	lastToken []float64 // time of the last token, per request
	gaps      map[float64]int64
	// uncomputed holds blocks placed in the cache whose tokens no request
	// has computed yet (chunked-prefill): they are resident but no hit.
	uncomputed map[cache.BlockHash]struct{}
	out        Serving
	batchSum   float64
	outTok     int64
	doneTok    int64 // prompt + output tokens of completed requests
}

func newServer(p *Prepared, c *cache.Cache, cfg Config, maxBatch int, sched string, chunk int, onDemand bool) *server {
	n := len(p.w.Requests)
	s := &server{p: p, c: c, timer: cfg.Timer, rec: newRecorder(p, cfg), maxBatch: maxBatch, block: p.w.BlockTokens,
		sched: sched, chunk: chunk, onDemand: onDemand,
		rows: make([]RequestRecord, n), generated: make([]int, n), lastToken: make([]float64, n), gaps: map[float64]int64{}}
	if sched == ChunkedPrefill {
		s.uncomputed = map[cache.BlockHash]struct{}{}
	}
	for i, r := range p.w.Requests {
		s.rows[i] = RequestRecord{Request: i, ArrivalSeconds: r.ArrivalSeconds, PromptTokens: r.InputTokens, OutputTokens: r.OutputTokens,
			AdmittedSeconds: math.NaN(), FirstTokenSeconds: math.NaN(), FinishSeconds: math.NaN()}
	}
	s.out.Scheduler, s.out.ChunkTokens = sched, chunk
	s.out.DecodeMemory = DecodeReserve
	if onDemand {
		s.out.DecodeMemory = DecodeOnDemand
	}
	return s
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
		var (
			stepped  bool
			rejected int
			err      error
		)
		if s.sched == ChunkedPrefill {
			stepped, rejected, err = s.chunkedStep()
		} else {
			stepped, rejected, err = s.prefillFirstStep()
		}
		if err != nil {
			return err
		}
		done += rejected
		if !stepped {
			if rejected == 0 && len(s.queue) > 0 && len(s.batch) == 0 {
				return fmt.Errorf("sim: timed replay stuck at %.3f s with %d queued and nothing running", s.now, len(s.queue))
			}
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

// finish retires requests that have emitted all their tokens.
func (s *server) finish() (int, error) {
	kept := s.batch[:0]
	n := 0
	for _, r := range s.batch {
		if r.done < r.target || s.generated[r.idx] < r.req.OutputTokens {
			kept = append(kept, r)
			continue
		}
		if err := s.release(r); err != nil {
			return n, err
		}
		s.out.Completed++
		s.outTok += int64(r.req.OutputTokens)
		s.doneTok += int64(r.req.InputTokens + r.req.OutputTokens)
		s.rows[r.idx].FinishSeconds = s.now
		n++
	}
	s.batch = kept
	return n, nil
}

// release unpins a request's prompt blocks (they stay cached) and frees its
// decode blocks.
func (s *server) release(r running) error {
	for _, h := range r.req.Blocks {
		if err := s.c.Unpin(h); err != nil {
			return err
		}
	}
	return s.c.Unreserve(r.decodeBlocks)
}

// emit gives request r its next token at the current time.
func (s *server) emit(r *running) {
	i := r.idx
	row := &s.rows[i]
	if math.IsNaN(row.FirstTokenSeconds) {
		// The prefill's end, also for a request with no output tokens.
		row.FirstTokenSeconds = s.now
	}
	if s.generated[i] >= r.req.OutputTokens {
		return
	}
	if s.generated[i] > 0 {
		s.gaps[s.now-s.lastToken[i]]++
	}
	s.generated[i]++
	s.lastToken[i] = s.now
}
