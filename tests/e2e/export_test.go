package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"kvcache/widgets"
	"kvcache/widgets/browsertest"
)

// exportFromMenu exports the current notebook as a user does: File > Save
// and Export Notebook As > label. With dialog, JupyterLab must ask
// "Sanitize HTML output" (ticked); the test leaves the default and exports.
// Without, no dialog may appear. It returns the file the browser downloaded.
func exportFromMenu(t *testing.T, b *browsertest.Browser, label string, dialog bool) browsertest.Download {
	t.Helper()
	var open string
	if err := b.Eval(`(() => { const d = document.querySelector('.jp-Dialog'); return d ? d.innerText : ''; })()`, &open); err != nil {
		t.Fatal(err)
	}
	if open != "" {
		t.Fatalf("a dialog is open before exporting as %s: %q", label, open)
	}
	// Open File (a menu bar opens on the press; a retry covers a press the
	// lab was too busy to take), then the submenu, then the format.
	for try := 0; ; try++ {
		if err := b.ClickText(".lm-MenuBar-itemLabel", "File"); err != nil {
			t.Fatalf("exporting as %s: %v", label, err)
		}
		var shown bool
		if err := b.Wait(`Array.from(document.querySelectorAll('.lm-Menu-itemLabel')).some(e => e.offsetParent !== null && e.textContent.trim() === 'Save and Export Notebook As')`, 3*time.Second, nil); err == nil {
			shown = true
		}
		if shown {
			break
		}
		if try == 2 {
			t.Fatalf("exporting as %s: the File menu did not open after 3 clicks", label)
		}
		_ = b.Keys("\u001b") // Escape: close whatever half-opened
	}
	for _, item := range []string{"Save and Export Notebook As", label} {
		time.Sleep(300 * time.Millisecond)
		if err := b.ClickText(".lm-Menu-itemLabel", item); err != nil {
			t.Fatalf("exporting as %s: %v", label, err)
		}
	}
	time.Sleep(400 * time.Millisecond)
	var box struct {
		Open    bool
		Text    string
		Checked bool
	}
	read := func() {
		if err := b.Eval(`(() => { const d = document.querySelector('.jp-Dialog'); if (!d) return {Open: false};
			const c = d.querySelector('input[type=checkbox]');
			return {Open: true, Text: d.innerText, Checked: !!(c && c.checked)}; })()`, &box); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if dialog {
		if !box.Open || !strings.Contains(box.Text, "Sanitize HTML output") || !box.Checked {
			t.Fatalf("File > Save and Export Notebook As > %s: dialog %+v; want \"Sanitize HTML output\", ticked", label, box)
		}
		if err := b.ClickText(".jp-Dialog .jp-mod-accept", ""); err != nil {
			t.Fatal(err)
		}
	} else if box.Open {
		t.Fatalf("File > Save and Export Notebook As > %s opened a dialog: %q", label, box.Text)
	}
	d, err := b.WaitDownload(3 * time.Minute)
	if err != nil {
		t.Fatalf("exporting as %s: %v", label, err)
	}
	if strings.Contains(d.URL, "sanitize_html=true") != dialog {
		t.Errorf("export %s went to %s", label, d.URL)
	}
	return d
}

// checkSanitized opens the sanitized export with the network off: no chart
// can draw, and none of the widgets' code, data or tags may show as text;
// each widget's place is one line saying that sanitizing removed the
// chart and how to get it.
func checkSanitized(t *testing.T, b *browsertest.Browser, path, shots string) {
	t.Helper()
	if err := b.Open("file://" + path); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Text   string
		Roots  []string
		Setup  string
		Charts int
	}
	if err := b.Eval(`({Text: document.body.innerText,
		Roots: Array.from(document.querySelectorAll('.kvw-root')).map(r => r.innerText.trim()),
		Setup: (document.querySelector('.kvw-setup') || {innerText: ''}).innerText.trim(),
		Charts: document.querySelectorAll('canvas').length})`, &page); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "window.echarts", "getInstanceByDom", "function(", "kvwidgets", `"series"`, `"options"`, "<style", ".kvsim-table", "<input", "<select", "<tbody", "<table", "<span", "<div"} {
		if i := strings.Index(page.Text, bad); i >= 0 {
			t.Errorf("the sanitized export shows %q as text: ...%s...", bad, page.Text[max(0, i-80):min(len(page.Text), i+80)])
		}
	}
	if len(page.Roots) == 0 || page.Charts != 0 {
		t.Errorf("sanitized export: %d widgets, %d canvases (want widgets, no canvas)", len(page.Roots), page.Charts)
	}
	for _, r := range page.Roots {
		if strings.Contains(r, "\n") || !strings.Contains(r, "removed by sanitizing") || !strings.Contains(r, widgets.ExportMenu) {
			t.Errorf("a chart's place in the sanitized export reads %q; want one line naming %s", r, widgets.ExportMenu)
		}
	}
	if !strings.Contains(page.Setup, widgets.ExportMenu) {
		t.Errorf("the setup's place in the sanitized export reads %q", page.Setup)
	}
	t.Logf("sanitized export: %d charts' places each read one line, e.g. %q", len(page.Roots), first(page.Roots))
	if err := b.Screenshot(filepath.Join(shots, "export-sanitized.png")); err != nil {
		t.Fatal(err)
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("JavaScript exceptions in the sanitized export: %q", ex)
	}
}

