package cost

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"

	"kvcache/kvsim/model"
)

// Regime is the kind of measurement a validation case is.
type Regime string

// Regimes. A run of a fixed batch whose requests generate at least
// DecodeDominated output tokens per prompt token is a decode regime
// whatever its metric (tokens/s or latency of the whole run): almost all
// its passes are decode steps (gpt-fast's 5-in/200-out runs, vLLM's
// 32-in/128-out latency tests, TensorRT-LLM's 128-in/2,048-out ones).
const (
	DecodeBatch1  Regime = "batch-1 decode" // one request's time per output token
	DecodeBatched Regime = "batched decode" // several requests decoded together
	PrefillTTFT   Regime = "prefill/TTFT"   // a prompt's forward pass, or the time to the first token
	EndToEnd      Regime = "end-to-end"     // prompt in, last token out (prefill and every decode step)
)

// DecodeDominated is the output tokens per prompt token from which a
// fixed-batch run is labelled a decode regime (see Regimes).
const DecodeDominated = 4

// Regimes lists the regimes in the order summaries print them.
func Regimes() []Regime { return []Regime{DecodeBatch1, DecodeBatched, PrefillTTFT, EndToEnd} }

// Metric is what a published case measured.
type Metric string

// Metrics, each turned into a time the prediction is compared with.
const (
	MetricITL           Metric = "itl_ms"                      // mean time between one request's output tokens
	MetricTTFT          Metric = "ttft_ms"                     // time to first token: the prompt's pass
	MetricLatency       Metric = "e2e_latency_ms"              // the batch's prompt in to last token out
	MetricTokensPerUser Metric = "output_tokens_per_s"         // one request: output tokens / latency
	MetricThroughput    Metric = "output_tokens_per_s_total"   // batch x output tokens / latency
	MetricPerGPU        Metric = "output_tokens_per_s_per_gpu" // batch x output tokens / latency / devices
	MetricDecodeRate    Metric = "decode_tokens_per_s"         // llama-bench tg: output tokens / their decode steps from an empty context
	MetricPrefillRate   Metric = "prefill_tokens_per_s"        // llama-bench pp: prompt tokens / the prompt's passes
)

// Source is where published measurements were read.
type Source struct {
	ID      string `json:"id"`
	URL     string `json:"url"`
	Where   string `json:"where"`   // table or figure
	Version string `json:"version"` // engine version
	Setup   string `json:"setup"`   // hardware and conditions the source states
}

// Case is one published measurement with its setup.
type Case struct {
	ID       string      `json:"id"`
	Source   string      `json:"source"`
	Row      string      `json:"row"` // the row or point of the source's table
	Engine   string      `json:"engine"`
	Model    string      `json:"model"`
	Hardware string      `json:"hardware"`
	DType    model.DType `json:"dtype"`
	TP       int         `json:"tp"`
	Batch    int         `json:"batch"`
	Input    int         `json:"input"`  // prompt tokens per request
	Output   int         `json:"output"` // generated tokens per request
	Metric   Metric      `json:"metric"`
	Value    float64     `json:"value"`
	Regime   Regime      `json:"regime"`
	Note     string      `json:"note,omitempty"`
	// Unsupported says why the model does not cover the case; it is listed,
	// not scored.
	Unsupported string `json:"unsupported,omitempty"`
	// ModelSpec is the model when it is not in the catalog (from the source).
	ModelSpec *model.Spec `json:"model_spec,omitempty"`
}

// Dataset is the published measurements the cost model is held against.
type Dataset struct {
	Sources []Source `json:"sources"`
	Cases   []Case   `json:"cases"`
}

//go:embed validation/*.json
var validationFiles embed.FS

