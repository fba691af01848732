// Package buildinfo says which build of kvcache is running: the module
// version, the version-control commit and whether the tree had uncommitted
// changes, the Go version and the platform, read from the binary itself
// (runtime/debug.ReadBuildInfo). `kvsim version` prints it; a report's
// environment record carries it so a result names the code that made it.
//
//	info := buildinfo.Read()
//	fmt.Println(info) // kvcache (devel), commit 0d55050 (2026-12-01T01:44:19Z), go1.26.8 linux/amd64
//
// Go stamps the commit when it builds a main package inside a git checkout
// (go build, go install, go run; -buildvcs=false turns it off). Test
// binaries and builds outside a checkout carry none: Commit is then empty
// and String says so.
package buildinfo
