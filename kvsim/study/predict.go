package study

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// PredictSettings choose the grid of section 3: every model on every
// hardware preset under every engine (execution profile).
type PredictSettings struct {
	Models   []model.Spec
	Hardware []cost.Hardware
	// Engines are the execution profiles of the engine picker (kvsim
	// engines); nil: the engines Modes stand for, else PredictedEngines.
	// A CPU (this-cpu) runs only kvsim's decoder, whatever the column.
	Engines []string
	// Modes is the older way to pick engines: eager stands for
	// pytorch-eager, graph for vllm (cost.EngineForExec).
	Modes          []cost.ExecMode
	MemoryFraction float64 // share of device memory every engine may use; 0: each engine's own (kvsim engines)
	Batch          int     // requests decoded together; 0: 1
	Prompt         int     // prompt of the generation priced for the size chart; 0: 1024
	New            int     // tokens it generates; 0: 1024
	Points         int     // contexts per latency curve, log-spaced to the model's window; 0: 16

	StartModel, StartHardware, StartEngine string // the pickers' first positions; "": the first of each list
}

// String shows the settings in a line: the grid and the generation.
func (s PredictSettings) String() string {
	names := func(n int, name func(int) string) string {
		out := make([]string, n)
		for i := range out {
			out[i] = name(i)
		}
		return strings.Join(out, ", ")
	}
	fraction := "each engine's memory fraction"
	if s.MemoryFraction > 0 {
		fraction = fmt.Sprintf("memory fraction %.2f", s.MemoryFraction)
	}
	return fmt.Sprintf("%d models (%s)\non %d hardware presets (%s)\nunder %d engines (%s), %s\nbatch %d, %d contexts per curve; the size chart prices a %d-token prompt + %d new tokens",
		len(s.Models), names(len(s.Models), func(i int) string { return s.Models[i].Name }),
		len(s.Hardware), names(len(s.Hardware), func(i int) string { return s.Hardware[i].Name }),
		len(s.engines()), strings.Join(s.engines(), ", "), fraction,
		orDefault(s.Batch, 1), orDefault(s.Points, 16), orDefault(s.Prompt, 1024), orDefault(s.New, 1024))
}

// engines resolves Engines and Modes.
func (s PredictSettings) engines() []string {
	if s.Engines != nil {
		return s.Engines
	}
	if s.Modes != nil {
		out := make([]string, len(s.Modes))
		for i, m := range s.Modes {
			out[i] = cost.EngineForExec(m)
		}
		return out
	}
	return PredictedEngines()
}

// Predictions is the cost model's answer over the grid of PredictSettings,
// with the band the published validation gives each engine's predictions.
type Predictions struct {
	Models   []string `json:"models"`
	Families []string `json:"families"`
	Params   []int64  `json:"params"`
	Hardware []string `json:"hardware"`
	Engines  []string `json:"engines"`
	// Modes[e] is how engine e launches its decode steps (graph or eager).
	Modes []cost.ExecMode `json:"modes"`
	// Bands[e]: how far engine e's predictions are from published
	// measurements, by kind of pass (kvsim validate).
	Bands          []EngineBands `json:"bands"`
	MemoryFraction float64       `json:"memory_fraction,omitempty"` // the override, when one was given
	Batch          int           `json:"batch"`
	Prompt         int           `json:"prompt"`
	New            int           `json:"new"`
	// Fixed[h] names the one engine hardware h runs whatever the column
	// (kvsim-decoder on a CPU), "" where the columns' engines run.
	Fixed []string `json:"fixed_engine,omitempty"`
	// Curves[m][h][e]: decode-step latency against context for model m on
	// hardware h under engine e.
	Curves [][][]LatencyCurve `json:"curves"`
	// Sizes[h][e][m]: the generation (Prompt, New) priced for model m.
	Sizes [][][]cost.FamilyPoint `json:"sizes"`

	StartModel    int `json:"start_model"` // index of the pickers' first model
	StartHardware int `json:"start_hardware"`
	StartEngine   int `json:"start_engine"`
	Provenance    `json:"provenance"`
}

