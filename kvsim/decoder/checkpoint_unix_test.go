//go:build unix

package decoder

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A named pipe as weights is refused before it is opened (an open blocks
// until a writer comes).
func TestWeightsPipeIsRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "model.safetensors")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	if _, err := New(testSpecs()[1], Options{WeightsFile: p, Threads: 1}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error %v, want a refusal of the pipe", err)
	}
}
