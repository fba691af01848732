package decoder

import (
	"fmt"
	"time"
)

// Step is what one forward step did and cost: the prompt's prefill, a
// cached decode step, or an uncached rerun of the whole prefix.
type Step struct {
	Position int // position of the last token fed; its logits predict position+1
	Rows     int // tokens run through the model: 1 cached, Position+1 uncached, plus recomputed ones

	Latency   time.Duration // wall time of the step
	Matmul    time.Duration // projections, MLP and LM head of the tokens being run
	Attention time.Duration // scores, softmax and weighted sums (streams the cached K/V)
	KVIO      time.Duration // copying new K/V into the cache
	Recompute time.Duration // matmuls and attention of evicted positions recomputed (recompute policy)
	Other     time.Duration // the rest: embeddings, norms, activations, RoPE, biases

	FLOPs          float64 // FLOPs of the tokens run (= model.DecodeFLOPs for decode steps)
	RecomputeFLOPs float64 // FLOPs spent recomputing evicted positions

	KVReads      int64 // K/V position-reads needed: prior positions × layers
	KVHits       int64 // of those, served from the cache
	KVReadBytes  int64 // cached K/V bytes streamed by the attention
	KVWriteBytes int64 // K/V bytes written to the cache
	KVBytesHeld  int64 // cache bytes holding positions after the step
	Evicted      int   // positions before the next one that the cache does not hold
	Recomputed   int   // evicted positions recomputed in this step
}

// Session is one sequence being decoded: run state, token history and,
// with a cache, the K/V cache. It is not safe for concurrent use.
type Session struct {
	d     *Decoder
	h     *shape
	st    *runState
	cache *kvCache // nil without a cache
	cfg   CacheConfig

	tokens []int // (maxTokens) tokens fed so far, then free space
	batch  []int // (maxTokens) scratch: the tokens of a recompute pass
	n      int   // tokens fed so far
	attn   attentionTask
	rows   rowTask
}

// NewSession prepares a session of at most maxTokens positions. Without a
// cache every Next reruns the whole history; with one, Next runs the new
// token against the cached K/V (recomputing or dropping what a bounded
// cache evicted).
func (d *Decoder) NewSession(maxTokens int, cfg CacheConfig) (*Session, error) {
	h := &d.h
	if maxTokens <= 0 {
		return nil, fmt.Errorf("decoder: a session of %d tokens: give at least 1", maxTokens)
	}
	if maxTokens > h.context {
		return nil, fmt.Errorf("decoder: %d tokens exceed model %s's context of %d; use fewer prompt or new tokens", maxTokens, h.spec.Name, h.context)
	}
	capacity, sinks, err := cfg.check(maxTokens)
	if err != nil {
		return nil, err
	}
	need, err := SessionMemory(h.spec, maxTokens, cfg, d.pool.Threads())
	if err != nil {
		return nil, err
	}
	if err := checkMemory(h.spec.Name, need, d.memAvail); err != nil {
		return nil, err
	}
	s := &Session{d: d, h: h, cfg: cfg,
		st:     newRunState(h, maxTokens, maxTokens, d.pool.Threads(), d.ropeBase),
		tokens: make([]int, maxTokens), batch: make([]int, maxTokens)}
	if cfg.Enabled {
		s.cache = newKVCache(h, capacity, sinks, cfg.Policy)
	}
	s.touch()
	return s, nil
}

// touch writes a zero over one zero value per memory page of every buffer
// the session allocated (values already written, the RoPE table, stay), so
// the operating system maps the pages now: otherwise the first steps pay
// the page faults (the first cached token of a fresh process ran 3x slower
// than the uncached one's for that reason).
func (s *Session) touch() {
	const pageFloats = 4096 / 4
	page := func(b []float32) {
		for i := 0; i < len(b); i += pageFloats {
			if b[i] == 0 {
				b[i] = 0
			}
		}
	}
	for _, b := range s.st.buffers(s.h, s.d.pool.Threads()) {
		page(*b.data)
	}
	if s.cache != nil {
		page(s.cache.k)
		page(s.cache.v)
	}
}

