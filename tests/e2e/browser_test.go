package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium whose JS errors are collected per tab.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func chromiumPath(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium package (apt-get install chromium) or set CHROMIUM")
	return ""
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Run(ctx); err != nil {
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return &browser{ctx: ctx}
}

// tab opens a new tab that records uncaught exceptions and console errors.
func (b *browser) tab(t *testing.T, name string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.APITypeError {
				return
			}
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			msg = strings.Join(parts, " ")
		default:
			return
		}
		b.mu.Lock()
		b.errors = append(b.errors, name+": "+msg)
		b.mu.Unlock()
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// jsErrors returns the JS errors seen so far.
func (b *browser) jsErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// run runs actions with a time bound, failing the test with what it was doing.
func run(t *testing.T, ctx context.Context, limit time.Duration, what string, actions ...chromedp.Action) {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := chromedp.Run(actx, actions...); err != nil {
		failureScreenshot(t, ctx)
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JS expression into out.
func eval(t *testing.T, ctx context.Context, expr string, out any) {
	t.Helper()
	run(t, ctx, 30*time.Second, "evaluating "+tail(expr, 80), chromedp.Evaluate(expr, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// waitFor polls a JS boolean expression until it is true.
func waitFor(t *testing.T, ctx context.Context, limit time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var ok bool
		ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Run(ctx2, chromedp.Evaluate(expr, &ok))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (last error: %v)", limit, what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// failureScreenshot saves what the page showed when a step failed.
func failureScreenshot(t *testing.T, ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var png []byte
	if err := chromedp.Run(sctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return
	}
	path := filepath.Join(repoRoot(t), "screenshots", "failure-"+strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if os.MkdirAll(filepath.Dir(path), 0o755) == nil && os.WriteFile(path, png, 0o644) == nil {
		t.Logf("failure screenshot: %s", path)
	}
}

// screenshot saves a full-page PNG under screenshots/ at the repo root.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var png []byte
	run(t, ctx, 60*time.Second, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

func fileURL(path string) string { return fmt.Sprintf("file://%s", path) }
