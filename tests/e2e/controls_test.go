package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"kvcache/widgets/browsertest"
)

// checkControls asserts that every chart on the page drew and that moving
// each explorer's sliders and pickers changes the data of its charts.
func checkControls(t *testing.T, b *browsertest.Browser, shots, where string) {
	t.Helper()
	// Widgets mount once their data is read (inflated when large): wait
	// until every one has, then count its charts.
	if err := b.Wait(`document.querySelectorAll('.kvw-root').length > 0 && document.querySelectorAll('.kvw-root:not([data-kvw-ready])').length === 0`, 60*time.Second, nil); err != nil {
		var status []string
		_ = b.Eval(`Array.from(document.querySelectorAll('.kvw-root:not([data-kvw-ready]) .kvw-status')).map(e => e.textContent)`, &status)
		t.Fatalf("%s: widgets not mounted: %v (status: %q)", where, err, status)
	}
	var want int
	if err := b.Eval(`document.querySelectorAll('.kvw-chart').length`, &want); err != nil {
		t.Fatal(err)
	}
	if want == 0 {
		t.Fatalf("%s: the page has no charts", where)
	}
	// Charts draw when their output is rendered; scroll each into view.
	if err := b.Eval(`(async () => { for (const el of document.querySelectorAll('.kvw-chart')) {
		el.scrollIntoView(); await new Promise(r => setTimeout(r, 50)); } return true; })()`, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitCharts(want, 60*time.Second); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var controls []struct {
		Root, ID, Kind string
		Max, Options   int
		Value          int
	}
	if err := b.Eval(`Array.from(document.querySelectorAll('.kvw-root [data-kvw-control]')).map(c => ({
		Root: c.closest('.kvw-root').id, ID: c.id, Kind: c.tagName === 'SELECT' ? 'select' : 'slider',
		Max: +(c.max || 0), Options: c.options ? c.options.length : 0, Value: +c.value}))`, &controls); err != nil {
		t.Fatal(err)
	}
	if len(controls) == 0 {
		t.Fatalf("%s: no slider or picker on the page", where)
	}
	for _, c := range controls {
		before := chartData(t, b, c.Root)
		var err error
		switch {
		case c.Kind == "slider" && c.Max > 0:
			err = b.Slide("#"+c.ID, other(c.Value, c.Max))
		case c.Kind == "select" && c.Options > 1:
			err = b.Choose("#"+c.ID, fmt.Sprint(other(c.Value, c.Options-1)))
		default:
			continue
		}
		if err != nil {
			t.Fatalf("%s: moving %s: %v", where, c.ID, err)
		}
		time.Sleep(200 * time.Millisecond)
		if after := chartData(t, b, c.Root); after == before {
			t.Errorf("%s: moving %s %s left its charts unchanged", where, c.Kind, c.ID)
		}
	}
	// One picture per widget, each scrolled into view first (JupyterLab
	// does not paint cells far outside the viewport).
	var roots []string
	if err := b.Eval(`Array.from(document.querySelectorAll('.kvw-root')).map(r => r.id)`, &roots); err != nil {
		t.Fatal(err)
	}
	for i, id := range roots {
		sel := "#" + id
		scroll := `(async () => { document.getElementById('` + id + `').scrollIntoView({block: 'start'});
			await new Promise(r => setTimeout(r, 300)); return true; })()`
		if where == "lab" {
			// In the lab a widget scrolls inside the notebook, which
			// scrolls its cells itself: bring the cell to the top, then
			// take the panel as the reader sees it.
			sel = ".jp-NotebookPanel"
			scroll = `(async () => { const nb = jupyterapp.shell.currentWidget.content;
				const cell = nb.widgets.find(c => c.node.querySelector('#` + id + `'));
				if (cell) { await nb.scrollToCell(cell, 'start'); }
				await new Promise(r => setTimeout(r, 500));
				document.getElementById('` + id + `').scrollIntoView({block: 'start'});
				await new Promise(r => setTimeout(r, 800)); return true; })()`
		}
		if err := b.Eval(scroll, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.ScreenshotElement(sel, filepath.Join(shots, fmt.Sprintf("%s-widget-%02d.png", where, i+1))); err != nil {
			t.Logf("screenshot of widget %s: %v", id, err)
		}
	}
}

// other picks a position in [0, last] away from the current one.
func other(current, last int) int {
	if current > last/2 {
		return current / 3
	}
	return current + (last-current+1)/2
}

// chartData is every series and marker of the charts in one widget, as
// ECharts holds them, flattened to a string for comparison.
func chartData(t *testing.T, b *browsertest.Browser, root string) string {
	t.Helper()
	cs, err := b.Charts()
	if err != nil {
		t.Fatal(err)
	}
	s := ""
	for _, c := range cs {
		if c.Root != root {
			continue
		}
		for _, ser := range c.Series {
			s += fmt.Sprintf("%s|%s|%s;", ser.Name, ser.Data, ser.MarkLine)
		}
	}
	return s
}
