package widgets

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kvcache/kvsim/report"
	"kvcache/widgets/browsertest"
)

// These tests open pages in headless Chromium with the network off. They
// skip when Chromium is missing (or with -short); the notebook export tests
// also need the venv that `make setup` builds.

func startBrowser(t *testing.T) *browsertest.Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	needLibrary(t)
	b, err := browsertest.Start()
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(b.Close)
	return b
}

// repoRoot is the folder with go.mod, above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshotDir is .build/screenshots (git-ignored) when .build exists, else a temp dir.
func screenshotDir(t *testing.T) string {
	build := filepath.Join(repoRoot(t), ".build")
	if _, err := os.Stat(build); err != nil {
		return t.TempDir()
	}
	dir := filepath.Join(build, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// demoExplorer is a synthetic cache sweep: a hit-rate curve per model with
// a marker at the slider's capacity, and a table for the current state.
func demoExplorer() *Explorer {
	caps := []float64{}
	for c := 1.0; c <= 64; c *= 1.25 {
		caps = append(caps, math.Round(c*10)/10)
	}
	models := []string{"small", "medium", "large"}
	hit := func(m int, c float64) float64 { return 100 * (1 - math.Exp(-c/float64(4*(m+1)))) }
	return NewExplorer().Caption("Synthetic prefix-cache sweep").
		Slider("cap", "Cache capacity", caps, func(v float64) string { return fmt.Sprintf("%g GiB", v) }).
		Select("model", "Model", models).
		Start("cap", 6).
		Chart(func(at At) Charter {
			ys := make([]float64, len(caps))
			for i, c := range caps {
				ys[i] = hit(at.Index("model"), c)
			}
			return NewLineChart("Hit rate vs capacity ("+at.Label("model")+")",
				Axis{Name: "Cache capacity", Unit: "GiB"}, Axis{Name: "Hit rate (tokens)", Unit: "%"}).Series("LRU", caps, ys)
		}, MarkX("cap")).
		Table(func(at At) report.Table {
			tb := report.Table{Title: "Current state", Columns: []report.Column{{Name: "Model"}, {Name: "Capacity", Unit: "GiB"}, {Name: "Hit rate", Unit: "%"}}}
			tb.AddRow(at.Label("model"), fmt.Sprint(at.Value("cap")), fmt.Sprintf("%.1f", hit(at.Index("model"), at.Value("cap"))))
			return tb
		})
}

// checkExplorer moves the first explorer's slider and select as a user
// would and checks that its marker, its HTML views and its series follow.
// The explorer needs a slider marked on a chart (MarkX); a select is optional.
func checkExplorer(t *testing.T, b *browsertest.Browser, shots, name string) {
	t.Helper()
	const root = `.kvw-root[data-kvw-kind="explorer"]`
	var cfg panelData // the block the page's runtime reads
	var rootID string
	if err := b.Eval(`document.querySelector('`+root+`').kvwConfig`, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := b.Eval(`document.querySelector('`+root+`').id`, &rootID); err != nil {
		t.Fatal(err)
	}
	chartID, slider := "", -1
	for j, v := range cfg.Views {
		if v.Type == "chart" && v.MarkX >= 0 && cfg.Controls[v.MarkX].Type == "slider" {
			chartID, slider = fmt.Sprintf("%s-v%d", rootID, j), v.MarkX
			break
		}
	}
	if chartID == "" {
		t.Fatal("first explorer has no chart marked by a slider")
	}
	ctl := cfg.Controls[slider]
	if ctl.Start+2 >= len(ctl.Values) {
		t.Fatalf("slider starts at %d of %d: no room for two steps", ctl.Start, len(ctl.Values))
	}
	chart := func() browsertest.Chart {
		cs, err := b.Charts()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ID == chartID {
				return c
			}
		}
		t.Fatalf("chart %s not found", chartID)
		return browsertest.Chart{}
	}
	markerX := func() float64 {
		c := chart()
		var marks []struct {
			XAxis float64 `json:"xAxis"`
		}
		if err := json.Unmarshal(c.Series[0].MarkLine, &marks); err != nil || len(marks) != 1 {
			t.Fatalf("marker line %s: %v", c.Series[0].MarkLine, err)
		}
		return marks[0].XAxis
	}
	views := func() string {
		var text string
		if err := b.Eval(`Array.from(document.querySelectorAll('`+root+` .kvw-html')).map(e => e.textContent).join('|')`, &text); err != nil {
			t.Fatal(err)
		}
		return text
	}
	sliderSel := fmt.Sprintf(`%s [data-kvw-control="%d"]`, root, slider)
	if x := markerX(); x != ctl.Values[ctl.Start] {
		t.Errorf("marker starts at %v, want %v", x, ctl.Values[ctl.Start])
	}
	before := views()
	want := ctl.Start + 2
	if err := b.Slide(sliderSel, want); err != nil {
		t.Fatal(err)
	}
	if x := markerX(); x != ctl.Values[want] {
		t.Errorf("after sliding to position %d the marker is at %v, want %v", want, x, ctl.Values[want])
	}
	// Then the keyboard, as a user goes on after a click: one step left.
	if err := b.Keys(browsertest.ArrowLeft); err != nil {
		t.Fatal(err)
	}
	if x := markerX(); x != ctl.Values[want-1] {
		t.Errorf("after a click and ArrowLeft the marker is at %v, want %v", x, ctl.Values[want-1])
	}
	if err := b.Slide(sliderSel, want); err != nil {
		t.Fatal(err)
	}
	if after := views(); before != "" && after == before {
		t.Errorf("HTML views did not change with the slider: %q", after)
	}
	var label string
	if err := b.Eval(fmt.Sprintf(`document.querySelector('%s [data-kvw-value="%d"]').textContent`, root, slider), &label); err != nil || label != ctl.Labels[want] {
		t.Errorf("slider label %q (%v), want %q", label, err, ctl.Labels[want])
	}
	for c, sel := range cfg.Controls {
		if sel.Type != "select" || len(sel.Labels) < 2 {
			continue
		}
		data := func() string { c := chart(); return c.Title + string(c.Series[0].Data) }
		old := data()
		other := (sel.Start + 1) % len(sel.Labels)
		if err := b.Choose(fmt.Sprintf(`%s [data-kvw-control="%d"]`, root, c), fmt.Sprint(other)); err != nil {
			t.Fatal(err)
		}
		if data() == old {
			t.Errorf("choosing %q did not change the chart", sel.Labels[other])
		}
		if markerX() != ctl.Values[want] {
			t.Error("marker lost after the select changed")
		}
		break
	}
	// How long one move takes in the page (handler + setOption), for the report.
	var ms float64
	if err := b.Eval(`(() => { const s = document.querySelector('`+sliderSel+`');
		const t0 = performance.now(); s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true}));
		return performance.now() - t0; })()`, &ms); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: one slider move redraws in %.1f ms in the page", name, ms)
	// Focused, the slider follows the arrow keys (one step each).
	if err := b.PressKeys(sliderSel, strings.Repeat(browsertest.ArrowRight, want)); err != nil {
		t.Fatal(err)
	}
	if x := markerX(); x != ctl.Values[want] {
		t.Errorf("after %d arrow keys from 0 the marker is at %v, want %v", want, x, ctl.Values[want])
	}
	time.Sleep(300 * time.Millisecond)
	shot := filepath.Join(shots, name+"-explorer.png")
	if err := b.ScreenshotElement(root, shot); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", shot)
}

func checkClean(t *testing.T, b *browsertest.Browser, allowOffsite bool) {
	t.Helper()
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("JavaScript exceptions: %q", ex)
	}
	if off := b.OffsiteRequests(); len(off) > 0 {
		if allowOffsite {
			t.Logf("offsite requests (failed, network off): %q", off)
		} else {
			t.Errorf("page tried the network: %q", off)
		}
	}
}

func TestBrowserStandalonePage(t *testing.T) {
	b := startBrowser(t)
	dir := t.TempDir()
	models := []string{"GPT-2", "LLaMA-3-8B", "LLaMA-3-70B"}
	tb := report.Table{Title: "KV cache per token (fp16)", Columns: []report.Column{{Name: "Model"}, {Name: "KV/token", Unit: "KiB"}}}
	tb.AddRow("LLaMA-3-70B", "320")
	page := NewPage("Widgets standalone check").
		Heading("Explorer").Add(demoExplorer()).
		Heading("Chart and table").
		Add(NewChart(NewBarChart("KV cache per token", "Model", Axis{Name: "KV per token", Unit: "KiB"}, models).
			Series("fp16", []float64{36, 128, 320})).Height("320px"), NewTable(tb))
	path := filepath.Join(dir, "page.html")
	if err := page.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	checkPage(t, b, "file://"+path, 2, "standalone", false)
}

// checkPage opens url, waits for n charts, checks that each is readable
// (title, axis names, a real size), takes a screenshot, works the first
// explorer and checks for exceptions and network use.
func checkPage(t *testing.T, b *browsertest.Browser, url string, n int, name string, allowOffsite bool) {
	t.Helper()
	if err := b.Open(url); err != nil {
		t.Fatal(err)
	}
	cs, err := b.WaitCharts(n, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Title == "" || c.XName == "" || c.YName == "" || c.Width < 300 || c.Height < 200 {
			t.Errorf("chart %s not readable: %+v", c.ID, c)
		}
	}
	shots := screenshotDir(t)
	if err := b.Screenshot(filepath.Join(shots, name+".png")); err != nil {
		t.Fatal(err)
	}
	checkExplorer(t, b, shots, name)
	checkClean(t, b, allowOffsite)
}

func TestBrowserMissingSetupSaysSo(t *testing.T) {
	b := startBrowser(t)
	path := filepath.Join(t.TempDir(), "bare.html")
	html := `<!DOCTYPE html><html><head><meta charset="utf-8"><script>window.kvwidgetsWaitMs = 300</script></head><body>` +
		NewChart(sampleLine("orphan", 1)).Render() + `</body></html>`
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Open("file://" + path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(800 * time.Millisecond)
	var status string
	if err := b.Eval(`document.querySelector('.kvw-status').textContent`, &status); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "notebook.Setup()") {
		t.Errorf("status without the library: %q", status)
	}
	checkClean(t, b, false)
}

// venvBin is a program from the venv `make setup` builds, or a skip.
func venvBin(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), ".build", "venv", "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s missing (run make setup)", p)
	}
	return p
}

