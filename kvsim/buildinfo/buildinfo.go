package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info identifies a build.
type Info struct {
	Module     string `json:"module"`                // module path of the main package: kvcache
	Version    string `json:"version"`               // module version; "(devel)" for a build inside the repository
	Commit     string `json:"commit,omitempty"`      // the commit built (vcs.revision), "" when unknown
	CommitTime string `json:"commit_time,omitempty"` // its time, RFC 3339 (vcs.time)
	Dirty      bool   `json:"dirty"`                 // the tree had uncommitted changes (vcs.modified)
	VCS        string `json:"vcs,omitempty"`         // the version-control system, "git"
	GoVersion  string `json:"go_version"`            // the Go toolchain that built it
	Platform   string `json:"platform"`              // GOOS/GOARCH
}

// Read returns the running binary's build information.
func Read() Info { return FromBuildInfo(debug.ReadBuildInfo()) }

// FromBuildInfo turns what runtime/debug reports into an Info; ok false
// (a binary built without module support) leaves Module and Version
// "unknown".
func FromBuildInfo(bi *debug.BuildInfo, ok bool) Info {
	info := Info{Module: "unknown", Version: "unknown", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || bi == nil {
		return info
	}
	if bi.Main.Path != "" {
		info.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		info.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	goos, goarch := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			info.VCS = s.Value
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.CommitTime = s.Value
		case "vcs.modified":
			info.Dirty = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		info.Platform = goos + "/" + goarch
	}
	return info
}

// ShortCommit is the commit's first 12 characters, or "unknown".
func (i Info) ShortCommit() string {
	switch {
	case i.Commit == "":
		return "unknown"
	case len(i.Commit) > 12:
		return i.Commit[:12]
	}
	return i.Commit
}

// String is the build on one line.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s, commit %s", i.Module, i.Version, i.ShortCommit())
	var notes []string
	if i.Commit == "" {
		notes = append(notes, "built without version-control information")
	}
	if i.CommitTime != "" {
		notes = append(notes, i.CommitTime)
	}
	if i.Dirty {
		notes = append(notes, "with uncommitted changes")
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
	}
	fmt.Fprintf(&b, ", %s %s", i.GoVersion, i.Platform)
	return b.String()
}

// Text is the build in three lines, as kvsim version prints it: version
// and module, the commit (with its time, and whether the tree had
// uncommitted changes), the Go version and platform.
func (i Info) Text() string {
	commit := i.Commit
	switch {
	case commit == "":
		commit = "unknown (built without version-control information)"
	case i.Dirty:
		commit += " (with uncommitted changes)"
	}
	if i.CommitTime != "" {
		commit += ", " + i.CommitTime
	}
	return fmt.Sprintf("kvsim %s (module %s)\ncommit   %s\ngo       %s %s\n", i.Version, i.Module, commit, i.GoVersion, i.Platform)
}
