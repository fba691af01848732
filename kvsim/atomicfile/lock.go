package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockName is the lock file LockDir keeps in a folder.
const LockName = ".kvsim.lock"

// Lock is a held folder lock; Unlock releases it (the kernel releases it
// too when the process ends).
type Lock struct{ f *os.File }

// LockDir locks dir for this process, recording who holds it (process id,
// what, since when) in dir/.kvsim.lock. When another process holds the
// lock it fails at once, naming the holder; it never waits.
func LockDir(dir, what string) (*Lock, error) {
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, Perm)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: cannot lock %s: %w", dir, reason(dir, err))
	}
	busy, err := flock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("atomicfile: cannot lock %s: %w", dir, err)
	}
	if busy {
		holder, _ := os.ReadFile(path)
		f.Close()
		h := strings.TrimSpace(string(holder))
		if h == "" {
			h = "another process"
		}
		return nil, fmt.Errorf("atomicfile: %s is being written by %s; wait for it to finish or write elsewhere", dir, h)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%s (process %d, since %s)\n", what, os.Getpid(), time.Now().Format(time.DateTime))
	return &Lock{f: f}, nil
}

// Unlock releases the lock; a nil Lock does nothing.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Close() // closing the last descriptor releases a flock
	l.f = nil
}