// Study names the result: data/predictions.json.
func (Predictions) Study() string { return "predictions" }

// Summary says what was predicted.
func (p Predictions) Summary() string {
	return fmt.Sprintf("predicted %d models on %d hardware presets under %d engines in %.1f s", len(p.Models), len(p.Hardware), len(p.Engines), p.Took)
}

// LatencyCurve is one model on one hardware under one engine: the
// tensor-parallel degree it needs (the fewest devices on which its longest
// step fits, cost.ChooseTP) and a decode step with and without a cache at
// each context.
type LatencyCurve struct {
	TP     int                 `json:"tp"`
	Fits   bool                `json:"fits"` // the cached step fits at the longest context
	Error  string              `json:"error,omitempty"`
	Points []cost.ContextPoint `json:"points,omitempty"`
}

// PredictedModels names the models of the prediction pickers: GPT-3 from
// 125M to 175B, LLaMA-2 and LLaMA-3 (the lab adds its big model).
func PredictedModels() []string {
	return []string{"gpt3-125m", "gpt3-350m", "gpt3-760m", "gpt3-1.3b", "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b", "gpt3-175b",
		"llama2-7b", "llama2-13b", "llama2-70b", "llama3-8b", "llama3-70b"}
}

// PredictedEngines are the engines of the section 3 picker: the stacks a
// reader would run, from Hugging Face generate() to TensorRT-LLM and
// llama.cpp (kvsim engines lists every profile).
func PredictedEngines() []string {
	return []string{cost.HFGenerate, cost.PyTorchEager, cost.PyTorchCompile, cost.VLLM, cost.TensorRTLLM, cost.LlamaCpp}
}

// PredictedHardware are the hardware presets of the section 3 picker:
// NVIDIA devices every predicted engine runs on, from a 24 GB L4 to an
// H200 (the lab adds its picked hardware). Every curve of every model,
// device and engine travels with the notebook, so the list is short.
func PredictedHardware() []string {
	return []string{"a100-80gb", "h100-sxm", "h200", "l4", "rtx-4090"}
}

