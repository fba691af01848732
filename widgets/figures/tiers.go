package figures

import (
	"fmt"
	"html"
	"strings"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// Colours of section 5b: each tier, and private against shared stores.
var tierColors = map[string]string{"hbm": colorCached, "dram": "#059669", "ssd": "#d97706", "remote": "#7c3aed"}

const (
	colorPrivate = "#db2777"
	colorShared  = "#0891b2"
)

// CacheTiers is the figure of section 5b: the hbm capacity slider with a
// tier, an instance-count, a router and a private-or-shared picker over
// the reuse against capacity (the most any cache reuses, one GPU, the
// instances' GPUs alone, private and shared tiers), where the reused
// blocks come from, the time to first token, and a sentence on the state.
func CacheTiers(st study.TiersStudy) *widgets.Explorer {
	caps := make([]float64, len(st.Capacities))
	for i, c := range st.Capacities {
		caps[i] = study.Round4(units.GiB(float64(c) * float64(st.BytesPerBlock)))
	}
	label := func(i int) string {
		return fmt.Sprintf("%s blocks · %s", units.Thousands(int64(st.Capacities[i])), units.GiBLabel(caps[i]))
	}
	hier := make([]string, len(st.Hierarchies))
	for i, h := range st.Hierarchies {
		hier[i] = study.HierarchyLabel(h)
	}
	inst := make([]string, len(st.Instances))
	for i, n := range st.Instances {
		inst[i] = fmt.Sprintf("%d", n)
	}
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("%s over serving instances: %s KV blocks of %d tokens (%s each), prefills timed on %d× %s per instance",
			st.Workload, st.Model, st.Stats.BlockTokens, units.Bytes(float64(st.BytesPerBlock)), st.TP, st.Hardware)).
		Slider("hbm", "GPU memory per instance", caps, func(v float64) string { return label(indexOf(caps, v)) }).
		Select("store", "Store below hbm", st.Stores).
		Select("tiers", "Tiers", hier).
		Select("inst", "Instances", inst).
		Select("router", "Router", st.Routers)
	if len(st.Runs) != len(caps)*len(hier)*len(inst)*len(st.Routers)*len(st.Stores) || len(caps) == 0 {
		return e.Fragment(func(widgets.At) string { return "<p>The tiers study is empty: run study.Tiers first.</p>" })
	}
	e.Start("hbm", startCapacity(st)).Start("tiers", len(hier)-1).Start("inst", len(inst)-1).Start("store", len(st.Stores)-1)
	pick := func(at widgets.At) (h, n, r, s int) {
		return at.Index("tiers"), at.Index("inst"), at.Index("router"), at.Index("store")
	}
	return e.
		Chart(func(at widgets.At) widgets.Charter {
			h, n, r, _ := pick(at)
			return reuseAgainstCapacity(st, caps, h, n, r)
		}, widgets.MarkX("hbm"), widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			h, n, r, s := pick(at)
			return reuseByTier(st, caps, h, n, r, s)
		}, widgets.MarkX("hbm"), widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			h, n, r, s := pick(at)
			return ttftAgainstGPUMemory(st, caps, h, n, r, s)
		}, widgets.MarkX("hbm"), widgets.Size("100%", "360px")).
		Fragment(func(at widgets.At) string {
			h, n, r, s := pick(at)
			return tiersSentence(st, at.Index("hbm"), h, n, r, s, label)
		}).
		Note(fmt.Sprintf("Reuse = prompt blocks served from a cache (in GPU memory, or loaded from a tier below when that beats recomputing) / prompt blocks; "+
			"kvsim/sim/doc.go defines the terms. Each instance has the tiers picked; a shared store pools every instance's share (N × each tier) and serves them all. "+
			writeThrough(st.WriteThrough)+
			"TTFT: each instance is a FCFS prefill queue (Mooncake's prefill instances), %s on %d× %s; loads at the links' peak bandwidth (lower bounds); "+
			"the cost model's TTFT predictions are %s. %d combinations from %d replays.", st.Model, st.TP, st.Hardware, st.TTFTBand.String(), len(st.Runs), st.Replays))
}

