package workload

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func small(name string) Generator {
	g, _ := Default(name)
	switch g := g.(type) {
	case *SystemPrompt:
		g.Requests = 300
	case *MultiTurn:
		g.Sessions = 60
	case *FewShot:
		g.Requests = 300
	case *RAG:
		g.Requests = 300
	}
	return g
}

func TestGeneratorsAreDeterministicAndWellFormed(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			a, err := small(name).Generate(NewRand(7), 64)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := small(name).Generate(NewRand(7), 64)
			c, _ := small(name).Generate(NewRand(8), 64)
			if !reflect.DeepEqual(a, b) {
				t.Error("same seed, different workloads")
			}
			if reflect.DeepEqual(a.Requests, c.Requests) {
				t.Error("different seeds, same workload")
			}
			if a.Name != name || a.BlockTokens != 64 || !a.HasTokens() {
				t.Errorf("name %q, block %d, tokens %v", a.Name, a.BlockTokens, a.HasTokens())
			}
			for i, r := range a.Requests {
				sum := 0
				for _, s := range r.Prompt {
					sum += s.Tokens
				}
				if r.InputTokens < 1 || sum != r.InputTokens || len(r.Blocks) != BlocksFor(r.InputTokens, 64) || r.OutputTokens < 0 {
					t.Fatalf("request %d: input %d, segments sum %d, %d blocks, output %d", i, r.InputTokens, sum, len(r.Blocks), r.OutputTokens)
				}
				if i > 0 && r.ArrivalSeconds < a.Requests[i-1].ArrivalSeconds {
					t.Fatalf("request %d arrives before request %d", i, i-1)
				}
			}
			// Reblocking reproduces generating at that block size.
			re, err := a.Reblock(512)
			d, _ := small(name).Generate(NewRand(7), 512)
			if err != nil || !reflect.DeepEqual(re.Requests, d.Requests) {
				t.Errorf("Reblock(512) differs from generating at 512: %v", err)
			}
			if s := a.Stats(); s.TheoreticalReuse <= 0 || s.TheoreticalReuse >= 1 {
				t.Errorf("theoretical reuse %g", s.TheoreticalReuse)
			}
		})
	}
}

// Each turn of a chat session extends the one before it: its prompt starts
// with the previous prompt, and the previous answer follows it.
func TestMultiTurnPromptsExtendThePreviousTurn(t *testing.T) {
	g := DefaultMultiTurn()
	g.Sessions = 40
	w, err := g.Generate(NewRand(3), 16)
	if err != nil {
		t.Fatal(err)
	}
	bySystem := map[uint64][][]Segment{}
	extended := 0
	for _, r := range w.Requests {
		for _, prev := range bySystem[r.Prompt[0].ID] {
			if len(r.Prompt) == len(prev)+2 && slices.Equal(r.Prompt[:len(prev)], prev) {
				extended++
				// The block hashes of the shared prefix agree (full blocks only).
				full := 0
				for _, s := range prev {
					full += s.Tokens
				}
				pw := Workload{BlockTokens: 16, Requests: []Request{{Prompt: prev}}}
				pre, _ := pw.Reblock(16)
				if n := full / 16; !slices.Equal(pre.Requests[0].Blocks[:n], r.Blocks[:n]) {
					t.Fatal("a turn's full blocks differ from the previous turn's")
				}
				break
			}
		}
		bySystem[r.Prompt[0].ID] = append(bySystem[r.Prompt[0].ID], r.Prompt)
	}
	if sessions := 40; extended < len(w.Requests)-sessions {
		t.Errorf("%d of %d requests extend an earlier turn; want all but the %d first turns", extended, len(w.Requests), sessions)
	}
}

func TestGeneratorsValidate(t *testing.T) {
	bad := []Generator{
		&SystemPrompt{},
		func() Generator { g := DefaultSystemPrompt(); g.PromptSkew = 1; return g }(),
		func() Generator { g := DefaultSystemPrompt(); g.Arrivals = Poisson{0}; return g }(),
		func() Generator { g := DefaultMultiTurn(); g.TurnsMean = 0.5; return g }(),
		func() Generator { g := DefaultMultiTurn(); g.UserTokens = Uniform{10, 5}; return g }(),
		func() Generator { g := DefaultFewShot(); g.Tasks = 0; return g }(),
		func() Generator { g := DefaultFewShot(); g.QuestionTokens = LogNormal{Median: -1, Max: 9}; return g }(),
		func() Generator { g := DefaultRAG(); g.TopK = 4000; return g }(),
		func() Generator { g := DefaultRAG(); g.DocTokens = nil; return g }(),
	}
	for i, g := range bad {
		if _, err := g.Generate(NewRand(1), 16); err == nil || !strings.HasPrefix(err.Error(), "workload: ") && !strings.Contains(err.Error(), ": workload: ") {
			t.Errorf("case %d (%s): %v", i, g.Name(), err)
		}
	}
	if _, err := DefaultRAG().Generate(NewRand(1), 0); err == nil {
		t.Error("block size 0 accepted")
	}
	if _, err := DefaultRAG().Generate(nil, 16); err == nil {
		t.Error("nil random source accepted")
	}
	if _, err := Generate("chatbot", 1, 16); err == nil || !strings.Contains(err.Error(), "multi-turn") {
		t.Errorf("unknown workload: %v", err)
	}
}

func TestReblockNeedsTokens(t *testing.T) {
	w := Workload{Name: "trace", BlockTokens: 512, Requests: []Request{{InputTokens: 3, Blocks: nil}}}
	if _, err := w.Reblock(16); err == nil || !strings.Contains(err.Error(), "no token content") {
		t.Errorf("reblock a trace: %v", err)
	}
}

func TestDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ln := LogNormal{Median: 100, Sigma: 0.5, Min: 10, Max: 400}
	var below int
	for range 10000 {
		v := ln.Draw(rng)
		if v < 10 || v > 400 {
			t.Fatalf("lognormal drew %d outside 10..400", v)
		}
		if v < 100 {
			below++
		}
	}
	if below < 4700 || below > 5300 {
		t.Errorf("%d of 10000 draws below the median 100", below)
	}
	var sum float64
	for range 10000 {
		sum += Poisson{4}.Gap(rng)
	}
	if mean := sum / 10000; mean < 0.24 || mean > 0.26 {
		t.Errorf("poisson(4/s) mean gap %g, want 0.25", mean)
	}
}
