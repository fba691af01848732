package widgets

import (
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

// syncWait bounds how long a display waits for GoNB to take its output.
const syncWait = 10 * time.Second

// display shows html in the notebook and waits until GoNB has read it.
// GoNB stops reading a cell's output pipe when the cell's program ends, so
// without the wait a large output sent just before the end (the 1 MB Setup)
// can be cut off. The wait is answered by the kernel, not by a browser, so
// it also holds in headless runs; it gives up after syncWait all the same.
func display(html string) {
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
