// Package atomicfile writes files whole or not at all, and locks a folder
// for one writer at a time.
//
// A file is written to a temporary file in its destination's folder
// (".NAME.*.tmp"), flushed to disk and renamed over the destination, so a
// reader, a crash or a SIGKILL at any moment sees either the previous file
// or the complete new one, never a truncated one; a failed write (a full
// disk, a file-size limit) removes the temporary file and leaves the
// previous one as it was:
//
//	err := atomicfile.Write("reports/kvcache-report.csv", data)      // bytes at hand
//	f, err := atomicfile.Create("requests.csv")                       // or streamed:
//	defer f.Discard()                                                 // no-op after Commit
//	... write to f ...
//	err = f.Commit()
//
// CheckDir says up front whether files can be written into a folder (it is a
// folder, or can be made one, and accepts a new file), so a command refuses a
// bad output path before its work rather than after.
//
// LockDir takes an advisory lock on a folder (flock(2) on DIR/.kvsim.lock,
// released by the kernel when the process ends, however it ends), so two
// processes writing one folder at once is refused with the holder's
// process id and command instead of mixing their files. On systems
// without flock the lock is a no-op. A killed writer may leave temporary
// files behind; RemoveStale deletes them under the lock.
//
// Files are created 0644 (before the umask), as os.WriteFile would.
package atomicfile
