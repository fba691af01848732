package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// panel is the data block of a rendered widget.
type panel struct {
	Controls []struct {
		Type   string    `json:"type"`
		Values []float64 `json:"values"`
		Labels []string  `json:"labels"`
		Start  int       `json:"start"`
	} `json:"controls"`
	Views []struct {
		Type  string `json:"type"`
		MarkX int    `json:"markX"`
	} `json:"views"`
	Options []json.RawMessage `json:"options"`
	HTML    []string          `json:"html"`
	States  [][]int           `json:"states"`
}

// render renders w and decodes its one data block; it fails on a widget
// error, on NaN or Infinity anywhere, and on an option that is not JSON.
func render(t *testing.T, w interface{ HTML() (string, error) }) panel {
	t.Helper()
	html, err := w.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "kvw-error") {
		t.Fatalf("rendered widget shows an error")
	}
	blocks, err := widgets.DataBlocks(html)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 {
		t.Fatalf("%d data blocks, want 1", len(blocks))
	}
	for _, bad := range []string{"NaN", "Infinity"} {
		if strings.Contains(string(blocks[0]), bad) {
			t.Fatalf("rendered widget holds %q", bad)
		}
	}
	var p panel
	if err := json.Unmarshal(blocks[0], &p); err != nil {
		t.Fatalf("data block: %v", err)
	}
	for _, row := range p.States {
		if len(row) != len(p.Views) {
			t.Fatalf("state %v for %d views", row, len(p.Views))
		}
	}
	// Every numeric axis says what it counts, with a unit in brackets.
	for _, raw := range p.Options {
		var o struct {
			Title struct{ Text string } `json:"title"`
			Axes  []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"yAxis"`
			X []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"xAxis"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		for _, a := range append(o.Axes, o.X...) {
			if a.Type != "category" && !hasUnit(a.Name) {
				t.Errorf("chart %q: axis %q (%s) has no unit", o.Title.Text, a.Name, a.Type)
			}
		}
	}
	return p
}

// chart is the part of an ECharts option the tests read.
type chart struct {
	Title struct {
		Text string `json:"text"`
	} `json:"title"`
	XAxis []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"xAxis"`
	YAxis []struct {
		Name string `json:"name"`
	} `json:"yAxis"`
	Series []struct {
		Name string `json:"name"`
		Type string `json:"type"`
		ID   string `json:"id"`
		Data []any  `json:"data"` // [x, y] or {value: [x, y]}; a band's are plain [y, x] pairs
	} `json:"series"`
}

func decode(t *testing.T, raw json.RawMessage) chart {
	t.Helper()
	var c chart
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// xValues returns a series' x values.
func xValues(t *testing.T, c chart, series int) []float64 {
	t.Helper()
	var xs []float64
	for _, d := range c.Series[series].Data {
		xs = append(xs, pair(d)[0].(float64))
	}
	return xs
}

// pair is a data point's values: [x, y] as given, or the value of {value: [x, y]}.
func pair(d any) []any {
	if m, ok := d.(map[string]any); ok {
		d = m["value"]
	}
	v, _ := d.([]any)
	return v
}

// hasUnit says an axis name carries a unit in brackets.
func hasUnit(name string) bool { return regexp.MustCompile(`\(.+\)`).MatchString(name) }

// points returns a series' y values (NaN for gaps).
func points(t *testing.T, c chart, series int) []float64 {
	t.Helper()
	var ys []float64
	for _, d := range c.Series[series].Data {
		if m, ok := d.(map[string]any); ok {
			d = m["value"]
		}
		switch v := d.(type) {
		case []any:
			if y, ok := v[1].(float64); ok {
				ys = append(ys, y)
			} else {
				ys = append(ys, math.NaN())
			}
		case float64:
			ys = append(ys, v)
		}
	}
	return ys
}

var ctx = context.Background()

// tinyLab sizes every study to take a fraction of a second.
func tinyLab(t *testing.T) *study.Lab {
	t.Helper()
	lab, err := study.NewLab(study.DefaultPicks(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lab.Log = nil
	lab.Sizes = study.Sizes{Prompt: 4, New: 10, LongPrompt: 4, LongNew: 24, CacheTokens: []int{8, 16}, CapacityPoints: 8, SeriesPoints: 20, ContextPoints: 5,
		SweepModels: []string{"gpt-tiny", "llama-tiny"}, SweepPrompt: 4, SweepNew: 4}
	return lab
}

func TestPredictedLatency(t *testing.T) {
	lab := tinyLab(t)
	s := lab.PredictSettings()
	s.Models, s.Hardware = s.Models[:3], s.Hardware[:2] // gpt3-125m, -350m, -760m on a100-80gb, h100-sxm
	s.Engines = []string{"pytorch-eager", "vllm"}
	s.StartModel, s.StartHardware, s.StartEngine = s.Models[1].Name, s.Hardware[1].Name, "vllm"
	p, err := study.Predict(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, PredictedLatency(p))
	if len(pn.Controls) != 3 || len(pn.States) != 3*2*2 || len(pn.Views) != 5 {
		t.Fatalf("%d controls, %d states, %d views", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.Controls[0].Start != 1 || pn.Controls[1].Start != 1 || pn.Controls[2].Start != 1 || !strings.HasPrefix(pn.Controls[2].Labels[0], "pytorch-eager") {
		t.Errorf("pickers start at %d, %d, %d (%v); want the second model on the second hardware under vllm", pn.Controls[0].Start, pn.Controls[1].Start, pn.Controls[2].Start, pn.Controls[2].Labels)
	}
	// The size chart depends on hardware and engine only: 4 options, not 12.
	sizes := map[int]bool{}
	for _, row := range pn.States {
		sizes[row[4]] = true
	}
	if len(sizes) != 4 {
		t.Errorf("%d distinct size charts, want 4", len(sizes))
	}
	// The engine picker changes the curves (states run model, hardware, engine: the last fastest).
	if pn.States[0][0] == pn.States[1][0] || pn.States[0][1] == pn.States[1][1] {
		t.Error("the engine picker does not change the latency and speedup charts")
	}
	for _, raw := range pn.Options {
		c := decode(t, raw)
		if !hasUnit(c.XAxis[0].Name) || !hasUnit(c.YAxis[0].Name) {
			t.Errorf("%q: axes %q, %q lack units", c.Title.Text, c.XAxis[0].Name, c.YAxis[0].Name)
		}
	}
	// The chart draws the study's points, and around each curve its band:
	// the predicted time over the band's high and low ratios.
	for e, eng := range p.Engines {
		c := decode(t, pn.Options[pn.States[e][0]]) // model 0 on hardware 0
		cached, uncached := points(t, c, 0), points(t, c, 1)
		curve, b := p.Curves[0][0][e], p.Band(0, e)
		n := len(cached)
		if n != 5 || cached[n-1] != study.Round4(1e3*curve.Points[n-1].CachedSeconds) || !(uncached[n-1] > cached[n-1]) {
			t.Errorf("%s: latency points cached %v uncached %v", eng, cached, uncached)
		}
		if b.DecodeCached.Cases == 0 || b.Prefill.Cases == 0 {
			t.Fatalf("%s has no band: %+v", eng, b)
		}
		if len(c.Series) != 6 || c.Series[2].Name != "likely measured, with" || c.Series[4].Name != "likely measured, without" {
			t.Fatalf("%s: series %v, want two curves and two bands of two series", eng, seriesNames(c))
		}
		low, width := bandPoints(t, c, 2), bandPoints(t, c, 3)
		for i := range n {
			lo, hi := b.DecodeCached.Range(1e3 * curve.Points[i].CachedSeconds)
			if !near(low[i], lo) || !near(low[i]+width[i], hi) {
				t.Errorf("%s point %d: band %g to %g, want %g to %g", eng, i, low[i], low[i]+width[i], lo, hi)
			}
		}
		if got := strings.Join(pn.HTML, ""); !strings.Contains(got, "likely measured") || !strings.Contains(got, "Bands of "+eng) {
			t.Errorf("%s: the sentences do not give the bands", eng)
		}
	}
	// The speedup chart carries its band too.
	if c := decode(t, pn.Options[pn.States[0][1]]); len(c.Series) != 3 {
		t.Errorf("speedup chart series %v", seriesNames(c))
	}
}

func seriesNames(c chart) []string {
	var out []string
	for _, s := range c.Series {
		out = append(out, s.Name)
	}
	return out
}

// bandPoints returns a band series' y values (plain [y, x] pairs).
func bandPoints(t *testing.T, c chart, series int) []float64 {
	t.Helper()
	var ys []float64
	for _, d := range c.Series[series].Data {
		y, ok := pair(d)[0].(float64)
		if !ok {
			y = math.NaN()
		}
		ys = append(ys, y)
	}
	return ys
}

// near: within chart rounding (4 significant digits).
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-3*math.Abs(b) }

func TestHowFarToTrust(t *testing.T) {
	tr, err := study.Trust(ctx, study.TrustSettings{})
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, HowFarToTrust(tr))
	if len(pn.Views) != 2 || len(pn.States) != 1 || pn.Views[1].Type != "html" {
		t.Fatalf("views %+v", pn.Views)
	}
	c := decode(t, pn.Options[0])
	if c.XAxis[0].Type != "log" {
		t.Errorf("x axis %+v", c.XAxis[0])
	}
	// Every point is a validation case: (measured, predicted) as times, in
	// the series of its engine; and every scored case is drawn once.
	want := map[string]int{}
	for _, r := range tr.Cases {
		if r.Error == "" {
			want[fmt.Sprintf("%s %.4g %.4g", r.Engine, r.MeasuredS, r.PredictedS)]++
		}
	}
	got, lines := map[string]int{}, 0
	for _, sr := range c.Series {
		if sr.Type == "line" {
			lines++
			continue
		}
		for _, d := range sr.Data {
			v := pair(d)
			got[fmt.Sprintf("%s %.4g %.4g", sr.Name, v[0].(float64), v[1].(float64))]++
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) < 40 {
		t.Errorf("points %v\nwant the cases %v", got, want)
	}
	// The diagonal and the x1.25 lines.
	if lines != 3 {
		t.Errorf("%d lines, want predicted = measured and x1.25 either way", lines)
	}
	for i, sr := range c.Series {
		if strings.Contains(sr.Name, "either way") {
			xs, ys := xValues(t, c, i), points(t, c, i)
			if r := ys[1] / xs[1]; !near(r, 1.25) && !near(r, 0.8) {
				t.Errorf("%s: y/x = %g", sr.Name, r)
			}
		}
	}
	table := pn.HTML[pn.States[0][1]]
	for _, s := range []string{"covered: scored", "not covered: listed", fmt.Sprint(len(tr.Unsupported)), "engine vllm", "regime batch-1 decode"} {
		if !strings.Contains(table, s) {
			t.Errorf("summary table lacks %q", s)
		}
	}
}

func TestSlidingWindow(t *testing.T) {
	lab := tinyLab(t)
	s := lab.SparseSettings()
	s.Engines = []string{"pytorch-eager", "vllm"}
	sp, err := study.Sparse(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, SlidingWindow(sp))
	if len(pn.Controls) != 1 || len(pn.States) != 2 || pn.Controls[0].Start != 1 || pn.States[0][0] == pn.States[1][0] {
		t.Fatalf("controls %+v states %v", pn.Controls, pn.States)
	}
	c := decode(t, pn.Options[pn.States[1][1]])
	names := strings.Join(seriesNames(c), "|")
	for _, want := range []string{"mistral-7b (GQA 8/32 + window 4096)", "mistral-7b, likely measured", "llama3-8b, past its trained length"} {
		if !strings.Contains(names, want) {
			t.Errorf("speedup chart lacks %q: %s", want, names)
		}
	}
	if !strings.Contains(strings.Join(pn.HTML, ""), "likely measured") {
		t.Error("the sentence gives no band")
	}
}

func TestKVMemoryAndTable(t *testing.T) {
	lab := tinyLab(t)
	s := lab.KVSettings()
	k, err := study.KV(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, KVMemory(k))
	if len(pn.Controls) != 1 || len(pn.Controls[0].Labels) != 3 || len(pn.States) != 3 || len(pn.Options) != 6 {
		t.Fatalf("controls %+v, %d states, %d options", pn.Controls, len(pn.States), len(pn.Options))
	}
	// fp16 bars: GPT-3 4608 KiB, LLaMA-3-70B 320 KiB (KVArchitectures' order); fp8 halves them.
	fp16, fp8 := points(t, decode(t, pn.Options[pn.States[0][0]]), 0), points(t, decode(t, pn.Options[pn.States[1][0]]), 0)
	if fp16[0] != 4608 || fp16[5] != 320 || fp8[5] != 160 {
		t.Errorf("KV per token fp16 %v fp8 %v", fp16, fp8)
	}
	// Mistral's window caps its cache: the last two context points are equal.
	mis := points(t, decode(t, pn.Options[pn.States[0][1]]), 7)
	if mis[len(mis)-1] != mis[len(mis)-2] {
		t.Errorf("mistral-7b cache keeps growing past its window: %v", mis)
	}
	html, err := KVTable(k).HTML()
	if err != nil || !strings.Contains(html, "weights do not fit") || !strings.Contains(html, "fewest devices") {
		t.Errorf("table: %v", err)
	}
}

func TestCacheSize(t *testing.T) {
	lab := tinyLab(t)
	s := lab.CacheSettings()
	s.Workload.Name = "few-shot"
	s.Grid = nil // the figure without the pickers (TestCacheExplorer has them)
	st, err := study.Cache(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	n := len(st.Sweep.Capacities)
	pn := render(t, CacheSize(st))
	if len(pn.Controls) != 1 || pn.Controls[0].Type != "slider" || len(pn.States) != n || len(pn.Views) != 5 {
		t.Fatalf("controls %d, states %d, views %d", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.Views[2].MarkX != 0 || pn.Views[3].MarkX != 0 {
		t.Error("the capacity curves do not mark the slider")
	}
	if st.SweetSpot >= 0 && pn.Controls[0].Start != st.SweetSpot {
		t.Errorf("slider starts at %d, sweet spot %d", pn.Controls[0].Start, st.SweetSpot)
	}
	// Slider values are the capacities in GiB.
	if v, want := pn.Controls[0].Values[0], float64(st.Sweep.Capacities[0])*float64(st.BytesPerBlock)/(1<<30); math.Abs(v-want) > 0.01*want {
		t.Errorf("first slider value %g GiB, want %g", v, want)
	}
	// Over-time charts differ per capacity; the curves are one option each.
	seen := map[int]bool{}
	for _, row := range pn.States {
		seen[row[0]] = true
	}
	if len(seen) != n || pn.States[0][2] != pn.States[n-1][2] {
		t.Errorf("%d distinct over-time charts for %d capacities", len(seen), n)
	}
	hit := decode(t, pn.Options[pn.States[0][2]])
	if !hasUnit(hit.XAxis[0].Name) || hit.XAxis[0].Type != "log" {
		t.Errorf("hit-rate x axis %+v", hit.XAxis[0])
	}
	// TTFT saved is predicted: its chart draws the engine's prefill band and the sentence gives it.
	if names := seriesNames(decode(t, pn.Options[pn.States[0][3]])); !slices.Contains(names, "TTFT saved, likely measured") || st.PrefillBand.Cases == 0 {
		t.Errorf("TTFT chart series %v, band %+v", names, st.PrefillBand)
	}
	if !strings.Contains(strings.Join(pn.HTML, ""), "predicted with "+st.Engine) {
		t.Error("the cache sentence does not say which engine predicts TTFT saved")
	}
	if !strings.Contains(strings.Join(pn.HTML, ""), fmt.Sprintf("%d× %s", st.TP, st.Hardware)) && !strings.Contains(string(pn.Options[pn.States[0][3]]), fmt.Sprintf("%d× %s", st.TP, st.Hardware)) {
		t.Errorf("the TTFT chart does not say which devices time the prefills (%d× %s)", st.TP, st.Hardware)
	}
}

func TestMeasuredLatencyAndTheModel(t *testing.T) {
	lab := tinyLab(t)
	ms := lab.MeasureSettings()
	live := NewLiveLatency(widgets.NewLiveChart(nil), ms)
	ms.OnToken = live.OnToken
	run, err := study.Measure(ctx, ms)
	if err != nil {
		t.Fatal(err)
	}
	if err := live.Done(); err != nil {
		t.Fatal(err)
	}
	lc := decode(t, render(t, live).Options[0])
	if len(lc.Series) != 2 || len(points(t, lc, 0)) != 9 || len(points(t, lc, 1)) != 9 {
		t.Errorf("live chart series %+v (the first run, the prefill not drawn)", lc.Series)
	}
	pn := render(t, MeasuredLatency(run))
	if len(pn.Controls) != 1 || len(pn.Controls[0].Labels) != 2 || len(pn.States) != 2 {
		t.Fatalf("controls %+v states %d", pn.Controls, len(pn.States))
	}
	if pn.States[0][0] != pn.States[1][0] || pn.States[0][1] == pn.States[1][1] {
		t.Error("the path picker must change the breakdown chart (and only it)")
	}
	lines := decode(t, pn.Options[pn.States[0][0]])
	if len(lines.Series) != 6 || len(points(t, lines, 0)) != 9 || !strings.Contains(lines.YAxis[0].Name, "(ms)") {
		t.Errorf("latency chart %+v: want two medians and two bands (two series each)", lines)
	}
	// The medians are the study's; each path has a band of its runs.
	if med := points(t, lines, 0); med[8] != study.Round4(1e3*run.Cached.PerTokenS[9]) || !strings.Contains(lines.Series[1].Name, "range of 3 runs") {
		t.Errorf("median %v, band %q", med, lines.Series[1].Name)
	}
	if lc := decode(t, pn.Options[pn.States[0][0]]); !strings.HasPrefix(lc.Series[1].ID, "kvw-band-") || len(bandPoints(t, lc, 1)) != 9 {
		t.Errorf("the cached band (series 1, %q) has %d points, want one per decode step (9)", lc.Series[1].ID, len(bandPoints(t, lc, 1)))
	}
	// The cached path writes K/V, the uncached one does not: its breakdown has no KV series.
	if c, u := decode(t, pn.Options[pn.States[0][1]]), decode(t, pn.Options[pn.States[1][1]]); len(c.Series) <= len(u.Series) {
		t.Errorf("breakdown series: cached %d, uncached %d", len(c.Series), len(u.Series))
	}
	// The sentence gives the decoder's totals with their range, and says how the paths rank.
	sentence := strings.Join(pn.HTML, "")
	for _, want := range []string{fmt.Sprintf("median of 3 runs: %.0f ms (%.0f ms to %.0f ms) with the cache", 1e3*run.Cached.TotalS, 1e3*run.Cached.Total.Min, 1e3*run.Cached.Total.Max),
		ranked(run.Ranking)} {
		if !strings.Contains(sentence, want) {
			t.Errorf("sentence lacks %q:\n%s", want, sentence)
		}
	}
	if err := lab.Save(run); err != nil {
		t.Fatal(err)
	}
	cs, err := lab.CompareSettings()
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := study.CompareCPU(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	pc := render(t, ModelVsMeasurement(cmp))
	if len(pc.Controls) != 0 || len(pc.Options) != 2 || len(decode(t, pc.Options[0]).Series) != 8 || len(decode(t, pc.Options[1]).Series) != 6 {
		t.Errorf("comparison figure: %d controls, %d options: want 4 lines and 2 bands (two series each), then 2 errors and 2 bands", len(pc.Controls), len(pc.Options))
	}
	if !strings.Contains(strings.Join(pc.HTML, ""), "against the fastest and slowest runs") {
		t.Error("the comparison does not give the error's band")
	}
}

func TestBoundedCache(t *testing.T) {
	lab := tinyLab(t)
	b, err := study.Bounded(ctx, lab.BoundedSettings())
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, BoundedCache(b))
	if len(pn.Controls) != 1 || len(pn.States) != 2 || len(pn.Views) != 5 || pn.Views[2].MarkX != 0 {
		t.Fatalf("controls %d states %d views %d", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.States[0][0] == pn.States[1][0] || pn.States[0][2] != pn.States[1][2] {
		t.Error("the slider must change the per-token chart; the curves against capacity are one option")
	}
	// Every path is drawn with the spread of its runs.
	if c := decode(t, pn.Options[pn.States[0][0]]); len(c.Series) != 9 {
		t.Errorf("per-token chart: %d series, want 3 lines and 3 bands (two series each)", len(c.Series))
	}
	if c := decode(t, pn.Options[pn.States[0][2]]); len(c.Series) != 7 {
		t.Errorf("time against capacity: %d series, want 3 lines, 2 sets of error bars and a band (two series)", len(c.Series))
	}
	// Each capacity's sentence ranks a policy only beyond the noise.
	for i := range b.Capacities {
		want := ranked(b.RecomputeRank[i])
		if !strings.Contains(boundedSentence(b, i), want) {
			t.Errorf("capacity %d: sentence lacks %q", b.Capacities[i], want)
		}
	}
}

func TestSpeedupBySize(t *testing.T) {
	lab := tinyLab(t)
	s := lab.SpeedupSettings()
	s.Repeat = 2
	st, err := study.MeasureSpeedups(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, SpeedupBySize(st))
	if len(pn.Options) != 2 || len(pn.Views) != 4 {
		t.Fatalf("%d options, %d views", len(pn.Options), len(pn.Views))
	}
	c := decode(t, pn.Options[0])
	if c.XAxis[0].Type != "log" || len(c.Series) != 2 || len(points(t, c, 0)) != 2 {
		t.Errorf("speedup chart: x %+v, %d series", c.XAxis[0], len(c.Series))
	}
	if got := points(t, c, 0)[1]; got != study.Round4(st.Points[1].Speedup.Median) {
		t.Errorf("second model's speedup %g, want %g", got, st.Points[1].Speedup.Median)
	}
	// error bars: two ends and a gap per model
	if bars := len(c.Series[1].Data); bars != 6 {
		t.Errorf("%d error-bar points, want 6", bars)
	}
	if !strings.Contains(strings.Join(pn.HTML, ""), st.Points[0].Model) {
		t.Error("the table does not list the models")
	}
	empty := render(t, SpeedupBySize(study.SpeedupStudy{Skipped: []study.SkippedModel{{Model: "x", Reason: "memory"}}}))
	if !strings.Contains(strings.Join(empty.HTML, ""), "Not measured: x") {
		t.Error("an empty sweep does not say what it skipped")
	}
}

func TestPageHasEverySection(t *testing.T) {
	if _, err := widgets.SetupHTML(); err != nil {
		t.Skipf("the page needs the ECharts library: run `make assets` first (%v)", err)
	}
	lab := tinyLab(t)
	if _, err := study.Run(ctx, lab, study.KV, lab.KVSettings()); err != nil {
		t.Fatal(err)
	}
	rep, err := lab.Report()
	if err != nil {
		t.Fatal(err)
	}
	html, err := Page(rep).HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Sections() {
		if !strings.Contains(html, s.Title) {
			t.Errorf("page lacks section %q", s.Title)
		}
	}
	// Only the KV study ran: the others say they are missing, the KV ones draw.
	if n := strings.Count(html, "Not computed"); n != 10 {
		t.Errorf("%d missing figures, want 10 (measured, speedup, predicted, sparse, trust, comparison, cache, tiers, latency, bounded)", n)
	}
	blocks, err := widgets.DataBlocks(html)
	if err != nil {
		t.Fatal(err)
	}
	var data strings.Builder
	for _, b := range blocks {
		data.Write(b)
	}
	if !strings.Contains(data.String(), "How much context fits") || strings.Contains(html, "kvw-error") {
		t.Error("the KV figures did not draw")
	}
}

func TestFindingsTableColoursVerdicts(t *testing.T) {
	html, err := FindingsTable([]study.Finding{{Claim: "a <b> claim", Verdict: study.Holds, Evidence: "x & y"}, {Claim: "c", Verdict: study.NotTested}}).HTML()
	if err != nil || !strings.Contains(html, "a &lt;b&gt; claim") || !strings.Contains(html, "x &amp; y") || !strings.Contains(html, "#047857") {
		t.Errorf("findings table %v %q", err, html)
	}
}

var _ widgets.Widget = (*widgets.Explorer)(nil)

// A band follows its curve through zero (a cache too small to hit saves
// no time) and is absent only when there is no band.
func TestBandEdges(t *testing.T) {
	b := cost.Band{Low: 0.5, High: 2, Cases: 10}
	lo, hi := bandEdges([]float64{0, 4, math.NaN()}, b.Range)
	if lo == nil || lo[0] != 0 || hi[0] != 0 || lo[1] != 2 || hi[1] != 8 || !math.IsNaN(lo[2]) {
		t.Errorf("edges %v %v", lo, hi)
	}
	if lo, _ := bandEdges([]float64{4}, cost.Band{}.Range); lo != nil {
		t.Errorf("no band drew %v", lo)
	}
}
