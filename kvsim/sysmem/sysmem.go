package sysmem

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"kvcache/kvsim/units"
)

// MinMargin is the least memory Available keeps free.
const MinMargin = 256 << 20

// Budget is what this process may allocate.
type Budget struct {
	Bytes  int64  // the smallest figure less Margin (may be negative: nothing left)
	Margin int64  // kept free
	Limit  string // the figure used, in words: "cgroup v2 memory.max 3 GiB at /sys/fs/cgroup/x, 1.1 GiB in use"
}

// String says what the budget is and where it comes from.
func (b Budget) String() string {
	return fmt.Sprintf("%s may be used (%s, less a %s margin)", units.Bytes(float64(max(b.Bytes, 0))), b.Limit, units.Bytes(float64(b.Margin)))
}

// Available reads this process's memory budget; ok is false when no
// figure can be read (not Linux, no /proc).
func Available() (b Budget, ok bool) { return readFrom("/") }

// candidate is one figure: free bytes, out of a total, described.
type candidate struct {
	free, total int64
	what        string
}

// readFrom reads the files under root (a fixture in tests).
func readFrom(root string) (Budget, bool) {
	var best *candidate
	consider := func(c candidate) {
		if best == nil || c.free < best.free {
			best = &c
		}
	}
	if c, ok := meminfo(root); ok {
		consider(c)
	}
	for _, c := range cgroups(root) {
		consider(c)
	}
	if best == nil {
		return Budget{}, false
	}
	margin := max(int64(MinMargin), best.total/10)
	return Budget{Bytes: best.free - margin, Margin: margin, Limit: best.what}, true
}

// meminfo reads MemAvailable and MemTotal.
func meminfo(root string) (candidate, bool) {
	kv := keyValues(filepath.Join(root, "proc", "meminfo"))
	avail, ok := kv["MemAvailable:"]
	if !ok {
		return candidate{}, false
	}
	return candidate{free: avail * 1024, total: kv["MemTotal:"] * 1024,
		what: "MemAvailable " + units.Bytes(float64(avail*1024)) + " in /proc/meminfo"}, true
}

// cgroups are the limits of the process's cgroups that set one.
func cgroups(root string) []candidate {
	var out []candidate
	mounts := cgroupMounts(root)
	for _, line := range lines(filepath.Join(root, "proc", "self", "cgroup")) {
		parts := strings.SplitN(line, ":", 3) // hierarchy-ID:controllers:path
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			if m, ok := mounts["cgroup2"]; ok {
				out = append(out, v2Limits(root, m, parts[2])...)
			}
		case hasMemory(parts[1]):
			if m, ok := mounts["memory"]; ok {
				if c, ok := v1Limit(root, m, parts[2]); ok {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// hasMemory says whether a comma-separated list (of controllers, of mount
// options) holds memory.
func hasMemory(list string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == "memory" {
			return true
		}
	}
	return false
}

// mount is where a cgroup hierarchy is mounted and which cgroup its root is.
type mount struct{ point, root string }

// cgroupMounts finds the cgroup2 mount and the v1 memory controller's
// mount in /proc/self/mountinfo.
func cgroupMounts(root string) map[string]mount {
	out := map[string]mount{}
	for _, line := range lines(filepath.Join(root, "proc", "self", "mountinfo")) {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		m := mount{point: unescape(f[4]), root: unescape(f[3])}
		switch {
		case g[0] == "cgroup2":
			out["cgroup2"] = m
		case g[0] == "cgroup" && hasMemory(g[2]):
			out["memory"] = m
		}
	}
	return out
}

// unescape decodes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cgroupDir is the folder of cgroup path under mount m: the path less the
// mount's own root, or the mount's top when that folder is not visible (a
// container that sees only its own cgroup).
func cgroupDir(root string, m mount, path string) (dir, top string) {
	top = filepath.Join(root, m.point)
	rel := path
	if m.root != "/" {
		if r, ok := strings.CutPrefix(path, m.root); ok {
			rel = r
		}
	}
	dir = filepath.Join(top, rel)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		dir = top
	}
	return dir, top
}

// v2Limits reads memory.max at the cgroup and each ancestor up to the mount.
func v2Limits(root string, m mount, path string) []candidate {
	dir, top := cgroupDir(root, m, path)
	var out []candidate
	for {
		if limit, ok := readInt(filepath.Join(dir, "memory.max")); ok {
			used, _ := readInt(filepath.Join(dir, "memory.current"))
			used -= keyValues(filepath.Join(dir, "memory.stat"))["inactive_file"]
			out = append(out, limitCandidate("cgroup v2 memory.max", limit, max(used, 0), strings.TrimPrefix(dir, root)))
		}
		if dir == top || len(dir) <= len(top) {
			return out
		}
		dir = filepath.Dir(dir)
	}
}

// v1Limit reads the v1 memory controller's limit of the cgroup.
func v1Limit(root string, m mount, path string) (candidate, bool) {
	dir, _ := cgroupDir(root, m, path)
	limit, ok := readInt(filepath.Join(dir, "memory.limit_in_bytes"))
	stat := keyValues(filepath.Join(dir, "memory.stat"))
	if h, hok := stat["hierarchical_memory_limit"]; hok && (!ok || h < limit) {
		limit, ok = h, true
	}
	if !ok || limit >= 1<<62 { // the kernel's "no limit" is a page-rounded 2^63-1
		return candidate{}, false
	}
	used, _ := readInt(filepath.Join(dir, "memory.usage_in_bytes"))
	inactive, ok := stat["total_inactive_file"]
	if !ok {
		inactive = stat["inactive_file"]
	}
	return limitCandidate("cgroup v1 memory limit", limit, max(used-inactive, 0), strings.TrimPrefix(dir, root)), true
}

func limitCandidate(kind string, limit, used int64, dir string) candidate {
	return candidate{free: limit - used, total: limit,
		what: fmt.Sprintf("%s %s at %s, %s in use", kind, units.Bytes(float64(limit)), filepath.ToSlash(filepath.Clean("/"+dir)), units.Bytes(float64(used)))}
}

// readInt reads a file holding one integer; "max" (no limit) and anything
// else is not ok.
func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil && v >= 0
}

// keyValues reads "key value [unit]" lines (meminfo, memory.stat).
func keyValues(path string) map[string]int64 {
	out := map[string]int64{}
	for _, line := range lines(path) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			out[f[0]] = v
		}
	}
	return out
}

// lines reads a small text file's lines; a missing file has none.
func lines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}
