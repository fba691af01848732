package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/units"
)

// TierTable is one row per tier of a tiered replay, summed over the
// instances' stores (or the one shared store): capacity, the prompt blocks
// found first there and used (hbm) or loaded (below), what was computed
// again, moved and stored.
func TierTable(r sim.TieredResult) Table {
	t := Table{Title: "Tiers (rates: share of prompt blocks; kvsim/sim/doc.go defines them)",
		Columns: []Column{{Name: "tier"}, {Name: "stores"}, {Name: "capacity each", Unit: "blocks"}, {Name: "memory each"}, {Name: "link"}, {Name: "policy"},
			{Name: "found", Unit: "%"}, {Name: "used", Unit: "%"}, {Name: "recomputed", Unit: "blocks"},
			{Name: "loaded"}, {Name: "load time"}, {Name: "stored"}, {Name: "peak", Unit: "blocks"}}}
	for _, tr := range r.PerTier {
		stores := strconv.Itoa(tr.Stores)
		if tr.Shared {
			stores += " shared"
		}
		capBlocks, capBytes := strconv.Itoa(tr.CapacityBlocks), "-"
		if tr.CapacityBlocks == cache.Unbounded {
			capBlocks = "unbounded"
		} else if tr.CapacityBytes > 0 {
			capBytes = units.Bytes(float64(tr.CapacityBytes))
		}
		link := "-"
		if !tr.Link.IsZero() {
			link = tr.Link.Name
		}
		loaded, stored, loadTime := "-", "-", "-"
		if tr.Medium != string(cache.HBM) {
			loaded, stored = bytesOrBlocks(tr.LoadedBytes, tr.UsedBlocks), bytesOrBlocks(tr.StoredBytes, tr.StoredBlocks)
			if tr.LoadSeconds > 0 {
				loadTime = units.Seconds(tr.LoadSeconds)
			}
		}
		t.AddRow(tr.Medium, stores, capBlocks, capBytes, link, tr.Policy, Percent2(tr.HitRate), Percent2(tr.UsedRate),
			units.Count(float64(tr.RecomputedBlocks)), loaded, loadTime, stored, strconv.Itoa(tr.PeakBlocks))
	}
	return t
}

// bytesOrBlocks is a byte size, or a block count when the bytes per block
// are unknown.
func bytesOrBlocks(bytes, blocks int64) string {
	if bytes > 0 || blocks == 0 {
		return units.Bytes(float64(bytes))
	}
	return units.Count(float64(blocks)) + " blocks"
}

// TieredTTFTTable is the time to first token in the prefill-queue model:
// with the tiers, with hbm only (no offload) and with no cache.
func TieredTTFTTable(t sim.TTFTResult) Table {
	tb := Table{Title: "Time to first token: " + t.Model,
		Columns: []Column{{Name: "cache"}, {Name: "mean"}, {Name: "p50"}, {Name: "p90"}, {Name: "p99"}, {Name: "max"}}}
	for _, row := range []struct {
		name string
		p    sim.Percentiles
	}{{"tiers", t.Tiered}, {"hbm only (no offload)", t.NoOffload}, {"no cache", t.NoCache}} {
		p := row.p
		tb.AddRow(row.name, units.Seconds(p.Mean), units.Seconds(p.P50), units.Seconds(p.P90), units.Seconds(p.P99), units.Seconds(p.Max))
	}
	return tb
}

// InstanceTable is one row per instance: its requests, its GPU tier's hit
// rate, the prompt tokens it computed and, timed, its prefill queue.
func InstanceTable(r sim.TieredResult) Table {
	timed := r.TTFT != nil
	t := Table{Title: "Instances", Columns: []Column{{Name: "instance"}, {Name: "requests"}, {Name: "block hits (used)", Unit: "%"}, {Name: "computed", Unit: "tokens"}}}
	if timed {
		t.Columns = append(t.Columns, Column{Name: "prefill busy"}, Column{Name: "TTFT p50"}, Column{Name: "TTFT p99"})
	}
	for _, in := range r.PerInst {
		cells := []string{strconv.Itoa(in.Instance), strconv.Itoa(in.Requests), Percent2(in.Summary.BlockHitRate), units.Count(float64(in.ComputedTokens))}
		if timed {
			p50, p99 := "-", "-"
			if in.TTFT != nil {
				p50, p99 = units.Seconds(in.TTFT.P50), units.Seconds(in.TTFT.P99)
			}
			cells = append(cells, units.Seconds(in.PrefillSeconds), p50, p99)
		}
		t.AddRow(cells...)
	}
	return t
}

