package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

const notebook = "notebooks/kvcache.ipynb"

func skipUnlessE2E(t *testing.T) {
	if os.Getenv("KVCACHE_E2E") != "1" {
		t.Skip("browser tests run with KVCACHE_E2E=1 (make test does this after make setup)")
	}
}

// TestNotebookWorkflow is the user's path: open the notebook in JupyterLab,
// run all, move the controls, export as HTML, open the export offline.
func TestNotebookWorkflow(t *testing.T) {
	skipUnlessE2E(t)
	l := startLab(t, notebook)
	b := newBrowser(t)
	ctx := b.tab(t, "jupyterlab")

	name := filepath.Base(notebook)
	run(t, ctx, 90*time.Second, "opening the notebook in JupyterLab",
		chromedp.Navigate(l.url+"/lab/tree/"+name+"?token="+l.token),
		chromedp.WaitVisible(`.jp-NotebookPanel .jp-Cell`, chromedp.ByQuery))
	waitFor(t, ctx, 90*time.Second, "the GoNB kernel to be connected", kernelReadyJS)

	command(t, ctx, "notebook:run-all-cells")
	waitFor(t, ctx, 8*time.Minute, "every cell to finish", allCellsDoneJS)
	screenshot(t, ctx, "jupyterlab-run-all")

	checkControls(t, ctx, "JupyterLab")

	command(t, ctx, "docmanager:save")
	saved := filepath.Join(l.rootDir, name)
	waitForSavedOutputs(t, saved)
	checkNoErrorOutputs(t, saved)

	export := l.get(t, ctx, "/nbconvert/html/"+name+"?download=true")
	exported := filepath.Join(t.TempDir(), strings.TrimSuffix(name, ".ipynb")+".html")
	if err := os.WriteFile(exported, export, 0o644); err != nil {
		t.Fatal(err)
	}

	offline := b.tab(t, "exported-html")
	run(t, offline, 30*time.Second, "cutting the network",
		network.Enable(),
		network.EmulateNetworkConditions(true, 0, 0, 0),
		network.SetBlockedURLs([]string{"http://*", "https://*", "ws://*", "wss://*"}))
	run(t, offline, 60*time.Second, "opening the exported HTML offline",
		chromedp.Navigate(fileURL(exported)),
		chromedp.WaitReady("body", chromedp.ByQuery))
	checkControls(t, offline, "exported HTML")
	screenshot(t, offline, "exported-html")

	if errs := b.jsErrors(); len(errs) > 0 {
		t.Errorf("JS errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// kernelReadyJS is true once the status bar names the GoNB kernel and it is
// no longer starting or connecting.
const kernelReadyJS = `(() => {
  const items = [...document.querySelectorAll('.jp-StatusBar-Item')].map(e => e.textContent);
  return items.some(t => /Go \(gonb\) \| (Idle|Unknown)/.test(t));
})()`

// allCellsDoneJS is true when every code cell shows an execution count.
const allCellsDoneJS = `(() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\[\d+\]/.test(p.textContent));
})()`

// command runs a JupyterLab command, as its menu entry or shortcut would
// (the server exposes the app to the page for tests, as Galata does).
func command(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	var ok bool
	eval(t, ctx, `(async () => { await window.jupyterapp.commands.execute('`+id+`'); return true; })()`, &ok)
}

// waitForSavedOutputs waits until the saved file holds outputs.
func waitForSavedOutputs(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if nb, err := readNotebook(path); err == nil && nb.outputCount() > 0 {
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
		}
	}
}

type savedNotebook struct {
	Cells []struct {
		CellType string `json:"cell_type"`
		Outputs  []struct {
			OutputType string `json:"output_type"`
			EName      string `json:"ename"`
			EValue     string `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

func (nb savedNotebook) outputCount() int {
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
	err = json.Unmarshal(data, &nb)
	return nb, err
}
