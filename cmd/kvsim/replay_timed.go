package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/study"
)

// timedFlags are replay's flags for the timed serving replay only.
type timedFlags struct {
	scheduler    *string
	chunkTokens  *int
	decodeMemory *string
	requestsCSV  *string
}

func addTimedFlags(fs *flag.FlagSet) timedFlags {
	return timedFlags{
		scheduler: fs.String("scheduler", sim.PrefillFirst, "with --timed: the step scheduler, "+strings.Join(sim.SchedulerNames(), " or ")+
			" (kvsim/sim/doc.go defines them)"),
		chunkTokens:  fs.Int("chunk-tokens", 0, fmt.Sprintf("with --scheduler %s: tokens per step, `N` (default %d)", sim.ChunkedPrefill, sim.DefaultChunkTokens)),
		decodeMemory: fs.String("decode-memory", sim.DecodeReserve, "with --timed: "+sim.DecodeReserve+" (a request's whole output at admission) or "+sim.DecodeOnDemand+" (a block when a token needs one; preempts and recomputes)"),
		requestsCSV:  fs.String("requests-csv", "", "with --timed: write one row per request and run (arrival, first token, finish, tokens, preemptions) to `FILE`"),
	}
}

// check refuses the timed flags without --timed, or with values the
// replay would reject after its work, and opens the CSV file up front so a
// bad path fails before any work. The caller closes the returned file.
func (t timedFlags) check(fs *flag.FlagSet, timed bool) (*pendingFile, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !timed {
		for _, name := range []string{"scheduler", "chunk-tokens", "decode-memory", "requests-csv"} {
			if set[name] {
				return nil, usagef("--%s applies to the timed replay only: add --timed (with --model and --hardware)", name)
			}
		}
		return nil, nil
	}
	if !slices.Contains(sim.SchedulerNames(), *t.scheduler) {
		return nil, usagef("--scheduler %q: use %s", *t.scheduler, strings.Join(sim.SchedulerNames(), " or "))
	}
	if set["chunk-tokens"] && *t.scheduler != sim.ChunkedPrefill {
		return nil, usagef("--chunk-tokens is for --scheduler %s (%s runs whole prefills)", sim.ChunkedPrefill, *t.scheduler)
	}
	if set["chunk-tokens"] && *t.chunkTokens < 1 {
		return nil, usagef("--chunk-tokens %d: give at least 1 token per step", *t.chunkTokens)
	}
	if !slices.Contains(sim.DecodeMemoryNames(), *t.decodeMemory) {
		return nil, usagef("--decode-memory %q: use %s", *t.decodeMemory, strings.Join(sim.DecodeMemoryNames(), " or "))
	}
	if *t.requestsCSV == "" {
		return nil, nil
	}
	return createPending(*t.requestsCSV)
}

// serving is the scheduling the flags ask for.
func (t timedFlags) serving() study.Serving {
	return study.Serving{Scheduler: *t.scheduler, ChunkTokens: *t.chunkTokens, DecodeMemory: *t.decodeMemory}
}

// pendingFile is a file written beside its destination and renamed into
// place once complete, so a failed or killed run never leaves half a file.
type pendingFile struct {
	*os.File
	dest string
}

func createPending(dest string) (*pendingFile, error) {
	if info, err := os.Stat(dest); err == nil && !info.Mode().IsRegular() {
		return nil, usagef("--requests-csv %s: not a regular file", dest)
	}
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("--requests-csv %s: cannot write there: %w", dest, err)
	}
	return &pendingFile{File: f, dest: dest}, nil
}

// commit closes the file and renames it into place.
func (p *pendingFile) commit() error {
	if err := p.Sync(); err != nil {
		p.discard()
		return err
	}
	if err := p.Close(); err != nil {
		os.Remove(p.Name())
		return err
	}
	if err := os.Chmod(p.Name(), 0o644); err != nil {
		os.Remove(p.Name())
		return err
	}
	return os.Rename(p.Name(), p.dest)
}

// discard removes an unfinished file; safe after commit.
func (p *pendingFile) discard() {
	if p != nil {
		p.Close()
		os.Remove(p.Name())
	}
}

// requestsHeader names the CSV columns: the run, then the request.
var requestsHeader = []string{"capacity_blocks", "policy", "scheduler", "decode_memory", "request", "arrival_s", "admitted_s", "first_token_s", "finish_s",
	"ttft_s", "tpot_s", "e2e_s", "prompt_tokens", "hit_blocks", "cached_tokens", "new_tokens", "output_tokens", "preemptions", "recomputed_tokens", "rejected"}

// writeRequestsCSV writes every request of every run; times a request
// never reached (a rejected one's) and TPOT of a request with fewer than 2
// output tokens are empty.
func writeRequestsCSV(f *pendingFile, results []sim.ServeResult) error {
	w := csv.NewWriter(f)
	if err := w.Write(requestsHeader); err != nil {
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
