package widgets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// seriesStyles decodes each series' line type and symbol from a chart's option.
func seriesStyles(t *testing.T, c Charter) []struct {
	Name       string `json:"name"`
	ShowSymbol bool   `json:"showSymbol"`
	Symbol     string `json:"symbol"`
	LineStyle  struct {
		Type string `json:"type"`
	} `json:"lineStyle"`
} {
	t.Helper()
	raw, err := chartOption(c)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Series []struct {
			Name       string `json:"name"`
			ShowSymbol bool   `json:"showSymbol"`
			Symbol     string `json:"symbol"`
			LineStyle  struct {
				Type string `json:"type"`
			} `json:"lineStyle"`
		} `json:"series"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	return o.Series
}

// Two models with the same KV bytes per token draw the same line (on
// different context grids); the second must stay visible.
func TestOverlappingLinesAreTold(t *testing.T) {
	c := NewLineChart("KV against context", Axis{Name: "Context", Unit: "tokens", Log: true}, Axis{Name: "KV", Unit: "GiB"}).
		Series("llama3-70b", []float64{128, 1024, 8192}, []float64{0.04, 0.31, 2.5}).
		Series("llama2-70b", []float64{128, 512, 2048, 4096}, []float64{0.04, 0.156, 0.625, 1.25}).
		Series("gpt3-175b", []float64{128, 1024, 2048}, []float64{0.56, 4.5, 9})
	st := seriesStyles(t, c)
	if st[0].LineStyle.Type == "dashed" || st[2].LineStyle.Type == "dashed" {
		t.Errorf("lines that overlap nothing were restyled: %+v", st)
	}
	if st[1].LineStyle.Type != "dashed" || !st[1].ShowSymbol || st[1].Symbol == "" {
		t.Errorf("the line drawn over llama3-70b is not dashed with markers: %+v", st[1])
	}
	// A band's edges (stacked areas) are not lines to tell apart.
	band := NewLineChart("band", Axis{Name: "x"}, Axis{Name: "y"}).
		Series("curve", []float64{1, 2, 3}, []float64{10, 20, 30}).
		Series("band low", []float64{1, 2, 3}, []float64{10, 20.05, 30})
	band.Line().MultiSeries[1].Stack = "band"
	if bs := seriesStyles(t, band); bs[1].LineStyle.Type == "dashed" || bs[1].Symbol != "" {
		t.Errorf("a stacked band edge was restyled as an overlapping line: %+v", bs[1])
	}
	// Series other helpers add between (bands) keep each style on its own series.
	mixed := NewLineChart("mixed", Axis{Name: "x"}, Axis{Name: "y"}).Series("a", []float64{1, 2, 3}, []float64{1, 2, 3})
	mixed.Line().AddSeries("added by another helper", nil)
	mixed.Series("b", []float64{1, 2, 3}, []float64{1, 2, 3})
	if ms := seriesStyles(t, mixed); ms[1].LineStyle.Type != "" || ms[2].LineStyle.Type != "dashed" {
		t.Errorf("restyled the wrong series: %+v", ms)
	}
	// Encoding twice gives the same option.
	a, _ := chartOption(c)
	b, _ := chartOption(c)
	if string(a) != string(b) {
		t.Error("encoding the chart twice differs")
	}
}

func TestOverlaps(t *testing.T) {
	for _, tc := range []struct {
		name           string
		ax, ay, bx, by []float64
		want           bool
	}{
		{"same points", []float64{1, 2, 3}, []float64{1, 2, 3}, []float64{1, 2, 3}, []float64{1, 2, 3}, true},
		{"same line, other grid", []float64{0, 10}, []float64{0, 100}, []float64{1, 5, 9}, []float64{10, 50, 90}, true},
		{"within 1%", []float64{1, 2}, []float64{100, 200}, []float64{1, 2}, []float64{100.5, 199}, true},
		{"apart", []float64{1, 2}, []float64{100, 200}, []float64{1, 2}, []float64{110, 220}, false},
		{"meet at one point", []float64{1, 2, 3}, []float64{1, 2, 3}, []float64{1, 2, 3}, []float64{1, 5, 9}, false},
		{"outside the range", []float64{1, 2}, []float64{1, 2}, []float64{5, 6}, []float64{5, 6}, false},
		{"a window caps one", []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, []float64{1, 2, 3, 4}, []float64{1, 2, 2, 2}, true},
	} {
		if got := Overlaps(tc.ax, tc.ay, tc.bx, tc.by); got != tc.want {
			t.Errorf("%s: Overlaps = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The layout every helper chart starts from: a legend in rows (a paged
// legend hides series), labels inside the grid, the y axis named above it.
func TestFrameNeverPagesTheLegend(t *testing.T) {
	raw, err := chartOption(sampleLine("t", 1))
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Legend struct {
			Type string `json:"type"`
		} `json:"legend"`
		Grid []struct {
			ContainLabel bool `json:"containLabel"`
		} `json:"grid"`
		YAxis []struct {
			NameLocation string `json:"nameLocation"`
		} `json:"yAxis"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if o.Legend.Type != "plain" || len(o.Grid) != 1 || !o.Grid[0].ContainLabel || o.YAxis[0].NameLocation != "end" {
		t.Errorf("frame: %s", raw)
	}
}

