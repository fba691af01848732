package main

import (
	"fmt"

	"kvcache/kvsim/buildinfo"
)

const versionUsage = `Usage: kvsim version [--json]

Prints which build of kvsim this is: module version, the git commit it was
built from (and whether the tree had uncommitted changes), Go version and
platform. A binary built outside a git checkout, or with -buildvcs=false,
has no commit.

`

func runVersion(args []string, e *env) error {
	f := newFlags("version", versionUsage)
	asJSON := f.Bool("json", false, "print JSON")
	if _, err := f.parse(args, e, 0, "version takes no arguments"); err != nil {
		return err
	}
	info := buildinfo.Read()
	if *asJSON {
		return writeJSON(e, info)
	}
	_, err := fmt.Fprint(e.stdout, info.Text())
	return err
}
