// Package notebook shows widgets in a GoNB notebook. It is the only package
// of the project that links GoNB's gonbui, so the kvsim command and the
// figures stay free of it:
//
//	notebook.Setup()                              // once, near the top: ECharts and the runtime
//	notebook.Display(figures.CacheSize(study))    // any widgets.Widget
//	live := notebook.NewLiveChart()               // a widgets.LiveChart updated in place
//
// Outside a notebook (a test, a plain go run) nothing is shown.
//
// Display waits (at most 10 s) until GoNB has read the output: GoNB stops
// reading a cell's output pipe when the cell's program ends, and a large
// output sent last (the 1 MB Setup) was otherwise cut off in 2 of 6
// headless runs. The wait is answered by the kernel, not by a browser, so
// it also holds in headless runs.
package notebook

import (
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"kvcache/widgets"
)

// syncWait bounds how long a display waits for GoNB to take its output.
const syncWait = 10 * time.Second

// Setup shows widgets.SetupHTML: ECharts (about 1 MB, inlined) and the
// widget runtime. Call it in one cell near the top; the output is saved
// with the notebook, so an exported HTML file carries the library too.
func Setup() { Display(widgets.Setup()) }

// Display shows each widget in order; a widget that cannot be drawn shows
// its error in a red box where it would have been.
func Display(ws ...widgets.Widget) {
	for _, w := range ws {
		show(w.Render())
	}
}

// NewLiveChart is a widgets.LiveChart whose updates replace one notebook
// output in place (Jupyter's update_display_data).
func NewLiveChart() *widgets.LiveChart { return widgets.NewLiveChart(update) }

func show(html string) {
	if !gonbui.IsNotebook {
		return
	}
	gonbui.DisplayHTML(html)
	flush()
}

// update replaces the output with the given display id (created on first use).
func update(displayID, html string) {
	if !gonbui.IsNotebook {
		return
	}
	gonbui.UpdateHTML(displayID, html)
	flush()
}

func flush() {
	done := make(chan struct{})
	go func() { gonbui.Sync(); close(done) }()
	select {
	case <-done:
	case <-time.After(syncWait):
	}
}
