package decoder

import (
	"fmt"
	"math"
	"time"
)

// GenerateOptions describe one greedy generation.
type GenerateOptions struct {
	Prompt     []int       // at least one token
	NewTokens  int         // tokens to generate, at least 1; prompt + new ≤ the model's context
	Cache      CacheConfig // Enabled false: every token reruns the whole prefix (Decoder.Generate; a Session has its own)
	Force      []int       // teacher forcing: step i ≥ 1 feeds Force[i-1] instead of the last argmax (len ≥ NewTokens-1)
	KeepLogits bool        // keep every step's logits in the result
	OnToken    func(TokenEvent)
}

// TokenEvent reports one generated token as soon as it is chosen.
type TokenEvent struct {
	Index       int     // 0-based index of the generated token
	Position    int     // position whose logits chose it: len(prompt)-1+Index
	Token       int     // the token chosen (argmax of the logits)
	Step        Step    // what the step cost
	HitRate     float64 // K/V reads served by the cache so far / needed so far (0 before any read)
	KVBytesHeld int64   // cache bytes in use after the step
	Repeat      int     // Bench: the timed run, from 0
}

// Generation is the outcome of Generate.
type Generation struct {
	Tokens           []int       // generated tokens (argmax of each step)
	Steps            []Step      // one per generated token; Steps[0] is the prompt's prefill
	Logits           [][]float32 // each step's logits, with KeepLogits
	KVReads, KVHits  int64       // summed over the decode steps
	KVBytesPeak      int64       // most cache bytes in use
	KVBytesAllocated int64       // cache slots allocated
	// Total is the wall time of the generation, prefill included, less the
	// time spent in OnToken and copying kept logits: what generating cost.
	Total time.Duration
}

// HitRate is KVHits / KVReads (0 when nothing was read).
func (g *Generation) HitRate() float64 { return hitRate(g.KVHits, g.KVReads) }

func hitRate(hits, reads int64) float64 {
	if reads == 0 {
		return 0
	}
	return float64(hits) / float64(reads)
}

// Generate runs the prompt, then picks NewTokens tokens greedily, one
// forward step each: Steps[0] is the prefill of the prompt, step i ≥ 1 feeds
// the token chosen at step i-1 (or Force[i-1]). It builds a session for
// opt.Cache and runs Session.Generate.
func (d *Decoder) Generate(opt GenerateOptions) (*Generation, error) {
	if err := d.checkRun(len(opt.Prompt), opt.NewTokens); err != nil {
		return nil, err
	}
	s, err := d.NewSession(len(opt.Prompt)+opt.NewTokens-1, opt.Cache)
	if err != nil {
		return nil, err
	}
	return s.Generate(opt)
}

// Generate empties the session (Reset) and runs one greedy generation on
// it, with the session's own cache (opt.Cache is not read). Reusing a
// session keeps its buffers, already touched, from one run to the next.
func (s *Session) Generate(opt GenerateOptions) (*Generation, error) {
	d := s.d
	if err := d.checkRun(len(opt.Prompt), opt.NewTokens); err != nil {
		return nil, err
	}
	if need := len(opt.Prompt) + opt.NewTokens - 1; need > len(s.tokens) {
		return nil, fmt.Errorf("decoder: %d prompt + %d new tokens need a session of %d positions; this one holds %d",
			len(opt.Prompt), opt.NewTokens, need, len(s.tokens))
	}
	if opt.Force != nil && len(opt.Force) < opt.NewTokens-1 {
		return nil, fmt.Errorf("decoder: %d forced tokens for %d new tokens: give at least %d", len(opt.Force), opt.NewTokens, opt.NewTokens-1)
	}
	s.Reset()
	g := &Generation{Tokens: make([]int, opt.NewTokens), Steps: make([]Step, opt.NewTokens), KVBytesAllocated: s.KVBytesAllocated()}
	if opt.KeepLogits {
		g.Logits = make([][]float32, opt.NewTokens)
		all := make([]float32, opt.NewTokens*d.h.vocab)
		for i := range g.Logits {
			g.Logits[i] = all[i*d.h.vocab : (i+1)*d.h.vocab]
		}
	}
	var aside time.Duration // OnToken and copies: not generation
	t0 := time.Now()
	for i := 0; i < opt.NewTokens; i++ {
		var logits []float32
		var st Step
		var err error
		if i == 0 {
			logits, st, err = s.Prefill(opt.Prompt)
		} else {
			feed := g.Tokens[i-1]
			if opt.Force != nil {
				feed = opt.Force[i-1]
			}
			logits, st, err = s.Next(feed)
		}
		if err != nil {
			return nil, err
		}
		if j, ok := nonFinite(logits); ok {
			return nil, fmt.Errorf("decoder: model %s, token %d: logit %d is %g: the forward pass overflowed float32 (weights too large, e.g. a checkpoint scaled wrong); check the weights",
				d.h.spec.Name, i, j, logits[j])
		}
		g.Tokens[i] = argmax(logits)
		g.Steps[i] = st
		g.KVReads += st.KVReads
		g.KVHits += st.KVHits
		g.KVBytesPeak = max(g.KVBytesPeak, st.KVBytesHeld)
		if opt.KeepLogits || opt.OnToken != nil {
			t := time.Now()
			if opt.KeepLogits {
				copy(g.Logits[i], logits)
			}
			if opt.OnToken != nil {
				opt.OnToken(TokenEvent{Index: i, Position: st.Position, Token: g.Tokens[i], Step: st,
					HitRate: g.HitRate(), KVBytesHeld: st.KVBytesHeld})
			}
			aside += time.Since(t)
		}
	}
	g.Total = time.Since(t0) - aside
	return g, nil
}

// nonFinite is the index of the first NaN or infinite value of x.
func nonFinite(x []float32) (int, bool) {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i, true
		}
	}
	return 0, false
}

// checkRun validates a prompt length and a count of new tokens.
func (d *Decoder) checkRun(prompt, newTokens int) error {
	switch {
	case prompt <= 0:
		return fmt.Errorf("decoder: prompt of %d tokens: give at least 1", prompt)
	case newTokens <= 0:
		return fmt.Errorf("decoder: %d new tokens: give at least 1", newTokens)
	case prompt > d.h.context-newTokens: // prompt + new > context, without overflow
		return fmt.Errorf("decoder: prompt %d + new %d tokens exceed model %s's context of %d; use fewer tokens",
			prompt, newTokens, d.h.spec.Name, d.h.context)
	}
	return nil
}
