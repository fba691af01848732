package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"

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
		Data []any  `json:"data"`
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
	lab.Sizes = study.Sizes{Prompt: 4, New: 10, LongPrompt: 4, LongNew: 24, CacheTokens: []int{8, 16}, CapacityPoints: 8, SeriesPoints: 20, ContextPoints: 5}
	return lab
}

func TestPredictedLatency(t *testing.T) {
	lab := tinyLab(t)
	s := lab.PredictSettings()
	s.Models, s.Hardware = s.Models[:3], s.Hardware[:2] // gpt3-125m, -350m, -760m on a100-40gb, a100-80gb
	s.StartModel, s.StartHardware = s.Models[1].Name, s.Hardware[1].Name
	p, err := study.Predict(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, PredictedLatency(p))
	if len(pn.Controls) != 3 || len(pn.States) != 3*2*2 || len(pn.Views) != 3 {
		t.Fatalf("%d controls, %d states, %d views", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.Controls[0].Start != 1 || pn.Controls[1].Start != 1 {
		t.Errorf("pickers start at %d, %d; want the second model on the second hardware", pn.Controls[0].Start, pn.Controls[1].Start)
	}
	// The size chart depends on hardware and mode only: 4 options, not 12.
	sizes := map[int]bool{}
	for _, row := range pn.States {
		sizes[row[2]] = true
	}
	if len(sizes) != 4 {
		t.Errorf("%d distinct size charts, want 4", len(sizes))
	}
	for _, raw := range pn.Options {
		c := decode(t, raw)
		if !hasUnit(c.XAxis[0].Name) || !hasUnit(c.YAxis[0].Name) {
			t.Errorf("%q: axes %q, %q lack units", c.Title.Text, c.XAxis[0].Name, c.YAxis[0].Name)
		}
	}
	// The chart draws the study's points.
	c := decode(t, pn.Options[pn.States[0][0]])
	cached, uncached := points(t, c, 0), points(t, c, 1)
	curve := p.Curves[0][0][0]
	if n := len(cached); n != 5 || cached[n-1] != study.Round4(1e3*curve.Points[n-1].CachedSeconds) || !(uncached[n-1] > cached[n-1]) {
		t.Errorf("latency points cached %v uncached %v", cached, uncached)
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
		t.Errorf("live chart series %+v (the prefill is not drawn)", lc.Series)
	}
	pn := render(t, MeasuredLatency(run))
	if len(pn.Controls) != 1 || len(pn.Controls[0].Labels) != 2 || len(pn.States) != 2 {
		t.Fatalf("controls %+v states %d", pn.Controls, len(pn.States))
	}
	if pn.States[0][0] != pn.States[1][0] || pn.States[0][1] == pn.States[1][1] {
		t.Error("the path picker must change the breakdown chart (and only it)")
	}
	lines := decode(t, pn.Options[pn.States[0][0]])
	if len(lines.Series) != 2 || len(points(t, lines, 0)) != 9 || !strings.Contains(lines.YAxis[0].Name, "(ms)") {
		t.Errorf("latency chart %+v", lines)
	}
	// The cached path writes K/V, the uncached one does not: its breakdown has no KV series.
	if c, u := decode(t, pn.Options[pn.States[0][1]]), decode(t, pn.Options[pn.States[1][1]]); len(c.Series) <= len(u.Series) {
		t.Errorf("breakdown series: cached %d, uncached %d", len(c.Series), len(u.Series))
	}
	// The sentence gives the decoder's totals.
	if want := fmt.Sprintf("Whole generation: %.0f ms with the cache", 1e3*run.Cached.TotalS); !strings.Contains(strings.Join(pn.HTML, ""), want) {
		t.Errorf("sentence lacks %q", want)
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
	if len(pc.Controls) != 0 || len(pc.Options) != 2 || len(decode(t, pc.Options[0]).Series) != 4 {
		t.Errorf("comparison figure: %d controls, %d options", len(pc.Controls), len(pc.Options))
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
}

func TestPageHasEverySection(t *testing.T) {
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
	if n := strings.Count(html, "Not computed"); n != 5 {
		t.Errorf("%d missing figures, want 5 (measured, predicted, comparison, cache, bounded)", n)
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
