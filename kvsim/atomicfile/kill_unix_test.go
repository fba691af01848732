//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package atomicfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// version is the content of version i of the test file: big enough that
// writing it takes a while, with an end marker that says it is whole.
func version(i int) []byte {
	return append(bytes.Repeat([]byte{byte('a' + i%26)}, 1<<20), fmt.Sprintf("\nend of version %d\n", i)...)
}

// TestChild is the child process of the tests below; it does nothing in
// a plain go test run.
func TestChild(t *testing.T) {
	what, arg, _ := strings.Cut(os.Getenv("KVSIM_ATOMICFILE_CHILD"), ":")
	switch what {
	case "":
		t.Skip("runs only as a child of the tests in this file")
	case "kill-at": // kill-at:STEP:PATH
		step, path, _ := strings.Cut(arg, ":")
		testHook = func(s string) {
			if s == step {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
		}
		Write(path, version(1))
	case "loop": // loop:PATH, versions 1, 2, 1, 2, ... until killed
		for i := 0; ; i++ {
			if err := Write(arg, version(1+i%2)); err != nil {
				fmt.Println(err)
				os.Exit(3)
			}
		}
	case "fsize": // fsize:PATH under a 64 KiB file-size limit, as a full disk would
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: 64 << 10, Max: 64 << 10}); err != nil {
			fmt.Println("setrlimit:", err)
			os.Exit(3)
		}
		fmt.Println(Write(arg, version(1)))
	case "lock": // lock:DIR, held until killed
		if _, err := LockDir(arg, "the child"); err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

// killed says whether a child ended by SIGKILL.
func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// A SIGKILL after each step of a write leaves the old file until the
// rename and the new one after it, each whole.
func TestKillAtEachStep(t *testing.T) {
	for _, tc := range []struct {
		step string
		want int
	}{{"written", 0}, {"synced", 0}, {"renamed", 1}} {
		dir := t.TempDir()
		p := filepath.Join(dir, "report.html")
		if err := Write(p, version(0)); err != nil {
			t.Fatal(err)
		}
		if err := helper(t, "kill-at:"+tc.step+":"+p).Run(); !killed(err) {
			t.Fatalf("%s: the child was not killed: %v", tc.step, err)
		}
		if got := read(t, p); got != string(version(tc.want)) {
			t.Errorf("killed after %s: the file is %d bytes, not version %d whole", tc.step, len(got), tc.want)
		}
		RemoveStale(dir)
		if left := temps(t, dir); len(left) > 0 {
			t.Errorf("RemoveStale left %v", left)
		}
	}
}

// A writer killed at random moments always leaves one whole version.
func TestKillAtRandomMoments(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "data.json")
	if err := Write(p, version(0)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 1))
	whole := map[string]bool{string(version(0)): true, string(version(1)): true, string(version(2)): true}
	for i := range 12 {
		cmd := helper(t, "loop:"+p)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		cmd.Process.Kill()
		if err := cmd.Wait(); !killed(err) {
			t.Fatalf("kill %d: the child ended otherwise: %v", i, err)
		}
		if got := read(t, p); !whole[got] {
			t.Fatalf("kill %d: the file is %d bytes, no whole version", i, len(got))
		}
	}
}

// A write that the system refuses half-way (here a file-size limit, as a
// full disk refuses) fails and leaves the old file and no temporary one.
func TestFailedWriteLeavesTheOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "predictions.json")
	if err := Write(p, version(0)); err != nil {
		t.Fatal(err)
	}
	out, err := helper(t, "fsize:"+p).Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if msg := string(out); !strings.Contains(msg, "atomicfile: writing "+p) || !strings.Contains(msg, "file too large") {
		t.Errorf("the child's error: %q", msg)
	}
	if got := read(t, p); got != string(version(0)) {
		t.Errorf("the old file is now %d bytes", len(got))
	}
	if left := temps(t, dir); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// The kernel releases a killed holder's lock.
func TestLockOfAKilledHolderIsFree(t *testing.T) {
	dir := t.TempDir()
	cmd := helper(t, "lock:"+dir)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("child: %q", line)
	}
	_, err := LockDir(dir, "me")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the child (process %d", cmd.Process.Pid)) {
		t.Errorf("while the child holds it: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := LockDir(dir, "me")
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	l.Unlock()
}
