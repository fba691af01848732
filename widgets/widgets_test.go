package widgets

import (
	"embed"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/report"
)

// hostile is text that would break out of HTML, attributes or scripts if
// any of it were written unescaped.
const hostile = `</script><script>alert(1)</script> & "q" 'a' <b>`

// panelJSON decodes the data block of the first (only) panel in html,
// inflating it when it travels gzipped.
func panelJSON(t *testing.T, html string) panelData {
	t.Helper()
	blocks, err := DataBlocks(html)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 {
		t.Fatalf("want 1 data block, found %d in:\n%.2000s", len(blocks), html)
	}
	var d panelData
	if err := json.Unmarshal(blocks[0], &d); err != nil {
		t.Fatalf("data block is not JSON: %v\n%.2000s", err, blocks[0])
	}
	return d
}

type option struct {
	Title struct {
		Text string `json:"text"`
	} `json:"title"`
	Series []struct {
		Name string `json:"name"`
		Data []any  `json:"data"`
	} `json:"series"`
}

func decodeOption(t *testing.T, raw json.RawMessage) option {
	t.Helper()
	var o option
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("option is not JSON: %v", err)
	}
	return o
}

func sampleLine(title string, scale float64) *LineChart {
	xs := []float64{1, 2, 4, 8}
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = scale * x
	}
	return NewLineChart(title, Axis{Name: "Context", Unit: "tokens"}, Axis{Name: "Latency", Unit: "ms"}).Series("with cache", xs, ys)
}

