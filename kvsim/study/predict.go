package study

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// PredictSettings choose the grid of section 3: every model on every
// hardware preset in every execution mode.
type PredictSettings struct {
	Models   []model.Spec
	Hardware []cost.Hardware
	Modes    []cost.ExecMode // nil: graph, then eager
	Batch    int             // requests decoded together; 0: 1
	Prompt   int             // prompt of the generation priced for the size chart; 0: 1024
	New      int             // tokens it generates; 0: 1024
	Points   int             // contexts per latency curve, log-spaced to the model's window; 0: 24

	StartModel, StartHardware string // the pickers' first positions; "": the first of each list
}

// Predictions is the cost model's answer over the grid of PredictSettings.
type Predictions struct {
	Models   []string        `json:"models"`
	Families []string        `json:"families"`
	Params   []int64         `json:"params"`
	Hardware []string        `json:"hardware"`
	Modes    []cost.ExecMode `json:"modes"`
	Batch    int             `json:"batch"`
	Prompt   int             `json:"prompt"`
	New      int             `json:"new"`
	// Curves[m][h][e]: decode-step latency against context for model m on
	// hardware h in mode e.
	Curves [][][]LatencyCurve `json:"curves"`
	// Sizes[h][e][m]: the generation (Prompt, New) priced for model m.
	Sizes [][][]cost.FamilyPoint `json:"sizes"`

	StartModel    int `json:"start_model"` // index of the pickers' first model
	StartHardware int `json:"start_hardware"`
	Provenance    `json:"provenance"`
}

// Study names the result: data/predictions.json.
func (Predictions) Study() string { return "predictions" }

// Summary says what was predicted.
func (p Predictions) Summary() string {
	return fmt.Sprintf("predicted %d models on %d hardware presets in %d modes in %.1f s", len(p.Models), len(p.Hardware), len(p.Modes), p.Took)
}

// LatencyCurve is one model on one hardware in one mode: the tensor-parallel
// degree it needs (the fewest devices on which its longest step fits,
// cost.ChooseTP) and a decode step with and without a cache at each context.
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

// Predict prices every (model, hardware, mode) of s. A combination the
// cost model refuses (a dtype the hardware lacks, say) carries its reason
// in Error; only an empty or inconsistent grid is an error.
func Predict(ctx context.Context, s PredictSettings) (Predictions, error) {
	start := time.Now()
	if len(s.Models) == 0 || len(s.Hardware) == 0 {
		return Predictions{}, errors.New("study: predictions need at least one model and one hardware preset")
	}
	if s.Modes == nil {
		s.Modes = []cost.ExecMode{cost.Graph, cost.Eager}
	}
	s.Batch, s.Prompt, s.New, s.Points = orDefault(s.Batch, 1), orDefault(s.Prompt, 1024), orDefault(s.New, 1024), orDefault(s.Points, 24)
	switch {
	case s.Batch < 1 || s.Prompt < 1 || s.New < 1:
		return Predictions{}, fmt.Errorf("study: batch %d, prompt %d and new %d tokens must all be 1 or more", s.Batch, s.Prompt, s.New)
	case s.Points < 2:
		return Predictions{}, fmt.Errorf("study: %d contexts per curve: give at least 2", s.Points)
	}
	for _, m := range s.Modes {
		if _, err := cost.ParseExecMode(string(m)); err != nil {
			return Predictions{}, fmt.Errorf("study: %w", err)
		}
	}
	p := Predictions{Modes: s.Modes, Batch: s.Batch, Prompt: s.Prompt, New: s.New}
	for _, m := range s.Models {
		p.Models = append(p.Models, m.Name)
		p.Families = append(p.Families, m.Family)
		p.Params = append(p.Params, m.TotalParams())
	}
	for _, h := range s.Hardware {
		p.Hardware = append(p.Hardware, h.Name)
	}
	var err error
	if p.StartModel, err = startIndex("model", p.Models, s.StartModel); err != nil {
		return Predictions{}, err
	}
	if p.StartHardware, err = startIndex("hardware", p.Hardware, s.StartHardware); err != nil {
		return Predictions{}, err
	}
	p.Curves = make([][][]LatencyCurve, len(s.Models))
	for i, m := range s.Models {
		if err := ctx.Err(); err != nil {
			return Predictions{}, err
		}
		contexts := cost.Contexts(16, m.MaxContext-1, s.Points)
		p.Curves[i] = make([][]LatencyCurve, len(s.Hardware))
		for j, hw := range s.Hardware {
			p.Curves[i][j] = make([]LatencyCurve, len(s.Modes))
			for k, mode := range s.Modes {
				p.Curves[i][j][k] = latencyCurve(m, hw, cost.Options{Exec: mode}, s.Batch, contexts)
			}
		}
	}
	p.Sizes = make([][][]cost.FamilyPoint, len(s.Hardware))
	for j, hw := range s.Hardware {
		p.Sizes[j] = make([][]cost.FamilyPoint, len(s.Modes))
		for k, mode := range s.Modes {
			p.Sizes[j][k] = cost.FamilySweep(s.Models, hw, cost.Options{Exec: mode}, s.Batch, s.Prompt, s.New)
		}
	}
	p.Provenance = stamp(start)
	return p, nil
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

// Curve returns the latency curve of the named model, hardware and mode.
func (p Predictions) Curve(modelName, hardware string, mode cost.ExecMode) (LatencyCurve, bool) {
	i, j, k := slices.Index(p.Models, modelName), slices.Index(p.Hardware, hardware), slices.Index(p.Modes, mode)
	if i < 0 || j < 0 || k < 0 {
		return LatencyCurve{}, false
	}
	return p.Curves[i][j][k], true
}

// Size returns the priced generation of the named model, hardware and mode.
func (p Predictions) Size(modelName, hardware string, mode cost.ExecMode) (cost.FamilyPoint, bool) {
	i, j, k := slices.Index(p.Models, modelName), slices.Index(p.Hardware, hardware), slices.Index(p.Modes, mode)
	if i < 0 || j < 0 || k < 0 {
		return cost.FamilyPoint{}, false
	}
	return p.Sizes[j][k][i], true
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
