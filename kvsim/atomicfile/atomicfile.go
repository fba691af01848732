package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
)

// Perm is the mode of the files written (before the umask).
const Perm = 0o644

// testHook, when set by a test, runs after each step of a commit ("written",
// "synced", "renamed"), so a test can kill the process at that moment.
var testHook func(step string)

func hook(step string) {
	if testHook != nil {
		testHook(step)
	}
}

// File is a file being written beside its destination; Commit renames it
// into place, Discard drops it. Write to it as to an *os.File.
type File struct {
	*os.File
	dest string
	done bool
}

// Create starts a new version of dest in dest's folder. dest must not be a
// folder or a special file (a device, a pipe). The new version gets the
// mode of the file it replaces, or Perm less the umask.
func Create(dest string) (*File, error) {
	perm := fs.FileMode(Perm)
	if info, err := os.Stat(dest); err == nil {
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("atomicfile: %s is %s, not a regular file", dest, kind(info.Mode()))
		}
		perm = info.Mode().Perm()
	}
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	for range 100 {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64()%1e10, 10)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("atomicfile: cannot write %s: %w", dest, reason(dir, err))
		}
		return &File{File: f, dest: dest}, nil
	}
	return nil, fmt.Errorf("atomicfile: cannot find a free temporary name beside %s", dest)
}

// Dest is the path the file will have once committed.
func (f *File) Dest() string { return f.dest }

// Commit flushes the file to disk, closes it and renames it over the
// destination (then flushes the folder, so the rename survives a power
// loss too). On error the destination is left as it was.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("atomicfile: %s: already committed or discarded", f.dest)
	}
	hook("written")
	if err := f.Sync(); err != nil {
		f.Discard()
		return fmt.Errorf("atomicfile: writing %s: %w", f.dest, err)
	}
	hook("synced")
	f.done = true
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: writing %s: %w", f.dest, err)
	}
	if err := os.Rename(f.Name(), f.dest); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: %w", err)
	}
	hook("renamed")
	syncDir(filepath.Dir(f.dest))
	return nil
}

// Discard closes and removes an uncommitted file; after Commit it does
// nothing, so `defer f.Discard()` is safe.
func (f *File) Discard() {
	if f == nil || f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write writes data to path atomically.
func Write(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Discard()
	if _, err := f.File.Write(data); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, reason(filepath.Dir(path), err))
	}
	return f.Commit()
}

// CheckDir makes dir (and its parents) if missing and checks that a new
// file can be written in it, naming what is wrong: a path that is a file,
// one under a file, a folder without write permission.
func CheckDir(dir string) error {
	if info, err := os.Stat(dir); err == nil && !info.IsDir() {
		return fmt.Errorf("atomicfile: %s is %s, not a folder", dir, kind(info.Mode()))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("atomicfile: cannot make folder %s: %w", dir, reason(dir, err))
	}
	f, err := Create(filepath.Join(dir, "kvsim-check"))
	if err != nil {
		return err
	}
	f.Discard()
	return nil
}

// reason is why err happened under dir, in words: a path component that
// is a file, or the system's reason without the operation and path.
func reason(dir string, err error) error {
	if errors.Is(err, syscall.ENOTDIR) || errors.Is(err, fs.ErrExist) {
		for p := dir; p != filepath.Dir(p); p = filepath.Dir(p) {
			if info, serr := os.Stat(p); serr == nil && !info.IsDir() {
				return fmt.Errorf("%s is %s, not a folder", p, kind(info.Mode()))
			}
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// RemoveStale deletes the temporary files a killed writer left in dir
// (".*.tmp" of this package). Call it only while holding LockDir(dir).
func RemoveStale(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	for _, m := range matches {
		if info, err := os.Lstat(m); err == nil && info.Mode().IsRegular() && tempName.MatchString(filepath.Base(m)) {
			os.Remove(m)
		}
	}
}

// tempName matches the temporary files Create makes.
var tempName = regexp.MustCompile(`^\..+\.[0-9]+\.tmp$`)

// kind names a file mode for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsRegular():
		return "a file"
	}
	return "a special file"
}

// syncDir flushes a folder's entries (a rename) to disk, where the system
// allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
