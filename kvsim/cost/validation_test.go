package cost

import (
	"math"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

// TestPublishedDatasetIsComplete: every case names a source with a URL,
// table and version, a known engine, model and hardware (or its own model
// spec), a setup, a metric and a regime; unsupported ones say why.
func TestPublishedDatasetIsComplete(t *testing.T) {
	d, err := PublishedDataset()
	if err != nil {
		t.Fatal(err)
	}
	cat := model.NewCatalog()
	supported := 0
	for _, c := range d.Cases {
		if _, err := LookupEngine(c.Engine); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		if c.Row == "" || c.Metric == "" || c.Batch < 0 || c.TP < 1 {
			t.Errorf("%s: incomplete setup %+v", c.ID, c)
		}
		// The regime follows the setup: decode-dominated runs are decode.
		decode := c.Output >= DecodeDominated*c.Input && c.Metric != MetricTTFT && c.Metric != MetricPrefillRate
		switch {
		case decode && c.Batch == 1 && c.Regime != DecodeBatch1, decode && c.Batch > 1 && c.Regime != DecodeBatched:
			t.Errorf("%s: %d in, %d out at batch %d is a decode regime, labelled %s", c.ID, c.Input, c.Output, c.Batch, c.Regime)
		case !decode && (c.Regime == DecodeBatch1 || c.Regime == DecodeBatched) && c.Metric != MetricITL:
			t.Errorf("%s: %d in, %d out (%s) is labelled %s", c.ID, c.Input, c.Output, c.Metric, c.Regime)
		}
		if c.Unsupported != "" {
			continue
		}
		supported++
		if _, err := caseSpec(cat, c); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		if _, err := LookupHardware(c.Hardware, nil); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
		if c.Batch < 1 || c.Input+c.Output < 1 {
			t.Errorf("%s: batch %d, input %d, output %d", c.ID, c.Batch, c.Input, c.Output)
		}
	}
	if supported < 40 {
		t.Errorf("%d supported cases, want at least 40", supported)
	}
}

func TestDatasetCheckRefusesBrokenData(t *testing.T) {
	src := Source{ID: "s", URL: "u", Where: "w", Version: "v"}
	ok := Case{ID: "a", Source: "s", Value: 1, Regime: DecodeBatch1}
	for name, d := range map[string]Dataset{
		"duplicate case": {Sources: []Source{src}, Cases: []Case{ok, ok}},
		"unknown source": {Sources: []Source{src}, Cases: []Case{{ID: "a", Source: "x", Value: 1, Regime: DecodeBatch1}}},
		"zero value":     {Sources: []Source{src}, Cases: []Case{{ID: "a", Source: "s", Regime: DecodeBatch1}}},
		"unknown regime": {Sources: []Source{src}, Cases: []Case{{ID: "a", Source: "s", Value: 1, Regime: "warm-up"}}},
		"source without": {Sources: []Source{{ID: "s"}}},
	} {
		if _, err := Validate(d); err == nil || !strings.HasPrefix(err.Error(), "cost: validation") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestValidationSummary holds the model against the published cases. The
// target of issue 11 (median ratio within ±10%, 90% of cases within ±25%)
// is not met; this test keeps what is met from getting worse and checks
// that the summaries are consistent with the cases. kvsim validate prints
// the full table.
func TestValidationSummary(t *testing.T) {
	v, err := ValidatePublished()
	if err != nil {
		t.Fatal(err)
	}
	if v.Overall.Cases < 40 || len(v.Unsupported) == 0 {
		t.Fatalf("%d scored cases, %d unsupported", v.Overall.Cases, len(v.Unsupported))
	}
	for _, r := range v.Results {
		if r.Error != "" || !(r.Ratio > 0) || math.IsInf(r.Ratio, 0) {
			t.Errorf("%s: ratio %g, error %q", r.ID, r.Ratio, r.Error)
		}
		// The ratio is predicted time over measured time whatever the metric.
		if want := r.Predicted / r.Value; isRate(r.Metric) && !near(r.Ratio, 1/want, 1e-12) || !isRate(r.Metric) && !near(r.Ratio, want, 1e-12) {
			t.Errorf("%s: ratio %g from predicted %g and measured %g", r.ID, r.Ratio, r.Predicted, r.Value)
		}
	}
	for _, u := range v.Unsupported {
		if u.Unsupported == "" {
			t.Errorf("%s listed as unsupported without a reason", u.ID)
		}
	}
	// Consistency: groups add up, quantiles are ordered.
	n := 0
	for _, s := range v.ByEngine {
		n += s.Cases
		if !(s.Low <= s.Median && s.Median <= s.High) {
			t.Errorf("engine %s: quantiles %g %g %g", s.Engine, s.Low, s.Median, s.High)
		}
	}
	if n != v.Overall.Cases {
		t.Errorf("engines hold %d cases, overall %d", n, v.Overall.Cases)
	}
	// Where the model stands (kvsim validate --summary, this data; doc.go,
	// "Validation and bands", says what misses and why). Issue 11's bar is
	// a median within ±10% and 90% of cases within ±25%: the median meets
	// it, the share does not (59 of 82), so the share is held as a floor that
	// must not get worse; when the model meets the bar, assert the bar.
	if math.Abs(v.Overall.Median-1) > 0.10 || inBand(v.Overall) < 59 || v.Overall.Cases < 82 {
		t.Errorf("overall: %d cases, median %.2f, %d within ±25%%; want at least 82, median within ±10%%, at least 59 within",
			v.Overall.Cases, v.Overall.Median, inBand(v.Overall))
	}
	// Both hold-out halves of the sources stay where the revision left them.
	for _, h := range []struct {
		half   string
		median float64 // largest allowed distance from 1
		within int
	}{{HalfA, 0.10, 43}, {HalfB, 0.13, 16}} {
		s := halfSummary(t, v, h.half)
		if math.Abs(s.Median-1) > h.median || inBand(s) < h.within {
			t.Errorf("half %s: median %.2f, %d of %d within; want within %.2f of 1 and at least %d", h.half, s.Median, inBand(s), s.Cases, h.median, h.within)
		}
	}
	// Decode, the regime of the notebook's latency curves, meets the bar's
	// median; batch-1 decode with 92% of its cases within ±25%.
	b1 := v.Band(PyTorchCompile, DecodeBatch1)
	for _, r := range []struct {
		regime Regime
		within int
	}{{DecodeBatch1, 22}, {DecodeBatched, 8}} {
		s := summarise(v.Results, "", r.regime)
		if math.Abs(s.Median-1) > 0.10 || inBand(s) < r.within {
			t.Errorf("%s: median %.2f, %d of %d within ±25%%, want at least %d", r.regime, s.Median, inBand(s), s.Cases, r.within)
		}
	}
	if b1.Scope != ScopeCell {
		t.Errorf("pytorch-compile batch-1 band %v", b1)
	}
}

// inBand is how many of a summary's cases lie within ±25%.
func inBand(s Summary) int { return int(math.Round(s.Within * float64(s.Cases))) }

func halfSummary(t *testing.T, v Validation, half string) Summary {
	t.Helper()
	for _, s := range v.ByHalf {
		if s.Half == half {
			return s
		}
	}
	t.Fatalf("no summary of half %s", half)
	return Summary{}
}

// TestHoldOutHalves: sources alternate between the halves in the order
// they are listed, and every scored case lands in exactly one.
func TestHoldOutHalves(t *testing.T) {
	d, err := PublishedDataset()
	if err != nil {
		t.Fatal(err)
	}
	halves := d.HoldOutHalves()
	for i, src := range d.Sources {
		if want := []string{HalfA, HalfB}[i%2]; halves[src.ID] != want {
			t.Errorf("source %d %s in half %q, want %s", i, src.ID, halves[src.ID], want)
		}
	}
	v, err := Validate(d)
	if err != nil {
		t.Fatal(err)
	}
	a, b := halfSummary(t, v, HalfA), halfSummary(t, v, HalfB)
	if a.Cases+b.Cases != v.Overall.Cases || a.Cases == 0 || b.Cases == 0 {
		t.Errorf("halves hold %d + %d cases of %d", a.Cases, b.Cases, v.Overall.Cases)
	}
}

func TestBands(t *testing.T) {
	v := Validation{}
	add := func(engine string, regime Regime, ratios ...float64) {
		for _, r := range ratios {
			v.Results = append(v.Results, Result{Case: Case{Engine: engine, Regime: regime}, Ratio: r})
		}
	}
	add(VLLM, DecodeBatch1, 0.8, 0.9, 1.0, 1.1, 1.2)
	add(VLLM, EndToEnd, 2, 2)
	add(LlamaCpp, PrefillTTFT, 0.5, 0.5)
	v.Overall = summarise(v.Results, "", "")
	if b := v.Band(VLLM, DecodeBatch1); b.Scope != ScopeCell || b.Cases != 5 || !(b.Low < b.Median && b.Median < b.High) || b.Low < 0.8 || b.High > 1.2 {
		t.Errorf("cell band %+v", b)
	}
	if b := v.Band(VLLM, PrefillTTFT); b.Scope != ScopeEngine || b.Cases != 7 {
		t.Errorf("engine fallback %+v", b)
	}
	if b := v.Band(LlamaCpp, DecodeBatch1); b.Scope != ScopeAll || b.Cases != 9 || !strings.Contains(b.String(), "every engine") {
		t.Errorf("all-cases fallback %+v %s", b, b)
	}
	if b := v.Band(ThisCPUEngine, DecodeBatch1); b.Cases != 0 || !strings.Contains(b.String(), "no validated band") {
		t.Errorf("this-cpu band %+v", b)
	}
	lo, hi := Band{Low: 0.8, High: 1.25, Cases: 5}.Range(10)
	if !near(lo, 8, 1e-12) || !near(hi, 12.5, 1e-12) {
		t.Errorf("range %g-%g", lo, hi)
	}
	for _, tc := range []struct {
		st   Step
		want Regime
	}{
		{Step{Phase: DecodePhase, Cached: true, Batch: 1}, DecodeBatch1},
		{Step{Phase: DecodePhase, Cached: true, Batch: 8}, DecodeBatched},
		{Step{Phase: DecodePhase, Batch: 1}, PrefillTTFT},
		{Step{Phase: PrefillPhase, Cached: true, Batch: 1}, PrefillTTFT},
	} {
		if got := RegimeOf(tc.st); got != tc.want {
			t.Errorf("RegimeOf(%+v) = %s, want %s", tc.st, got, tc.want)
		}
	}
	// The published bands come with every prediction.
	pr, err := Predict(mustSpec(t, "llama2-7b"), mustHardware(t, "a100-80gb"), Options{Engine: PyTorchCompile}, 200, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b := pr.Bands.DecodeCached; b.Engine != PyTorchCompile || b.Regime != DecodeBatch1 || b.Scope != ScopeCell || !slices.Contains([]string{ScopeCell}, b.Scope) {
		t.Errorf("prediction band %+v", b)
	}
}
