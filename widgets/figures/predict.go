package figures

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/widgets"
)

// PredictConfig chooses the grid of the predicted-latency figure: every
// model on every hardware preset in every execution mode.
type PredictConfig struct {
	Models   []model.Spec
	Hardware []cost.Hardware
	Modes    []cost.ExecMode // nil: graph, then eager
	Batch    int             // requests decoded together; 0: 1
	Prompt   int             // prompt of the generation priced for the size chart; 0: 1024
	New      int             // tokens it generates; 0: 1024
	Points   int             // contexts per latency curve, log-spaced to the model's window; 0: 24

	StartModel, StartHardware string // the pickers' first positions; "": the first of each list
}

// Predictions is the cost model's answer over the grid of a PredictConfig.
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
}

// LatencyCurve is one model on one hardware in one mode: the tensor-parallel
// degree it needs (the fewest devices it fits on) and a decode step with and
// without a cache at each context.
type LatencyCurve struct {
	TP     int                 `json:"tp"`
	Fits   bool                `json:"fits"` // the cached step fits at the longest context
	Error  string              `json:"error,omitempty"`
	Points []cost.ContextPoint `json:"points,omitempty"`
}

// Predict prices every (model, hardware, mode) of cfg. A combination the
// cost model refuses (a dtype the hardware lacks, say) carries its reason
// in Error; only an empty or inconsistent grid is an error.
func Predict(cfg PredictConfig) (Predictions, error) {
	if len(cfg.Models) == 0 || len(cfg.Hardware) == 0 {
		return Predictions{}, errors.New("figures: predictions need at least one model and one hardware preset")
	}
	if cfg.Modes == nil {
		cfg.Modes = []cost.ExecMode{cost.Graph, cost.Eager}
	}
	cfg.Batch = defaultInt(cfg.Batch, 1)
	cfg.Prompt = defaultInt(cfg.Prompt, 1024)
	cfg.New = defaultInt(cfg.New, 1024)
	cfg.Points = defaultInt(cfg.Points, 24)
	switch {
	case cfg.Batch < 1 || cfg.Prompt < 1 || cfg.New < 1:
		return Predictions{}, fmt.Errorf("figures: batch %d, prompt %d and new %d tokens must all be 1 or more", cfg.Batch, cfg.Prompt, cfg.New)
	case cfg.Points < 2:
		return Predictions{}, fmt.Errorf("figures: %d contexts per curve: give at least 2", cfg.Points)
	}
	for _, m := range cfg.Modes {
		if _, err := cost.ParseExecMode(string(m)); err != nil {
			return Predictions{}, fmt.Errorf("figures: %w", err)
		}
	}
	p := Predictions{Modes: cfg.Modes, Batch: cfg.Batch, Prompt: cfg.Prompt, New: cfg.New}
	for _, s := range cfg.Models {
		p.Models = append(p.Models, s.Name)
		p.Families = append(p.Families, s.Family)
		p.Params = append(p.Params, s.TotalParams())
	}
	for _, h := range cfg.Hardware {
		p.Hardware = append(p.Hardware, h.Name)
	}
	var err error
	if p.StartModel, err = startIndex("model", p.Models, cfg.StartModel); err != nil {
		return Predictions{}, err
	}
	if p.StartHardware, err = startIndex("hardware", p.Hardware, cfg.StartHardware); err != nil {
		return Predictions{}, err
	}
	p.Curves = make([][][]LatencyCurve, len(cfg.Models))
	for i, s := range cfg.Models {
		contexts := cost.Contexts(16, s.MaxContext-1, cfg.Points)
		p.Curves[i] = make([][]LatencyCurve, len(cfg.Hardware))
		for j, hw := range cfg.Hardware {
			p.Curves[i][j] = make([]LatencyCurve, len(cfg.Modes))
			for k, mode := range cfg.Modes {
				p.Curves[i][j][k] = latencyCurve(s, hw, cost.Options{Exec: mode}, cfg.Batch, contexts)
			}
		}
	}
	p.Sizes = make([][][]cost.FamilyPoint, len(cfg.Hardware))
	for j, hw := range cfg.Hardware {
		p.Sizes[j] = make([][]cost.FamilyPoint, len(cfg.Modes))
		for k, mode := range cfg.Modes {
			p.Sizes[j][k] = cost.FamilySweep(cfg.Models, hw, cost.Options{Exec: mode}, cfg.Batch, cfg.Prompt, cfg.New)
		}
	}
	return p, nil
}

