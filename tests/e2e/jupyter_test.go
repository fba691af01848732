package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lab is a JupyterLab server on a loopback port, serving a scratch copy of
// the notebooks with the GoNB kernel installed into a temporary data dir.
type lab struct {
	url, token string
	rootDir    string // the server's root: copies of the notebooks
	cmd        *exec.Cmd
	log        *os.File
}

// repoRoot is the repository's top folder (two levels above this package).
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// startLab installs the kernel and starts JupyterLab; the server is stopped
// when the test ends.
func startLab(t *testing.T, notebooks ...string) *lab {
	t.Helper()
	root := repoRoot(t)
	bin := filepath.Join(root, ".build", "bin")
	venvBin := filepath.Join(root, ".build", "venv", "bin")
	for _, p := range []string{filepath.Join(bin, "gonb"), filepath.Join(venvBin, "jupyter")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s is missing: run `make setup` first", p)
		}
	}
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "jupyter")
	l := &lab{rootDir: filepath.Join(tmp, "root"), token: randomToken(t)}
	if err := os.MkdirAll(l.rootDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, nb := range notebooks {
		copyFile(t, filepath.Join(root, nb), filepath.Join(l.rootDir, filepath.Base(nb)))
	}
	env := append(os.Environ(),
		"PATH="+bin+":"+venvBin+":"+os.Getenv("PATH"),
		"JUPYTER_DATA_DIR="+dataDir, "JUPYTER_PATH="+dataDir,
		"JUPYTER_CONFIG_DIR="+filepath.Join(tmp, "config"),
		"JUPYTERLAB_SETTINGS_DIR="+filepath.Join(tmp, "settings"),
		"JUPYTERLAB_WORKSPACES_DIR="+filepath.Join(tmp, "workspaces"),
		"KVCACHE_ROOT="+root, // the notebook's setup cell finds go.mod here
	)
	// No news pop-up over the notebook in screenshots.
	newsSettings := filepath.Join(tmp, "settings", "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings")
	if err := os.MkdirAll(filepath.Dir(newsSettings), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newsSettings, []byte(`{"fetchNews": "false"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	install := exec.Command(filepath.Join(bin, "gonb"), "--install", "--logtostderr=false", "--stderrthreshold=3", "--log_dir="+tmp)
	install.Env = env
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("installing the GoNB kernel: %v\n%s", err, out)
	}

	port := freePort(t)
	l.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	logPath := filepath.Join(tmp, "jupyterlab.log")
	var err error
	if l.log, err = os.Create(logPath); err != nil {
		t.Fatal(err)
	}
	l.cmd = exec.Command(filepath.Join(venvBin, "jupyter"), "lab",
		"--no-browser", "--allow-root", "--ip=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--ServerApp.port_retries=0", "--ServerApp.token="+l.token,
		"--ServerApp.root_dir="+l.rootDir, "--LabApp.news_url=", "--LabApp.expose_app_in_browser=True", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
	l.cmd.Env = env
	l.cmd.Stdout, l.cmd.Stderr = l.log, l.log
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // kernels die with the server
	if err := l.cmd.Start(); err != nil {
		t.Fatalf("starting JupyterLab: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-l.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = l.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-l.cmd.Process.Pid, syscall.SIGKILL)
		}
		l.log.Close()
		if t.Failed() {
			if data, err := os.ReadFile(logPath); err == nil {
				t.Logf("JupyterLab log (last 3000 bytes):\n%s", tail(string(data), 3000))
			}
		}
	})
	l.waitReady(t, 60*time.Second)
	return l
}

func (l *lab) waitReady(t *testing.T, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(l.url + "/api/status?token=" + l.token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if l.cmd.ProcessState != nil {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("JupyterLab did not answer on %s within %v", l.url, limit)
}

// get fetches a server path with the token, failing the test on non-200.
func (l *lab) get(t *testing.T, ctx context.Context, path string) []byte {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.url+path+sep+"token="+l.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, tail(string(body), 500))
	}
	return body
}

func randomToken(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
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

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