// startCapacity is the slider position nearest the memory one instance's
// devices leave for the cache, else the middle.
func startCapacity(st study.TiersStudy) int {
	best := len(st.Capacities) / 2
	if st.NodeKVBytes <= 0 || st.BytesPerBlock <= 0 {
		return best
	}
	node := float64(st.NodeKVBytes) / float64(st.BytesPerBlock)
	dist := func(c int) float64 {
		r := float64(c) / node
		if r < 1 {
			r = 1 / r
		}
		return r
	}
	for i, c := range st.Capacities {
		if dist(c) < dist(st.Capacities[best]) {
			best = i
		}
	}
	return best
}

func reuseAgainstCapacity(st study.TiersStudy, caps []float64, h, n, r int) widgets.Charter {
	most, one, alone, priv, shared := make([]float64, len(caps)), make([]float64, len(caps)), make([]float64, len(caps)), make([]float64, len(caps)), make([]float64, len(caps))
	single := st.Instances[0] == 1 && strings.TrimSpace(st.Hierarchies[0]) == ""
	for c := range caps {
		most[c] = 100 * st.Maximum.BlockHitRate
		if single {
			one[c] = 100 * st.Run(c, 0, 0, 0, 0).HitRate
		}
		p := st.Run(c, h, n, r, 0)
		alone[c], priv[c], shared[c] = 100*p.GPUHitRate, 100*p.HitRate, 100*st.Run(c, h, n, r, 1).HitRate
	}
	count := st.Instances[n]
	pl := newPlot(fmt.Sprintf("Reuse: %d instances, %s routing", count, st.Routers[r]),
		widgets.Axis{Name: "GPU memory per instance", Unit: "GiB", Log: true}, widgets.Axis{Name: "Prompt blocks reused", Unit: "%"}).
		add("most any cache reuses", caps, most, style{color: "#9ca3af", dashed: true, width: 1})
	if single {
		pl.add("one GPU alone", caps, one, style{color: colorNeutral, dashed: true, width: 1.5})
	}
	pl.add(fmt.Sprintf("%d GPUs' own memory", count), caps, alone, style{color: colorCached, width: 1.5})
	switch below := strings.TrimSpace(st.Hierarchies[h]) != ""; {
	case below && count > 1:
		pl.add("+ private tiers below", caps, priv, style{color: colorPrivate})
		pl.add("+ one shared store below", caps, shared, style{color: colorShared})
	case below:
		pl.add("+ tiers below", caps, priv, style{color: colorPrivate})
	}
	return pl.legendRows(104).yRange(0, 100)
}

func reuseByTier(st study.TiersStudy, caps []float64, h, n, r, s int) widgets.Charter {
	run0 := st.Run(0, h, n, r, s)
	pl := newPlot(fmt.Sprintf("Where reused blocks come from (%s)", st.Stores[s]),
		widgets.Axis{Name: "GPU memory per instance", Unit: "GiB", Log: true}, widgets.Axis{Name: "Share of prompt blocks", Unit: "%"})
	for t, tier := range run0.Tiers {
		ys := make([]float64, len(caps))
		for c := range caps {
			if run := st.Run(c, h, n, r, s); t < len(run.Tiers) {
				ys[c] = 100 * run.Tiers[t].UsedRate
			}
		}
		name := tier.Medium
		if t > 0 {
			name += " (loaded)"
		}
		pl.add(name, caps, ys, style{color: tierColors[tier.Medium]})
	}
	again := make([]float64, len(caps))
	for c := range caps {
		run := st.Run(c, h, n, r, s)
		again[c] = 100 * max(0, run.FoundRate-run.HitRate)
	}
	pl.add("found below, recomputed (quicker)", caps, again, style{color: colorRecompute, dashed: true, width: 1.5})
	return pl.legendRows(104).yRange(0, 100)
}

