// Package browsertest drives headless Chromium over pages that hold kvcache
// widgets, with the network off, so tests can check that charts really draw
// and that controls really change them.
//
// Networking off means: every http(s) request that is not to a loopback
// address goes to a proxy on a closed port and fails at once, and host names
// other than localhost do not resolve. Requests the page tried are kept
// (OffsiteRequests), so a test can show what an offline reader would miss.
//
//	b, err := browsertest.Start()
//	if err != nil { t.Skip(err) }
//	defer b.Close()
//	b.Open("file:///tmp/page.html")
//	charts, err := b.WaitCharts(2, 10*time.Second)
//
// Chromium comes from the system (Debian: apt-get install chromium); Start
// returns ErrNoChromium when none is found, which tests turn into a skip.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ErrNoChromium says no Chromium binary was found on PATH.
var ErrNoChromium = errors.New("browsertest: no chromium on PATH (Debian: apt-get install chromium)")

// ChromiumPath is the first Chromium-like browser on PATH, or "".
func ChromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is one headless Chromium with one tab.
type Browser struct {
	ctx      context.Context
	cancel   func()
	mu       sync.Mutex
	offsite  []string
	problems []string
	console  []string

	downloadDir string
	downloads   map[string]*Download // by guid, begun
	done        []Download           // completed, not yet waited for
}

// Start launches Chromium (headless, no sandbox, no GPU, no background
// networking, no network beyond loopback) with a 1200x900 window.
func Start() (*Browser, error) {
	path := ChromiumPath()
	if path == "" {
		return nil, ErrNoChromium
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("allow-file-access-from-files", true),
		// Networking off: a dead proxy for everything but loopback, and no name resolution.
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1200, 900),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &Browser{downloads: map[string]*Download{}}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	b.ctx = ctx
	b.cancel = func() { cancel(); acancel() }
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		// A headless page never has focus; apps that track focus (JupyterLab's
		// current notebook) need it.
		_, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})); err != nil {
		b.Close()
		return nil, fmt.Errorf("browsertest: starting %s: %w", path, err)
	}
	return b, nil
}

func (b *Browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if u := ev.Request.URL; offsite(u) {
			b.offsite = append(b.offsite, u)
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			b.console = append(b.console, string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	}
}

// offsite reports whether a URL would leave this machine.
func offsite(u string) bool {
	for _, local := range []string{"file:", "data:", "blob:", "about:", "chrome:", "devtools:",
		"http://127.0.0.1", "http://localhost", "ws://127.0.0.1", "ws://localhost"} {
		if strings.HasPrefix(u, local) {
			return false
		}
	}
	return true
}

// ClearLogs forgets the offsite requests, exceptions and console messages
// seen so far (before opening the page whose own are to be checked).
func (b *Browser) ClearLogs() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.offsite, b.problems, b.console = nil, nil, nil
}

// Close stops the browser.
func (b *Browser) Close() { b.cancel() }

// OffsiteRequests lists the URLs beyond this machine that pages tried to load
// (all of them failed).
func (b *Browser) OffsiteRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.offsite...)
}

// Exceptions lists uncaught JavaScript exceptions seen so far.
func (b *Browser) Exceptions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// Console lists console.error and console.warn messages seen so far.
func (b *Browser) Console() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// Open navigates to url and waits for the load event.
func (b *Browser) Open(url string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("browsertest: opening %s: %w", url, err)
	}
	return nil
}

// Eval evaluates a JavaScript expression and decodes its JSON value into out
// (nil: ignore it). A Promise is awaited.
func (b *Browser) Eval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage]("Promise.resolve(("+expr+")).then(v => JSON.stringify(v === undefined ? null : v))", chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("browsertest: evaluating %.80q: %w", expr, err)
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return fmt.Errorf("browsertest: result of %.80q is not JSON text: %w", expr, err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal([]byte(text), out)
}

// Chart is what ECharts holds for one .kvw-chart element.
type Chart struct {
	ID       string   `json:"id"`
	Root     string   `json:"root"` // id of its widget
	Title    string   `json:"title"`
	XName    string   `json:"xName"`
	YName    string   `json:"yName"`
	Legend   []string `json:"legend"`
	Width    int      `json:"width"`  // canvas size in CSS pixels
	Height   int      `json:"height"` // (0 when nothing was drawn)
	Series   []Series `json:"series"`
	Message  string   `json:"message"` // the text of a MessageChart (no series)
	Disposed bool     `json:"disposed"`
}

// Drawn reports whether the chart has a canvas and something on it: a
// series, or the message of a chart that says why it has none.
func (c Chart) Drawn() bool {
	return c.Width > 0 && c.Height > 0 && (len(c.Series) > 0 || c.Message != "")
}

// Series is one series of a chart, with its data and marker lines as ECharts holds them.
type Series struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	MarkLine json.RawMessage `json:"markLine"`
}