func latencyCurve(s model.Spec, hw cost.Hardware, opt cost.Options, batch int, contexts []int) LatencyCurve {
	last := contexts[len(contexts)-1]
	tp, fits, err := cost.ChooseTP(s, hw, opt, last, batch)
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
	return 0, fmt.Errorf("figures: start %s %q is not among the figure's choices %v", what, want, names)
}

func defaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
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

// PredictedLatency is the figure of section 3: pickers for the model, the
// hardware and the execution mode over three charts: the per-token
// latency against context with and without a cache, the speedup against
// context, and the generation speedup against model size (one line per
// family) on the chosen hardware and mode.
func PredictedLatency(p Predictions) *widgets.Explorer {
	modes := make([]string, len(p.Modes))
	for i, m := range p.Modes {
		modes[i] = modeLabel(m)
	}
	return widgets.NewExplorer().
		Caption("Predicted per-token latency with and without a KV cache (roofline cost model)").
		Select("model", "Model", p.Models).
		Select("hw", "Hardware", p.Hardware).
		Select("mode", "Execution", modes).
		Start("model", p.StartModel).
		Start("hw", p.StartHardware).
		Chart(func(at widgets.At) widgets.Charter {
			return latencyChart(p, at.Index("model"), at.Index("hw"), at.Index("mode"))
		}, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			return speedupChart(p, at.Index("model"), at.Index("hw"), at.Index("mode"))
		}, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			return sizeChart(p, at.Index("hw"), at.Index("mode"))
		}, widgets.Size("100%", "380px")).
		Note(fmt.Sprintf("Batch %d. A decode step without a cache reruns the whole prefix (a prefill of context+1 tokens). "+
			"Each model runs on the fewest devices it fits on (tensor parallelism, TP). The size chart prices a whole generation: "+
			"a %d-token prompt, then %d new tokens. Gaps: the step does not fit in memory.", p.Batch, p.Prompt, p.New))
}

func modeLabel(m cost.ExecMode) string {
	switch m {
	case cost.Graph:
		return "graph (CUDA graphs, vLLM)"
	case cost.Eager:
		return "eager (PyTorch, one launch per op)"
	}
	return string(m)
}

func deviceLabel(hw string, c LatencyCurve) string {
	if c.TP > 1 {
		return fmt.Sprintf("%d× %s", c.TP, hw)
	}
	return hw
}

func latencyChart(p Predictions, m, h, e int) widgets.Charter {
	c := p.Curves[m][h][e]
	title := fmt.Sprintf("%s on %s, %s: time per token", p.Models[m], deviceLabel(p.Hardware[h], c), p.Modes[e])
	if c.Error != "" || !c.Fits {
		title = fmt.Sprintf("%s on %s: does not fit or cannot be priced", p.Models[m], p.Hardware[h])
	}
	pl := newPlot(title, widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
	xs, cached, uncached := make([]float64, len(c.Points)), make([]float64, len(c.Points)), make([]float64, len(c.Points))
	for i, pt := range c.Points {
		xs[i] = float64(pt.Context)
		cached[i] = nanIf(pt.CachedSeconds*1e3, pt.CachedFits)
		uncached[i] = nanIf(pt.UncachedSeconds*1e3, pt.UncachedFits)
	}
	if len(xs) == 0 { // keep two (empty) series so the legend reads the same
		xs, cached, uncached = []float64{16}, []float64{nan()}, []float64{nan()}
	}
	pl.add("with KV cache", xs, cached, style{color: colorCached})
	pl.add("without (recompute the prefix)", xs, uncached, style{color: colorUncached})
	return pl
}

func speedupChart(p Predictions, m, h, e int) widgets.Charter {
	c := p.Curves[m][h][e]
	pl := newPlot(fmt.Sprintf("%s on %s: speedup from the cache", p.Models[m], deviceLabel(p.Hardware[h], c)),
		widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "Speedup (without / with)", Unit: "×"})
	xs, ys := make([]float64, len(c.Points)), make([]float64, len(c.Points))
	for i, pt := range c.Points {
		xs[i], ys[i] = float64(pt.Context), positive(pt.Speedup)
	}
	if len(xs) == 0 {
		xs, ys = []float64{16}, []float64{nan()}
	}
	pl.add("per-token speedup", xs, ys, style{color: colorNeutral})
	return pl
}

