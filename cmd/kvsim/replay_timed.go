package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"kvcache/kvsim/atomicfile"
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
// replay would reject after its work, and starts the CSV file up front so a
// bad path fails before any work. The caller commits or discards it.
func (t timedFlags) check(fs *flag.FlagSet, timed bool) (*atomicfile.File, error) {
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
	f, err := atomicfile.Create(*t.requestsCSV)
	if err != nil {
		return nil, fmt.Errorf("--requests-csv: %w", err)
	}
	return f, nil
}

// serving is the scheduling the flags ask for.
func (t timedFlags) serving() study.Serving {
	return study.Serving{Scheduler: *t.scheduler, ChunkTokens: *t.chunkTokens, DecodeMemory: *t.decodeMemory}
}