// Reset empties the session (and its cache) for a new sequence, keeping
// its buffers.
func (s *Session) Reset() {
	s.n = 0
	if s.cache != nil {
		s.cache.n = 0
	}
}

// Len is the number of tokens fed so far.
func (s *Session) Len() int { return s.n }

// KVBytesAllocated is the memory of the cache's K/V slots (0 without one).
func (s *Session) KVBytesAllocated() int64 {
	if s.cache == nil {
		return 0
	}
	return s.cache.allocatedBytes()
}

func (s *Session) checkToken(tok int) error {
	if tok < 0 || tok >= s.h.vocab {
		return fmt.Errorf("decoder: token %d is outside the vocabulary [0, %d)", tok, s.h.vocab)
	}
	return nil
}

// Prefill runs the prompt (all its tokens in one pass), fills the cache if
// there is one, and returns the logits after the last prompt token. The
// slice is reused by the next call.
func (s *Session) Prefill(prompt []int) ([]float32, Step, error) {
	if s.n != 0 {
		return nil, Step{}, fmt.Errorf("decoder: Prefill on a session that already holds %d tokens", s.n)
	}
	if len(prompt) == 0 {
		return nil, Step{}, fmt.Errorf("decoder: empty prompt: give at least one token")
	}
	if len(prompt) > len(s.tokens) {
		return nil, Step{}, fmt.Errorf("decoder: prompt of %d tokens exceeds the session's %d", len(prompt), len(s.tokens))
	}
	for _, t := range prompt {
		if err := s.checkToken(t); err != nil {
			return nil, Step{}, err
		}
	}
	copy(s.tokens, prompt)
	s.n = len(prompt)
	p := pass{tokens: s.tokens[:s.n]}
	if s.cache != nil {
		p.cache, p.store, p.keepN = s.cache, true, s.n
	}
	st := s.run(p)
	if s.cache != nil {
		s.cache.n = s.n
	}
	s.finish(&st)
	return s.st.logits, st, nil
}

// Next feeds one token at the next position and returns the logits that
// predict the one after. It allocates nothing.
func (s *Session) Next(token int) ([]float32, Step, error) {
	if s.n == 0 {
		return nil, Step{}, fmt.Errorf("decoder: Next before Prefill")
	}
	if s.n >= len(s.tokens) {
		return nil, Step{}, fmt.Errorf("decoder: the session is full (%d tokens)", s.n)
	}
	if err := s.checkToken(token); err != nil {
		return nil, Step{}, err
	}
	pos := s.n
	s.tokens[pos] = token
	s.n++
	layers := int64(s.h.layers)
	var st Step
	if s.cache == nil {
		// no cache: rerun positions 0..pos, keep the last row's logits
		st = s.run(pass{tokens: s.tokens[:pos+1]})
		st.KVReads = int64(pos) * layers
	} else {
		c := s.cache
		p := pass{tokens: s.tokens[pos : pos+1], tailPos: pos, cache: c, store: true, keepN: pos + 1}
		lo, hi := c.missing()
		if c.policy == Recompute && hi > lo { // lo is 0: no sinks
			p.prefix = hi
			copy(s.batch, s.tokens[:hi])
			s.batch[hi] = token
			p.tokens = s.batch[:hi+1]
		}
		st = s.run(p)
		st.Recomputed = p.prefix
		st.KVReads = int64(pos) * layers
		st.KVHits = int64(c.held(pos)) * layers
		c.n = pos + 1
	}
	s.finish(&st)
	return s.st.logits, st, nil
}

// run times one forward pass.
func (s *Session) run(p pass) Step {
	st := Step{Position: p.tailPos + len(p.tokens) - p.prefix - 1, Rows: len(p.tokens)}
	t0 := time.Now()
	s.forward(p, &st)
	st.Latency = time.Since(t0)
	st.Other = st.Latency - st.Matmul - st.Attention - st.KVIO - st.Recompute
	return st
}

func (s *Session) finish(st *Step) {
	if c := s.cache; c != nil {
		st.KVBytesHeld = c.heldBytes()
		st.Evicted = c.n - c.held(c.n)
	}
}