// PublishedDataset reads the measurements shipped with kvsim
// (kvsim/cost/validation/*.json).
func PublishedDataset() (Dataset, error) {
	var out Dataset
	files, err := fs.Glob(validationFiles, "validation/*.json")
	if err != nil {
		return Dataset{}, fmt.Errorf("cost: validation data: %w", err)
	}
	for _, f := range files {
		raw, err := validationFiles.ReadFile(f)
		if err != nil {
			return Dataset{}, fmt.Errorf("cost: validation data: %w", err)
		}
		var d Dataset
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return Dataset{}, fmt.Errorf("cost: validation data %s: %w", f, err)
		}
		out.Sources = append(out.Sources, d.Sources...)
		out.Cases = append(out.Cases, d.Cases...)
	}
	return out, out.check()
}

// check refuses duplicate ids, cases without a source, and values that
// cannot be compared.
func (d Dataset) check() error {
	sources := map[string]bool{}
	for _, s := range d.Sources {
		if s.ID == "" || s.URL == "" || s.Where == "" || s.Version == "" {
			return fmt.Errorf("cost: validation source %q lacks an id, URL, table or version", s.ID)
		}
		if sources[s.ID] {
			return fmt.Errorf("cost: validation source %q listed twice", s.ID)
		}
		sources[s.ID] = true
	}
	ids := map[string]bool{}
	for _, c := range d.Cases {
		switch {
		case ids[c.ID]:
			return fmt.Errorf("cost: validation case %q listed twice", c.ID)
		case !sources[c.Source]:
			return fmt.Errorf("cost: validation case %q names an unknown source %q", c.ID, c.Source)
		case !(c.Value > 0) || math.IsInf(c.Value, 0):
			return fmt.Errorf("cost: validation case %q has value %g", c.ID, c.Value)
		case !slices.Contains(Regimes(), c.Regime):
			return fmt.Errorf("cost: validation case %q has regime %q", c.ID, c.Regime)
		}
		ids[c.ID] = true
	}
	return nil
}

// Result is one case with its prediction. Ratio is predicted time over
// measured time (for rates, measured rate over predicted rate): above 1 the
// model is pessimistic, below 1 optimistic.
type Result struct {
	Case
	Predicted float64 `json:"predicted"` // in the case's metric
	Ratio     float64 `json:"ratio"`
	Error     string  `json:"error,omitempty"` // why a supported case could not be predicted (scored as a miss)
}

// Summary is the spread of ratios over a group of cases.
type Summary struct {
	Engine string  `json:"engine,omitempty"`
	Regime Regime  `json:"regime,omitempty"`
	Half   string  `json:"half,omitempty"` // hold-out half of the sources (HoldOutHalves)
	Cases  int     `json:"cases"`          // scored
	Median float64 `json:"median"`         // ratio
	Low    float64 `json:"low"`            // 10th percentile
	High   float64 `json:"high"`           // 90th percentile
	Within float64 `json:"within"`         // share of cases with ratio in [1/1.25, 1.25]
}

// Validation is the cost model held against a dataset.
type Validation struct {
	Results     []Result  `json:"results"`
	Unsupported []Result  `json:"unsupported"`
	Overall     Summary   `json:"overall"`
	ByEngine    []Summary `json:"by_engine"`
	ByRegime    []Summary `json:"by_regime"`
	ByCell      []Summary `json:"by_engine_and_regime"`
	// ByHalf splits the cases by source into two halves (HoldOutHalves):
	// a mechanism that fits one half and not the other fits its data,
	// not the hardware.
	ByHalf  []Summary `json:"by_half"`
	Sources []Source  `json:"sources"`
}

// Hold-out halves of the published sources.
const (
	HalfA = "A"
	HalfB = "B"
)

// HoldOutHalves assigns every source of the dataset to half A or B,
// alternating in the order the sources are listed (the first is A). The
// split was fixed before the mechanisms of doc.go's "Validation" were
// revised, so each half holds whole sources: no case informs a mechanism
// that is then scored on a sibling row of the same table in the other half.
func (d Dataset) HoldOutHalves() map[string]string {
	out := make(map[string]string, len(d.Sources))
	for i, s := range d.Sources {
		out[s.ID] = HalfA
		if i%2 == 1 {
			out[s.ID] = HalfB
		}
	}
	return out
}

