//go:build unix

package workload

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A named pipe is read as a stream (--trace <(zcat trace.jsonl.gz)).
func TestLoadMooncakeReadsANamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	errc := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			errc <- err
			return
		}
		_, err = f.WriteString(good + "\n" + good + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		errc <- err
	}()
	w, _, err := LoadMooncake(path, ReadOptions{})
	if err != nil || len(w.Requests) != 2 {
		t.Errorf("pipe: %v, %d requests", err, len(w.Requests))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