// exportHTML converts a notebook to HTML with nbconvert, the exporter behind
// JupyterLab's File > Save and Export Notebook As > HTML (unsanitized).
func exportHTML(t *testing.T, nbconvert, notebook, outDir string) string {
	t.Helper()
	return exportAs(t, nbconvert, notebook, outDir, "html")
}

// exportAs converts a notebook with nbconvert's exporter format, plus flags.
func exportAs(t *testing.T, nbconvert, notebook, outDir, format string, flags ...string) string {
	t.Helper()
	args := append([]string{"--to", format, "--output-dir", outDir}, flags...)
	cmd := exec.Command(nbconvert, append(args, notebook)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		if strings.Contains(string(out), "Unknown exporter") {
			t.Skipf("nbconvert has no %s exporter: run make setup (it installs tools/kvcache_export)", format)
		}
		t.Fatalf("nbconvert --to %s: %v\n%s", format, err, out)
	}
	return filepath.Join(outDir, strings.TrimSuffix(filepath.Base(notebook), ".ipynb")+".html")
}

// notebookOf writes a notebook whose cells hold the given HTML outputs, as a
// GoNB kernel would have saved them.
func notebookOf(t *testing.T, path string, outputs ...string) {
	t.Helper()
	type output struct {
		OutputType string            `json:"output_type"`
		Data       map[string]string `json:"data"`
		Metadata   map[string]any    `json:"metadata"`
	}
	type cell struct {
		CellType       string   `json:"cell_type"`
		ExecutionCount int      `json:"execution_count"`
		ID             string   `json:"id"`
		Metadata       struct{} `json:"metadata"`
		Source         []string `json:"source"`
		Outputs        []output `json:"outputs"`
	}
	var cells []cell
	for i, html := range outputs {
		cells = append(cells, cell{CellType: "code", ExecutionCount: i + 1, ID: fmt.Sprintf("cell%d", i),
			Source:  []string{fmt.Sprintf("// cell %d", i)},
			Outputs: []output{{OutputType: "display_data", Data: map[string]string{"text/html": html}, Metadata: map[string]any{}}}})
	}
	nb := map[string]any{"cells": cells, "nbformat": 4, "nbformat_minor": 5,
		"metadata": map[string]any{"kernelspec": map[string]string{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}}}
	data, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserExportedNotebook(t *testing.T) {
	nbconvert := venvBin(t, "jupyter-nbconvert")
	b := startBrowser(t)
	dir := t.TempDir()
	html := exportHTML(t, nbconvert, syntheticNotebook(t, dir), dir)
	// nbconvert's template asks a CDN for require.js and MathJax; offline they fail, harmlessly.
	checkPage(t, b, "file://"+html, 3, "synthetic-export", true)
}

// TestBrowserDemoNotebookExport checks widgets/testdata/demo.ipynb as
// tests/run_notebooks.py executed it (into .build/executed/demo.ipynb).
func TestBrowserDemoNotebookExport(t *testing.T) {
	nbconvert := venvBin(t, "jupyter-nbconvert")
	executed := filepath.Join(repoRoot(t), ".build", "executed", "demo.ipynb")
	info, err := os.Stat(executed)
	if err != nil {
		t.Skipf("%s missing: run .build/venv/bin/python tests/run_notebooks.py widgets/testdata/demo.ipynb", executed)
	}
	if newest := newestSource(t); newest.After(info.ModTime()) {
		t.Skipf("%s is older than the widgets sources: run tests/run_notebooks.py widgets/testdata/demo.ipynb again", executed)
	}
	b := startBrowser(t)
	html := exportHTML(t, nbconvert, executed, t.TempDir())
	checkPage(t, b, "file://"+html, 3, "demo-export", true) // bar, explorer, live
}

// newestSource is the newest modification time among this package's files.
func newestSource(t *testing.T) time.Time {
	var newest time.Time
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "_test.go") || strings.HasPrefix(path, "assets/node_modules") {
			return nil
		}
		if info, err := d.Info(); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return newest
}

