package study

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"
)

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
	// MemoryFraction is the share of each device's memory the engines may
	// use when a model is placed (what fits, how much KV room is left);
	// 0: each engine's own rule (vllm: 0.9; kvsim engines lists them).
	MemoryFraction float64 `json:"memory_fraction,omitempty"`
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
// DefaultSizes. A saved result counts only for the sizes it was computed
// with (and its picks).
type Sizes struct {
	Prompt         int   `json:"prompt"`          // section 2: the measured generation
	New            int   `json:"new"`             //
	LongPrompt     int   `json:"long_prompt"`     // section 6: the long generation
	LongNew        int   `json:"long_new"`        //
	CacheTokens    []int `json:"cache_tokens"`    // section 6: the bounded cache's capacities, in tokens
	CapacityPoints int   `json:"capacity_points"` // section 5: positions of the capacity slider
	SeriesPoints   int   `json:"series_points"`   // section 5: points of each time series
	ContextPoints  int   `json:"context_points"`  // section 3: contexts per latency curve
	TierPoints     int   `json:"tier_points"`     // section 5b: positions of the hbm capacity slider
	ServedRequests int   `json:"served_requests"` // section 5c: requests of the timed replay (the workload's first)
	// Repeat is how many timed runs each measured path gets, all paths in
	// turn (sections 2 and 6, the speedup sweep).
	Repeat int `json:"repeat"`
	// The speedup sweep of section 2: these models (catalog names), each
	// generating SweepNew tokens after SweepPrompt, within SweepBudget.
	SweepModels []string      `json:"sweep_models"`
	SweepPrompt int           `json:"sweep_prompt"`
	SweepNew    int           `json:"sweep_new"`
	SweepBudget time.Duration `json:"sweep_budget"`
}

// DefaultSizes are the notebook's sizes: a 16-token prompt + 64 new tokens
// (section 2), 8 + 96 tokens with caches of 16, 32 and 64 tokens (section
// 6), 3 timed runs of each path in turn; the sweep over the tiny models,
// llama-110m, gpt2-124m and gpt2-355m at 8 + 16 tokens within 40 s; 40
// capacities of 120 points (section 5), 16 contexts per curve (section 3:
// every curve of every model, hardware and engine travels with the page,
// with its band), 8 hbm capacities (section 5b) and the first 1,000
// requests served in time (section 5c).
func DefaultSizes() Sizes {
	return Sizes{Prompt: 16, New: 64, LongPrompt: 8, LongNew: 96, CacheTokens: []int{16, 32, 64},
		CapacityPoints: 40, SeriesPoints: 120, ContextPoints: 16, TierPoints: 8, ServedRequests: 1000, Repeat: 3,
		SweepModels: []string{"gpt-tiny", "llama-tiny", "llama-15m", "gpt-mini", "llama-110m", "gpt2-124m", "gpt2-355m"},
		SweepPrompt: 8, SweepNew: 16, SweepBudget: 40 * time.Second}
}

// QuickSizes are DefaultSizes with 2 timed runs of each path, section 6's
// generation cut to 8 + 64 tokens and a sweep of 8 new tokens within 15 s:
// what a headless run of the notebook takes (make notebooks sets
// KVCACHE_QUICK=1; the notebook's prose says so).
func QuickSizes() Sizes {
	s := DefaultSizes()
	s.Repeat, s.LongNew, s.SweepNew, s.SweepBudget = 2, 64, 8, 15*time.Second
	return s
}

// LabSizes are the sizes NewLab starts with: QuickSizes when the
// environment has KVCACHE_QUICK=1, else DefaultSizes.
func LabSizes() Sizes {
	if os.Getenv("KVCACHE_QUICK") == "1" {
		return QuickSizes()
	}
	return DefaultSizes()
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
	s.TierPoints = orDefault(s.TierPoints, d.TierPoints)
	s.ServedRequests = orDefault(s.ServedRequests, d.ServedRequests)
	s.Repeat = orDefault(s.Repeat, d.Repeat)
	if len(s.SweepModels) == 0 {
		s.SweepModels = d.SweepModels
	}
	s.SweepPrompt, s.SweepNew = orDefault(s.SweepPrompt, d.SweepPrompt), orDefault(s.SweepNew, d.SweepNew)
	s.SweepBudget = orDefault(s.SweepBudget, d.SweepBudget)
	return s
}

// String is the sizes in words, for the Markdown report.
func (s Sizes) String() string {
	return fmt.Sprintf("section 2 %d + %d tokens, section 3 %d contexts a curve, section 5 %d capacities of %d series points, section 5b %d GPU-memory capacities, section 5c %d requests served, section 6 %d + %d tokens with caches of %v tokens; "+
		"%d timed runs of each measured path; the speedup sweep over %s at %d + %d tokens within %s",
		s.Prompt, s.New, s.ContextPoints, s.CapacityPoints, s.SeriesPoints, s.TierPoints, s.ServedRequests, s.LongPrompt, s.LongNew, s.CacheTokens,
		s.Repeat, strings.Join(s.SweepModels, ", "), s.SweepPrompt, s.SweepNew, s.SweepBudget)
}

// equal says whether two sizes ask for the same work.
func (s Sizes) equal(o Sizes) bool { return reflect.DeepEqual(s, o) }

// orDefault is v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