// Tolerance is the band the summary test holds most cases in: a ratio in
// [1/Tolerance, Tolerance].
const Tolerance = 1.25

// Validate predicts every case of the dataset. Supported cases that the
// model cannot price (an error, or "does not fit") are kept with an infinite
// ratio: they count against the summary.
func Validate(d Dataset) (Validation, error) {
	if err := d.check(); err != nil {
		return Validation{}, err
	}
	v := Validation{Sources: d.Sources}
	cat := model.NewCatalog()
	for _, c := range d.Cases {
		r := Result{Case: c}
		if c.Unsupported != "" {
			v.Unsupported = append(v.Unsupported, r)
			continue
		}
		pred, err := predictCase(cat, c)
		if err != nil {
			r.Error, r.Ratio = err.Error(), math.Inf(1)
		} else {
			r.Predicted, r.Ratio = pred, caseRatio(c.Metric, pred, c.Value)
		}
		v.Results = append(v.Results, r)
	}
	v.Overall = summarise(v.Results, "", "")
	for _, e := range Engines() {
		if s := summarise(v.Results, e.Name, ""); s.Cases > 0 {
			v.ByEngine = append(v.ByEngine, s)
		}
		for _, g := range Regimes() {
			if s := summarise(v.Results, e.Name, g); s.Cases > 0 {
				v.ByCell = append(v.ByCell, s)
			}
		}
	}
	for _, g := range Regimes() {
		v.ByRegime = append(v.ByRegime, summarise(v.Results, "", g))
	}
	halves := d.HoldOutHalves()
	for _, h := range []string{HalfA, HalfB} {
		var in []Result
		for _, r := range v.Results {
			if halves[r.Source] == h {
				in = append(in, r)
			}
		}
		s := summarise(in, "", "")
		s.Half = h
		v.ByHalf = append(v.ByHalf, s)
	}
	return v, nil
}

// ValidatePublished holds the cost model against the shipped dataset.
func ValidatePublished() (Validation, error) {
	d, err := PublishedDataset()
	if err != nil {
		return Validation{}, err
	}
	return Validate(d)
}

// caseRatio turns a prediction and a measurement into predicted time over
// measured time.
func caseRatio(m Metric, predicted, measured float64) float64 {
	if isRate(m) {
		return measured / predicted
	}
	return predicted / measured
}

func isRate(m Metric) bool {
	switch m {
	case MetricTokensPerUser, MetricThroughput, MetricPerGPU, MetricDecodeRate, MetricPrefillRate:
		return true
	}
	return false
}

// predictCase prices one case in its own metric.
func predictCase(cat *model.Catalog, c Case) (float64, error) {
	spec, err := caseSpec(cat, c)
	if err != nil {
		return 0, err
	}
	hw, err := LookupHardware(c.Hardware, nil)
	if err != nil {
		return 0, err
	}
	p, err := New(spec, hw, Options{DType: c.DType, Engine: c.Engine, TP: c.TP, AllowLongContext: true})
	if err != nil {
		return 0, err
	}
	switch c.Metric {
	case MetricTTFT:
		sec, err := p.promptSeconds(1, c.Input)
		return sec * 1e3, err
	case MetricPrefillRate:
		sec, err := p.promptSeconds(1, c.Input)
		return float64(c.Input) / sec, err
	case MetricDecodeRate:
		sec, err := p.decodeRun(1, 0, c.Output)
		return float64(c.Output) / sec, err
	case MetricITL:
		if c.Output < 2 {
			return 0, fmt.Errorf("cost: case %s: ITL needs at least 2 output tokens", c.ID)
		}
		sec, err := p.decodeRun(c.Batch, c.Input, c.Output-1)
		return sec / float64(c.Output-1) * 1e3, err
	}
	sec, err := p.requestSeconds(c.Batch, c.Input, c.Output)
	if err != nil {
		return 0, err
	}
	switch c.Metric {
	case MetricLatency:
		return sec * 1e3, nil
	case MetricTokensPerUser:
		return float64(c.Output) / sec, nil
	case MetricThroughput:
		return float64(c.Batch*c.Output) / sec, nil
	case MetricPerGPU:
		return float64(c.Batch*c.Output) / sec / float64(p.Options().TP), nil
	}
	return 0, fmt.Errorf("cost: case %s: unknown metric %q", c.ID, c.Metric)
}

