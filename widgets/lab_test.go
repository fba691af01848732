package widgets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kvcache/widgets/browsertest"
)

// TestBrowserJupyterLab runs the demo notebook in a real JupyterLab (GoNB
// kernel) driven by headless Chromium, then opens its headless-executed copy
// as an untrusted notebook. It takes about a minute, so it runs only with
// KVCACHE_LAB_TEST=1 (and `make setup` done):
//
//	KVCACHE_LAB_TEST=1 go test ./widgets -run JupyterLab -v
func TestBrowserJupyterLab(t *testing.T) {
	if os.Getenv("KVCACHE_LAB_TEST") != "1" {
		t.Skip("set KVCACHE_LAB_TEST=1 to run the notebook in JupyterLab")
	}
	jupyter := venvBin(t, "jupyter")
	repo := repoRoot(t)
	b := startBrowser(t)

	// The notebook's first cell finds the repository two folders up.
	root := filepath.Join(repo, ".build", "lab")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(repo, "widgets", "testdata", "demo.ipynb"), filepath.Join(root, "demo.ipynb"))
	lab, err := browsertest.StartLab(browsertest.LabConfig{
		Jupyter: jupyter, RootDir: root,
		JupyterPath: filepath.Join(repo, ".build", "jupyter"),
		PathDirs:    []string{filepath.Join(repo, ".build", "bin"), filepath.Join(repo, ".build", "venv", "bin")},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Stop)
	shots := screenshotDir(t)

	if err := b.Open(lab.Open("demo.ipynb")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b, browsertest.KernelConnectedJS("demo.ipynb"), 90*time.Second, lab)
	start := time.Now()
	if err := b.Eval(`(jupyterapp.commands.execute('notebook:run-all-cells'), true)`, nil); err != nil {
		t.Fatal(err)
	}
	// The live chart grows in place while its cell runs: watch its point count.
	seen := map[int]bool{}
	for time.Since(start) < 120*time.Second && !seen[40] {
		var n int
		if err := b.Eval(`(() => { for (const el of document.querySelectorAll('.kvw-chart')) {
			const c = window.echarts && echarts.getInstanceByDom(el); if (!c) continue;
			const o = c.getOption(); if (o.title[0].text === 'Simulated decode step time') return o.series[0].data.length; }
			return 0; })()`, &n); err == nil && n > 0 {
			seen[n] = true
		}
		time.Sleep(30 * time.Millisecond)
	}
	t.Logf("live chart point counts seen while its cell ran: %v", seen)
	if len(seen) < 3 || !seen[40] {
		t.Errorf("live chart did not grow in place to 40 points: saw %v", seen)
	}
	waitJS(t, b, browsertest.AllCellsRanJS("demo.ipynb"), 240*time.Second, lab)
	t.Logf("all cells ran in JupyterLab in %.1f s", time.Since(start).Seconds())
	var errs []string
	if err := b.Eval(`Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map(e => e.textContent)`, &errs); err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		if strings.Contains(e, "panic") || strings.Contains(e, "rror") {
			t.Errorf("stderr in the lab: %s", e)
		}
	}
	// Charts draw as their cells come into view.
	for _, sel := range []string{`.kvw-root[data-kvw-kind="chart"]`, `.kvw-root[data-kvw-kind="explorer"]`} {
		if err := b.Eval(`document.querySelector('`+sel+`').scrollIntoView(), true`, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	cs, err := b.WaitCharts(2, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		t.Logf("lab chart %q: %dx%d, %d series", c.Title, c.Width, c.Height, len(c.Series))
	}
	if err := b.ScreenshotElement(`.jp-NotebookPanel`, filepath.Join(shots, "lab-notebook.png")); err != nil {
		t.Fatal(err)
	}
	checkExplorer(t, b, shots, "lab")
	var outputs int
	if err := b.Eval(`document.querySelectorAll('.kvw-root[data-kvw-kind="explorer"]').length`, &outputs); err != nil || outputs != 1 {
		t.Errorf("%d explorer outputs after moving controls, want 1 (%v)", outputs, err)
	}
	if err := b.Eval(`(() => { const r = document.querySelectorAll('.kvw-root[data-kvw-kind="chart"]'); r[r.length-1].scrollIntoView(); return true; })()`, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := b.ScreenshotElement(`.jp-NotebookPanel`, filepath.Join(shots, "lab-live.png")); err != nil {
		t.Fatal(err)
	}

	// Saved by the lab, the notebook is signed: reopened, its outputs are
	// trusted and the charts draw again with no cell run.
	if err := b.Eval(`jupyterapp.commands.execute('docmanager:save').then(() => true)`, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Open(lab.Open("demo.ipynb")); err != nil {
		t.Fatal(err)
	}
	waitJS(t, b, `document.querySelectorAll('.kvw-root').length >= 3`, 60*time.Second, lab)
	if err := b.Eval(`document.querySelector('.kvw-root[data-kvw-kind="explorer"]').scrollIntoView(), true`, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitCharts(1, 30*time.Second); err != nil {
		t.Errorf("reopened saved notebook: %v", err)
	}
	if err := b.ScreenshotElement(`.jp-NotebookPanel`, filepath.Join(shots, "lab-reopened.png")); err != nil {
		t.Fatal(err)
	}

	// A notebook saved elsewhere (here: by nbconvert) opens untrusted: JupyterLab
	// strips the scripts, so each chart says why it is not drawn.
	executed := filepath.Join(repo, ".build", "executed", "demo.ipynb")
	if _, err := os.Stat(executed); err != nil {
		t.Logf("no %s: untrusted check skipped", executed)
		return
	}
	copyFile(t, executed, filepath.Join(root, "untrusted.ipynb"))
	if err := b.Eval(`jupyterapp.commands.execute('docmanager:open', {path: 'untrusted.ipynb'}).then(() => true)`, nil); err != nil {
		t.Fatal(err)
	}
	untrusted := browsertest.NotebookJS("untrusted.ipynb")
	waitJS(t, b, untrusted+`.node.querySelectorAll('.kvw-status').length >= 3`, 60*time.Second, lab)
	var status []string
	if err := b.Eval(`Array.from(`+untrusted+`.node.querySelectorAll('.kvw-status')).map(e => e.textContent)`, &status); err != nil {
		t.Fatal(err)
	}
	for _, s := range status {
		if !strings.Contains(s, "trust the notebook") {
			t.Errorf("untrusted chart says %q", s)
		}
	}
	t.Logf("untrusted notebook: %d charts show: %q", len(status), status[0])
	// The sanitizer drops data-* attributes, so find the explorer by its status line.
	if err := b.Eval(untrusted+`.node.querySelectorAll('.kvw-status')[1].scrollIntoView(), true`, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := b.ScreenshotElement(`.jp-NotebookPanel:not(.lm-mod-hidden)`, filepath.Join(shots, "lab-untrusted.png")); err != nil {
		t.Fatal(err)
	}
}

func waitJS(t *testing.T, b *browsertest.Browser, cond string, timeout time.Duration, lab *browsertest.Lab) {
	t.Helper()
	if err := b.Wait(cond, timeout, lab); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
