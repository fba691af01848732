package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
)

// RequestsHeader names the columns of WriteRequestsCSV: the run, then the
// request.
var RequestsHeader = []string{"capacity_blocks", "policy", "scheduler", "decode_memory", "request", "arrival_s", "admitted_s", "first_token_s", "finish_s",
	"ttft_s", "tpot_s", "e2e_s", "prompt_tokens", "hit_blocks", "cached_tokens", "new_tokens", "output_tokens", "preemptions", "recomputed_tokens", "rejected"}

// WriteRequestsCSV writes one row per request of every timed run (kvsim
// replay --timed --requests-csv); times a request never reached (a
// rejected one's) and the TPOT of a request with fewer than 2 output
// tokens are empty.
func WriteRequestsCSV(out io.Writer, results []sim.ServeResult) error {
	w := csv.NewWriter(out)
	if err := w.Write(RequestsHeader); err != nil {
		return err
	}
	sec := func(s float64) string {
		if math.IsNaN(s) {
			return ""
		}
		return strconv.FormatFloat(s, 'g', -1, 64)
	}
	for _, res := range results {
		capacity := strconv.Itoa(res.Summary.CapacityBlocks)
		if res.Summary.Unbounded || res.Summary.CapacityBlocks == cache.Unbounded {
			capacity = "unbounded"
		}
		for _, r := range res.Requests {
			tpot := math.NaN()
			if t, ok := r.TPOTSeconds(); ok {
				tpot = t
			}
			err := w.Write([]string{capacity, res.Summary.Policy, res.Serving.Scheduler, res.Serving.DecodeMemory, strconv.Itoa(r.Request),
				sec(r.ArrivalSeconds), sec(r.AdmittedSeconds), sec(r.FirstTokenSeconds), sec(r.FinishSeconds),
				sec(r.TTFTSeconds()), sec(tpot), sec(r.E2ESeconds()),
				strconv.Itoa(r.PromptTokens), strconv.Itoa(r.HitBlocks), strconv.Itoa(r.CachedTokens), strconv.Itoa(r.NewTokens),
				strconv.Itoa(r.OutputTokens), strconv.Itoa(r.Preemptions), strconv.Itoa(r.RecomputedTokens), strconv.FormatBool(r.Rejected)})
			if err != nil {
				return err
			}
		}
	}
	w.Flush()
	return w.Error()
}
