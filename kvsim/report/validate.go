package report

import (
	"fmt"
	"io"
	"math"

	"kvcache/kvsim/cost"
)

// WriteValidation writes the published cases with their predictions (when
// cases), the summaries, the target's verdict, the unsupported cases and
// the sources.
func WriteValidation(w io.Writer, v cost.Validation, cases bool) error {
	if cases {
		t := Table{Title: "Published measurements and predictions (ratio = predicted / measured time)",
			Columns: []Column{{Name: "case"}, {Name: "engine"}, {Name: "model"}, {Name: "hardware"}, {Name: "TP"},
				{Name: "batch"}, {Name: "in/out"}, {Name: "regime"}, {Name: "metric"}, {Name: "measured"}, {Name: "predicted"}, {Name: "ratio"}}}
		for _, r := range v.Results {
			pred, ratio := fmt.Sprintf("%.4g", r.Predicted), fmt.Sprintf("%.2f", r.Ratio)
			if r.Error != "" {
				pred, ratio = "error", "miss: "+r.Error
			}
			t.AddRow(r.ID, r.Engine, r.Model, r.Hardware, fmt.Sprint(r.TP), fmt.Sprint(r.Batch), fmt.Sprintf("%d/%d", r.Input, r.Output),
				string(r.Regime), string(r.Metric), fmt.Sprintf("%.4g", r.Value), pred, ratio)
		}
		if err := t.WriteText(w); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if err := ValidationSummary(v).WriteText(w); err != nil {
		return err
	}
	met := math.Abs(v.Overall.Median-1) <= 0.10 && v.Overall.Within >= 0.90
	verdict := "not met"
	if met {
		verdict = "met"
	}
	fmt.Fprintf(w, "\nTarget (issue 11): median ratio within ±10%% and 90%% of cases within ±25%%: %s (median %.2f, %.0f%% within [0.80, 1.25]).\n",
		verdict, v.Overall.Median, 100*v.Overall.Within)
	fmt.Fprintf(w, "\nNot covered by the model (listed, not scored): %d cases\n", len(v.Unsupported))
	for _, r := range v.Unsupported {
		fmt.Fprintf(w, "  %s (%s, %s): %s\n", r.ID, r.Engine, r.Regime, r.Unsupported)
	}
	fmt.Fprintln(w, "\nSources:")
	for _, s := range v.Sources {
		fmt.Fprintf(w, "  %s: %s, %s (%s)\n", s.ID, s.URL, s.Where, s.Version)
	}
	return nil
}

// ValidationSummary is the ratio predicted/measured per group of cases.
func ValidationSummary(v cost.Validation) Table {
	t := Table{Title: "Summary: ratio predicted/measured (10th percentile, median, 90th percentile)",
		Columns: []Column{{Name: "group"}, {Name: "cases"}, {Name: "p10"}, {Name: "median"}, {Name: "p90"}, {Name: "within ±25%"}}}
	add := func(name string, s cost.Summary) {
		if s.Cases == 0 {
			t.AddRow(name, "0", "-", "-", "-", "no cases")
			return
		}
		t.AddRow(name, fmt.Sprint(s.Cases), fmt.Sprintf("%.2f", s.Low), fmt.Sprintf("%.2f", s.Median), fmt.Sprintf("%.2f", s.High),
			fmt.Sprintf("%.0f%%", 100*s.Within))
	}
	add("all", v.Overall)
	for _, s := range v.ByEngine {
		add("engine "+s.Engine, s)
	}
	for _, s := range v.ByRegime {
		add("regime "+string(s.Regime), s)
	}
	for _, s := range v.ByCell {
		add(s.Engine+", "+string(s.Regime), s)
	}
	for _, s := range v.ByHalf {
		add("hold-out half "+s.Half+" of the sources", s)
	}
	return t
}
