package browsertest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Lab is a JupyterLab server on loopback, started for one test.
type Lab struct {
	// URL is the server's base URL (http://127.0.0.1:PORT).
	URL string
	// Token authenticates requests: add ?token=Token to the first URL.
	Token string
	cmd   *exec.Cmd
	mu    sync.Mutex
	log   bytes.Buffer
}

// LabConfig says where the pieces `make setup` installs live.
type LabConfig struct {
	Jupyter     string   // the venv's jupyter program
	RootDir     string   // the folder the server shows
	JupyterPath string   // where kernel specs live (JUPYTER_PATH), e.g. .build/jupyter
	PathDirs    []string // prepended to PATH (gonb, goimports, gopls)
	Args        []string // more server flags (those make lab adds: make -s lab-flags)
}

// StartLab starts `jupyter lab` on a free loopback port with a random token,
// its own config, data and runtime folders (so the user's Jupyter setup is
// neither read nor changed), and window.jupyterapp exposed for scripting. It
// waits up to 90 s for the server to answer.
func StartLab(cfg LabConfig) (*Lab, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("browsertest: token: %w", err)
	}
	state, err := os.MkdirTemp("", "kvcache-lab-")
	if err != nil {
		return nil, fmt.Errorf("browsertest: lab state dir: %w", err)
	}
	// No "get Jupyter news?" pop-up over the notebook (it would also try the network).
	news := filepath.Join(state, "config", "lab", "user-settings", "@jupyterlab", "apputils-extension")
	if err := os.MkdirAll(news, 0o755); err != nil {
		return nil, fmt.Errorf("browsertest: lab settings: %w", err)
	}
	if err := os.WriteFile(filepath.Join(news, "notification.jupyterlab-settings"), []byte(`{"fetchNews": "false"}`), 0o644); err != nil {
		return nil, fmt.Errorf("browsertest: lab settings: %w", err)
	}
	l := &Lab{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Token: hex.EncodeToString(raw)}
	l.cmd = exec.Command(cfg.Jupyter, "lab", "--no-browser", "--allow-root",
		"--ip=127.0.0.1", fmt.Sprintf("--port=%d", port), "--IdentityProvider.token="+l.Token,
		"--ServerApp.root_dir="+cfg.RootDir, "--expose-app-in-browser",
		"--ServerApp.open_browser=False")
	l.cmd.Args = append(l.cmd.Args, cfg.Args...)
	path := os.Getenv("PATH")
	for i := len(cfg.PathDirs) - 1; i >= 0; i-- {
		path = cfg.PathDirs[i] + string(os.PathListSeparator) + path
	}
	l.cmd.Env = append(os.Environ(),
		"PATH="+path,
		"JUPYTER_PATH="+cfg.JupyterPath,
		"JUPYTER_CONFIG_DIR="+filepath.Join(state, "config"),
		"JUPYTER_DATA_DIR="+filepath.Join(state, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(state, "runtime"),
	)
	l.cmd.Stdout, l.cmd.Stderr = &lockedWriter{l}, &lockedWriter{l}
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("browsertest: starting jupyter lab: %w", err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(l.URL + "/api/status?token=" + l.Token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return l, nil
			}
		}
		if time.Now().After(deadline) {
			l.Stop()
			return nil, fmt.Errorf("browsertest: jupyter lab did not answer in 90 s:\n%s", l.Log())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// Open is the URL that opens a notebook (path relative to RootDir) in the lab.
func (l *Lab) Open(path string) string {
	return l.URL + "/lab/tree/" + path + "?token=" + l.Token + "&reset"
}

// Log is what the server printed so far.
func (l *Lab) Log() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.log.String()
}

// Stop ends the server and the kernels it started (its process group).
func (l *Lab) Stop() {
	if l.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-l.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = l.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-l.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

type lockedWriter struct{ l *Lab }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.log.Write(p)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("browsertest: finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// NotebookJS is a JavaScript expression for the lab's panel of the notebook
// at path (relative to RootDir), made the current widget so that commands
// act on it; null while it is not open. It needs the app exposed, as
// StartLab does.
func NotebookJS(path string) string {
	return `(() => { const a = window.jupyterapp; if (!a) return null;
		const w = Array.from(a.shell.widgets('main')).find(w => w.sessionContext && w.content && w.context.path === ` + jsString(path) + `);
		if (w && (!a.shell.currentWidget || a.shell.currentWidget.id !== w.id)) a.shell.activateById(w.id);
		return w || null; })()`
}

// KernelConnectedJS is true once the notebook at path is current and its
// kernel is connected.
func KernelConnectedJS(path string) string {
	return `(() => { const w = ` + NotebookJS(path) + `; const s = w && w.sessionContext.session;
		return !!(s && s.kernel && s.kernel.connectionStatus === 'connected' && jupyterapp.shell.currentWidget === w); })()`
}

// AllCellsRanJS is true when the notebook's kernel is idle and every code
// cell has an execution count.
func AllCellsRanJS(path string) string {
	return `(() => { const w = ` + NotebookJS(path) + `; const k = w && w.sessionContext.session && w.sessionContext.session.kernel;
		return !!k && k.status === 'idle' && w.content.widgets.filter(c => c.model.type === 'code').every(c => c.model.executionCount !== null); })()`
}

// Wait polls a JavaScript condition until it is true. On timeout the error
// carries the page's exceptions and the tail of the server's log.
func (b *Browser) Wait(cond string, timeout time.Duration, lab *Lab) error {
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		err := b.Eval(`!!(`+cond+`)`, &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			log := ""
			if lab != nil {
				log = lab.Log()
				if len(log) > 4000 {
					log = log[len(log)-4000:]
				}
			}
			return fmt.Errorf("browsertest: waited %v for %.200s (%v); exceptions %q; server log:\n%s", timeout, cond, err, b.Exceptions(), log)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
