package atomicfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func temps(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	return m
}

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.json")
	if err := Write(p, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, p); got != "two" {
		t.Errorf("got %q", got)
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v: the replaced file's 0600 was not kept", info.Mode().Perm())
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestCreateCommitAndDiscard(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.csv")
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("a,b\n")
	if _, err := os.Stat(p); err == nil {
		t.Error("the destination exists before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Discard() // after Commit: nothing
	if got := read(t, p); got != "a,b\n" {
		t.Errorf("got %q", got)
	}
	g, _ := Create(p)
	g.WriteString("half")
	g.Discard()
	if got := read(t, p); got != "a,b\n" || len(temps(t, dir)) > 0 {
		t.Errorf("after Discard: %q, temporaries %v", got, temps(t, dir))
	}
	if err := g.Commit(); err == nil {
		t.Error("Commit after Discard succeeded")
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Write to a folder", Write(dir, []byte("x")), "is a folder, not a regular file"},
		{"CheckDir on a file", CheckDir(file), file + " is a file, not a folder"},
		{"CheckDir under a file", CheckDir(filepath.Join(file, "sub", "dir")), file + " is a file, not a folder"},
		{"Write under a file", Write(filepath.Join(file, "x.json"), []byte("x")), file + " is a file, not a folder"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) || !strings.HasPrefix(tc.err.Error(), "atomicfile: ") {
			t.Errorf("%s: %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := CheckDir(ro); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("read-only folder: %v", err)
		}
		if err := CheckDir(filepath.Join(ro, "sub")); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("a folder to make in a read-only one: %v", err)
		}
	}
	if err := CheckDir(filepath.Join(dir, "new", "deeper")); err != nil {
		t.Errorf("a folder to make: %v", err)
	}
	if left := temps(t, filepath.Join(dir, "new", "deeper")); len(left) > 0 {
		t.Errorf("CheckDir left %v", left)
	}
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	f, _ := Create(filepath.Join(dir, "a.html"))
	f.Close() // as a killed writer leaves it
	keep := filepath.Join(dir, ".keep.tmp")
	os.WriteFile(keep, nil, 0o644)
	RemoveStale(dir)
	if left := temps(t, dir); len(left) != 1 || left[0] != keep {
		t.Errorf("left %v, want only %s", left, keep)
	}
}

func TestLockDirRefusesASecondWriter(t *testing.T) {
	dir := t.TempDir()
	l, err := LockDir(dir, "kvsim report")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockDir(dir, "the notebook"); err == nil || !strings.Contains(err.Error(), "kvsim report (process") {
		t.Errorf("second lock: %v", err)
	}
	l.Unlock()
	l.Unlock()
	l2, err := LockDir(dir, "the notebook")
	if err != nil {
		t.Fatalf("after Unlock: %v", err)
	}
	l2.Unlock()
	if _, err := LockDir(filepath.Join(dir, "missing"), "x"); err == nil {
		t.Error("locked a missing folder")
	}
}

// helper runs this test binary again as a child that does one thing
// (KVSIM_ATOMICFILE_CHILD) and returns the command.
func helper(t *testing.T, what string, env ...string) *exec.Cmd {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the child process tests use POSIX signals and limits")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$")
	cmd.Env = append(append(os.Environ(), "KVSIM_ATOMICFILE_CHILD="+what), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("child stderr: %s", stderr.String())
		}
	})
	return cmd
}
