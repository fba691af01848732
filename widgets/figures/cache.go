package figures

import (
	"fmt"
	"html"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// CacheSize is the figure of section 5. When the study replayed a grid
// (CacheSettings.Grid) it is CacheExplorer, with pickers for the workload,
// block size, eviction policy and serving model. Otherwise: a capacity
// slider over the workload replayed at that capacity (hit rate, memory in
// use and evictions over time) and the curves against capacity (hit rate
// per policy, prefill time saved per request) with the slider's capacity
// and the node's free memory marked, plus a sentence on the state.
func CacheSize(st study.CacheStudy) *widgets.Explorer {
	if st.Explorer != nil {
		return CacheExplorer(st)
	}
	lru, _ := st.LRU()
	caps := make([]float64, len(st.Sweep.Capacities))
	for i, c := range st.Sweep.Capacities {
		caps[i] = study.Round4(units.GiB(float64(c) * float64(st.BytesPerBlock)))
	}
	label := func(i int) string {
		return fmt.Sprintf("%s blocks · %s", units.Thousands(int64(st.Sweep.Capacities[i])), units.GiBLabel(caps[i]))
	}
	start := st.SweetSpot
	if start < 0 {
		start = len(caps) / 2
	}
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("Prefix cache on %s: %s KV blocks of %d tokens (%s each)", st.Workload, st.Model, st.Stats.BlockTokens, units.Bytes(float64(st.BytesPerBlock)))).
		Slider("cap", "Cache capacity", caps, func(v float64) string { return label(indexOf(caps, v)) })
	if len(lru.Points) != len(caps) || len(st.Series) != len(caps) {
		return e.Fragment(func(widgets.At) string { return "<p>The cache study is empty: run study.Cache first.</p>" })
	}
	e.Start("cap", start)
	return e.
		Chart(func(at widgets.At) widgets.Charter { return hitOverTime(st, at.Index("cap"), label) }, widgets.Size("49%", "340px")).
		Chart(func(at widgets.At) widgets.Charter { return memoryOverTime(st, at.Index("cap"), label) }, widgets.Size("49%", "340px")).
		Chart(func(widgets.At) widgets.Charter { return hitAgainstCapacity(st, caps) }, widgets.MarkX("cap"), widgets.Size("49%", "360px")).
		Chart(func(widgets.At) widgets.Charter { return ttftAgainstCapacity(st, caps) }, widgets.MarkX("cap"), widgets.Size("49%", "360px")).
		Fragment(func(at widgets.At) string { return cacheSentence(st, at.Index("cap"), caps) }).
		Note(fmt.Sprintf("Token hit rate = prompt tokens served from the cache / prompt tokens. Windowed: over the last %d requests or so; cumulative: since the start. "+
			"TTFT saved = prefill time the hits save per request, from the cost model (%s on %d× %s, %s). Sweet spot: the smallest capacity reaching %.0f%% of the unbounded hit rate.",
			max(1, st.Stats.Requests/max(1, len(st.Series[0].Request))), st.Model, st.TP, st.Hardware, st.KVDType, 100*study.SweetSpotFraction))
}

func indexOf(xs []float64, v float64) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return 0
}

func hitOverTime(st study.CacheStudy, i int, label func(int) string) widgets.Charter {
	s := st.Series[i]
	xs := ints(s.Request)
	win, cum := make([]float64, len(xs)), make([]float64, len(xs))
	for j := range xs {
		win[j], cum[j] = 100*s.WindowTokenHitRate[j], 100*s.TokenHitRate[j]
	}
	return newPlot("Hit rate over time at "+label(i), widgets.Axis{Name: "Time", Unit: "requests served"}, widgets.Axis{Name: "Token hit rate", Unit: "%"}).
		add("windowed", xs, win, style{color: colorCached, width: 1.5}).
		add("cumulative", xs, cum, style{color: colorNeutral, dashed: true}).
		yRange(0, 100)
}

func memoryOverTime(st study.CacheStudy, i int, label func(int) string) widgets.Charter {
	s := st.Series[i]
	xs := ints(s.Request)
	used, ev := make([]float64, len(xs)), make([]float64, len(xs))
	for j := range xs {
		used[j] = units.GiB(float64(s.BlocksUsed[j]) * float64(st.BytesPerBlock))
		ev[j] = float64(s.Evictions[j])
	}
	pl := newPlot("Memory in use and evictions at "+label(i), widgets.Axis{Name: "Time", Unit: "requests served"}, widgets.Axis{Name: "KV memory in use", Unit: "GiB"}).
		add("memory in use (GiB)", xs, used, style{color: colorCached, area: "mem"})
	pl.Line().ExtendYAxis(opts.YAxis{Type: "value", Name: "Evictions (blocks, cumulative)", NameLocation: "middle", NameGap: 58, Position: "right",
		SplitLine: &opts.SplitLine{Show: opts.Bool(false)}})
	pl.Line().SetGlobalOptions(charts.WithGridOpts(opts.Grid{Left: "88", Right: "96", Top: "56", Bottom: "84"}))
	pl.add("evictions (right axis)", xs, ev, style{color: colorUncached})
	if n := len(pl.Line().MultiSeries); n == 2 {
		pl.Line().MultiSeries[1].YAxisIndex = 1
	}
	return pl
}

