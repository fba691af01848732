package widgets

import (
	"crypto/rand"
	"errors"
	"time"
)

var errNilReplacement = errors.New("widgets: LiveChart.Replace: the widget is nil")

// DefaultEvery is the least time between two updates of a LiveChart.
const DefaultEvery = 100 * time.Millisecond

// LiveChart is a chart that grows while a measurement runs: the first
// Update displays it, later ones replace it in place (Jupyter's
// update_display_data, through one display id), at most one per Every;
// Done sends the last one held back, so the saved notebook and an exported
// HTML file hold the final chart. Updates carry the chart's option only,
// never the library.
//
//	live := notebook.NewLiveChart() // a widgets.LiveChart shown in GoNB
//	for i := range steps { measure(i); live.Update(plot(results)) }
//	live.Done()
type LiveChart struct {
	firstError
	every         time.Duration
	width, height string
	caption, note string

	displayID string
	last      time.Time // when the last update was sent
	sent      bool
	pending   Charter // newest chart not yet sent
	latest    Charter // newest chart given to Update
	final     Widget  // what Replace put in the chart's place

	now  func() time.Time
	show Screen
}

// NewLiveChart makes a live chart that sends its updates to screen;
// nothing shows until the first Update.
func NewLiveChart(screen Screen) *LiveChart {
	if screen == nil {
		screen = func(string, string) {}
	}
	return &LiveChart{
		every: DefaultEvery, width: DefaultWidth, height: DefaultHeight,
		displayID: "kvw-live-" + rand.Text(), // transient: not saved with the notebook
		now:       time.Now,
		show:      screen,
	}
}

// Every sets the least time between two updates (default 100 ms; 0 sends every update).
func (l *LiveChart) Every(d time.Duration) *LiveChart {
	if d < 0 {
		d = 0
	}
	l.every = d
	return l
}

// Width sets the CSS width (default "100%").
func (l *LiveChart) Width(css string) *LiveChart { l.width = css; return l }

// Height sets the CSS height (default "400px").
func (l *LiveChart) Height(css string) *LiveChart { l.height = css; return l }

// Caption puts a line of text above the chart.
func (l *LiveChart) Caption(text string) *LiveChart { l.caption = text; return l }

// Note puts a line of small text under the chart.
func (l *LiveChart) Note(text string) *LiveChart { l.note = text; return l }

// Screen is where a LiveChart's updates go: the output with displayID,
// shown on first use and replaced in place after. widgets/notebook gives
// GoNB's; nil sends them nowhere (a live chart then only keeps its newest
// chart, for HTML and pages).
type Screen func(displayID, html string)

// Update shows c, now if Every has passed since the last update, else at
// the next Update or at Done. c is read when it is sent, so passing the same
// chart again after adding points is fine.
func (l *LiveChart) Update(c Charter) error {
	if l.final != nil {
		return nil
	}
	l.latest = c
	if l.sent && l.now().Sub(l.last) < l.every {
		l.pending = c
		return nil
	}
	return l.send(c)
}

// Done sends the chart held back by throttling, if any. Call it when the
// measurement ends (defer live.Done()), or the last points never show.
func (l *LiveChart) Done() error {
	if l.pending == nil || l.final != nil {
		return l.err
	}
	return l.send(l.pending)
}

// Replace puts w in the live chart's place, in the same output: the
// widget that shows the finished run (an explorer with the full result)
// takes over from the chart that grew while it ran, so the notebook never
// shows the same data twice. Updates after Replace are ignored.
func (l *LiveChart) Replace(w Widget) error {
	if w == nil {
		err := errNilReplacement
		l.fail(err)
		return err
	}
	l.pending, l.final = nil, w
	html, err := renderWidget(w)
	if err != nil {
		l.fail(err)
		html = errorHTML(err)
	}
	l.show(l.displayID, html)
	l.sent, l.last = true, l.now()
	return err
}

// renderWidget is w's HTML, or the error that prevents it.
func renderWidget(w Widget) (string, error) {
	if r, ok := w.(interface{ HTML() (string, error) }); ok {
		return r.HTML()
	}
	return w.Render(), nil
}

func (l *LiveChart) send(c Charter) error {
	l.pending = nil
	html, err := l.chart(c).HTML()
	if err != nil {
		l.fail(err)
		html = errorHTML(err)
	}
	l.show(l.displayID, html)
	l.sent, l.last = true, l.now()
	return err
}

func (l *LiveChart) chart(c Charter) *Chart {
	return NewChart(c).Width(l.width).Height(l.height).Caption(l.caption).Note(l.note)
}

// HTML returns the newest chart's HTML fragment, or why it cannot be drawn.
func (l *LiveChart) HTML() (string, error) { return dropID(l.renderWithID("")) }

// Render returns the newest chart's HTML fragment; on error, a visible error box.
func (l *LiveChart) Render() string { return orError(l.HTML()) }

func (l *LiveChart) renderWithID(id string) (string, string, error) {
	if l.final != nil {
		if r, ok := l.final.(idRenderer); ok {
			return r.renderWithID(id)
		}
		html, err := renderWidget(l.final)
		return html, id, err
	}
	if l.latest == nil {
		return "", "", errNoUpdate
	}
	return l.chart(l.latest).renderWithID(id)
}