func TestChartEmbedsGoEchartsOption(t *testing.T) {
	html, err := NewChart(sampleLine("Decode latency", 2)).HTML()
	if err != nil {
		t.Fatal(err)
	}
	d := panelJSON(t, html)
	if len(d.Options) != 1 || len(d.States) != 1 || len(d.Views) != 1 || d.Views[0].Type != "chart" {
		t.Fatalf("chart panel shape: %d options, %d states, views %+v", len(d.Options), len(d.States), d.Views)
	}
	o := decodeOption(t, d.Options[0])
	if o.Title.Text != "Decode latency" || o.Series[0].Name != "with cache" {
		t.Errorf("title/series lost: %+v", o)
	}
	got := fmt.Sprint(o.Series[0].Data)
	if want := "[[1 2] [2 4] [4 8] [8 16]]"; got != want {
		t.Errorf("series data %s, want %s (plain points, not {value: ...})", got, want)
	}
	if v := d.Views[0]; v.Width != "100%" || v.Height != "400px" {
		t.Errorf("chart view size %q x %q", v.Width, v.Height)
	}
	for _, want := range []string{"Context (tokens)", "Latency (ms)", `<b>Decode latency</b>: interactive chart removed by sanitizing`} {
		if !strings.Contains(html, want) {
			t.Errorf("chart HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "echarts.min") || len(html) > 20000 {
		t.Errorf("a chart must not carry the library (%d bytes)", len(html))
	}
}

func TestRenderIsDeterministicAndIDsDiffer(t *testing.T) {
	a1 := NewChart(sampleLine("A", 1)).Render()
	a2 := NewChart(sampleLine("A", 1)).Render()
	b := NewChart(sampleLine("A", 3)).Render()
	if a1 != a2 {
		t.Error("the same chart rendered twice differs")
	}
	if elementIDs(t, a1)[0] == elementIDs(t, b)[0] {
		t.Error("charts with different data share an id")
	}
}

var idAttr = regexp.MustCompile(` id="([^"]*)"`)

// elementIDs lists the id attributes of html and fails on duplicates.
func elementIDs(t *testing.T, html string) []string {
	t.Helper()
	seen := map[string]bool{}
	var ids []string
	for _, m := range idAttr.FindAllStringSubmatch(html, -1) {
		if seen[m[1]] {
			t.Errorf("id %q appears twice", m[1])
		}
		seen[m[1]] = true
		ids = append(ids, m[1])
	}
	return ids
}

func TestEscapingIsSafe(t *testing.T) {
	ex := NewExplorer().Caption(hostile).Note(hostile).
		Select("m", hostile, []string{hostile, "b"}).
		Slider("c", "Capacity", []float64{1, 2}, func(v float64) string { return hostile + fmt.Sprint(v) }).
		Chart(func(at At) Charter { return sampleLine(hostile+at.Label("m"), 1) }, MarkX("c")).
		Table(func(at At) report.Table {
			tb := report.Table{Title: hostile, Columns: []report.Column{{Name: hostile, Unit: "B"}}}
			tb.AddRow(at.Label("c"))
			return tb
		})
	html, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	// Only our own scripts open and close: the data block and the boot script.
	if o, c := strings.Count(html, "<script"), strings.Count(html, "</script"); o != 2 || c != 2 {
		t.Errorf("%d <script and %d </script, want 2 and 2: text escaped its element", o, c)
	}
	if strings.Contains(html, "'a' <b>") || strings.Contains(html, "<script>alert") {
		t.Error("raw user text reached the HTML")
	}
	d := panelJSON(t, html)
	if d.Controls[0].Labels[0] != hostile {
		t.Errorf("select label round trip: %q", d.Controls[0].Labels[0])
	}
	o := decodeOption(t, d.Options[0])
	if o.Title.Text != hostile+hostile {
		t.Errorf("chart title round trip: %q", o.Title.Text)
	}
	if !strings.Contains(d.HTML[0], "&lt;/script&gt;") {
		t.Errorf("table cell not escaped inside the state: %s", d.HTML[0])
	}
}

func TestExplorerPrecomputesEveryStateOnce(t *testing.T) {
	caps := []float64{1, 2, 4, 8, 16}
	models := []string{"small", "large", "huge"}
	calls := 0
	ex := NewExplorer().
		Slider("cap", "Cache capacity", caps, func(v float64) string { return fmt.Sprintf("%g GiB", v) }).
		Select("model", "Model", models).
		Start("cap", 3).Start("model", 1).
		// Depends on the model only: one option per model.
		Chart(func(at At) Charter {
			calls++
			return sampleLine("hit rate "+at.Label("model"), float64(at.Index("model")+1))
		}, MarkX("cap")).
		// Depends on both.
		Fragment(func(at At) string { return fmt.Sprintf("<p>%s at %s</p>", at.Label("model"), at.Label("cap")) })
	html, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	d := panelJSON(t, html)
	if want := len(caps) * len(models); len(d.States) != want || calls != want || ex.States() != want {
		t.Fatalf("%d states, %d builds, States()=%d; want %d", len(d.States), calls, ex.States(), want)
	}
	if len(d.Options) != len(models) {
		t.Errorf("%d unique chart options, want one per model (%d)", len(d.Options), len(models))
	}
	if len(d.HTML) != len(caps)*len(models) {
		t.Errorf("%d unique fragments, want %d", len(d.HTML), len(caps)*len(models))
	}
	// State index is mixed radix, first control most significant.
	for c := range caps {
		for m := range models {
			row := d.States[c*len(models)+m]
			if got, want := d.HTML[row[1]], fmt.Sprintf("<p>%s at %g GiB</p>", models[m], caps[c]); got != want {
				t.Errorf("state (%d,%d) fragment %q, want %q", c, m, got, want)
			}
			if got := decodeOption(t, d.Options[row[0]]).Title.Text; got != "hit rate "+models[m] {
				t.Errorf("state (%d,%d) chart %q", c, m, got)
			}
		}
	}
	if d.Views[0].MarkX != 0 || d.Views[0].MarkY != -1 {
		t.Errorf("marker wiring %+v", d.Views[0])
	}
	// The controls start where Start put them, and carry their keys and labels.
	if c := d.Controls; c[0].Start != 3 || c[1].Start != 1 || c[0].Key != "cap" || c[1].Label != "Model" {
		t.Errorf("controls %+v", c)
	}
	// Before any script runs the widget is one line: no control, no fragment.
	if strings.Contains(html, "<p>large") || strings.Contains(html, "<input") || strings.Contains(html, "<select") {
		t.Error("static HTML carries views or controls, which a sanitized export would show as raw tags")
	}
	elementIDs(t, html)
}

func TestExplorerTablesShareOneStyle(t *testing.T) {
	ex := NewExplorer().Slider("n", "n", []float64{1, 2, 3}, nil).
		Table(func(at At) report.Table {
			tb := report.Table{Columns: []report.Column{{Name: "n"}}}
			tb.AddRow(at.Label("n"))
			return tb
		})
	html, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html, "border-collapse"); n != 1 {
		t.Errorf("table CSS appears %d times, want once", n)
	}
	for _, h := range panelJSON(t, html).HTML {
		if strings.Contains(h, "<style>") {
			t.Errorf("state still carries a <style>: %s", h)
		}
	}
}

func TestExplorerRefusesMistakes(t *testing.T) {
	line := func(At) Charter { return sampleLine("x", 1) }
	tests := []struct {
		name string
		ex   *Explorer
		want string
	}{
		{"no views", NewExplorer().Select("a", "A", []string{"x"}), "no views"},
		{"duplicate key", NewExplorer().Select("a", "A", []string{"x"}).Select("a", "B", []string{"y"}).Chart(line), `key "a"`},
		{"empty key", NewExplorer().Select("", "A", []string{"x"}).Chart(line), "empty key"},
		{"no values", NewExplorer().Slider("a", "A", nil, nil).Chart(line), "no values"},
		{"NaN value", NewExplorer().Slider("a", "A", []float64{1, math.NaN()}, nil).Chart(line), "finite"},
		{"start out of range", NewExplorer().Select("a", "A", []string{"x"}).Start("a", 1).Chart(line), "out of range"},
		{"start unknown", NewExplorer().Start("zz", 0).Chart(line), `Start("zz")`},
		{"mark unknown", NewExplorer().Select("a", "A", []string{"x"}).Chart(line, MarkX("b")), `marks control "b"`},
		{"reads unknown", NewExplorer().Select("a", "A", []string{"x"}).
			Fragment(func(at At) string { return at.Label("b") }), `control "b"`},
		{"nil chart", NewExplorer().Chart(func(At) Charter { return nil }), "chart is nil"},
		{"nil build", NewExplorer().Chart(nil), "nil"},
		{"bad size", NewExplorer().Chart(line, Size("100%", "400px;color:red")), "not a CSS length"},
		{"too many states", NewExplorer().Slider("a", "A", make([]float64, 200), nil).Slider("b", "B", make([]float64, 200), nil).Chart(line), "more than"},
		{"bad series", NewExplorer().Chart(func(At) Charter { return NewLineChart("t", Axis{}, Axis{}).Series("s", []float64{1}, nil) }), "pair up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.ex.HTML()
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "widgets: ") {
				t.Fatalf("error %v, want one starting with widgets: and containing %q", err, tc.want)
			}
			if r := tc.ex.Render(); !strings.Contains(r, `class="kvw-error"`) || strings.Contains(r, "kvw-root") {
				t.Errorf("Render does not show the error box: %s", r)
			}
		})
	}
}

