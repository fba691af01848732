package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	code, out, stderr := kvsim(t, "version")
	if code != 0 || !strings.Contains(out, "commit ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = kvsim(t, "version", "--json")
	var info map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info["go_version"] != runtime.Version() || info["module"] == nil || info["dirty"] == nil {
		t.Errorf("--json: exit %d\n%s", code, out)
	}
	if code, _, _ := kvsim(t, "version", "extra"); code != 2 {
		t.Errorf("an argument: exit %d, want 2", code)
	}
}

// Without the chart library (a build made before `make assets`), report
// stops before any work and names the fix; it creates no folder.
func TestReportChecksTheChartLibraryFirst(t *testing.T) {
	if chartLibraryInstalled() {
		t.Skip("the chart library is installed: this checks a build made before `make assets`")
	}
	out := filepath.Join(t.TempDir(), "r")
	code, _, stderr := kvsim(t, "report", "--out", out)
	if code != 1 || !strings.Contains(stderr, "make assets") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("report made %s before failing: %v", out, err)
	}
}
