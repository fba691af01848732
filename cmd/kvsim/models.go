package main

import (
	"encoding/json"
	"flag"

	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
)

func runModels(args []string, e *env) error {
	fs := flag.NewFlagSet("models", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON: an array of every model, or one object for a named model")
	modelFile := addModelFileFlag(fs)
	fs.Usage = func() {
		fs.Output().Write([]byte("Usage: kvsim models [NAME] [--json] [--model-file FILE]\n"))
		fs.PrintDefaults()
	}
	names, err := parse(fs, args, e)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return usagef("give at most one model name, got %s", joinQuoted(names))
	}
	cat, err := loadCatalog(*modelFile)
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
		recs := []report.ModelRecord{}
		for _, s := range cat.Specs() {
			recs = append(recs, report.NewModelRecord(s))
		}
		return writeJSON(e, recs)
	}
	return report.ModelTable(cat.Specs()).WriteText(e.stdout)
}

// addModelFileFlag registers --model-file, which adds models from JSON
// (kvsim specs or Hugging Face configs, model.Catalog.LoadFile).
func addModelFileFlag(fs *flag.FlagSet) *string {
	return fs.String("model-file", "", "add models from a JSON `FILE`: a kvsim spec or a Hugging Face config.json (or its folder), or an array of them; see README")
}

// loadCatalog returns the presets plus the models of file, if given.
func loadCatalog(file string) (*model.Catalog, error) {
	cat := model.NewCatalog()
	if file != "" {
		if err := cat.LoadFile(file); err != nil {
			return nil, err
		}
	}
	return cat, nil
}

func writeJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
