package study

import (
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
)

// Trust is the cost model's own validation: the same cases, and a case's
// predicted over measured time is its ratio.
func TestTrustCasesAreTheValidation(t *testing.T) {
	v, err := cost.ValidatePublished()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Trust(ctx, TrustSettings{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Cases) != len(v.Results) || len(tr.Unsupported) != len(v.Unsupported) || tr.Overall != v.Overall || tr.Scored() < 40 {
		t.Fatalf("%d cases (%d scored), %d unsupported; validation %d, %d", len(tr.Cases), tr.Scored(), len(tr.Unsupported), len(v.Results), len(v.Unsupported))
	}
	for i, r := range v.Results {
		c := tr.Cases[i]
		if c.ID != r.ID || r.Error == "" && math.Abs(c.PredictedS/c.MeasuredS-r.Ratio) > 1e-9*r.Ratio {
			t.Errorf("case %s: %g / %g, ratio %g", r.ID, c.PredictedS, c.MeasuredS, r.Ratio)
		}
		if r.Error == "" && !(c.MeasuredS > 0 && c.MeasuredS < 1e4) {
			t.Errorf("case %s (%s %g) stands for %g s", r.ID, r.Metric, r.Value, c.MeasuredS)
		}
	}
	tb := tr.SummaryTable()
	if tb.Rows[0][0] != "covered: scored" || !strings.Contains(tb.Rows[len(tb.Rows)-1][0], "regime") {
		t.Errorf("summary rows %v", tb.Rows)
	}
}

// A rate stands for the time of the tokens it counts.
func TestCaseSeconds(t *testing.T) {
	c := cost.Case{Batch: 4, TP: 2, Input: 512, Output: 100}
	for _, tc := range []struct {
		metric cost.Metric
		value  float64
		want   float64
	}{
		{cost.MetricITL, 20, 0.02},
		{cost.MetricTTFT, 150, 0.15},
		{cost.MetricLatency, 3000, 3},
		{cost.MetricTokensPerUser, 50, 2},   // 100 tokens at 50/s
		{cost.MetricThroughput, 200, 2},     // 4 x 100 tokens at 200/s
		{cost.MetricPerGPU, 100, 2},         // 400 tokens over 2 GPUs at 100/s each
		{cost.MetricDecodeRate, 25, 4},      // 100 tokens at 25/s
		{cost.MetricPrefillRate, 1024, 0.5}, // 512 prompt tokens at 1024/s
	} {
		c.Metric = tc.metric
		if got := CaseSeconds(c, tc.value); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s %g: %g s, want %g", tc.metric, tc.value, got, tc.want)
		}
	}
}