func TestHorizontalBars(t *testing.T) {
	names := []string{"mistral-7b (GQA 8/32, window 4096)", "gpt3-175b (MHA)"}
	raw, err := chartOption(NewBarChart("KV per token", "", Axis{Name: "KV per token", Unit: "KiB", Log: true}, names).
		Series("fp16", []float64{128, 4608}).Horizontal())
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		XAxis []struct {
			Type, Name string
		} `json:"xAxis"`
		YAxis []struct {
			Type string   `json:"type"`
			Data []string `json:"data"`
		} `json:"yAxis"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if o.XAxis[0].Type != "log" || o.XAxis[0].Name != "KV per token (KiB)" || o.YAxis[0].Type != "category" || len(o.YAxis[0].Data) != 2 || o.YAxis[0].Data[0] != names[0] {
		t.Errorf("horizontal bars: %s", raw)
	}
}

func TestMessageChart(t *testing.T) {
	html, err := NewChart(NewMessageChart("llama3.1-405b on l4: does not fit", "The weights need 810 GB; 8 devices hold 192 GB.")).HTML()
	if err != nil {
		t.Fatal(err)
	}
	d := panelJSON(t, html)
	if s := string(d.Options[0]); !strings.Contains(s, `"graphic"`) || !strings.Contains(s, "810 GB") || strings.Contains(s, `"series"`) {
		t.Errorf("message option: %s", s)
	}
	if !strings.Contains(html, "<b>llama3.1-405b on l4: does not fit</b>") {
		t.Error("the fallback line does not name the chart")
	}
}

func TestLiveChartReplace(t *testing.T) {
	var shown []string
	live := NewLiveChart(func(id, html string) { shown = append(shown, id+"|"+html) }).Every(0)
	if err := live.Update(sampleLine("growing", 1)); err != nil {
		t.Fatal(err)
	}
	ex := NewExplorer().Caption("the finished run").Select("p", "Path", []string{"a", "b"}).
		Chart(func(at At) Charter { return sampleLine("final "+at.Label("p"), 2) })
	if err := live.Replace(ex); err != nil {
		t.Fatal(err)
	}
	if err := live.Update(sampleLine("late", 3)); err != nil || live.Done() != nil {
		t.Fatal("updates after Replace must be ignored quietly")
	}
	if len(shown) != 2 {
		t.Fatalf("%d outputs sent, want 2 (one update, one replacement)", len(shown))
	}
	first, second := strings.SplitN(shown[0], "|", 2), strings.SplitN(shown[1], "|", 2)
	if first[0] != second[0] {
		t.Error("the replacement went to another output than the live chart")
	}
	if !strings.Contains(second[1], "the finished run") || !strings.Contains(live.Render(), "the finished run") {
		t.Error("the live chart's place does not hold the explorer")
	}
	if err := NewLiveChart(nil).Replace(nil); err == nil {
		t.Error("Replace(nil) accepted")
	}
}

func TestLabelAtAndMarkXAt(t *testing.T) {
	models := []string{"small", "big"}
	ex := NewExplorer().
		Select("m", "Model", models).
		Slider("cap", "Capacity", []float64{0, 1, 2}, func(v float64) string { return "" }).
		LabelAt("cap", func(at At) string { return models[at.Index("m")] + " " + at.Label("cap") }).
		Chart(func(at At) Charter { return sampleLine("c", 1) }, MarkXAt("cap", func(at At) float64 {
			if at.Index("cap") == 0 {
				return math.NaN()
			}
			return float64(at.Index("m")+1) * at.Value("cap")
		}))
	html, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	d := panelJSON(t, html)
	if len(d.Controls[1].StateText) != 6 || len(d.Views[0].MarkAt) != 6 {
		t.Fatalf("per-state labels %v and marks %v, want 6 of each", d.Controls[1].StateText, d.Views[0].MarkAt)
	}
	if got := d.Texts[d.Controls[1].StateText[5]]; got != "big " {
		t.Errorf("label of state 5 %q", got)
	}
	if d.Views[0].MarkAt[0] != nil || d.Views[0].MarkAt[5] == nil || *d.Views[0].MarkAt[5] != 4 {
		t.Errorf("marks %v", d.Views[0].MarkAt)
	}
	if _, err := NewExplorer().LabelAt("none", func(At) string { return "" }).Chart(func(At) Charter { return sampleLine("c", 1) }).HTML(); err == nil {
		t.Error("LabelAt of an unknown control accepted")
	}
}

// Large panels travel gzipped; the runtime inflates them.
func TestLargePanelsAreCompressed(t *testing.T) {
	xs := make([]float64, 400)
	for i := range xs {
		xs[i] = float64(i)
	}
	var labels []string
	for i := range 40 {
		labels = append(labels, string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	ex := NewExplorer().Select("k", "k", labels).Chart(func(at At) Charter {
		ys := make([]float64, len(xs))
		for i := range ys {
			ys[i] = float64(at.Index("k")*i) + 0.123
		}
		return NewLineChart("c", Axis{Name: "x"}, Axis{Name: "y"}).Series("s", xs, ys)
	})
	html, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, `type="application/x-kvw-gzip"`) {
		t.Fatal("a large panel is not compressed")
	}
	d := panelJSON(t, html)
	if len(d.Options) != 40 {
		t.Errorf("%d options after inflating, want 40", len(d.Options))
	}
}

// One 190 ms step among 1 ms ones must not flatten the other bars.
func TestBarSpikesAreCut(t *testing.T) {
	var cats []string
	var matmul, attn []float64
	for i := range 40 {
		cats = append(cats, string(rune('A'+i%26))+string(rune('a'+i/26)))
		matmul, attn = append(matmul, 0.8), append(attn, 0.2)
	}
	matmul[17] = 189
	b := NewBarChart("Where the time goes", "Position (tokens)", Axis{Name: "Time per token", Unit: "ms"}, cats).
		Series("matmuls", matmul).Series("attention", attn)
	for i := range b.Bar().MultiSeries {
		b.Bar().MultiSeries[i].Stack = "time"
	}
	raw, err := chartOption(b)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		YAxis []struct {
			Max float64 `json:"max"`
		} `json:"yAxis"`
		Series []struct {
			MarkPoint struct {
				Data []struct {
					Value string `json:"value"`
					Coord []any  `json:"coord"`
				} `json:"data"`
			} `json:"markPoint"`
		} `json:"series"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if m := o.YAxis[0].Max; m < 1 || m > 2 {
		t.Errorf("value axis ends at %v, want just above the 1 ms bars", m)
	}
	marks := o.Series[1].MarkPoint.Data
	if len(marks) != 1 || marks[0].Value != "↑ 189 ms" || marks[0].Coord[0] != cats[17] {
		t.Errorf("the cut bar's label: %+v", marks)
	}
	// No spike, no cut.
	flat := NewBarChart("flat", "x", Axis{Name: "t", Unit: "ms"}, cats).Series("s", attn)
	raw, _ = chartOption(flat)
	if strings.Contains(string(raw), `"max"`) || strings.Contains(string(raw), "markPoint") {
		t.Errorf("a chart without spikes was cut: %s", raw)
	}
}
