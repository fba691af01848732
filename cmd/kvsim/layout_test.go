package main

import (
	"os/exec"
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
