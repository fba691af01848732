package workload

import (
	"fmt"
	"math/rand/v2"
)

// SystemPrompt models an API serving many applications: every request starts
// with its application's system prompt (one of Prompts, chosen with Zipf
// popularity) and ends with a fresh user message.
type SystemPrompt struct {
	Requests     int
	Arrivals     Arrivals
	Prompts      int     // distinct system prompts
	PromptSkew   float64 // Zipf exponent of their popularity
	PromptTokens Lengths // length of each system prompt (drawn once per prompt)
	UserTokens   Lengths
	OutputTokens Lengths
}

// DefaultSystemPrompt: 4,000 requests at 10/s (Poisson); 200 system prompts
// of 1,024-6,144 tokens with Zipf(1.1) popularity; user messages
// log-normal(median 300); answers log-normal(median 200). The prompts' full
// blocks add up to about 1,300 blocks of 512 tokens; since every request's
// own blocks also pass through the cache, LRU comes within 2 points of the
// 74% maximum only at about 3,000 blocks (seed 1).
func DefaultSystemPrompt() *SystemPrompt {
	return &SystemPrompt{
		Requests: 4000, Arrivals: Poisson{10},
		Prompts: 200, PromptSkew: 1.1, PromptTokens: Uniform{1024, 6144},
		UserTokens:   LogNormal{Median: 300, Sigma: 0.8, Min: 16, Max: 4096},
		OutputTokens: LogNormal{Median: 200, Sigma: 0.7, Min: 1, Max: 2048},
	}
}

// Name is "system-prompt".
func (g *SystemPrompt) Name() string { return "system-prompt" }

// Describe lists the parameters.
func (g *SystemPrompt) Describe() string {
	return fmt.Sprintf("shared system prompts: %d requests, arrivals %s, %d prompts of %s tokens with Zipf(%g) popularity, user %s, output %s",
		g.Requests, g.Arrivals, g.Prompts, g.PromptTokens, g.PromptSkew, g.UserTokens, g.OutputTokens)
}

// Generate builds the workload.
func (g *SystemPrompt) Generate(rng *rand.Rand, blockTokens int) (Workload, error) {
	b, err := begin(rng, blockTokens, atLeast("Requests", g.Requests, 1), check("Arrivals", g.Arrivals), atLeast("Prompts", g.Prompts, 1),
		skew("PromptSkew", g.PromptSkew), check("PromptTokens", g.PromptTokens), check("UserTokens", g.UserTokens),
		check("OutputTokens", g.OutputTokens))
	if err != nil {
		return Workload{}, err
	}
	prompts := make([]Segment, g.Prompts)
	for i := range prompts {
		prompts[i] = b.piece(g.PromptTokens.Draw(rng))
	}
	pick := zipf(rng, g.PromptSkew, g.Prompts)
	t := 0.0
	for range g.Requests {
		t += g.Arrivals.Gap(rng)
		sys := prompts[pick.Uint64()]
		user := b.piece(max(1, g.UserTokens.Draw(rng)))
		b.add(t, []Segment{sys, user}, g.OutputTokens.Draw(rng))
	}
	return b.workload(g.Name()), nil
}

// MultiTurn models chat sessions: each turn's prompt is the whole
// conversation so far (system prompt, then user and assistant turns) plus
// the new user message, so it extends the previous turn's prompt. Only
// prompt blocks are cached, so the previous answer's tokens are computed
// again as part of the next prompt (engines that also cache decoded blocks,
// such as vLLM v1, would hit them).
type MultiTurn struct {
	Sessions      int
	Arrivals      Arrivals // session starts
	SystemPrompts int
	SystemTokens  Lengths
	TurnsMean     float64 // mean turns per session (geometric, >= 1)
	MaxTurns      int
	ThinkSeconds  float64 // mean gap between turns of a session (exponential)
	UserTokens    Lengths
	AnswerTokens  Lengths // the output of each turn
}

// DefaultMultiTurn: 1,000 sessions starting at 1/s (Poisson), 4 system
// prompts of 200-1,200 tokens, 6 turns per session on average (at most 30)
// 60 s apart on average, user messages log-normal(median 150), answers
// log-normal(median 350). About 6,000 requests; the sessions alive at once
// hold a few thousand 512-token blocks, where the curve bends (LRU, seed 1:
// 45% at 1,000 blocks, 72% at 3,000, 75% at most).
func DefaultMultiTurn() *MultiTurn {
	return &MultiTurn{
		Sessions: 1000, Arrivals: Poisson{1},
		SystemPrompts: 4, SystemTokens: Uniform{200, 1200},
		TurnsMean: 6, MaxTurns: 30, ThinkSeconds: 60,
		UserTokens:   LogNormal{Median: 150, Sigma: 0.9, Min: 4, Max: 4096},
		AnswerTokens: LogNormal{Median: 350, Sigma: 0.8, Min: 1, Max: 4096},
	}
}