// chartsJS reads every chart on the page through echarts.getInstanceByDom.
const chartsJS = `(() => {
  const out = [];
  document.querySelectorAll('.kvw-chart').forEach(el => {
    const inst = window.echarts && echarts.getInstanceByDom(el);
    const root = el.closest('.kvw-root');
    const c = {id: el.id, root: root ? root.id : '', series: []};
    if (inst) {
      const o = inst.getOption();
      const first = (k, f) => (o[k] && o[k][0] && o[k][0][f]) || '';
      c.title = first('title', 'text'); c.xName = first('xAxis', 'name'); c.yName = first('yAxis', 'name');
      c.legend = (o.legend && o.legend[0] && o.legend[0].data) || [];
      c.series = (o.series || []).map(s => ({name: s.name || '', type: s.type, data: s.data || [],
        markLine: (s.markLine && s.markLine.data) || null}));
      c.message = (o.graphic && o.graphic[0] && o.graphic[0].elements || []).map(g => (g.style && g.style.text) || '').join(' ');
      const canvas = el.querySelector('canvas');
      c.width = canvas ? canvas.clientWidth : 0; c.height = canvas ? canvas.clientHeight : 0;
      c.disposed = inst.isDisposed();
    }
    out.push(c);
  });
  return out;
})()`

// Charts reads every chart on the page.
func (b *Browser) Charts() ([]Chart, error) {
	var cs []Chart
	err := b.Eval(chartsJS, &cs)
	return cs, err
}

// WaitCharts waits until at least n charts have drawn a canvas with at least
// one series, then returns all charts.
func (b *Browser) WaitCharts(n int, timeout time.Duration) ([]Chart, error) {
	deadline := time.Now().Add(timeout)
	for {
		cs, err := b.Charts()
		if err != nil {
			return nil, err
		}
		drawn := 0
		for _, c := range cs {
			if c.Drawn() {
				drawn++
			}
		}
		if drawn >= n {
			return cs, nil
		}
		if time.Now().After(deadline) {
			var status []string
			_ = b.Eval(`Array.from(document.querySelectorAll('.kvw-status')).map(e => e.textContent)`, &status)
			return cs, fmt.Errorf("browsertest: %d of %d charts drawn after %v (status: %q; exceptions: %q)",
				drawn, n, timeout, status, b.Exceptions())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// PressKeys focuses the element that selector finds and types keys into it
// as a user would (kb.ArrowRight moves a range slider one step).
func (b *Browser) PressKeys(selector string, keys string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(selector)), chromedp.KeyEvent(keys)); err != nil {
		return fmt.Errorf("browsertest: typing into %s: %w", selector, err)
	}
	return nil
}

// Slide clicks a range slider (the first element selector finds) where its
// thumb sits at position pos, as a user's mouse would; it scrolls it into view first.
func (b *Browser) Slide(selector string, pos int) error {
	var box struct{ X, Y, Width, Min, Max float64 }
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return null;
		s.scrollIntoView({block: 'center'}); const r = s.getBoundingClientRect();
		return {X: r.left, Y: r.top + r.height / 2, Width: r.width, Min: +s.min, Max: +s.max}; })()`, selector)
	if err := b.Eval(js, &box); err != nil {
		return err
	}
	if box.Width == 0 || box.Max <= box.Min || float64(pos) < box.Min || float64(pos) > box.Max {
		return fmt.Errorf("browsertest: cannot slide %s to %d (box %+v)", selector, pos, box)
	}
	const thumb = 16 // Chromium's range thumb width in CSS pixels
	x := box.X + thumb/2 + (float64(pos)-box.Min)/(box.Max-box.Min)*(box.Width-thumb)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, box.Y)); err != nil {
		return fmt.Errorf("browsertest: clicking %s: %w", selector, err)
	}
	return nil
}

// ArrowRight is the key that moves a focused slider one step up.
const ArrowRight = kb.ArrowRight

// ArrowLeft is the key that moves a focused slider one step down.
const ArrowLeft = kb.ArrowLeft

// Choose sets a <select> to the option with value and fires its change event.
func (b *Browser) Choose(selector, value string) error {
	js := fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return false;
		s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %q; })()`,
		selector, value, value)
	var ok bool
	if err := b.Eval(js, &ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("browsertest: %s has no option %q", selector, value)
	}
	return nil
}

// Screenshot writes a PNG of the whole page to path.
func (b *Browser) Screenshot(path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("browsertest: screenshot: %w", err)
	}
	return os.WriteFile(path, png, 0o644)
}

// ScreenshotElement writes a PNG of the first element selector finds.
func (b *Browser) ScreenshotElement(selector, path string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		return fmt.Errorf("browsertest: screenshot of %s: %w", selector, err)
	}
	return os.WriteFile(path, png, 0o644)
}

// Keys types keys into whatever has the focus.
func (b *Browser) Keys(keys string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(keys)); err != nil {
		return fmt.Errorf("browsertest: typing: %w", err)
	}
	return nil
}
