package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "kvcache", Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0d55050abcdef0123456789abcdef0123456789a"},
		{Key: "vcs.time", Value: "2026-12-01T01:44:19Z"}, {Key: "vcs.modified", Value: "true"},
		{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
	}}
	info := FromBuildInfo(bi, true)
	want := Info{Module: "kvcache", Version: "(devel)", Commit: "0d55050abcdef0123456789abcdef0123456789a", CommitTime: "2026-12-01T01:44:19Z",
		Dirty: true, VCS: "git", GoVersion: "go1.26.8", Platform: "linux/arm64"}
	if info != want {
		t.Fatalf("got %+v\nwant %+v", info, want)
	}
	if s := info.String(); s != "kvcache (devel), commit 0d55050abcde (2026-12-01T01:44:19Z, with uncommitted changes), go1.26.8 linux/arm64" {
		t.Errorf("String: %s", s)
	}
	// A clean build, and one without version control.
	bi.Settings = bi.Settings[:3]
	if s := FromBuildInfo(bi, true).String(); s != "kvcache (devel), commit 0d55050abcde (2026-12-01T01:44:19Z), go1.26.8 "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("clean: %s", s)
	}
	none := FromBuildInfo(nil, false)
	if none.Module != "unknown" || none.GoVersion != runtime.Version() || !strings.Contains(none.String(), "commit unknown (built without version-control information)") {
		t.Errorf("no build info: %+v %s", none, none)
	}
}

// Read works in any binary, a test one included.
func TestRead(t *testing.T) {
	info := Read()
	if info.GoVersion == "" || info.Platform == "" || info.Module == "" {
		t.Errorf("%+v", info)
	}
}
