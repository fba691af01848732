package workload

import (
	"fmt"

	"kvcache/kvsim/cache"
)

// Request is one inference request, in the form traces and generators share.
type Request struct {
	ArrivalSeconds float64           // since the start of the workload
	InputTokens    int               // prompt tokens, >= 1
	OutputTokens   int               // generated tokens, >= 0
	Blocks         []cache.BlockHash // prefix hashes, ceil(InputTokens / BlockTokens) of them
	Prompt         []Segment         // the prompt's content; nil when unknown (traces)
}

// Segment is a run of Tokens tokens of one piece of text (a system prompt, a
// document, a chat turn), named by ID. Token j of the segment is the 64-bit
// value ID<<32 | j: two prompts share a token exactly when they hold the same
// piece at the same offset.
type Segment struct {
	ID     uint64
	Tokens int
}

// Workload is a named list of requests sorted by arrival.
type Workload struct {
	Name        string
	BlockTokens int // tokens per block of Request.Blocks
	Requests    []Request
	Notes       []string // what a reader or generator wants the user to know
}

// Stats are a workload's averages.
type Stats struct {
	Requests          int     `json:"requests"`
	AvgInputTokens    float64 `json:"avg_input_tokens"`
	AvgOutputTokens   float64 `json:"avg_output_tokens"`
	PromptBlocks      int64   `json:"prompt_blocks"`
	DistinctBlocks    int     `json:"distinct_blocks"`
	DurationSeconds   float64 `json:"duration_seconds"`
	TheoreticalReuse  float64 `json:"theoretical_block_reuse"` // 1 - distinct/prompt blocks: the hit rate of an infinite cache if every block were a prefix hit
	BlockTokens       int     `json:"block_tokens"`
	HasTokens         bool    `json:"has_tokens"`
	RequestsPerSecond float64 `json:"requests_per_second"`
}

// Stats computes the averages of w.
func (w Workload) Stats() Stats {
	s := Stats{Requests: len(w.Requests), BlockTokens: w.BlockTokens, HasTokens: w.HasTokens()}
	if s.Requests == 0 {
		return s
	}
	var in, out int64
	distinct := map[cache.BlockHash]struct{}{}
	for _, r := range w.Requests {
		in += int64(r.InputTokens)
		out += int64(r.OutputTokens)
		s.PromptBlocks += int64(len(r.Blocks))
		for _, h := range r.Blocks {
			distinct[h] = struct{}{}
		}
	}
	n := float64(s.Requests)
	s.AvgInputTokens, s.AvgOutputTokens = float64(in)/n, float64(out)/n
	s.DistinctBlocks = len(distinct)
	if s.PromptBlocks > 0 {
		s.TheoreticalReuse = 1 - float64(s.DistinctBlocks)/float64(s.PromptBlocks)
	}
	s.DurationSeconds = w.Requests[len(w.Requests)-1].ArrivalSeconds - w.Requests[0].ArrivalSeconds
	if s.DurationSeconds > 0 {
		s.RequestsPerSecond = n / s.DurationSeconds
	}
	return s
}

// HasTokens reports whether every request carries its prompt's content, so
// it can be cut into blocks of any size (Reblock).
func (w Workload) HasTokens() bool {
	for _, r := range w.Requests {
		if r.Prompt == nil {
			return false
		}
	}
	return len(w.Requests) > 0
}

// Reblock returns a copy of w with every request's Blocks recomputed for
// blocks of blockTokens tokens. It needs the prompts' tokens: traces carry
// only 512-token hash ids and cannot be reblocked.
func (w Workload) Reblock(blockTokens int) (Workload, error) {
	if blockTokens < 1 {
		return Workload{}, fmt.Errorf("workload: block size %d tokens: must be at least 1", blockTokens)
	}
	if !w.HasTokens() {
		return Workload{}, fmt.Errorf("workload: %s has no token content (a trace keeps only its %d-token block ids): reblocking needs a synthetic workload", w.Name, w.BlockTokens)
	}
	out := w
	out.BlockTokens = blockTokens
	out.Requests = make([]Request, len(w.Requests))
	h := cache.NewBlockHasher(blockTokens)
	for i, r := range w.Requests {
		r.Blocks = hashPrompt(h, r.Prompt)
		out.Requests[i] = r
	}
	return out, nil
}

// hashPrompt feeds a prompt's tokens to h and returns its block hashes.
func hashPrompt(h *cache.BlockHasher, prompt []Segment) []cache.BlockHash {
	for _, s := range prompt {
		base := s.ID << 32
		for j := 0; j < s.Tokens; j++ {
			h.Add(base | uint64(j))
		}
	}
	return h.Hashes()
}

// BlocksFor is the number of blocks a prompt of n tokens takes: ceil(n/b).
func BlocksFor(n, b int) int { return (n + b - 1) / b }
