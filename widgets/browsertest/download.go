package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Download is a file a page downloaded (AllowDownloads).
type Download struct {
	Path      string // where it was saved
	Suggested string // the name the server suggested
	URL       string
}

// AllowDownloads saves what pages download (a link, a window opened on an
// attachment) into dir, and lets WaitDownload report each one.
func (b *Browser) AllowDownloads(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("browsertest: download folder: %w", err)
	}
	b.mu.Lock()
	b.downloadDir = dir
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	on := true
	params := browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on}
	if c := chromedp.FromContext(b.ctx); c != nil && c.BrowserContextID != "" {
		params.BrowserContextID = c.BrowserContextID
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, params); err != nil {
		return fmt.Errorf("browsertest: allowing downloads: %w", err)
	}
	chromedp.ListenBrowser(b.ctx, b.listenDownloads)
	return nil
}

func (b *Browser) listenDownloads(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *browser.EventDownloadWillBegin:
		b.downloads[ev.GUID] = &Download{Suggested: ev.SuggestedFilename, URL: ev.URL}
	case *browser.EventDownloadProgress:
		d := b.downloads[ev.GUID]
		if d == nil || ev.State != browser.DownloadProgressStateCompleted {
			return
		}
		d.Path = filepath.Join(b.downloadDir, ev.GUID)
		b.done = append(b.done, *d)
	}
}

// WaitDownload waits for the next download to complete (since the last
// call) and returns it.
func (b *Browser) WaitDownload(timeout time.Duration) (Download, error) {
	deadline := time.Now().Add(timeout)
	for {
		b.mu.Lock()
		if len(b.done) > 0 {
			d := b.done[0]
			b.done = b.done[1:]
			b.mu.Unlock()
			return d, nil
		}
		b.mu.Unlock()
		if time.Now().After(deadline) {
			return Download{}, fmt.Errorf("browsertest: no download completed within %v", timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ClickText clicks, as a mouse would, the first visible element that
// selector finds whose text is text ("": any text; a menu entry, a button).
func (b *Browser) ClickText(selector, text string) error {
	var box struct{ X, Y float64 }
	js := fmt.Sprintf(`(() => { const want = %[2]q; const el = Array.from(document.querySelectorAll(%[1]q)).find(e => e.offsetParent !== null && (want === '' || e.textContent.trim() === want));
		if (!el) return null; el.scrollIntoView({block: 'nearest'}); const r = el.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, selector, text)
	var found *struct{ X, Y float64 }
	if err := b.Eval(js, &found); err != nil {
		return err
	}
	if found == nil {
		var seen []string
		_ = b.Eval(fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).filter(e => e.offsetParent !== null).map(e => e.textContent.trim())`, selector), &seen)
		return fmt.Errorf("browsertest: no visible %s reads %q (visible: %q)", selector, text, seen)
	}
	box = *found
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// Hover first, as a hand does: menus make the item under the pointer
	// active on mouse moves, and act on the active item when clicked.
	if err := chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, box.X, box.Y)); err != nil {
		return fmt.Errorf("browsertest: moving to %q: %w", text, err)
	}
	time.Sleep(150 * time.Millisecond)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(box.X, box.Y)); err != nil {
		return fmt.Errorf("browsertest: clicking %q: %w", text, err)
	}
	return nil
}
