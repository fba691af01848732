package figures

import (
	"fmt"
	"html"
	"strings"

	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// policyLabel names an eviction policy for people.
func policyLabel(p string) string {
	switch p {
	case "lru":
		return "LRU"
	case "s3fifo":
		return "S3-FIFO"
	case "sieve":
		return "SIEVE"
	case "fifo":
		return "FIFO"
	case "lfu":
		return "LFU"
	case study.Belady:
		return "Belady (offline optimum)"
	}
	return p
}

// policyColor keeps a policy's colour in every chart of section 5.
func policyColor(p string) string {
	switch p {
	case "lru":
		return colorCached
	case "s3fifo":
		return palette[3]
	case "sieve":
		return palette[2]
	}
	return palette[4]
}

// cacheGrid is one position of every picker of the section 5 explorer.
type cacheGrid struct {
	x                *study.CacheExplorer
	hardware, kvType string
	w, b, p, m, c    int
}

func (g cacheGrid) cell() study.CacheCell { return g.x.Cells[g.w][g.b] }
func (g cacheGrid) model() study.ServingModel {
	return g.x.Models[g.m]
}
func (g cacheGrid) run() study.PolicyRun { r, _ := g.cell().Run(g.x.Policies[g.p]); return r }
func (g cacheGrid) blockTokens() int     { return g.x.BlockSizes[g.b] }

// gib is the memory of blocks KV blocks of the picked model and block size.
func (g cacheGrid) gib(blocks int) float64 {
	return study.Round4(units.GiB(float64(blocks) * float64(g.blockTokens()) * float64(g.model().KVBytesPerToken)))
}

func (g cacheGrid) capacityLabel() string {
	c := g.cell()
	if c.Error != "" || g.c >= len(c.Capacities) {
		return "-"
	}
	return fmt.Sprintf("%s blocks · %s", units.Thousands(int64(c.Capacities[g.c])), units.GiBLabel(g.gib(c.Capacities[g.c])))
}

// CacheExplorer is section 5 with every picker: workload (the generators,
// and a trace when given), block size, eviction policy and serving model
// over the capacity slider, all replayed in advance (study.CacheGrid).
// Over time at the slider's capacity: the hit rate, the blocks in use and
// the evictions; against capacity (in GiB of the picked model's KV): every
// policy's hit rate with Belady's bound and the unbounded maximum, and the
// prefill time the hits save per request.
func CacheExplorer(st study.CacheStudy) *widgets.Explorer {
	x := st.Explorer
	e := widgets.NewExplorer().Caption(fmt.Sprintf("Prefix cache on a serving workload: every workload, block size, eviction policy and serving model on %s, KV at %s", st.Hardware, st.KVDType))
	if x == nil || len(x.Cells) == 0 || len(x.Models) == 0 || len(x.Policies) == 0 {
		return e.Chart(func(widgets.At) widgets.Charter {
			return widgets.NewMessageChart("Cache sizes", "The cache study has no explorer: set CacheSettings.Grid and run study.Cache.")
		})
	}
	var workloads, blocks, policies, models []string
	workloads = append(workloads, x.Workloads...)
	for _, b := range x.BlockSizes {
		blocks = append(blocks, units.Thousands(int64(b))+" tokens")
	}
	for _, p := range x.Policies {
		policies = append(policies, policyLabel(p))
	}
	for _, m := range x.Models {
		models = append(models, fmt.Sprintf("%s (%s)", m.Name, m.Attention))
	}
	points := 0
	for _, row := range x.Cells {
		for _, c := range row {
			points = max(points, len(c.Capacities))
		}
	}
	positions := make([]float64, max(points, 1))
	for i := range positions {
		positions[i] = float64(i)
	}
	at := func(a widgets.At) cacheGrid {
		return cacheGrid{x: x, hardware: st.Hardware, kvType: string(st.KVDType),
			w: a.Index("workload"), b: a.Index("block"), p: a.Index("policy"), m: a.Index("model"), c: a.Index("cap")}
	}
	start := x.Cells[x.StartWorkload][x.StartBlockSize].SweetSpot(x.Policies[0])
	if start < 0 {
		start = len(positions) / 2
	}
	// Each chart depends on some pickers only: build it once per
	// combination of those (the explorer encodes a returned chart once).
	memo := map[[6]int]widgets.Charter{}
	once := func(view int, key [5]int, build func() widgets.Charter) widgets.Charter {
		k := [6]int{view, key[0], key[1], key[2], key[3], key[4]}
		if c, ok := memo[k]; ok {
			return c
		}
		c := build()
		memo[k] = c
		return c
	}
	markGiB := func(a widgets.At) float64 {
		g := at(a)
		c := g.cell()
		if c.Error != "" || g.c >= len(c.Capacities) {
			return nan()
		}
		return g.gib(c.Capacities[g.c])
	}
	return e.
		Select("workload", "Workload", workloads).
		Select("block", "Block size", blocks).
		Select("policy", "Eviction", policies).
		Select("model", "Serving model", models).
		Slider("cap", "Cache capacity", positions, func(float64) string { return "" }).
		LabelAt("cap", func(a widgets.At) string { return at(a).capacityLabel() }).
		Start("workload", x.StartWorkload).Start("block", x.StartBlockSize).Start("model", x.StartModel).
		Start("cap", min(start, len(positions)-1)).
		Chart(func(a widgets.At) widgets.Charter {
			g := at(a) // over time: not the model
			return once(0, [5]int{g.w, g.b, g.p, -1, g.c}, func() widgets.Charter { return gridHitOverTime(g) })
		}, widgets.Size("49%", "340px")).
		Chart(func(a widgets.At) widgets.Charter {
			g := at(a)
			return once(1, [5]int{g.w, g.b, g.p, -1, g.c}, func() widgets.Charter { return gridMemoryOverTime(g) })
		}, widgets.Size("49%", "340px")).
		Chart(func(a widgets.At) widgets.Charter {
			g := at(a) // against capacity: not the slider
			return once(2, [5]int{g.w, g.b, g.p, g.m, -1}, func() widgets.Charter { return gridHitAgainstCapacity(g) })
		}, widgets.MarkXAt("cap", markGiB), widgets.Size("49%", "380px")).
		Chart(func(a widgets.At) widgets.Charter {
			g := at(a)
			return once(3, [5]int{g.w, g.b, g.p, g.m, -1}, func() widgets.Charter { return gridTTFTAgainstCapacity(g) })
		}, widgets.MarkXAt("cap", markGiB), widgets.Size("49%", "380px")).
		Fragment(func(a widgets.At) string { return gridSentence(at(a)) }).
		Note(fmt.Sprintf("Token hit rate = prompt tokens served from the cache / prompt tokens. Windowed: over the last %d requests or so; cumulative: since the start. "+
			"Capacity positions are log-spaced from 16 blocks to each workload's distinct blocks, so the last one holds everything (the unbounded maximum). "+
			"TTFT saved = prefill time the hits save per request, from the cost model on the devices each model needs (%s, KV at %s). "+
			"Belady's optimum evicts the block needed furthest in the future: no online policy can beat it. Sweet spot: the smallest capacity reaching %.0f%% of the unbounded hit rate.",
			gridWindow(x), st.Hardware, st.KVDType, 100*study.SweetSpotFraction))
}

// gridWindow is about how many requests one time-series point covers.
func gridWindow(x *study.CacheExplorer) int {
	c := x.Cells[x.StartWorkload][x.StartBlockSize]
	return max(1, c.Stats.Requests/max(1, x.SeriesPoints))
}

// cellMessage says why a cell has nothing to draw (a trace at another block size).
func cellMessage(g cacheGrid, title string) (widgets.Charter, bool) {
	c := g.cell()
	if c.Error == "" && g.c < len(c.Capacities) {
		return nil, false
	}
	text := "Nothing replayed here: " + c.Error
	if c.Error == "" {
		text = "This workload has fewer capacity positions: pick a smaller capacity."
	}
	return widgets.NewMessageChart(fmt.Sprintf("%s: %s at %s-token blocks", title, c.Workload, units.Thousands(int64(g.blockTokens()))), text), true
}

func gridHitOverTime(g cacheGrid) widgets.Charter {
	if m, ok := cellMessage(g, "Hit rate over time"); ok {
		return m
	}
	c, r := g.cell(), g.run()
	s := r.Series[g.c]
	xs := ints(s.Request)
	win, cum := make([]float64, len(xs)), make([]float64, len(xs))
	for j := range xs {
		win[j], cum[j] = 100*s.WindowTokenHitRate[j], 100*s.TokenHitRate[j]
	}
	return newPlot(fmt.Sprintf("Hit rate over time: %s at %s blocks of %s tokens", policyLabel(r.Policy), units.Thousands(int64(c.Capacities[g.c])), units.Thousands(int64(g.blockTokens()))),
		widgets.Axis{Name: "Time", Unit: "requests served"}, widgets.Axis{Name: "Token hit rate", Unit: "%"}).
		add("windowed", xs, win, style{color: policyColor(r.Policy), width: 1.5}).
		add("cumulative", xs, cum, style{color: colorNeutral, dashed: true}).
		yRange(0, 100)
}

func gridMemoryOverTime(g cacheGrid) widgets.Charter {
	if m, ok := cellMessage(g, "Blocks in use and evictions"); ok {
		return m
	}
	c, r := g.cell(), g.run()
	s := r.Series[g.c]
	xs := ints(s.Request)
	used, ev := make([]float64, len(xs)), make([]float64, len(xs))
	for j := range xs {
		used[j], ev[j] = float64(s.BlocksUsed[j]), float64(s.Evictions[j])
	}
	pl := newPlot(fmt.Sprintf("Blocks in use and evictions: %s at %s blocks", policyLabel(r.Policy), units.Thousands(int64(c.Capacities[g.c]))),
		widgets.Axis{Name: "Time", Unit: "requests served"}, widgets.Axis{Name: "KV blocks in use", Unit: "blocks"}).
		add("blocks in use", xs, used, style{color: policyColor(r.Policy), area: "mem"})
	pl.Line().ExtendYAxis(opts.YAxis{Type: "value", Name: "Evictions (blocks, cumulative)", Position: "right",
		SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	pl.add("evictions (right axis)", xs, ev, style{color: colorUncached})
	if n := len(pl.Line().MultiSeries); n == 2 {
		pl.Line().MultiSeries[1].YAxisIndex = 1
	}
	return pl
}

func gridHitAgainstCapacity(g cacheGrid) widgets.Charter {
	if m, ok := cellMessage(g, "Hit rate against capacity"); ok {
		return m
	}
	c := g.cell()
	caps := make([]float64, len(c.Capacities))
	for i, b := range c.Capacities {
		caps[i] = g.gib(b)
	}
	pl := newPlot(fmt.Sprintf("Hit rate against capacity: %s, %s-token blocks", c.Workload, units.Thousands(int64(g.blockTokens()))),
		widgets.Axis{Name: fmt.Sprintf("Cache capacity, %s KV", g.model().Name), Unit: "GiB", Log: true}, widgets.Axis{Name: "Token hit rate", Unit: "%"})
	picked := g.x.Policies[g.p]
	// The picked policy first: the slider's marker and the legend lead with it.
	order := append([]string{picked}, slicesWithout(g.x.Policies, picked)...)
	for _, p := range order {
		r, _ := c.Run(p)
		ys := make([]float64, len(r.Points))
		for j, pt := range r.Points {
			ys[j] = 100 * pt.TokenHitRate
		}
		st := style{color: policyColor(p), width: 1.2}
		if p == picked {
			st.width = 2.5
		}
		pl.add(policyLabel(p), caps, ys, st)
	}
	bel, top := make([]float64, len(caps)), make([]float64, len(caps))
	for j, pt := range c.Belady {
		bel[j], top[j] = 100*pt.TokenHitRate, 100*c.Unbounded.TokenHitRate
	}
	pl.add(policyLabel(study.Belady), caps, bel, style{color: colorNeutral, dashed: true, width: 1.5})
	pl.add("unbounded (maximum)", caps, top, style{color: colorOther, dashed: true, width: 1})
	if m := g.model(); m.NodeKVBytes > 0 {
		pl.markX(study.Round4(units.GiB(float64(m.NodeKVBytes))), fmt.Sprintf("free on %d× %s", m.TP, g.hardware), colorUncached)
	}
	return pl.yRange(0, 100)
}

func gridTTFTAgainstCapacity(g cacheGrid) widgets.Charter {
	if m, ok := cellMessage(g, "Prefill time saved"); ok {
		return m
	}
	m := g.model()
	if m.Error != "" {
		return widgets.NewMessageChart(fmt.Sprintf("Prefill time saved: %s on %s", m.Name, g.hardware),
			fmt.Sprintf("%s cannot serve on %s, so no prefill is timed: %s", m.Name, g.hardware, m.Error))
	}
	c, r := g.cell(), g.run()
	caps := make([]float64, len(c.Capacities))
	saved, base := make([]float64, len(caps)), make([]float64, len(caps))
	for i, b := range c.Capacities {
		caps[i] = g.gib(b)
		saved[i] = 1e3 * r.Points[i].TTFTSaved[g.m]
		base[i] = 1e3 * c.PrefillUncached[g.m]
	}
	pl := newPlot(fmt.Sprintf("Prefill time saved per request: %s on %d× %s", m.Name, m.TP, g.hardware),
		widgets.Axis{Name: fmt.Sprintf("Cache capacity, %s KV", m.Name), Unit: "GiB", Log: true}, widgets.Axis{Name: "Time per request", Unit: "ms"}).
		add("TTFT saved ("+policyLabel(r.Policy)+")", caps, saved, style{color: policyColor(r.Policy)}).
		add("prefill without a cache", caps, base, style{color: colorOther, dashed: true, width: 1})
	if m.NodeKVBytes > 0 {
		pl.markX(study.Round4(units.GiB(float64(m.NodeKVBytes))), fmt.Sprintf("free on %d× %s", m.TP, g.hardware), colorUncached)
	}
	return pl
}

func gridSentence(g cacheGrid) string {
	c := g.cell()
	if c.Error != "" {
		return "<p>" + html.EscapeString(c.Workload+" at "+units.Thousands(int64(g.blockTokens()))+"-token blocks: "+c.Error) + "</p>"
	}
	if g.c >= len(c.Capacities) {
		return "<p>This workload has fewer capacity positions.</p>"
	}
	r, m := g.run(), g.model()
	pt := r.Points[g.c]
	var b strings.Builder
	fmt.Fprintf(&b, "<p>At <b>%s blocks of %s tokens (%s of %s KV)</b>, %s serves <b>%s</b> of prompt tokens from the cache "+
		"(Belady's optimum %s, unbounded %s), recomputes %s prompt tokens and evicts %s blocks.",
		units.Thousands(int64(c.Capacities[g.c])), units.Thousands(int64(g.blockTokens())), html.EscapeString(units.GiBLabel(g.gib(c.Capacities[g.c]))),
		html.EscapeString(m.Name), html.EscapeString(policyLabel(r.Policy)), units.Percent(pt.TokenHitRate),
		units.Percent(c.Belady[g.c].TokenHitRate), units.Percent(c.Unbounded.TokenHitRate),
		units.Count(float64(pt.RecomputedTokens)), units.Count(float64(pt.Evictions)))
	if m.Error == "" && g.m < len(pt.TTFTSaved) {
		fmt.Fprintf(&b, " On %d× %s it saves <b>%s</b> of prefill per request (of %s without a cache).",
			m.TP, html.EscapeString(g.hardware), units.Seconds(pt.TTFTSaved[g.m]), units.Seconds(c.PrefillUncached[g.m]))
	}
	if spot := c.SweetSpot(r.Policy); spot >= 0 {
		where := "this is the sweet spot"
		switch {
		case g.c < spot:
			where = "below the sweet spot: more memory still pays"
		case g.c > spot:
			where = "past the sweet spot: the extra memory buys little"
		}
		fmt.Fprintf(&b, " Sweet spot for %s: %s blocks (%s, %s hit rate); %s.", html.EscapeString(policyLabel(r.Policy)),
			units.Thousands(int64(c.Capacities[spot])), html.EscapeString(units.GiBLabel(g.gib(c.Capacities[spot]))), units.Percent(r.Points[spot].TokenHitRate), where)
	}
	return b.String() + "</p>"
}

// slicesWithout is xs without v.
func slicesWithout(xs []string, v string) []string {
	var out []string
	for _, x := range xs {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}
