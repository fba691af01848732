// Package sysmem says how much memory this process may still allocate, and
// where that figure comes from, so a run that would not fit is refused with
// a clear message instead of being killed by the kernel (exit 137, no
// message: what `docker run --memory 3g` did to kvsim bench --model
// gpt2-1.5b).
//
// The figure is the smallest of
//
//   - MemAvailable of /proc/meminfo (the host's memory the kernel can give
//     without swapping);
//   - for a cgroup v2 (the unified hierarchy), memory.max less memory.current
//     at the process's cgroup and at each ancestor that sets a limit;
//   - for a cgroup v1 memory controller, the smaller of memory.limit_in_bytes
//     and memory.stat's hierarchical_memory_limit, less
//     memory.usage_in_bytes;
//
// where a cgroup's usage leaves out its inactive page cache (memory.stat
// inactive_file, total_inactive_file for v1), which the kernel reclaims
// before it kills, as container runtimes count a working set. The cgroup
// of the process is read from /proc/self/cgroup and found under its mount
// (/proc/self/mountinfo). From that figure Available keeps a margin of 10%
// of the limit (or of MemTotal), at least 256 MiB, for the Go runtime, the
// garbage collector's headroom and everything a size estimate leaves out.
//
// Outside Linux nothing is known: Available reports ok = false and callers
// skip their check.
package sysmem
