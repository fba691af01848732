// Package workloadtest finds the Mooncake trace files for tests and
// benchmarks, and skips cleanly when they are absent.
package workloadtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Trace file names as published (kvcache-ai/Mooncake, FAST25-release/traces).
const (
	Conversation = "mooncake_conversation_trace.jsonl"
	Synthetic    = "mooncake_synthetic_trace.jsonl"
)

// EnvDir names the variable that points at a folder of traces.
const EnvDir = "KVCACHE_TRACES"

// Path returns the path of a trace file, from $KVCACHE_TRACES or else
// ../shared/traces beside the repository root (the folder holding go.mod) or
// beside any folder above it (a git worktree sits deeper than the main
// checkout), and skips the test when the file is not there.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	var dirs []string
	if d := os.Getenv(EnvDir); d != "" {
		dirs = append(dirs, d)
	}
	if root, ok := repoRoot(); ok {
		for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
			dirs = append(dirs, filepath.Join(dir, "shared", "traces"))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	tb.Skipf("trace %s not found in %v: set %s to the folder holding the Mooncake traces", name, dirs, EnvDir)
	return ""
}

func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