func TestJavaScriptFunctionsAreRefused(t *testing.T) {
	l := charts.NewLine()
	l.SetGlobalOptions(charts.WithTooltipOpts(opts.Tooltip{Formatter: opts.FuncOpts("function(p){return p}")}))
	l.AddSeries("a", []opts.LineData{{Value: 1}})
	_, err := NewChart(l).HTML()
	if err == nil || !strings.Contains(err.Error(), "JavaScript function") {
		t.Fatalf("want a refusal of JS functions, got %v", err)
	}
}

func TestPlainGoEchartsChartsWork(t *testing.T) {
	bar := charts.NewBar()
	bar.SetGlobalOptions(charts.WithTitleOpts(opts.Title{Title: "raw"}))
	bar.SetXAxis([]string{"a", "b"}).AddSeries("s", []opts.BarData{{Value: 1}, {Value: 2}})
	html, err := NewChart(bar).Height("300px").HTML()
	if err != nil {
		t.Fatal(err)
	}
	if d := panelJSON(t, html); d.Views[0].Height != "300px" || decodeOption(t, d.Options[0]).Title.Text != "raw" {
		t.Error("raw go-echarts bar chart not rendered as given")
	}
}

func TestLineChartGapsAndErrors(t *testing.T) {
	c := NewLineChart("t", Axis{Name: "x"}, Axis{Name: "y", Log: true}).Series("s", []float64{1, 2}, []float64{1, math.NaN()})
	raw, err := chartOption(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `[2,"-"]`) || !strings.Contains(string(raw), `"type":"log"`) {
		t.Errorf("NaN should be ECharts' empty value and the y axis log: %s", raw)
	}
	if _, err := chartOption(NewLineChart("t", Axis{}, Axis{}).Series("s", []float64{math.Inf(1)}, []float64{1})); err == nil {
		t.Error("infinite x accepted")
	}
	if _, err := chartOption(NewBarChart("t", "m", Axis{}, []string{"a"}).Series("s", []float64{1, 2})); err == nil {
		t.Error("bar series longer than its categories accepted")
	}
}

