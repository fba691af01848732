package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"kvcache/widgets/browsertest"
)

// notebook is the notebook under test; KVCACHE_E2E_NOTEBOOK overrides it
// (a path relative to the repository), e.g. to try the harness on another.
func notebook() string {
	if nb := os.Getenv("KVCACHE_E2E_NOTEBOOK"); nb != "" {
		return nb
	}
	return "notebooks/kvcache.ipynb"
}

// TestNotebookWorkflow is the user's path: open the notebook in JupyterLab,
// run all, move the controls, save, then export twice through the real
// menu, as README says and as a user who does not read it would:
//
//   - File > Save and Export Notebook As > HTML, whose dialog ticks
//     "Sanitize HTML output": the page must show no code and say, in each
//     chart's place, that sanitizing removed the chart and how to get it;
//   - File > Save and Export Notebook As > Kvcache_html (no dialog): with the
//     network off every chart draws, every control redraws its charts, and
//     the console stays empty. Each control's redraw time is logged (p95).
func TestNotebookWorkflow(t *testing.T) {
	if os.Getenv("KVCACHE_E2E") != "1" {
		t.Skip("browser workflow runs with KVCACHE_E2E=1 (make test sets it after make setup)")
	}
	repo := repoRoot(t)
	for _, p := range []string{".build/venv/bin/jupyter", ".build/bin/gonb", ".build/jupyter/kernels/gonb/kernel.json"} {
		if _, err := os.Stat(filepath.Join(repo, p)); err != nil {
			t.Fatalf("%s is missing: run `make setup` first", p)
		}
	}
	b, err := browsertest.Start()
	if err != nil {
		t.Fatalf("%v (the browser test needs Chromium)", err)
	}
	t.Cleanup(b.Close)
	shots := filepath.Join(repo, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// A scratch copy: the test saves it. KVCACHE_ROOT tells its setup cell
	// where this repository's go.mod is.
	root := t.TempDir()
	name := filepath.Base(notebook())
	copyFile(t, filepath.Join(repo, notebook()), filepath.Join(root, name))
	t.Setenv("KVCACHE_ROOT", repo)
	flags, err := exec.Command("make", "-s", "--no-print-directory", "-C", repo, "lab-flags").Output()
	if err != nil {
		t.Fatalf("make lab-flags: %v", err)
	}
	lab, err := browsertest.StartLab(browsertest.LabConfig{
		Jupyter: filepath.Join(repo, ".build", "venv", "bin", "jupyter"), RootDir: root,
		JupyterPath: filepath.Join(repo, ".build", "jupyter"),
		PathDirs:    []string{filepath.Join(repo, ".build", "bin"), filepath.Join(repo, ".build", "venv", "bin")},
		Args:        strings.Fields(string(flags)), // as make lab starts it
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Stop)

	if err := b.Open(lab.Open(name)); err != nil {
		t.Fatal(err)
	}
	wait(t, b, lab, 90*time.Second, browsertest.KernelConnectedJS(name))
	checkKernelIdle(t, b, lab, name, shots)
	start := time.Now()
	// Not awaited: the command's promise resolves only when every cell ran.
	if err := b.Eval(`(jupyterapp.commands.execute('notebook:run-all-cells'), true)`, nil); err != nil {
		t.Fatal(err)
	}
	wait(t, b, lab, 6*time.Minute, browsertest.AllCellsRanJS(name))
	t.Logf("run all in JupyterLab: %.1f s", time.Since(start).Seconds())
	if err := b.ScreenshotElement(`.jp-NotebookPanel`, filepath.Join(shots, "lab-run-all.png")); err != nil {
		t.Fatal(err)
	}

	readmeShot(t, b)
	checkOneWidgetPerRun(t, b)
	checkControls(t, b, shots, "lab")

	command(t, b, "docmanager:save")
	saved := filepath.Join(root, name)
	waitSaved(t, saved)
	checkNoErrorOutputs(t, saved)
	if info, err := os.Stat(saved); err == nil {
		t.Logf("executed notebook saved by JupyterLab: %.2f MB", float64(info.Size())/1e6)
	}

	if err := b.AllowDownloads(filepath.Join(root, "downloads")); err != nil {
		t.Fatal(err)
	}
	sanitized := exportFromMenu(t, b, "HTML", true)
	offline := exportFromMenu(t, b, "Kvcache_html", false)
	base := strings.TrimSuffix(name, ".ipynb")
	keep := func(d browsertest.Download, as string) string { // kept for a look
		p := filepath.Join(shots, as)
		copyFile(t, d.Path, p)
		info, _ := os.Stat(p)
		t.Logf("%s: downloaded as %s, %.2f MB, kept as %s", d.URL, d.Suggested, float64(info.Size())/1e6, p)
		return p
	}
	sanitizedPath := keep(sanitized, base+"-sanitized.html")
	offlinePath := keep(offline, base+".html")

	b.ClearLogs()
	checkSanitized(t, b, sanitizedPath, shots)

	b.ClearLogs()
	if err := b.Open("file://" + offlinePath); err != nil {
		t.Fatal(err)
	}
	checkControls(t, b, shots, "export")
	if err := b.Screenshot(filepath.Join(shots, "exported-html.png")); err != nil {
		t.Fatal(err)
	}
	redrawTimes(t, b, shots)
	for _, m := range b.Console() {
		t.Errorf("console message in the Kvcache_html export: %.300s", m)
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("JavaScript exceptions:\n  %s", strings.Join(ex, "\n  "))
	}
	if off := b.OffsiteRequests(); len(off) > 0 {
		t.Errorf("the Kvcache_html export asked the network for %q", off)
	}
}

// checkOneWidgetPerRun: the cell that draws a measurement live shows, once
// it ran, the finished run's figure in the live chart's place, not both.
func checkOneWidgetPerRun(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	var n []int
	if err := b.Eval(`Array.from(jupyterapp.shell.currentWidget.content.widgets)
		.filter(c => c.model.type === 'code' && /NewLiveLatency/.test(c.model.sharedModel.getSource()))
		.map(c => c.node.querySelectorAll('.kvw-root').length)`, &n); err != nil {
		t.Fatal(err)
	}
	for _, k := range n {
		if k != 1 {
			t.Errorf("the live measurement's cell shows %d widgets after its run, want 1 (the figure in the live chart's place)", k)
		}
	}
}

// readmeShot saves the picture README opens with (make screenshot): the
// notebook panel scrolled to the cache-size explorer, as a reader sees it
// after Run All. It runs only when KVCACHE_README_SHOT names the file.
func readmeShot(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	path := os.Getenv("KVCACHE_README_SHOT")
	if path == "" {
		return
	}
	if err := b.Eval(`(async () => {
		jupyterapp.shell.collapseLeft();
		const nb = jupyterapp.shell.currentWidget.content;
		const i = nb.widgets.findIndex(c => c.model.type === 'code' && /CacheSize/.test(c.model.sharedModel.getSource()));
		nb.activeCellIndex = i;
		await nb.scrollToCell(nb.widgets[i], 'start');
		await new Promise(r => setTimeout(r, 2000));
		return true; })()`, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.ScreenshotElement(`.jp-NotebookPanel`, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("README screenshot: %s", path)
}

// command runs a JupyterLab command, as its menu entry or shortcut would
// (the lab exposes the app to the page for tests, as Galata does).
func command(t *testing.T, b *browsertest.Browser, id string) {
	t.Helper()
	if err := b.Eval(`jupyterapp.commands.execute('`+id+`').then(() => true)`, nil); err != nil {
		t.Fatalf("command %s: %v", id, err)
	}
}

// wait polls a JavaScript condition, failing the test on timeout.
func wait(t *testing.T, b *browsertest.Browser, lab *browsertest.Lab, limit time.Duration, cond string) {
	t.Helper()
	if err := b.Wait(cond, limit, lab); err != nil {
		t.Fatal(err)
	}
}

// waitSaved waits until the file on disk holds outputs.
func waitSaved(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if nb, err := readNotebook(path); err == nil && nb.outputs() > 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s was not saved with outputs within 30 s", path)
}

func checkNoErrorOutputs(t *testing.T, path string) {
	t.Helper()
	nb, err := readNotebook(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				t.Errorf("cell %d has an error output: %s: %s", i, o.EName, o.EValue)
			}
			if o.OutputType == "stream" && o.Name == "stderr" && strings.Contains(o.text(), "panic") {
				t.Errorf("cell %d panicked: %.300s", i, o.text())
			}
		}
	}
}

type savedNotebook struct {
	Cells []struct {
		Outputs []savedOutput `json:"outputs"`
	} `json:"cells"`
}

type savedOutput struct {
	OutputType string          `json:"output_type"`
	Name       string          `json:"name"`
	EName      string          `json:"ename"`
	EValue     string          `json:"evalue"`
	Text       json.RawMessage `json:"text"`
}

// text joins a stream output's text, stored as a string or a list of lines.
func (o savedOutput) text() string {
	var s string
	if json.Unmarshal(o.Text, &s) == nil {
		return s
	}
	var lines []string
	_ = json.Unmarshal(o.Text, &lines)
	return strings.Join(lines, "")
}

func (nb savedNotebook) outputs() int {
	n := 0
	for _, c := range nb.Cells {
		n += len(c.Outputs)
	}
	return n
}

func readNotebook(path string) (savedNotebook, error) {
	var nb savedNotebook
	data, err := os.ReadFile(path)
	if err != nil {
		return nb, err
	}
	if err := json.Unmarshal(data, &nb); err != nil {
		return nb, fmt.Errorf("%s: %w", path, err)
	}
	return nb, nil
}

func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
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