func caseSpec(cat *model.Catalog, c Case) (model.Spec, error) {
	if c.ModelSpec != nil {
		s := *c.ModelSpec
		if err := s.Validate(); err != nil {
			return model.Spec{}, fmt.Errorf("cost: case %s: %w", c.ID, err)
		}
		return s, nil
	}
	return cat.Lookup(c.Model)
}

// errNoFit marks a pass the engine's memory cannot hold.
var errNoFit = errors.New("does not fit in the engine's share of device memory")

// promptSeconds is a prompt's passes for batch requests, in chunks of the
// engine's prefill chunk (all at once when it has none).
func (p *Predictor) promptSeconds(batch, prompt int) (float64, error) {
	if prompt < 1 {
		return 0, fmt.Errorf("cost: a prompt needs at least 1 token, got %d", prompt)
	}
	chunk := p.eng.PrefillChunk
	if chunk <= 0 {
		chunk = prompt
	}
	var sec float64
	for done := 0; done < prompt; done += chunk {
		st, err := p.PrefillAfter(batch, min(chunk, prompt-done), done)
		if err != nil {
			return 0, err
		}
		if !st.Fits {
			return 0, fmt.Errorf("cost: prompt of %d tokens at batch %d: %w", prompt, batch, errNoFit)
		}
		sec += st.Seconds
	}
	return sec, nil
}

// decodeRun is steps cached decode steps for batch requests at contexts
// context, context+1, ...
func (p *Predictor) decodeRun(batch, context, steps int) (float64, error) {
	if steps < 1 {
		return 0, fmt.Errorf("cost: a decode run needs at least 1 step, got %d", steps)
	}
	last, err := p.Decode(batch, context+steps-1, true)
	if err != nil {
		return 0, err
	}
	if !last.Fits {
		return 0, fmt.Errorf("cost: decode at batch %d, context %d: %w", batch, context+steps-1, errNoFit)
	}
	var sec float64
	for l := context; l < context+steps; l++ {
		sec += p.seconds(p.decodePass(batch, float64(l), true))
	}
	return sec, nil
}

// requestSeconds is a whole request for batch requests: the prompt's pass,
// which yields the first token, and output-1 decode steps.
func (p *Predictor) requestSeconds(batch, prompt, output int) (float64, error) {
	if output < 1 {
		return 0, fmt.Errorf("cost: a request needs at least 1 output token, got %d", output)
	}
	sec, err := p.promptSeconds(batch, prompt)
	if err != nil || output == 1 {
		return sec, err
	}
	dec, err := p.decodeRun(batch, prompt, output-1)
	return sec + dec, err
}

// summarise groups the results of one engine and regime ("" for any).
func summarise(rs []Result, engine string, regime Regime) Summary {
	s := Summary{Engine: engine, Regime: regime}
	var ratios []float64
	for _, r := range rs {
		if (engine == "" || r.Engine == engine) && (regime == "" || r.Regime == regime) {
			ratios = append(ratios, r.Ratio)
		}
	}
	s.Cases = len(ratios)
	if s.Cases == 0 {
		return s
	}
	sort.Float64s(ratios)
	s.Median = stat.Quantile(0.5, stat.LinInterp, ratios, nil)
	s.Low = stat.Quantile(0.1, stat.LinInterp, ratios, nil)
	s.High = stat.Quantile(0.9, stat.LinInterp, ratios, nil)
	in := 0
	for _, r := range ratios {
		if r >= 1/Tolerance && r <= Tolerance {
			in++
		}
	}
	s.Within = float64(in) / float64(s.Cases)
	return s
}
