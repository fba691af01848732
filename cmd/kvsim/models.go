package main

import (
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
)

func runModels(args []string, e *env) error {
	f := newFlags("models", "Usage: kvsim models [NAME] [--json] [--model-file FILE]\n")
	asJSON := f.Bool("json", false, "print JSON: an array of every model, or one object for a named model")
	modelFile := addModelFileFlag(f)
	names, err := f.parse(args, e, 1, "give at most one model name")
	if err != nil {
		return err
	}
	cat, err := model.LoadCatalog(*modelFile)
	if err != nil {
		return err
	}
	if len(names) == 1 {
		s, err := cat.Lookup(names[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e, report.NewModelRecord(s))
		}
		return report.ModelDetail(s).WriteText(e.stdout)
	}
	if *asJSON {
		return writeJSON(e, report.ModelRecords(cat.Specs()))
	}
	return report.ModelTable(cat.Specs()).WriteText(e.stdout)
}
