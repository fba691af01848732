package main

import (
	"fmt"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
)

const enginesUsage = `Usage: kvsim engines [NAME] [--json]

Lists the execution profiles kvsim predict --engine takes: how each engine launches
kernels, its host costs, its memory fraction, and where every constant comes from.

`

func runEngines(args []string, e *env) error {
	f := newFlags("engines", enginesUsage)
	asJSON := f.Bool("json", false, "print JSON: an array of every profile, or one object for a named one")
	names, err := f.parse(args, e, 1, "give at most one engine name")
	if err != nil {
		return err
	}
	if len(names) == 1 {
		eng, err := cost.LookupEngine(names[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, eng)
		}
		return report.WriteEngineDetail(e.stdout, eng)
	}
	all := cost.Engines()
	if *asJSON {
		return writeJSON(e, all)
	}
	if err := report.EnginesTable(all).WriteText(e.stdout); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nkvsim engines NAME shows one profile with its sources; --exec eager and graph stand for pytorch-eager and vllm.")
	return nil
}