// WriteTiered writes a tiered replay: what ran, the tiers, the reuse the
// tiers below hbm added, the TTFT, the instances and their balance.
func WriteTiered(w io.Writer, r sim.TieredResult) error {
	store := "private"
	if r.Shared {
		store = "one shared store below hbm"
	}
	fmt.Fprintf(w, "%d instance(s), tiers %s (%s), router %s; %s\n\n", r.Instances, strings.Join(r.TierNames, ","), store, r.Router, r.Decision)
	if err := TierTable(r).WriteText(w); err != nil {
		return err
	}
	o, prompt := r.Offload, float64(r.Summary.PromptBlocks)
	share := func(n int64) string {
		if prompt == 0 {
			return "0.00"
		}
		return Percent2(float64(n) / prompt)
	}
	fmt.Fprintf(w, "\nReuse: %s%% of prompt blocks found in some tier, %s%% used (%s%% token hits); hbm alone: %s%%. Loaded %s from below hbm",
		share(o.ReusableBlocks), share(o.UsedBlocks), Percent2(r.Summary.TokenHitRate), share(o.GPUHitBlocks), bytesOrBlocks(o.LoadedBytes, o.LoadedBlocks))
	if o.LoadSeconds > 0 {
		fmt.Fprintf(w, " in %s", units.Seconds(o.LoadSeconds))
	}
	fmt.Fprintf(w, "; %s blocks found below were computed again, being quicker.\n", units.Count(float64(o.RecomputedBlocks)))
	if r.TTFT != nil {
		fmt.Fprintf(w, "Prefill work: %s with the tiers, %s with hbm only, %s with no cache; saved against hbm only: %s (%s per request).\n\n",
			units.Seconds(o.PrefillSeconds), units.Seconds(o.PrefillSecondsNoOffload), units.Seconds(o.PrefillSecondsNoCache),
			units.Seconds(o.TTFTSavedSeconds), units.Seconds(o.MeanTTFTSavedSeconds))
		if err := TieredTTFTTable(*r.TTFT).WriteText(w); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	if err := InstanceTable(r).WriteText(w); err != nil {
		return err
	}
	b := r.Balance
	fmt.Fprintf(w, "\nLoad balance (max / mean, stddev / mean): requests %.2f, %.2f; work (%s) %.2f, %.2f\n",
		b.RequestsMaxOverMean, b.RequestsCV, b.Work, b.WorkMaxOverMean, b.WorkCV)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// TierReferencesTable is each published number beside kvsim's
// counterpart, with the band it is held to.
func TierReferencesTable(cs []sim.Comparison) Table {
	t := Table{Title: "Tiers and instances against published numbers (kvsim/sim/published.go; ratio = kvsim / published)",
		Columns: []Column{{Name: "reference"}, {Name: "quantity", Align: Left}, {Name: "published"}, {Name: "kvsim"}, {Name: "ratio"},
			{Name: "verdict", Align: Left, Colors: map[string]string{"within": "#047857", "outside": "#b91c1c", "skipped": "#6b7280"}}}}
	for _, c := range cs {
		p := c.Published
		kv, ratio, verdict := "-", "-", "skipped"
		if !math.IsNaN(c.Modelled) {
			kv, ratio = fmt.Sprintf("%.4g %s", c.Modelled, p.Unit), fmt.Sprintf("%.2f", c.Ratio)
			verdict = "outside"
			if c.Pass {
				verdict = "within"
			}
		}
		t.AddRow(p.ID, p.Quantity, fmt.Sprintf("%.4g %s", p.Value, p.Unit), kv, ratio, verdict)
	}
	return t
}

// WriteTierReferences writes the comparison table, then (with how) how
// each number was computed and its band, the traces and the sources.
func WriteTierReferences(w io.Writer, cs []sim.Comparison, traces []string, how bool) error {
	if err := TierReferencesTable(cs).WriteText(w); err != nil {
		return err
	}
	within, outside, skipped := 0, 0, 0
	for _, c := range cs {
		switch {
		case c.Skipped != "":
			skipped++
		case c.Pass:
			within++
		default:
			outside++
		}
	}
	fmt.Fprintf(w, "\nWithin their band: %d of %d compared; %d outside (known disagreements, kept: kvsim/sim/doc.go says why); %d skipped.\n",
		within, within+outside, outside, skipped)
	for i, c := range cs {
		if !how {
			break
		}
		if i == 0 {
			fmt.Fprintln(w, "\nHow kvsim computed each (band: the check it is held to):")
		}
		if c.Skipped != "" {
			fmt.Fprintf(w, "  %s: skipped: %s\n", c.Published.ID, c.Skipped)
			continue
		}
		fmt.Fprintf(w, "  %s: %s (band: %s)\n", c.Published.ID, c.How, c.Check)
		if c.Note != "" {
			fmt.Fprintf(w, "    note: %s\n", c.Note)
		}
	}
	if len(traces) == 0 {
		fmt.Fprintln(w, "\nNo Mooncake trace replayed: set KVCACHE_TRACES to the folder holding them for the hit-rate and scheduling comparisons.")
	} else {
		fmt.Fprintf(w, "\nTraces replayed: %s\n", strings.Join(traces, ", "))
	}
	fmt.Fprintln(w, "\nSources:")
	seen := map[string]bool{}
	for _, c := range cs {
		if p := c.Published; !seen[p.URL] {
			seen[p.URL] = true
			fmt.Fprintf(w, "  %s: %s\n", p.Source, p.URL)
		}
	}
	return nil
}
