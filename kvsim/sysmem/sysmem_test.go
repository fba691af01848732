package sysmem

import (
	"path/filepath"
	"strings"
	"testing"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

// Each fixture is a root with the files a Linux process sees: which limit
// is used, and what remains after usage (less inactive page cache) and the
// margin.
func TestBudgetFromFixtures(t *testing.T) {
	for _, tc := range []struct {
		root   string
		bytes  int64
		margin int64
		limit  string
	}{
		// 3 GiB limit, 1 GiB charged of which 100 MiB inactive cache: 2.1 GiB free, less 10% of 3 GiB.
		{"v2-container", 3*gib - (gib - 100*mib) - 3*gib/10, 3 * gib / 10, "cgroup v2 memory.max 3 GiB at /sys/fs/cgroup, 924 MiB in use"},
		// The scope sets no limit; its parent's 2 GiB with 512 MiB used counts; the margin is the 256 MiB floor.
		{"v2-nested", 2*gib - 512*mib - 256*mib, 256 * mib, "cgroup v2 memory.max 2 GiB at /sys/fs/cgroup/user.slice, 512 MiB in use"},
		// v1 memory controller at /process_api/5dd1: 3 GiB, 600 MiB used less 100 MiB inactive.
		{"v1", 3*gib - 500*mib - 3*gib/10, 3 * gib / 10, "cgroup v1 memory limit 3 GiB at /sys/fs/cgroup/memory/process_api/5dd1, 500 MiB in use"},
		// The container sees its own cgroup at the mount's top; the limit is an ancestor's (hierarchical).
		{"v1-ancestor", 1536*mib - 100*mib - 256*mib, 256 * mib, "cgroup v1 memory limit 1.5 GiB at /sys/fs/cgroup/memory, 100 MiB in use"},
		// No limit anywhere: MemAvailable 20 GiB, less 10% of MemTotal 24 GiB.
		{"no-limit", 20*gib - 24*gib/10, 24 * gib / 10, "MemAvailable 20 GiB in /proc/meminfo"},
	} {
		b, ok := readFrom(filepath.Join("testdata", tc.root))
		if !ok {
			t.Errorf("%s: nothing read", tc.root)
			continue
		}
		if b.Bytes != tc.bytes || b.Margin != tc.margin || b.Limit != tc.limit {
			t.Errorf("%s: %d bytes, margin %d, limit %q\nwant %d, %d, %q", tc.root, b.Bytes, b.Margin, b.Limit, tc.bytes, tc.margin, tc.limit)
		}
		if s := b.String(); !strings.Contains(s, tc.limit) || !strings.Contains(s, "margin") {
			t.Errorf("%s: %q", tc.root, s)
		}
	}
	if _, ok := readFrom(t.TempDir()); ok {
		t.Error("an empty root gave a budget")
	}
}

func TestUnescape(t *testing.T) {
	if got := unescape(`/mnt/my\040cgroups`); got != "/mnt/my cgroups" {
		t.Errorf("got %q", got)
	}
}
