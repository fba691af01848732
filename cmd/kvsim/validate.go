package main

import (
	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
)

const validateUsage = `Usage: kvsim validate [--json] [--summary]

Predicts every published measurement shipped with kvsim (kvsim/cost/validation) and
prints each case with its prediction and the ratio predicted/measured (of times: above 1
the model is pessimistic), then summaries per engine and regime. Cases the model does not
cover are listed with the reason.

`

func runValidate(args []string, e *env) error {
	f := newFlags("validate", validateUsage)
	asJSON := f.Bool("json", false, "print JSON: every case with its prediction and ratio, the summaries and the sources")
	summaryOnly := f.Bool("summary", false, "print the summaries only, not each case")
	if _, err := f.parse(args, e, 0, "validate takes no arguments"); err != nil {
		return err
	}
	if *asJSON && *summaryOnly {
		return usagef("--summary shortens the text; --json always holds every case and the summaries: give one")
	}
	v, err := cost.ValidatePublished()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e, v)
	}
	return report.WriteValidation(e.stdout, v, !*summaryOnly)
}