// Name is "multi-turn".
func (g *MultiTurn) Name() string { return "multi-turn" }

// Describe lists the parameters.
func (g *MultiTurn) Describe() string {
	return fmt.Sprintf("chat sessions: %d sessions, starts %s, %d system prompts of %s tokens, %g turns on average (max %d) %g s apart, user %s, answers %s",
		g.Sessions, g.Arrivals, g.SystemPrompts, g.SystemTokens, g.TurnsMean, g.MaxTurns, g.ThinkSeconds, g.UserTokens, g.AnswerTokens)
}

// Generate builds the workload.
func (g *MultiTurn) Generate(rng *rand.Rand, blockTokens int) (Workload, error) {
	b, err := begin(rng, blockTokens, atLeast("Sessions", g.Sessions, 1), check("Arrivals", g.Arrivals), atLeast("SystemPrompts", g.SystemPrompts, 1),
		check("SystemTokens", g.SystemTokens), atLeast("MaxTurns", g.MaxTurns, 1), check("UserTokens", g.UserTokens),
		check("AnswerTokens", g.AnswerTokens),
		rule(g.TurnsMean >= 1 && g.ThinkSeconds >= 0, "TurnsMean = %g, ThinkSeconds = %g: need TurnsMean >= 1 and ThinkSeconds >= 0", g.TurnsMean, g.ThinkSeconds))
	if err != nil {
		return Workload{}, err
	}
	systems := make([]Segment, g.SystemPrompts)
	for i := range systems {
		systems[i] = b.piece(g.SystemTokens.Draw(rng))
	}
	again := 1 - 1/g.TurnsMean
	start := 0.0
	for range g.Sessions {
		start += g.Arrivals.Gap(rng)
		history := []Segment{systems[rng.IntN(len(systems))]}
		t := start
		for turn := 0; turn < g.MaxTurns; turn++ {
			history = append(history, b.piece(max(1, g.UserTokens.Draw(rng))))
			answer := g.AnswerTokens.Draw(rng)
			b.add(t, history, answer)
			if rng.Float64() >= again {
				break
			}
			history = append(history, b.piece(answer))
			t += rng.ExpFloat64() * g.ThinkSeconds
		}
	}
	return b.workload(g.Name()), nil
}

// FewShot models prompt templates: each of Tasks has instructions and a
// fixed, ordered list of worked examples; a request takes its task's
// instructions, the first Shots examples and a new question. Requests of one
// task share a prefix as long as their shorter example list.
type FewShot struct {
	Requests          int
	Arrivals          Arrivals
	Tasks             int
	TaskSkew          float64 // Zipf exponent of task popularity
	InstructionTokens Lengths
	Examples          int // examples per task
	ExampleTokens     Lengths
	Shots             Lengths // examples a request uses, 0..Examples
	QuestionTokens    Lengths
	OutputTokens      Lengths
}

// DefaultFewShot: 4,000 requests at 20/s (Poisson); 100 tasks with Zipf(1.1)
// popularity, instructions of 100-600 tokens, 8 examples of 150-500 tokens,
// 1-8 shots; questions log-normal(median 80), answers log-normal(median 60).
// The knee is near 1,000 blocks of 512 tokens (LRU, seed 1: 65% there, 69%
// at most).
func DefaultFewShot() *FewShot {
	return &FewShot{
		Requests: 4000, Arrivals: Poisson{20},
		Tasks: 100, TaskSkew: 1.1, InstructionTokens: Uniform{100, 600},
		Examples: 8, ExampleTokens: Uniform{150, 500}, Shots: Uniform{1, 8},
		QuestionTokens: LogNormal{Median: 80, Sigma: 0.6, Min: 4, Max: 1024},
		OutputTokens:   LogNormal{Median: 60, Sigma: 0.8, Min: 1, Max: 1024},
	}
}

// Name is "few-shot".
func (g *FewShot) Name() string { return "few-shot" }

// Describe lists the parameters.
func (g *FewShot) Describe() string {
	return fmt.Sprintf("few-shot templates: %d requests, arrivals %s, %d tasks with Zipf(%g) popularity, instructions %s, %d examples of %s, shots %s, question %s, output %s",
		g.Requests, g.Arrivals, g.Tasks, g.TaskSkew, g.InstructionTokens, g.Examples, g.ExampleTokens, g.Shots, g.QuestionTokens, g.OutputTokens)
}

