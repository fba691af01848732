package study

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/sim"
)

// The Mooncake traces' file names, as published (kvcache-ai/Mooncake,
// FAST25-release/traces).
const (
	ConversationTrace = "mooncake_conversation_trace.jsonl"
	SyntheticTrace    = "mooncake_synthetic_trace.jsonl"
)

// TierReferenceSettings set up kvsim validate --tiers: the tier and
// instance model against the published numbers (sim.ComparePublished).
type TierReferenceSettings struct {
	TracesDir string // the folder holding the Mooncake traces; "" (or a trace missing there) skips the comparisons that replay it
}

// TierReferences is each published number beside kvsim's counterpart.
type TierReferences struct {
	Traces      []string         `json:"traces"` // the trace files replayed
	Comparisons []TierComparison `json:"comparisons"`
	Compared    []sim.Comparison `json:"-"` // the same, as sim returns them (report.TierReferencesTable)
	Passed      int              `json:"passed"`
	Failed      int              `json:"failed"` // known disagreements, kept (kvsim/sim/doc.go says why)
	Skipped     int              `json:"skipped"`
	Provenance  `json:"provenance"`
}

// TierComparison is sim.Comparison with the numbers a skipped comparison
// lacks left out (JSON has no NaN).
type TierComparison struct {
	Published sim.Published `json:"published"`
	Modelled  *float64      `json:"modelled,omitempty"` // in Published.Unit
	Ratio     *float64      `json:"ratio,omitempty"`    // Modelled / Published.Value
	How       string        `json:"how,omitempty"`
	Check     string        `json:"check,omitempty"`
	Pass      bool          `json:"pass"`
	Skipped   string        `json:"skipped,omitempty"`
	Note      string        `json:"note,omitempty"`
}

// Study names the result: data/tier-references.json.
func (TierReferences) Study() string { return "tier-references" }

// Summary counts the verdicts.
func (r TierReferences) Summary() string {
	return fmt.Sprintf("%d published numbers compared: %d within their band, %d outside, %d skipped, in %.1f s", len(r.Comparisons), r.Passed, r.Failed, r.Skipped, r.Took)
}

// CompareTiersPublished holds the tiers, the instances and the routers
// against the Mooncake paper's, vLLM's and LMCache's published numbers,
// replaying the Mooncake traces found in s.TracesDir and timing prefills
// with the cost model.
func CompareTiersPublished(ctx context.Context, s TierReferenceSettings) (TierReferences, error) {
	start := time.Now()
	var res TierReferences
	in := sim.ReferenceInputs{Timer: costTimer}
	if s.TracesDir != "" {
		for _, t := range []struct {
			name string
			into **sim.Prepared
		}{{ConversationTrace, &in.Conversation}, {SyntheticTrace, &in.Synthetic}} {
			path := filepath.Join(s.TracesDir, t.name)
			if info, err := os.Stat(path); err != nil || !info.Mode().IsRegular() {
				continue
			}
			if err := ctx.Err(); err != nil {
				return TierReferences{}, err
			}
			w, err := Source{Trace: path}.Load()
			if err != nil {
				return TierReferences{}, err
			}
			if *t.into, err = sim.Prepare(w); err != nil {
				return TierReferences{}, fmt.Errorf("study: %w", err)
			}
			res.Traces = append(res.Traces, path)
		}
	}
	cs, err := sim.ComparePublished(in)
	if err != nil {
		return TierReferences{}, fmt.Errorf("study: %w", err)
	}
	res.Compared = cs
	for _, c := range cs {
		tc := TierComparison{Published: c.Published, How: c.How, Check: c.Check, Pass: c.Pass, Skipped: c.Skipped, Note: c.Note}
		switch {
		case c.Skipped != "":
			res.Skipped++
		case c.Pass:
			res.Passed++
		default:
			res.Failed++
		}
		if !math.IsNaN(c.Modelled) {
			m, r := c.Modelled, c.Ratio
			tc.Modelled, tc.Ratio = &m, &r
		}
		res.Comparisons = append(res.Comparisons, tc)
	}
	res.Provenance = stamp(start)
	return res, nil
}

// costTimer is the cost model's serving timer for a catalog model on a
// hardware preset over gpus devices, bf16, as the published setups run.
func costTimer(modelName, hardware string, gpus int) (sim.StepTimer, error) {
	spec, err := model.NewCatalog().Lookup(modelName)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	hw, err := cost.LookupHardware(hardware, nil)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	p, err := cost.New(spec, hw, cost.Options{DType: model.BF16, TP: gpus, AllowLongContext: true})
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	return p.Serving(), nil
}

// Validation is kvsim validate: the cost model against published
// measurements (cost.ValidatePublished) and the tiers and instances
// against published numbers (CompareTiersPublished). Its JSON is the cost
// model's, plus "tiers".
type Validation struct {
	cost.Validation
	Tiers TierReferences `json:"tiers"`
}

// Validate runs both comparisons.
func Validate(ctx context.Context, s TierReferenceSettings) (Validation, error) {
	v, err := cost.ValidatePublished()
	if err != nil {
		return Validation{}, err
	}
	t, err := CompareTiersPublished(ctx, s)
	return Validation{Validation: v, Tiers: t}, err
}

// WriteText writes the cost model's cases (when cases) and summaries,
// then the tiers' comparison (with how each number was computed, when
// cases).
func (v Validation) WriteText(w io.Writer, cases bool) error {
	if err := report.WriteValidation(w, v.Validation, cases); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return report.WriteTierReferences(w, v.Tiers.Compared, v.Tiers.Traces, cases)
}