func hitAgainstCapacity(st study.CacheStudy, caps []float64) widgets.Charter {
	pl := newPlot("Hit rate against cache capacity", widgets.Axis{Name: "Cache capacity", Unit: "GiB", Log: true}, widgets.Axis{Name: "Token hit rate", Unit: "%"})
	for k, c := range st.Sweep.Curves {
		ys := make([]float64, len(c.Points))
		for j, p := range c.Points {
			ys[j] = 100 * p.TokenHitRate
		}
		name := c.Policy
		st2 := style{color: palette[k%len(palette)]}
		if c.Policy == study.Belady {
			name, st2 = "Belady (offline optimum)", style{color: colorNeutral, dashed: true, width: 1.5}
		}
		pl.add(name, caps, ys, st2)
	}
	max := make([]float64, len(caps))
	for j := range max {
		max[j] = 100 * st.Sweep.Unbounded.TokenHitRate
	}
	pl.add("unbounded (maximum)", caps, max, style{color: "#9ca3af", dashed: true, width: 1})
	if st.NodeKVBytes > 0 {
		pl.markX(study.Round4(units.GiB(float64(st.NodeKVBytes))), fmt.Sprintf("free on %d× %s", st.TP, st.Hardware), colorUncached)
	}
	return pl.yRange(0, 100)
}

func ttftAgainstCapacity(st study.CacheStudy, caps []float64) widgets.Charter {
	lru, _ := st.LRU()
	saved, base := make([]float64, len(caps)), make([]float64, len(caps))
	for j, p := range lru.Points {
		saved[j] = 1e3 * p.MeanTTFTSavedSeconds
		base[j] = 1e3 * p.MeanPrefillSecondsUncached
	}
	pl := newPlot(fmt.Sprintf("Prefill time saved per request (%s, %d× %s)", st.Model, st.TP, st.Hardware),
		widgets.Axis{Name: "Cache capacity", Unit: "GiB", Log: true}, widgets.Axis{Name: "Time per request", Unit: "ms"}).
		add("TTFT saved (lru)", caps, saved, style{color: colorCached}).
		add("prefill without a cache", caps, base, style{color: "#9ca3af", dashed: true, width: 1}).
		band("TTFT saved, likely measured", caps, saved, st.PrefillBand.Range, colorCached)
	if st.NodeKVBytes > 0 {
		pl.markX(study.Round4(units.GiB(float64(st.NodeKVBytes))), fmt.Sprintf("free on %d× %s", st.TP, st.Hardware), colorUncached)
	}
	return pl
}

func cacheSentence(st study.CacheStudy, i int, caps []float64) string {
	lru, _ := st.LRU()
	p := lru.Points[i]
	s := fmt.Sprintf("<p>At <b>%s blocks (%s)</b>: token hit rate <b>%s</b> of a possible %s, %s prompt tokens recomputed, %s blocks evicted, "+
		"TTFT saved <b>%s</b> per request (of %s; %s).",
		units.Thousands(int64(p.CapacityBlocks)), html.EscapeString(units.GiBLabel(caps[i])), units.Percent(p.TokenHitRate), units.Percent(st.Sweep.Unbounded.TokenHitRate),
		units.Count(float64(p.RecomputedTokens)), units.Count(float64(p.Evictions)),
		units.Seconds(p.MeanTTFTSavedSeconds), units.Seconds(p.MeanPrefillSecondsUncached), html.EscapeString(likelySaved(st, p.MeanTTFTSavedSeconds)))
	if st.SweetSpot >= 0 {
		sp := lru.Points[st.SweetSpot]
		where := "this is the sweet spot"
		switch {
		case i < st.SweetSpot:
			where = "below the sweet spot: more memory still pays"
		case i > st.SweetSpot:
			where = "past the sweet spot: the extra memory buys little"
		}
		s += fmt.Sprintf(" Sweet spot: %s blocks (%s, %s hit rate); %s.", units.Thousands(int64(sp.CapacityBlocks)),
			html.EscapeString(units.GiBLabel(caps[st.SweetSpot])), units.Percent(sp.TokenHitRate), where)
	}
	return s + "</p>"
}

// likelySaved is the measured TTFT saving the engine's prefill band
// suggests for a predicted one.
func likelySaved(st study.CacheStudy, seconds float64) string {
	if seconds <= 0 {
		return "predicted with " + st.Engine
	}
	return "predicted with " + st.Engine + ": " + study.WithBand(seconds, st.PrefillBand)
}
