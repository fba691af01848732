package main

import (
	"os"

	"kvcache/kvsim/study"
)

const validateUsage = `Usage: kvsim validate [--json] [--summary]

Predicts every published measurement shipped with kvsim (kvsim/cost/validation) and
prints each case with its prediction and the ratio predicted/measured (of times: above 1
the model is pessimistic), then summaries per engine and regime. Cases the model does not
cover are listed with the reason. Then holds the cache tiers and serving instances (kvsim/sim)
against published numbers, each within a stated band; the hit-rate and scheduling ones
replay the Mooncake traces in $KVCACHE_TRACES when set.

`

func runValidate(args []string, e *env) error {
	f := newFlags("validate", validateUsage)
	asJSON := f.Bool("json", false, "print JSON: every case with its prediction and ratio, the summaries and the sources, and the tiers' comparison")
	summaryOnly := f.Bool("summary", false, "print the summaries only, not each case")
	if _, err := f.parse(args, e, 0, "validate takes no arguments"); err != nil {
		return err
	}
	if *asJSON && *summaryOnly {
		return usagef("--summary shortens the text; --json always holds every case and the summaries: give one")
	}
	v, err := study.Validate(e.context(), study.TierReferenceSettings{TracesDir: os.Getenv("KVCACHE_TRACES")})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e, v)
	}
	return v.WriteText(e.stdout, !*summaryOnly)
}