func TestTable(t *testing.T) {
	tb := report.Table{Title: "KV", Columns: []report.Column{{Name: "Model"}, {Name: "KV/token", Unit: "KiB"}}}
	tb.AddRow("LLaMA-3-70B", "320")
	html, err := NewTable(tb).Note(hostile).HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "KV/token (KiB)") || strings.Contains(html, "<script") {
		t.Errorf("table HTML: %s", html)
	}
	tb.AddRow("short row")
	if _, err := NewTable(tb).HTML(); err == nil || !strings.Contains(err.Error(), "row 1 has 1 cells for 2 columns") {
		t.Errorf("ragged table: %v", err)
	}
}

// needLibrary skips a test that renders a page when this build has no
// chart library (a fresh clone before `make assets`).
func needLibrary(t *testing.T) {
	t.Helper()
	if _, err := library(); err != nil {
		t.Skipf("needs the ECharts library: run `make assets` first (%v)", err)
	}
}

func TestSetupCarriesLibraryAndRuntime(t *testing.T) {
	needLibrary(t)
	html, err := SetupHTML()
	if err != nil {
		t.Fatal(err)
	}
	lib, err := library()
	if err != nil {
		t.Fatal(err)
	}
	if len(lib) < 500_000 || strings.Count(html, string(lib)) != 1 {
		t.Fatalf("setup must carry the %d-byte library exactly once", len(lib))
	}
	for _, want := range []string{"window.kvwidgets", ".kvw-root", `echarts.version==="` + LibraryVersion() + `"`, ExportMenu} {
		if !strings.Contains(html, want) {
			t.Errorf("setup lacks %q", want)
		}
	}
	if LibraryVersion() != "5.6.0" {
		t.Errorf("LibraryVersion %q, want the pinned 5.6.0", LibraryVersion())
	}
	// The library must set window.echarts even where an AMD loader is present.
	if !strings.Contains(string(lib), "(function(define,exports,module){") {
		t.Error("library is not shielded from AMD/CommonJS loaders")
	}
}

func TestPageHasLibraryOnceAndUniqueIDs(t *testing.T) {
	needLibrary(t)
	chart := NewChart(sampleLine("same", 1))
	ex := NewExplorer().Slider("n", "n", []float64{1, 2}, nil).Chart(func(at At) Charter { return sampleLine("e", at.Value("n")) })
	tb := report.Table{Columns: []report.Column{{Name: "a"}}}
	tb.AddRow("1")
	page, err := NewPage("Report <1>").Heading("Charts & tables").Text(hostile).
		Add(chart, chart, ex, NewTable(tb), NewTable(tb)).HTML()
	if err != nil {
		t.Fatal(err)
	}
	lib, _ := library()
	if n := strings.Count(page, string(lib)); n != 1 {
		t.Errorf("library appears %d times", n)
	}
	if n := strings.Count(page, "window.kvwidgets = "); n != 1 {
		t.Errorf("runtime appears %d times", n)
	}
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, "<title>Report &lt;1&gt;</title>") {
		t.Error("page head wrong")
	}
	if strings.Contains(page, "'a' <b>") || strings.Contains(page, "<script>alert") {
		t.Error("page text not escaped")
	}
	ids := elementIDs(t, page)
	roots := 0
	part := regexp.MustCompile(`-[vc][0-9]+$`)
	for _, id := range ids {
		if !part.MatchString(id) {
			roots++
		}
	}
	if roots != 5 {
		t.Errorf("%d widget ids, want 5: %v", roots, ids)
	}
}