func ttftAgainstGPUMemory(st study.TiersStudy, caps []float64, h, n, r, s int) widgets.Charter {
	series := []struct {
		name  string
		color string
		get   func(study.TierRun) (p50, p99 float64)
	}{
		{"with the tiers", colorCached, func(t study.TierRun) (float64, float64) { return t.TTFT.Tiered.P50, t.TTFT.Tiered.P99 }},
		{"GPU memory only", colorAttention, func(t study.TierRun) (float64, float64) { return t.TTFT.NoOffload.P50, t.TTFT.NoOffload.P99 }},
		{"no cache", colorUncached, func(t study.TierRun) (float64, float64) { return t.TTFT.NoCache.P50, t.TTFT.NoCache.P99 }},
	}
	pl := newPlot(fmt.Sprintf("Time to first token (%d instances, %s)", st.Instances[n], st.Stores[s]),
		widgets.Axis{Name: "GPU memory per instance", Unit: "GiB", Log: true}, widgets.Axis{Name: "TTFT", Unit: "s", Log: true})
	for _, se := range series {
		p50, p99 := make([]float64, len(caps)), make([]float64, len(caps))
		for c := range caps {
			a, b := se.get(st.Run(c, h, n, r, s))
			p50[c], p99[c] = positive(a), positive(b)
		}
		pl.add(se.name+" p50", caps, p50, style{color: se.color})
		pl.add(se.name+" p99", caps, p99, style{color: se.color, dashed: true, width: 1.5})
	}
	return pl.legendRows(104)
}

func tiersSentence(st study.TiersStudy, c, h, n, r, s int, label func(int) string) string {
	run := st.Run(c, h, n, r, s)
	other := st.Run(c, h, n, r, 1-s)
	count := st.Instances[n]
	out := fmt.Sprintf("<p>At <b>%s</b> per instance, %d instance(s), %s, %s routing, %s: <b>%s</b> of prompt blocks reused "+
		"(the instances' GPU memory alone: %s; the most any cache reuses: %s).",
		html.EscapeString(label(c)), count, html.EscapeString(study.HierarchyLabel(st.Hierarchies[h])), html.EscapeString(st.Routers[r]),
		st.Stores[s], units.Percent(run.HitRate), units.Percent(run.GPUHitRate), units.Percent(st.Maximum.BlockHitRate))
	if len(run.Tiers) > 1 {
		var parts []string
		for _, t := range run.Tiers[1:] {
			parts = append(parts, fmt.Sprintf("%s %s", t.Medium, units.Percent(t.UsedRate)))
		}
		out += fmt.Sprintf(" Loaded from below: %s (%s moved up).", strings.Join(parts, ", "), units.GiBLabel(run.LoadedGiB))
		if count > 1 {
			out += fmt.Sprintf(" The %s store instead: %s.", st.Stores[1-s], units.Percent(other.HitRate))
		}
	}
	out += fmt.Sprintf(" TTFT p50 %s%s, p99 %s (GPU memory only: %s, %s; no cache: %s, %s). Load: the busiest instance has %.2f× the mean prefill work.</p>",
		units.Seconds(run.TTFT.Tiered.P50), bandRange(st.TTFTBand.Range(run.TTFT.Tiered.P50)), units.Seconds(run.TTFT.Tiered.P99), units.Seconds(run.TTFT.NoOffload.P50), units.Seconds(run.TTFT.NoOffload.P99),
		units.Seconds(run.TTFT.NoCache.P50), units.Seconds(run.TTFT.NoCache.P99), run.Balance.WorkMaxOverMean)
	return out
}

func writeThrough(on bool) string {
	if on {
		return "Every block computed is stored in the tier below hbm at once (write-through, as LMCache and Mooncake do). "
	}
	return "A block reaches the tiers below only when hbm evicts it. "
}

// bandRange is " (band: lo-hi)", the measured times a prediction's
// validated band suggests (cost.Band.Range), or nothing without a band.
func bandRange(lo, hi float64) string {
	if hi == 0 {
		return ""
	}
	return fmt.Sprintf(" (band: %s-%s)", units.Seconds(lo), units.Seconds(hi))
}