// Online, nbconvert's template loads require.js before the outputs: an AMD
// loader is on the page. ECharts must still land on window.echarts.
func TestBrowserWithAMDLoader(t *testing.T) {
	b := startBrowser(t)
	setup, err := SetupHTML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "amd.html")
	html := `<!DOCTYPE html><html><head><meta charset="utf-8"><script>
		window.define = function () { window.amdDefineCalls = (window.amdDefineCalls || 0) + 1; };
		window.define.amd = {}; window.module = {}; window.exports = {};</script></head><body>` +
		setup + NewChart(sampleLine("with a loader", 1)).Render() + `</body></html>`
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Open("file://" + path); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitCharts(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var calls int
	if err := b.Eval(`window.amdDefineCalls || 0`, &calls); err != nil || calls != 0 {
		t.Errorf("ECharts registered with the AMD loader %d times (%v)", calls, err)
	}
	checkClean(t, b, false)
}

// syntheticNotebook writes a notebook with the setup, an explorer, a chart,
// a live chart and a table, as a GoNB kernel would have saved them.
func syntheticNotebook(t *testing.T, dir string) string {
	t.Helper()
	setup, err := SetupHTML()
	if err != nil {
		t.Fatal(err)
	}
	live := NewLiveChart(nil)
	for n := 1; n <= 20; n++ {
		xs, ys := make([]float64, n), make([]float64, n)
		for i := range xs {
			xs[i], ys[i] = float64(i+1), 0.5*float64(i+1)
		}
		if err := live.Update(NewLineChart("Live measurement", Axis{Name: "Step"}, Axis{Name: "Time", Unit: "ms"}).Series("decode", xs, ys)); err != nil {
			t.Fatal(err)
		}
	}
	if err := live.Done(); err != nil {
		t.Fatal(err)
	}
	tb := report.Table{Title: "KV cache per token", Columns: []report.Column{{Name: "model"}, {Name: "KV/token", Unit: "KiB"}}}
	tb.AddRow("llama3-70b", "320")
	nb := filepath.Join(dir, "synthetic.ipynb")
	notebookOf(t, nb, setup, demoExplorer().Render(), NewChart(sampleLine("Plain chart", 2)).Render(), live.Render(), NewTable(tb).Render())
	return nb
}