func TestLiveChartThrottlesAndFinishes(t *testing.T) {
	clock := time.Unix(0, 0)
	type shown struct{ id, html string }
	var sent []shown
	live := NewLiveChart(func(id, html string) { sent = append(sent, shown{id, html}) })
	live.now = func() time.Time { return clock }

	step := func(ms int, points int) {
		clock = clock.Add(time.Duration(ms) * time.Millisecond)
		xs, ys := make([]float64, points), make([]float64, points)
		for i := range xs {
			xs[i], ys[i] = float64(i), float64(i*i)
		}
		if err := live.Update(NewLineChart("live", Axis{Name: "step"}, Axis{Name: "t", Unit: "ms"}).Series("s", xs, ys)); err != nil {
			t.Fatal(err)
		}
	}
	step(0, 1)  // first: shown at once
	step(30, 2) // held
	step(30, 3) // held (60 ms since the last)
	step(50, 4) // 110 ms: shown
	step(10, 5) // held
	if len(sent) != 2 {
		t.Fatalf("%d updates sent before Done, want 2", len(sent))
	}
	if err := live.Done(); err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 {
		t.Fatalf("Done sent %d in all, want 3", len(sent))
	}
	for _, s := range sent {
		if s.id != sent[0].id || !strings.HasPrefix(s.id, "kvw-live-") {
			t.Errorf("display ids differ or are unnamed: %q vs %q", s.id, sent[0].id)
		}
		if len(s.html) > 20000 {
			t.Errorf("an update carries %d bytes: the library must not be resent", len(s.html))
		}
	}
	last := decodeOption(t, panelJSON(t, sent[2].html).Options[0])
	if n := len(last.Series[0].Data); n != 5 {
		t.Errorf("final update has %d points, want 5", n)
	}
	if live.Render() != sent[2].html {
		t.Error("Render differs from the last update sent")
	}
	if err := live.Done(); err != nil || len(sent) != 3 {
		t.Error("a second Done resent the chart")
	}
}

func TestLiveChartWithoutDataSaysSo(t *testing.T) {
	if _, err := NewLiveChart(nil).HTML(); err == nil || !strings.Contains(err.Error(), "Update first") {
		t.Errorf("want the no-data error, got %v", err)
	}
}

func TestMissingLibraryNamesTheFix(t *testing.T) {
	saved := dist
	dist = embed.FS{} // a build made before `make assets`
	defer func() { dist = saved }()
	if _, err := SetupHTML(); err == nil || !strings.Contains(err.Error(), "make assets") {
		t.Errorf("SetupHTML without the library: %v", err)
	}
	if _, err := NewPage("p").HTML(); err == nil || !strings.Contains(err.Error(), "make assets") {
		t.Errorf("Page without the library: %v", err)
	}
	// Widgets themselves do not carry the library, so they still render.
	if _, err := NewChart(sampleLine("x", 1)).HTML(); err != nil {
		t.Error(err)
	}
}

func TestLiveChartShowsBadUpdates(t *testing.T) {
	var sent []string
	live := NewLiveChart(func(_, html string) { sent = append(sent, html) })
	err := live.Update(NewLineChart("t", Axis{}, Axis{}).Series("s", []float64{1}, []float64{1, 2}))
	if err == nil || len(sent) != 1 || !strings.Contains(sent[0], "kvw-error") || live.Err() == nil {
		t.Errorf("bad update: err %v, sent %q", err, sent)
	}
}