// Generate builds the workload.
func (g *FewShot) Generate(rng *rand.Rand, blockTokens int) (Workload, error) {
	b, err := begin(rng, blockTokens, atLeast("Requests", g.Requests, 1), check("Arrivals", g.Arrivals), atLeast("Tasks", g.Tasks, 1),
		skew("TaskSkew", g.TaskSkew), check("InstructionTokens", g.InstructionTokens), atLeast("Examples", g.Examples, 0),
		check("ExampleTokens", g.ExampleTokens), check("Shots", g.Shots), check("QuestionTokens", g.QuestionTokens),
		check("OutputTokens", g.OutputTokens))
	if err != nil {
		return Workload{}, err
	}
	type task struct {
		instructions Segment
		examples     []Segment
	}
	tasks := make([]task, g.Tasks)
	for i := range tasks {
		tasks[i].instructions = b.piece(g.InstructionTokens.Draw(rng))
		for range g.Examples {
			tasks[i].examples = append(tasks[i].examples, b.piece(g.ExampleTokens.Draw(rng)))
		}
	}
	pick := zipf(rng, g.TaskSkew, g.Tasks)
	t := 0.0
	for range g.Requests {
		t += g.Arrivals.Gap(rng)
		tk := tasks[pick.Uint64()]
		shots := min(g.Shots.Draw(rng), g.Examples)
		prompt := append([]Segment{tk.instructions}, tk.examples[:shots]...)
		prompt = append(prompt, b.piece(max(1, g.QuestionTokens.Draw(rng))))
		b.add(t, prompt, g.OutputTokens.Draw(rng))
	}
	return b.workload(g.Name()), nil
}

// RAG models retrieval-augmented generation: a short shared system prompt,
// then TopK documents retrieved from a corpus with Zipf popularity (in
// retrieval order), then the query. Two requests share a prefix only up to
// their first differing document, and the system prompt alone is shorter
// than a 512-token block, so it never hits by itself.
type RAG struct {
	Requests     int
	Arrivals     Arrivals
	SystemTokens Lengths
	Documents    int
	DocSkew      float64 // Zipf exponent of document popularity
	DocTokens    Lengths
	TopK         int
	QueryTokens  Lengths
	OutputTokens Lengths
}

// DefaultRAG: 5,000 requests at 20/s (Poisson); a 300-token system prompt;
// 5,000 documents of 200-1,500 tokens with Zipf(1.1) popularity; top-3
// retrieval; queries log-normal(median 40), answers log-normal(median 120).
// There is no sharp knee: with Zipf-popular documents the hit rate grows
// about evenly with the log of the capacity (LRU, seed 1: 9% at 100 blocks,
// 19% at 1,000, 28% at 10,000, 30% at most).
func DefaultRAG() *RAG {
	return &RAG{
		Requests: 5000, Arrivals: Poisson{20}, SystemTokens: Fixed{300},
		Documents: 5000, DocSkew: 1.1, DocTokens: Uniform{200, 1500}, TopK: 3,
		QueryTokens:  LogNormal{Median: 40, Sigma: 0.5, Min: 4, Max: 512},
		OutputTokens: LogNormal{Median: 120, Sigma: 0.7, Min: 1, Max: 1024},
	}
}

// Name is "rag".
func (g *RAG) Name() string { return "rag" }

// Describe lists the parameters.
func (g *RAG) Describe() string {
	return fmt.Sprintf("retrieval-augmented: %d requests, arrivals %s, system %s, top-%d of %d documents of %s with Zipf(%g) popularity, query %s, output %s",
		g.Requests, g.Arrivals, g.SystemTokens, g.TopK, g.Documents, g.DocTokens, g.DocSkew, g.QueryTokens, g.OutputTokens)
}

// Generate builds the workload.
func (g *RAG) Generate(rng *rand.Rand, blockTokens int) (Workload, error) {
	b, err := begin(rng, blockTokens, atLeast("Requests", g.Requests, 1), check("Arrivals", g.Arrivals), check("SystemTokens", g.SystemTokens),
		atLeast("Documents", g.Documents, 1), skew("DocSkew", g.DocSkew), check("DocTokens", g.DocTokens), atLeast("TopK", g.TopK, 0),
		check("QueryTokens", g.QueryTokens), check("OutputTokens", g.OutputTokens),
		rule(g.TopK <= g.Documents/2, "TopK = %d: at most half of the %d documents", g.TopK, g.Documents))
	if err != nil {
		return Workload{}, err
	}
	system := b.piece(g.SystemTokens.Draw(rng))
	docs := make([]Segment, g.Documents)
	for i := range docs {
		docs[i] = b.piece(g.DocTokens.Draw(rng))
	}
	pick := zipf(rng, g.DocSkew, g.Documents)
	t := 0.0
	for range g.Requests {
		t += g.Arrivals.Gap(rng)
		prompt := []Segment{system}
		chosen := map[uint64]bool{}
		for len(chosen) < g.TopK {
			d := pick.Uint64()
			if !chosen[d] {
				chosen[d] = true
				prompt = append(prompt, docs[d])
			}
		}
		prompt = append(prompt, b.piece(max(1, g.QueryTokens.Draw(rng))))
		b.add(t, prompt, g.OutputTokens.Draw(rng))
	}
	return b.workload(g.Name()), nil
}
