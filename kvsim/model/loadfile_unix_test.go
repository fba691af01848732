//go:build unix

package model

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A named pipe is refused before it is opened: opening one blocks until a
// writer comes, and reading it may never end.
func TestLoadFileRefusesAPipe(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe.json")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	err := NewCatalog().LoadFile(p)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error %v, want a refusal of the pipe", err)
	}
}
