package study

import (
	"context"
	"fmt"
	"slices"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
)

// TrustSettings choose the published measurements the cost model is held
// against in "How far to trust these predictions" (section 3).
type TrustSettings struct {
	Dataset *cost.Dataset // nil: the measurements shipped with kvsim (cost.PublishedDataset, kvsim validate)
}

// TrustStudy is the cost model against published measurements: every case
// as a pair of times, measured and predicted, and the summaries kvsim
// validate prints. It is what the bands on every prediction come from.
type TrustStudy struct {
	Cases       []TrustCase    `json:"cases"`       // scored, in the dataset's order
	Unsupported []TrustCase    `json:"unsupported"` // listed with the reason, not scored
	Engines     []string       `json:"engines"`     // engines with scored cases, in kvsim engines' order
	Overall     cost.Summary   `json:"overall"`
	ByEngine    []cost.Summary `json:"by_engine"`
	ByRegime    []cost.Summary `json:"by_regime"`
	ByCell      []cost.Summary `json:"by_engine_and_regime"`
	Tolerance   float64        `json:"tolerance"` // a ratio in [1/Tolerance, Tolerance] counts as within
	Provenance  `json:"provenance"`
}

// TrustCase is one published measurement beside its prediction, both as
// the time the case measured: its metric's milliseconds, or for a rate the
// tokens it counts over the rate (an end-to-end latency, a decode run, a
// prompt's pass). PredictedS / MeasuredS is the case's ratio.
type TrustCase struct {
	ID          string      `json:"id"`
	Engine      string      `json:"engine"`
	Model       string      `json:"model"`
	Hardware    string      `json:"hardware"`
	TP          int         `json:"tp"`
	Batch       int         `json:"batch"`
	Regime      cost.Regime `json:"regime"`
	Metric      cost.Metric `json:"metric"`
	Value       float64     `json:"value"`                 // as published, in its metric
	MeasuredS   float64     `json:"measured_s,omitempty"`  // the case's time, measured
	PredictedS  float64     `json:"predicted_s,omitempty"` // the same time, predicted
	Ratio       float64     `json:"ratio,omitempty"`       // predicted / measured time
	Error       string      `json:"error,omitempty"`       // a supported case the model could not price: a miss
	Unsupported string      `json:"unsupported,omitempty"` // why the model does not cover it
	Source      string      `json:"source"`                // the URL
}

// Study names the result: data/trust.json.
func (TrustStudy) Study() string { return "trust" }

// Summary says what was held against what.
func (t TrustStudy) Summary() string {
	return fmt.Sprintf("held the cost model against %d published measurements (%d more listed as not covered) in %.1f s: median ratio %.2f, %.0f%% within ±%.0f%%",
		t.Overall.Cases, len(t.Unsupported), t.Took, t.Overall.Median, 100*t.Overall.Within, 100*(t.Tolerance-1))
}

// Trust predicts every published case (cost.Validate) and turns each into
// a pair of times.
func Trust(ctx context.Context, s TrustSettings) (TrustStudy, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return TrustStudy{}, err
	}
	var v cost.Validation
	var err error
	if s.Dataset == nil {
		v, err = cost.ValidatePublished()
	} else {
		v, err = cost.Validate(*s.Dataset)
	}
	if err != nil {
		return TrustStudy{}, fmt.Errorf("study: %w", err)
	}
	urls := map[string]string{}
	for _, src := range v.Sources {
		urls[src.ID] = src.URL
	}
	t := TrustStudy{Overall: v.Overall, ByEngine: v.ByEngine, ByRegime: v.ByRegime, ByCell: v.ByCell, Tolerance: cost.Tolerance}
	for _, r := range v.Results {
		c := trustCase(r, urls[r.Source])
		if r.Error == "" {
			c.MeasuredS, c.PredictedS, c.Ratio = CaseSeconds(r.Case, r.Value), CaseSeconds(r.Case, r.Predicted), r.Ratio
		}
		t.Cases = append(t.Cases, c)
	}
	for _, r := range v.Unsupported {
		t.Unsupported = append(t.Unsupported, trustCase(r, urls[r.Source]))
	}
	for _, e := range cost.EngineNames() {
		if slices.ContainsFunc(t.Cases, func(c TrustCase) bool { return c.Engine == e }) {
			t.Engines = append(t.Engines, e)
		}
	}
	t.Provenance = stamp(start)
	return t, nil
}

func trustCase(r cost.Result, url string) TrustCase {
	return TrustCase{ID: r.ID, Engine: r.Engine, Model: r.Model, Hardware: r.Hardware, TP: max(r.TP, 1), Batch: r.Batch,
		Regime: r.Regime, Metric: r.Metric, Value: r.Value, Error: r.Error, Unsupported: r.Unsupported, Source: url}
}

// CaseSeconds is a value of case c's metric as the time it stands for:
// milliseconds as seconds; a rate as the tokens it counts over the rate
// (output tokens per second of one request: its latency; of a batch: batch
// x output tokens; per GPU: over TP devices; a decode rate: the output
// tokens' decode run; a prefill rate: the prompt's pass). The ratio of two
// such times is the case's ratio predicted/measured.
func CaseSeconds(c cost.Case, value float64) float64 {
	tokens := float64(c.Output)
	switch c.Metric {
	case cost.MetricITL, cost.MetricTTFT, cost.MetricLatency:
		return value / 1e3
	case cost.MetricThroughput:
		tokens *= float64(c.Batch)
	case cost.MetricPerGPU:
		tokens *= float64(c.Batch) / float64(max(c.TP, 1))
	case cost.MetricPrefillRate:
		tokens = float64(c.Input)
	}
	return tokens / value
}

// Scored is how many cases have a prediction (Cases less the misses).
func (t TrustStudy) Scored() int {
	n := 0
	for _, c := range t.Cases {
		if c.Error == "" {
			n++
		}
	}
	return n
}

// SummaryTable is kvsim validate's summary (overall, per engine, per
// regime) under the counts of covered and not covered cases.
func (t TrustStudy) SummaryTable() report.Table {
	tb := report.ValidationSummary(cost.Validation{Overall: t.Overall, ByEngine: t.ByEngine, ByRegime: t.ByRegime})
	tb.Title = "Predicted / measured time over the published cases"
	rows := tb.Rows
	tb.Rows = nil
	tb.AddRow("covered: scored", fmt.Sprint(t.Scored()), "", "", "", "")
	if miss := len(t.Cases) - t.Scored(); miss > 0 {
		tb.AddRow("covered, not priced (misses)", fmt.Sprint(miss), "", "", "", "")
	}
	tb.AddRow("not covered: listed", fmt.Sprint(len(t.Unsupported)), "", "", "", "")
	tb.Rows = append(tb.Rows, rows...)
	return tb
}
