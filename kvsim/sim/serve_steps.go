package sim

import (
	"fmt"
	"math"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// prefillFirstStep admits what fits and prefills it in one step; with
// nothing admitted, it runs one decode step over the whole batch.
func (s *server) prefillFirstStep() (stepped bool, rejected int, err error) {
	first := len(s.batch)
	prefill := 0.0
	for len(s.queue) > 0 && len(s.batch) < s.maxBatch {
		r, ok, rej, err := s.admitHead()
		if err != nil {
			return false, rejected, err
		}
		if rej {
			rejected++
			continue
		}
		if !ok {
			break
		}
		prefill += s.timer.PrefillSeconds(r.target-r.done, r.done)
	}
	s.out.PeakPinnedBlocks = max(s.out.PeakPinnedBlocks, s.c.Pool().Pinned())
	if len(s.batch) > first {
		s.now += prefill
		s.out.PrefillSteps++
		for i := first; i < len(s.batch); i++ {
			r := &s.batch[i]
			r.done = r.target
			s.emit(r)
		}
		return true, rejected, nil
	}
	if len(s.batch) == 0 {
		return false, rejected, nil
	}
	if s.onDemand {
		if err := s.grow(len(s.batch)); err != nil {
			return false, rejected, err
		}
	}
	context := 0
	for _, r := range s.batch {
		context += r.req.InputTokens + s.generated[r.idx]
	}
	s.now += s.timer.DecodeSeconds(len(s.batch), context)
	s.out.DecodeSteps++
	s.batchSum += float64(len(s.batch))
	for i := range s.batch {
		s.emit(&s.batch[i])
	}
	return true, rejected, nil
}

// chunkedStep spends at most s.chunk tokens: one per decoding request, then
// prefill chunks of the running requests, then of newly admitted ones.
func (s *server) chunkedStep() (stepped bool, rejected int, err error) {
	budget := s.chunk
	if s.onDemand {
		if err := s.grow(budget); err != nil {
			return false, 0, err
		}
	}
	seconds, decodes, context := 0.0, 0, 0
	// work[i] is what batch[i] does this step.
	const (
		idle = iota
		decode
		prefill
	)
	work := s.work[:0]
	for range s.batch {
		work = append(work, idle)
	}
	for i, r := range s.batch {
		if r.done == r.target && budget > 0 {
			work[i] = decode
			decodes++
			context += r.req.InputTokens + s.generated[r.idx]
			budget--
		}
	}
	if decodes > 0 {
		seconds += s.timer.DecodeSeconds(decodes, context)
	}
	chunks := 0
	prefillChunk := func(r *running) {
		n := min(r.target-r.done, budget)
		seconds += s.timer.PrefillSeconds(n, r.done)
		r.done += n
		budget -= n
		chunks++
	}
	for i := range s.batch {
		if r := &s.batch[i]; r.done < r.target && budget > 0 {
			work[i] = prefill
			prefillChunk(r)
		}
	}
	for len(s.queue) > 0 && len(s.batch) < s.maxBatch && budget > 0 {
		r, ok, rej, err := s.admitHead()
		if err != nil {
			return false, rejected, err
		}
		if rej {
			rejected++
			continue
		}
		if !ok {
			break
		}
		work = append(work, prefill)
		prefillChunk(r)
	}
	s.work = work
	s.out.PeakPinnedBlocks = max(s.out.PeakPinnedBlocks, s.c.Pool().Pinned())
	if decodes == 0 && chunks == 0 {
		return false, rejected, nil
	}
	s.now += seconds
	if decodes > 0 {
		s.out.DecodeSteps++
		s.batchSum += float64(decodes)
	}
	if chunks > 0 {
		s.out.PrefillSteps++
		if decodes > 0 {
			s.out.MixedSteps++
		}
	}
	for i := range s.batch {
		r := &s.batch[i]
		s.markComputed(r) // at the step's end: a request admitted during it could not reuse these

		if work[i] == decode || (work[i] == prefill && r.done == r.target) {
			s.emit(r)
		}
	}
	return true, rejected, nil
}

// admitHead admits the queue's head if it fits and returns it (a pointer
// into the batch), or rejects it when the whole cache is too small for it.
// A head that does not fit yet is a capacity stall: it and everyone behind
// it wait.
func (s *server) admitHead() (r *running, ok, rejected bool, err error) {
	idx := s.queue[0]
	req := s.p.w.Requests[idx]
	row := &s.rows[idx]
	capacity := s.c.Pool().Capacity()
	if capacity != cache.Unbounded && len(req.Blocks)+s.decodeBlocks(req, req.OutputTokens) > capacity {
		s.queue = s.queue[1:]
		s.out.Rejected++
		row.Rejected = true
		return nil, false, true, nil
	}
	g := s.generated[idx]
	decode := s.decodeBlocks(req, req.OutputTokens)
	if s.onDemand {
		decode = s.decodeBlocks(req, min(g+1, req.OutputTokens))
	}
	k, fits, err := s.place(req.Blocks, decode)
	if err != nil {
		return nil, false, false, fmt.Errorf("sim: request %d: %w", idx, err)
	}
	if !fits {
		s.out.CapacityStalls++
		return nil, false, false, nil
	}
	s.queue = s.queue[1:]
	target := req.InputTokens + g
	_, cached := prefillSplit(target, hitTokens(k, s.block, req.InputTokens))
	s.batch = append(s.batch, running{idx: idx, req: req, target: target, done: cached, decodeBlocks: decode})
	if math.IsNaN(row.AdmittedSeconds) {
		row.AdmittedSeconds, row.HitBlocks, row.CachedTokens, row.NewTokens = s.now, k, cached, target-cached
		s.rec.request(req, k, s.now, s.c, s.c.Pool().Pinned(), len(s.queue), true)
	} else {
		row.RecomputedTokens += target - cached
		s.out.PreemptionRecomputedTokens += int64(target - cached)
	}
	return &s.batch[len(s.batch)-1], true, false, nil
}

// decodeBlocks is the private blocks a request holds for its first g output
// tokens: ceil((P+g)/B) - ceil(P/B) (the prompt's partial last block has
// room for the first of them).
func (s *server) decodeBlocks(req workload.Request, g int) int {
	return workload.BlocksFor(req.InputTokens+g, s.block) - len(req.Blocks)
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
	if s.uncomputed != nil {
		for i, h := range blocks[:k] {
			if _, pending := s.uncomputed[h]; pending {
				k = i
				break
			}
		}
	}
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
		if s.uncomputed != nil {
			s.uncomputed[h] = struct{}{}
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

// markComputed drops from uncomputed the prompt blocks whose tokens r has
// now computed.
func (s *server) markComputed(r *running) {
	if s.uncomputed == nil {
		return
	}
	for r.computed < len(r.req.Blocks) && min((r.computed+1)*s.block, r.req.InputTokens) <= r.done {
		delete(s.uncomputed, r.req.Blocks[r.computed])
		r.computed++
	}
}

// grow gives each of the first n decoding requests the block its next
// token needs; when none is left it preempts the most recently admitted
// request, which may be the one asking.
func (s *server) grow(n int) error {
	capacity := s.c.Pool().Capacity()
	for i := 0; i < len(s.batch) && n > 0; i++ {
		r := &s.batch[i]
		if r.done < r.target {
			continue // still prefilling
		}
		n--
		need := s.decodeBlocks(r.req, s.generated[r.idx]+1) - r.decodeBlocks
		if need <= 0 {
			continue
		}
		for capacity != cache.Unbounded && s.c.Pool().Pinned()+need > capacity && i < len(s.batch) {
			if err := s.preempt(len(s.batch) - 1); err != nil {
				return err
			}
		}
		if i == len(s.batch) {
			break // it preempted itself
		}
		if _, err := s.c.Reserve(need); err != nil {
			return fmt.Errorf("sim: request %d: %w", r.idx, err)
		}
		r.decodeBlocks += need
	}
	s.out.PeakPinnedBlocks = max(s.out.PeakPinnedBlocks, s.c.Pool().Pinned())
	return nil
}

// preempt releases batch[j], the last one, and puts its request back at the
// head of the queue: readmitted, it computes its tokens again.
func (s *server) preempt(j int) error {
	r := s.batch[j]
	if err := s.release(r); err != nil {
		return err
	}
	s.batch = s.batch[:j]
	s.queue = append([]int{r.idx}, s.queue...)
	row := &s.rows[r.idx]
	row.Preemptions++
	s.out.Preemptions++
	if row.Preemptions == 1 {
		s.out.PreemptedRequests++
	}
	return nil
}
