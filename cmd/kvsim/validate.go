package main

import (
	"fmt"
	"os"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
)

const validateUsage = `Usage: kvsim validate [--json] [--summary] [--tiers [--traces DIR]]

Predicts every published measurement shipped with kvsim (kvsim/cost/validation) and
prints each case with its prediction and the ratio predicted/measured (of times: above 1
the model is pessimistic), then summaries per engine and regime. Cases the model does not
cover are listed with the reason.

With --tiers it also holds the cache tiers, serving instances and routers (kvsim/sim)
against the Mooncake paper's, vLLM's and LMCache's published numbers: transfer rates, KV
sizes, hit rates, break-even bandwidths, TTFT gains and scheduling, each within a stated
band. The hit-rate and scheduling comparisons replay the Mooncake traces found in --traces.

`

func runValidate(args []string, e *env) error {
	f := newFlags("validate", validateUsage)
	asJSON := f.Bool("json", false, "print JSON: every case with its prediction and ratio, the summaries and the sources (with --tiers, also \"tiers\")")
	summaryOnly := f.Bool("summary", false, "print the summaries only, not each case")
	tiers := f.Bool("tiers", false, "also compare the tiers and instances with published numbers (kvsim/sim/published.go)")
	traces := f.String("traces", os.Getenv("KVCACHE_TRACES"), "with --tiers: the `DIR` holding "+study.ConversationTrace+" and "+study.SyntheticTrace+" (default $KVCACHE_TRACES)")
	if _, err := f.parse(args, e, 0, "validate takes no arguments"); err != nil {
		return err
	}
	if f.given["traces"] && !*tiers {
		return usagef("--traces is for the tier comparison: add --tiers")
	}
	v, err := cost.ValidatePublished()
	if err != nil {
		return err
	}
	var refs study.TierReferences
	if *tiers {
		if refs, err = study.CompareTiersPublished(e.context(), study.TierReferenceSettings{TracesDir: *traces}); err != nil {
			return err
		}
		if f.given["traces"] && len(refs.Traces) == 0 {
			return usagef("--traces %s: neither %s nor %s is there", *traces, study.ConversationTrace, study.SyntheticTrace)
		}
	}
	if *asJSON {
		if *tiers {
			return writeJSON(e, struct {
				cost.Validation
				Tiers study.TierReferences `json:"tiers"`
			}{v, refs})
		}
		return writeJSON(e, v)
	}
	if err := report.WriteValidation(e.stdout, v, !*summaryOnly); err != nil || !*tiers {
		return err
	}
	fmt.Fprintln(e.stdout)
	return report.WriteTierReferences(e.stdout, refs.Compared, refs.Traces)
}