// Predict prices every (model, hardware, engine) of s, the engines'
// bands from the published validation beside them. A combination the
// cost model refuses (a dtype the hardware lacks, say) carries its reason
// in Error; only an empty or inconsistent grid is an error. The grid's
// cells are independent and run in parallel.
func Predict(ctx context.Context, s PredictSettings) (Predictions, error) {
	start := time.Now()
	if len(s.Models) == 0 || len(s.Hardware) == 0 {
		return Predictions{}, errors.New("study: predictions need at least one model and one hardware preset")
	}
	engines := s.engines()
	s.Batch, s.Prompt, s.New, s.Points = orDefault(s.Batch, 1), orDefault(s.Prompt, 1024), orDefault(s.New, 1024), orDefault(s.Points, 16)
	switch {
	case len(engines) == 0:
		return Predictions{}, errors.New("study: predictions need at least one engine (kvsim engines lists them)")
	case s.Batch < 1 || s.Prompt < 1 || s.New < 1:
		return Predictions{}, fmt.Errorf("study: batch %d, prompt %d and new %d tokens must all be 1 or more", s.Batch, s.Prompt, s.New)
	case s.Points < 2:
		return Predictions{}, fmt.Errorf("study: %d contexts per curve: give at least 2", s.Points)
	case s.MemoryFraction != 0 && !(s.MemoryFraction > 0 && s.MemoryFraction <= 1):
		return Predictions{}, fmt.Errorf("study: memory fraction %g must be in (0, 1], or 0 for each engine's own", s.MemoryFraction)
	}
	for _, m := range s.Modes {
		if _, err := cost.ParseExecMode(string(m)); err != nil {
			return Predictions{}, fmt.Errorf("study: %w", err)
		}
	}
	v, err := cost.ValidatePublished()
	if err != nil {
		return Predictions{}, fmt.Errorf("study: %w", err)
	}
	p := Predictions{Batch: s.Batch, Prompt: s.Prompt, New: s.New, MemoryFraction: s.MemoryFraction}
	for _, name := range engines {
		e, err := cost.LookupEngine(name)
		if err != nil {
			return Predictions{}, fmt.Errorf("study: %w", err)
		}
		p.Engines, p.Modes = append(p.Engines, e.Name), append(p.Modes, e.Decode.Exec)
		p.Bands = append(p.Bands, BandsOf(v, e.Name, s.Batch))
	}
	for _, m := range s.Models {
		p.Models = append(p.Models, m.Name)
		p.Families = append(p.Families, m.Family)
		p.Params = append(p.Params, m.TotalParams())
	}
	for _, h := range s.Hardware {
		p.Hardware = append(p.Hardware, h.Name)
		p.Fixed = append(p.Fixed, "")
		if e := engineOptions(h, "", 0).Engine; e != "" {
			p.Fixed[len(p.Fixed)-1] = e
		}
	}
	if p.StartModel, err = startIndex("model", p.Models, s.StartModel); err != nil {
		return Predictions{}, err
	}
	if p.StartHardware, err = startIndex("hardware", p.Hardware, s.StartHardware); err != nil {
		return Predictions{}, err
	}
	if s.StartEngine != "" {
		e, err := cost.LookupEngine(s.StartEngine)
		if err != nil {
			return Predictions{}, fmt.Errorf("study: start engine: %w", err)
		}
		if p.StartEngine, err = startIndex("engine", p.Engines, e.Name); err != nil {
			return Predictions{}, err
		}
	}
	p.Curves = make([][][]LatencyCurve, len(s.Models))
	for i := range s.Models {
		p.Curves[i] = make([][]LatencyCurve, len(s.Hardware))
		for j := range s.Hardware {
			p.Curves[i][j] = make([]LatencyCurve, len(p.Engines))
		}
	}
	p.Sizes = make([][][]cost.FamilyPoint, len(s.Hardware))
	for j := range s.Hardware {
		p.Sizes[j] = make([][]cost.FamilyPoint, len(p.Engines))
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for j, hw := range s.Hardware {
		for k, eng := range p.Engines {
			opt := engineOptions(hw, eng, s.MemoryFraction)
			g.Go(func() error { // the size chart's generations: most of the work
				if err := gctx.Err(); err != nil {
					return err
				}
				p.Sizes[j][k] = cost.FamilySweep(s.Models, hw, opt, s.Batch, s.Prompt, s.New)
				return nil
			})
			g.Go(func() error {
				for i, m := range s.Models {
					if err := gctx.Err(); err != nil {
						return err
					}
					p.Curves[i][j][k] = latencyCurve(m, hw, opt, s.Batch, cost.Contexts(16, m.MaxContext-1, s.Points))
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return Predictions{}, err
	}
	p.Provenance = stamp(start)
	return p, nil
}

// engineOptions prices engine on hw, or kvsim's decoder on a CPU, which
// runs nothing else.
func engineOptions(hw cost.Hardware, engine string, fraction float64) cost.Options {
	if hw.CPU != nil || hw.Name == cost.ThisCPU {
		engine = cost.ThisCPUEngine
	}
	return cost.Options{Engine: engine, MemoryFraction: fraction}
}

func latencyCurve(s model.Spec, hw cost.Hardware, opt cost.Options, batch int, contexts []int) LatencyCurve {
	tp, fits, err := cost.ChooseTP(s, hw, opt, contexts[len(contexts)-1], batch)
	if err != nil {
		return LatencyCurve{Error: err.Error()}
	}
	opt.TP = tp
	pred, err := cost.New(s, hw, opt)
	if err != nil {
		return LatencyCurve{TP: tp, Error: err.Error()}
	}
	pts, err := pred.ContextSweep(batch, contexts)
	if err != nil {
		return LatencyCurve{TP: tp, Error: err.Error()}
	}
	return LatencyCurve{TP: tp, Fits: fits, Points: pts}
}

func startIndex(what string, names []string, want string) (int, error) {
	if want == "" {
		return 0, nil
	}
	if i := slices.Index(names, want); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("study: start %s %q is not among the figure's choices %v", what, want, names)
}

// Curve returns the latency curve of the named model and hardware under
// the engine an execution mode stands for (eager: pytorch-eager, graph:
// vllm).
func (p Predictions) Curve(modelName, hardware string, mode cost.ExecMode) (LatencyCurve, bool) {
	return p.CurveFor(modelName, hardware, cost.EngineForExec(mode))
}

// CurveFor returns the latency curve of the named model, hardware and engine.
func (p Predictions) CurveFor(modelName, hardware, engine string) (LatencyCurve, bool) {
	i, j, k := slices.Index(p.Models, modelName), slices.Index(p.Hardware, hardware), slices.Index(p.Engines, engine)
	if i < 0 || j < 0 || k < 0 {
		return LatencyCurve{}, false
	}
	return p.Curves[i][j][k], true
}

// Size returns the priced generation of the named model and hardware under
// the engine an execution mode stands for.
func (p Predictions) Size(modelName, hardware string, mode cost.ExecMode) (cost.FamilyPoint, bool) {
	return p.SizeFor(modelName, hardware, cost.EngineForExec(mode))
}

// SizeFor returns the priced generation of the named model, hardware and engine.
func (p Predictions) SizeFor(modelName, hardware, engine string) (cost.FamilyPoint, bool) {
	i, j, k := slices.Index(p.Models, modelName), slices.Index(p.Hardware, hardware), slices.Index(p.Engines, engine)
	if i < 0 || j < 0 || k < 0 {
		return cost.FamilyPoint{}, false
	}
	return p.Sizes[j][k][i], true
}

// Band returns the bands of hardware h under engine e: none on a CPU,
// which runs kvsim's decoder whatever the column (this-cpu is checked
// against kvsim bench, not published runs).
func (p Predictions) Band(h, e int) EngineBands {
	if h < len(p.Fixed) && p.Fixed[h] != "" {
		return EngineBands{Engine: p.Fixed[h]}
	}
	return p.Bands[e]
}

// Columns are the engine columns of hardware h that differ: all of them,
// or only the first on a CPU, whose columns all run kvsim's decoder.
func (p Predictions) Columns(h int) []int {
	if h < len(p.Fixed) && p.Fixed[h] != "" && len(p.Engines) > 0 {
		return []int{0}
	}
	out := make([]int, len(p.Engines))
	for e := range out {
		out[e] = e
	}
	return out
}

// EngineAt names the engine that priced hardware h's column e.
func (p Predictions) EngineAt(h, e int) string {
	if h < len(p.Fixed) && p.Fixed[h] != "" {
		return p.Fixed[h]
	}
	return p.Engines[e]
}

// FamilyNames lists the model families in order of first appearance.
func (p Predictions) FamilyNames() []string {
	var out []string
	for _, f := range p.Families {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// ExecLabel names an execution mode for people: what engines run that way.
func ExecLabel(m cost.ExecMode) string {
	switch m {
	case cost.Graph:
		return "graph (CUDA graphs, vLLM)"
	case cost.Eager:
		return "eager (PyTorch, one launch per op)"
	}
	return string(m)
}

// EngineLabel names an engine for the picker: its name, how it launches
// decode steps and whose kernels it runs ("vllm: graph decode, fused
// kernels").
func EngineLabel(name string) string {
	e, err := cost.LookupEngine(name)
	if err != nil {
		return name
	}
	return fmt.Sprintf("%s: %s decode, %s kernels", e.Name, e.Decode.Exec, e.Decode.Plan)
}