// TestBrowserSanitizedExport is the export JupyterLab makes by default
// (File > Save and Export Notebook As > HTML, "Sanitize HTML output"
// ticked): no chart can draw, but the page must show no code, no chart data
// and no raw tags from the widgets, and each widget's place must say in one
// line what happened and how to get the chart.
func TestBrowserSanitizedExport(t *testing.T) {
	nbconvert := venvBin(t, "jupyter-nbconvert")
	b := startBrowser(t)
	dir := t.TempDir()
	html := exportAs(t, nbconvert, syntheticNotebook(t, dir), dir, "html", "--HTMLExporter.sanitize_html=True")
	if err := b.Open("file://" + html); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Text  string
		Roots []string
		Setup string
		Cells int
	}
	if err := b.Eval(`({Text: document.body.innerText,
		Roots: Array.from(document.querySelectorAll('.kvw-root')).map(r => r.innerText.trim()),
		Setup: (document.querySelector('.kvw-setup') || {innerText: ''}).innerText.trim(),
		Cells: document.querySelectorAll('.kvw-table .kvsim-cell').length})`, &page); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "window.echarts", "getInstanceByDom", "function(", "kvwidgets", `"series"`, "<style", ".kvsim-table", "<th", "<input", "<select", "<tbody", "<table", "<span", "<div"} {
		if strings.Contains(page.Text, bad) {
			i := strings.Index(page.Text, bad)
			t.Errorf("the sanitized page shows %q as text: ...%s...", bad, page.Text[max(0, i-80):min(len(page.Text), i+80)])
		}
	}
	if len(page.Roots) != 3 { // the explorer, the chart, the live chart (the table is no .kvw-root)
		t.Fatalf("%d widgets on the page, want 3", len(page.Roots))
	}
	for _, r := range page.Roots {
		if strings.Count(r, "\n") > 0 || !strings.Contains(r, "removed by sanitizing") || !strings.Contains(r, ExportMenu) {
			t.Errorf("a widget's place reads %q; want one line saying it was removed by sanitizing and naming %s", r, ExportMenu)
		}
	}
	if !strings.Contains(page.Setup, ExportMenu) {
		t.Errorf("the setup's place reads %q", page.Setup)
	}
	if page.Cells != 4 {
		t.Errorf("the table shows %d cells, want 4 (it needs no script)", page.Cells)
	}
	if err := b.Screenshot(filepath.Join(screenshotDir(t), "sanitized-export.png")); err != nil {
		t.Fatal(err)
	}
	checkClean(t, b, true)
}

// TestBrowserKVCacheExporter is the export README names: the kvcache_html
// exporter of tools/kvcache_export draws every chart with the network off,
// asks nothing of the network and logs no console message.
func TestBrowserKVCacheExporter(t *testing.T) {
	nbconvert := venvBin(t, "jupyter-nbconvert")
	b := startBrowser(t)
	dir := t.TempDir()
	html := exportAs(t, nbconvert, syntheticNotebook(t, dir), dir, "kvcache_html")
	checkPage(t, b, "file://"+html, 3, "kvcache-html-export", false)
	if msgs := b.Console(); len(msgs) > 0 {
		t.Errorf("console messages: %q", msgs)
	}
}