func sizeChart(p Predictions, h, e int) widgets.Charter {
	pl := newPlot(fmt.Sprintf("Generation speedup against model size on %s, %s (%d prompt + %d new tokens)", p.Hardware[h], p.Modes[e], p.Prompt, p.New),
		widgets.Axis{Name: "Parameters", Unit: "billions", Log: true}, widgets.Axis{Name: "Speedup (without / with)", Unit: "×"})
	var families []string
	for _, f := range p.Families {
		if !slices.Contains(families, f) {
			families = append(families, f)
		}
	}
	for fi, f := range families {
		var xs, ys []float64
		for i, pt := range p.Sizes[h][e] {
			if p.Families[i] != f {
				continue
			}
			xs = append(xs, float64(p.Params[i])/1e9)
			ys = append(ys, nanIf(pt.Generation.Speedup, pt.Fits && pt.Error == ""))
		}
		sortPairs(xs, ys)
		pl.add(f, xs, ys, style{color: palette[fi%len(palette)]})
	}
	return pl
}

// sortPairs sorts xs ascending, carrying ys along.
func sortPairs(xs, ys []float64) {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case xs[a] < xs[b]:
			return -1
		case xs[a] > xs[b]:
			return 1
		}
		return 0
	})
	x2, y2 := make([]float64, len(xs)), make([]float64, len(ys))
	for i, j := range idx {
		x2[i], y2[i] = xs[j], ys[j]
	}
	copy(xs, x2)
	copy(ys, y2)
}

// PredictedModels names the models of the prediction pickers: GPT-3 from
// 125M to 175B, LLaMA-2 and LLaMA-3 (the lab adds its big model).
func PredictedModels() []string {
	return []string{"gpt3-125m", "gpt3-350m", "gpt3-760m", "gpt3-1.3b", "gpt3-2.7b", "gpt3-6.7b", "gpt3-13b", "gpt3-175b",
		"llama2-7b", "llama2-13b", "llama2-70b", "llama3-8b", "llama3-70b"}
}

// Predict prices PredictedModels and the big model on every hardware preset
// (and this-cpu when it is the chosen hardware), in graph and eager mode,
// and saves the result.
func (l *Lab) Predict() (Predictions, error) {
	start := time.Now()
	hw := cost.Presets()
	if !slices.ContainsFunc(hw, func(h cost.Hardware) bool { return h.Name == l.Hardware.Name }) {
		hw = append(hw, l.Hardware)
	}
	p, err := Predict(PredictConfig{Models: l.chosen(append(PredictedModels(), l.Big.Name)...), Hardware: hw,
		Points: l.Sizes.withDefaults().ContextPoints, StartModel: l.Big.Name, StartHardware: l.Hardware.Name})
	if err != nil {
		return Predictions{}, err
	}
	sec := time.Since(start).Seconds()
	l.logf("predicted %d models on %d hardware presets in %d modes in %.1f s", len(p.Models), len(p.Hardware), len(p.Modes), sec)
	return p, l.save("predictions", p, sec)
}
