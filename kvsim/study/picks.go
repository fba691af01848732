package study

import "time"

// Picks are the reader's choices: the notebook's first cell sets them and
// every section reads them; `kvsim report` takes them from its flags.
type Picks struct {
	SmallModel   string `json:"small_model"`          // runs on this CPU (sections 2, 3, 6)
	BigModel     string `json:"big_model"`            // predicted on Hardware (sections 3, 8)
	ServingModel string `json:"serving_model"`        // its KV fills the prefix cache (section 5)
	Hardware     string `json:"hardware"`             // a cost preset (kvsim hardware)
	Workload     string `json:"workload"`             // a synthetic workload (kvsim/workload)
	Trace        string `json:"trace,omitempty"`      // a Mooncake JSONL trace instead of Workload
	ModelFile    string `json:"model_file,omitempty"` // extra model specs (JSON), as --model-file
	Seed         uint64 `json:"seed"`                 // weights, prompts and synthetic workloads
}

// DefaultPicks are the notebook's defaults.
func DefaultPicks() Picks {
	return Picks{SmallModel: "gpt-tiny", BigModel: "gpt3-175b", ServingModel: "llama3-70b",
		Hardware: "h100-sxm", Workload: "multi-turn", Seed: 1}
}

// Source is where the cache studies' requests come from: the trace when
// one is picked, else the synthetic workload.
func (p Picks) Source() Source { return Source{Trace: p.Trace, Name: p.Workload, Seed: p.Seed} }

// Sizes set how much work each study of a Lab does. Zero fields take
// DefaultSizes.
type Sizes struct {
	Prompt, New         int   // section 2: the measured generation
	LongPrompt, LongNew int   // section 6: the long generation
	CacheTokens         []int // section 6: the bounded cache's capacities, in tokens
	CapacityPoints      int   // section 5: positions of the capacity slider
	SeriesPoints        int   // section 5: points of each time series
	ContextPoints       int   // section 3: contexts per latency curve
	// Repeat is how many timed runs each measured path gets, all paths in
	// turn (sections 2 and 6, the speedup sweep).
	Repeat int
	// The speedup sweep of section 2: these models (catalog names), each
	// generating SweepNew tokens after SweepPrompt, within SweepBudget.
	SweepModels           []string
	SweepPrompt, SweepNew int
	SweepBudget           time.Duration
}

// DefaultSizes are the notebook's sizes (its cells show them): a 16-token
// prompt + 64 new tokens (section 2), 8 + 96 tokens with caches of 16, 32
// and 64 tokens (section 6), 3 timed runs of each path in turn; the sweep
// over the tiny models, llama-110m, gpt2-124m and gpt2-355m at 8 + 16
// tokens within 40 s; 40 capacities of 120 points (section 5), 24 contexts
// per curve (section 3).
func DefaultSizes() Sizes {
	return Sizes{Prompt: 16, New: 64, LongPrompt: 8, LongNew: 96, CacheTokens: []int{16, 32, 64},
		CapacityPoints: 40, SeriesPoints: 120, ContextPoints: 24, Repeat: 3,
		SweepModels: []string{"gpt-tiny", "llama-tiny", "llama-15m", "gpt-mini", "llama-110m", "gpt2-124m", "gpt2-355m"},
		SweepPrompt: 8, SweepNew: 16, SweepBudget: 40 * time.Second}
}

func (s Sizes) withDefaults() Sizes {
	d := DefaultSizes()
	s.Prompt, s.New = orDefault(s.Prompt, d.Prompt), orDefault(s.New, d.New)
	s.LongPrompt, s.LongNew = orDefault(s.LongPrompt, d.LongPrompt), orDefault(s.LongNew, d.LongNew)
	if len(s.CacheTokens) == 0 {
		s.CacheTokens = d.CacheTokens
	}
	s.CapacityPoints = orDefault(s.CapacityPoints, d.CapacityPoints)
	s.SeriesPoints = orDefault(s.SeriesPoints, d.SeriesPoints)
	s.ContextPoints = orDefault(s.ContextPoints, d.ContextPoints)
	s.Repeat = orDefault(s.Repeat, d.Repeat)
	if len(s.SweepModels) == 0 {
		s.SweepModels = d.SweepModels
	}
	s.SweepPrompt, s.SweepNew = orDefault(s.SweepPrompt, d.SweepPrompt), orDefault(s.SweepNew, d.SweepNew)
	s.SweepBudget = orDefault(s.SweepBudget, d.SweepBudget)
	return s
}

// orDefault is v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