func first(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[0]
}

// redrawJS moves one control through positions and times each move, from
// the event to the frame after the charts redrew (ECharts paints in its
// animation frame, before this one's callback).
const redrawJS = `(async (id, positions) => {
  const el = document.getElementById(id), times = [];
  for (const p of positions) {
    const t0 = performance.now();
    el.value = String(p);
    el.dispatchEvent(new Event('change', {bubbles: true}));
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
    times.push(performance.now() - t0);
  }
  return times;
})`

// redrawTimes moves every control of the page through at least 20
// positions and logs each control's 95th percentile redraw time, and all
// of them in screenshots/redraw.json. It is a measurement, not a test: a
// busy machine is slower, and no bound is asserted.
func redrawTimes(t *testing.T, b *browsertest.Browser, shots string) {
	t.Helper()
	var controls []struct {
		ID, Key, Kind string
		Positions     int
	}
	if err := b.Eval(`Array.from(document.querySelectorAll('.kvw-root [data-kvw-control]')).map(c => ({
		ID: c.id, Key: c.getAttribute('data-kvw-key'), Kind: c.tagName === 'SELECT' ? 'select' : 'slider',
		Positions: c.tagName === 'SELECT' ? c.options.length : +c.max + 1}))`, &controls); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Control string    `json:"control"`
		Moves   int       `json:"moves"`
		P50ms   float64   `json:"p50_ms"`
		P95ms   float64   `json:"p95_ms"`
		MaxMs   float64   `json:"max_ms"`
		CPUms   float64   `json:"cpu_ms_per_move"` // Chromium's processor time per move (10 ms ticks over the moves)
		Times   []float64 `json:"times_ms"`
	}
	var all []float64
	var out []result
	for _, c := range controls {
		if c.Positions < 2 {
			continue
		}
		var seq []int
		for len(seq) < max(20, c.Positions) {
			for p := range c.Positions {
				seq = append(seq, (p+1)%c.Positions) // every position, starting away from 0
			}
		}
		if err := b.Eval(`document.getElementById('`+c.ID+`').scrollIntoView({block: 'center'}), true`, nil); err != nil {
			t.Fatal(err)
		}
		positions, _ := json.Marshal(seq)
		var times []float64
		cpu0, cpuErr := b.CPUTime()
		if err := b.Eval(redrawJS+`('`+c.ID+`', `+string(positions)+`)`, &times); err != nil {
			t.Fatal(err)
		}
		cpu1, err := b.CPUTime()
		all = append(all, times...)
		r := result{Control: c.Key + " (" + c.ID + ")", Moves: len(times), P50ms: quantile(times, 0.5), P95ms: quantile(times, 0.95), MaxMs: quantile(times, 1), Times: times}
		if cpuErr == nil && err == nil {
			r.CPUms = float64((cpu1 - cpu0).Microseconds()) / 1e3 / float64(len(times))
		}
		out = append(out, r)
		t.Logf("redraw in the export, %s %s: p50 %.1f ms, p95 %.1f ms, max %.1f ms over %d moves; Chromium's CPU %.1f ms per move", c.Kind, r.Control, r.P50ms, r.P95ms, r.MaxMs, r.Moves, r.CPUms)
	}
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("redraw in the export, every control: p95 %.1f ms over %d moves (worst control p95 %.1f ms); load average %s",
		quantile(all, 0.95), len(all), worst(out, func(r result) float64 { return r.P95ms }), strings.Fields(string(load) + " ?")[0])
	data, _ := json.MarshalIndent(out, "", " ")
	if err := os.WriteFile(filepath.Join(shots, "redraw.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func worst[R any](rs []R, f func(R) float64) float64 {
	w := 0.0
	for _, r := range rs {
		w = math.Max(w, f(r))
	}
	return w
}

// quantile is the q-quantile of xs (nearest rank).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// checkKernelIdle reads, a few seconds after the notebook opened and before
// any cell ran, the kernel status JupyterLab shows (toolbar and status bar).
// Once in a dozen CI runs the page received no status after opening (most
// likely lost around jupyter_server's connection check, its nudge) and
// showed Unknown until a cell ran; a reload shows Idle. So one reload is
// allowed, logged; Unknown after it fails the test.
func checkKernelIdle(t *testing.T, b *browsertest.Browser, lab *browsertest.Lab, name, shots string) {
	t.Helper()
	st, ok := kernelIdleWithin(t, b, name, 30*time.Second)
	if !ok {
		t.Logf("kernel status %q (display %q, toolbar %q) 30 s after the notebook opened; reloading the page once", st.Status, st.Display, st.Toolbar)
		if err := b.Eval(`(location.reload(), true)`, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		wait(t, b, lab, 90*time.Second, browsertest.KernelConnectedJS(name))
		st, ok = kernelIdleWithin(t, b, name, 30*time.Second)
	}
	if err := b.ScreenshotElement(`.jp-NotebookPanel`, filepath.Join(shots, "lab-opened.png")); err != nil {
		t.Logf("screenshot: %v", err)
	}
	if !ok {
		t.Errorf("kernel status %q (display %q, toolbar %q) 30 s after the notebook opened, and again after a reload; want idle", st.Status, st.Display, st.Toolbar)
		return
	}
	t.Logf("kernel after opening: %s (display %q, toolbar %q)", st.Status, st.Display, fmt.Sprint(st.Toolbar))
}

type kernelStatus struct {
	Status, Display, Toolbar string
}

// kernelIdleWithin polls the status JupyterLab shows until it reads idle.
func kernelIdleWithin(t *testing.T, b *browsertest.Browser, name string, limit time.Duration) (kernelStatus, bool) {
	t.Helper()
	var st kernelStatus
	deadline := time.Now().Add(limit)
	for {
		if err := b.Eval(`(() => { const w = `+browsertest.NotebookJS(name)+`; const k = w.sessionContext.session.kernel;
			const tb = w.node.querySelector('.jp-Notebook-ExecutionIndicator, .jp-KernelStatus, [data-jp-item-name="kernelStatus"]');
			return {Status: k.status, Display: w.sessionContext.kernelDisplayStatus, Toolbar: tb ? (tb.getAttribute('title') || tb.innerText || '') : ''}; })()`, &st); err != nil {
			t.Fatal(err)
		}
		if st.Status == "idle" {
			return st, true
		}
		if time.Now().After(deadline) {
			return st, false
		}
		time.Sleep(250 * time.Millisecond)
	}
}
