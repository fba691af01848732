package report

import (
	"fmt"
	"io"
	"strconv"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/units"
)

// ReplayTable is one row per capacity and eviction policy of a replay;
// withBytes adds the capacity in bytes, withTTFT the prefill time saved.
func ReplayTable(rows []sim.Summary, withBytes, withTTFT bool) Table {
	t := Table{Columns: []Column{{Name: "capacity", Unit: "blocks"}}}
	if withBytes {
		t.Columns = append(t.Columns, Column{Name: "capacity", Unit: "bytes"})
	}
	t.Columns = append(t.Columns, Column{Name: "policy"}, Column{Name: "block hits", Unit: "%"}, Column{Name: "token hits", Unit: "%"},
		Column{Name: "recomputed", Unit: "tokens"}, Column{Name: "evictions"}, Column{Name: "peak", Unit: "blocks"})
	if withTTFT {
		t.Columns = append(t.Columns, Column{Name: "mean TTFT saved"})
	}
	for _, r := range rows {
		cells := []string{capacity(r)}
		if withBytes {
			b := "-"
			if !r.Unbounded {
				b = units.Bytes(float64(r.CapacityBytes))
			}
			cells = append(cells, b)
		}
		cells = append(cells, r.Policy, Percent2(r.BlockHitRate), Percent2(r.TokenHitRate), units.Count(float64(r.RecomputedTokens)),
			units.Count(float64(r.Evictions)), strconv.Itoa(r.PeakBlocks))
		if withTTFT {
			cells = append(cells, units.Seconds(r.MeanTTFTSavedSeconds))
		}
		t.AddRow(cells...)
	}
	return t
}

// ServeTable is one row per capacity and eviction policy of a timed
// replay: hits, time to first token, queueing, stalls and throughput.
func ServeTable(workload string, results []sim.ServeResult) Table {
	title := workload + ": timed serving replay"
	if len(results) > 0 {
		sv := results[0].Serving
		title = fmt.Sprintf("%s: timed serving replay, %s scheduler, %s decode memory", workload, sv.Scheduler, sv.DecodeMemory)
		if sv.ChunkTokens > 0 {
			title += fmt.Sprintf(", %d tokens per step", sv.ChunkTokens)
		}
	}
	t := Table{
		Title: title,
		Columns: []Column{{Name: "capacity", Unit: "blocks"}, {Name: "policy"}, {Name: "token hits", Unit: "%"},
			{Name: "TTFT p50"}, {Name: "TTFT p99"}, {Name: "TPOT p50"}, {Name: "TPOT p99"}, {Name: "ITL p99"}, {Name: "E2E p99"},
			{Name: "mean queue"}, {Name: "stalls"}, {Name: "preempted"}, {Name: "rejected"}, {Name: "output", Unit: "tokens/s"}},
	}
	for _, r := range results {
		s := r.Serving
		t.AddRow(capacity(r.Summary), r.Summary.Policy, Percent2(r.Summary.TokenHitRate), units.Seconds(s.P50TTFTSeconds), units.Seconds(s.P99TTFTSeconds),
			units.Seconds(s.P50TPOTSeconds), units.Seconds(s.P99TPOTSeconds), units.Seconds(s.P99ITLSeconds), units.Seconds(s.P99E2ESeconds),
			units.Seconds(s.MeanQueueSeconds), strconv.FormatInt(s.CapacityStalls, 10), strconv.FormatInt(s.Preemptions, 10), strconv.Itoa(s.Rejected),
			strconv.FormatFloat(s.OutputTokensPerSecond, 'f', 1, 64))
	}
	return t
}

// BlockSizeTable is a block-size sweep: waste and reuse per block size.
func BlockSizeTable(title string, pts []sim.BlockSizePoint) Table {
	t := Table{
		Title: title,
		Columns: []Column{{Name: "block", Unit: "tokens"}, {Name: "blocks"}, {Name: "last-block waste", Unit: "%"},
			{Name: "token hit rate", Unit: "%"}, {Name: "reuse lost", Unit: "points"}},
	}
	for _, p := range pts {
		t.AddRow(strconv.Itoa(p.BlockTokens), units.Count(float64(p.PromptBlocks)), Percent2(p.LastBlockWaste), Percent2(p.TokenHitRate), Percent2(p.ReuseLost))
	}
	return t
}

func capacity(s sim.Summary) string {
	if s.Unbounded || s.CapacityBlocks == cache.Unbounded {
		return "unbounded"
	}
	return strconv.Itoa(s.CapacityBlocks)
}

// Percent2 writes a rate in [0, 1] as a percentage with 2 decimals and no
// sign, as the replay tables do.
func Percent2(x float64) string { return strconv.FormatFloat(100*x, 'f', 2, 64) }

// WriteBlockSizes is kvsim replay --block-sizes: the table and the
// token-granular ideal every block size falls short of.
func WriteBlockSizes(w io.Writer, workload string, pts []sim.BlockSizePoint) error {
	if err := BlockSizeTable(workload+": block size against waste and reuse (unbounded cache)", pts).WriteText(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\ntoken-granular ideal: %s%% of prompt tokens\n", Percent2(pts[0].IdealTokenHitRate))
	return err
}
