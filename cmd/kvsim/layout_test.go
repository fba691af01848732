package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goList runs go list with args and returns its output.
func goList(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Skipf("go list %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// The layout issue 13 asks for: the CLI does not link GoNB, and the
// figures draw study results without reaching into the engine rooms.
func TestLayout(t *testing.T) {
	if deps := goList(t, "-deps", "."); strings.Contains(deps, "janpfeifer/gonb") {
		t.Errorf("kvsim links GoNB:\n%s", deps)
	}
	imports := goList(t, "-f", "{{join .Imports \"\\n\"}}", "kvcache/widgets/figures")
	for _, room := range []string{"model", "decoder", "cost", "cache", "workload", "sim", "kernels"} {
		for _, imp := range strings.Fields(imports) {
			if imp == "kvcache/kvsim/"+room {
				t.Errorf("widgets/figures imports the engine room %s", imp)
			}
		}
	}
}

// maxCodeLines bounds cmd/kvsim's non-test code (lines that are neither
// blank nor comments): the CLI stays a thin layer over kvsim/study and
// kvsim/report (team rule, phase 2). Over it, move tables to kvsim/report
// and logic to kvsim/study or the engine rooms.
const maxCodeLines = 1000

func TestCommandStaysThin(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	code := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "//") {
				code++
			}
		}
	}
	if code > maxCodeLines {
		t.Errorf("cmd/kvsim has %d lines of code, over %d: move tables to kvsim/report and logic to kvsim/study", code, maxCodeLines)
	}
	t.Logf("cmd/kvsim: %d lines of code (limit %d)", code, maxCodeLines)
}
