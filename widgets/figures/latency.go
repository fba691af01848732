package figures

import (
	"fmt"

	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// LatencyCDF is the figure of section 5c: the distribution of a serving
// latency (TTFT, TPOT or end-to-end, picked) over the requests of the
// timed replay, comparing cache sizes under one scheduler or the
// schedulers at one cache size (picked), with their percentiles below.
func LatencyCDF(st study.LatencyStudy) *widgets.Explorer {
	metrics := []string{"TTFT", "TPOT", "E2E"}
	type view struct {
		label string
		runs  [][2]int // (capacity, scheduler) pairs drawn
		by    func(c, s int) string
	}
	var views []view
	for s, sched := range st.Schedulers {
		v := view{label: "cache sizes, " + sched, by: func(c, _ int) string { return st.CapacityLabel(c) }}
		for c := range st.Capacities {
			v.runs = append(v.runs, [2]int{c, s})
		}
		views = append(views, v)
	}
	if len(st.Schedulers) > 1 {
		for c := range st.Capacities {
			v := view{label: "schedulers at " + st.CapacityLabel(c), by: func(_, s int) string { return st.Schedulers[s] }}
			for s := range st.Schedulers {
				v.runs = append(v.runs, [2]int{c, s})
			}
			views = append(views, v)
		}
	}
	labels := make([]string, len(views))
	for i, v := range views {
		labels[i] = v.label
	}
	e := widgets.NewExplorer().
		Caption(fmt.Sprintf("Serving latencies: the first %s requests of %s served in time by %s on %d× %s (continuous batching, blocks pinned while a request runs)",
			units.Thousands(int64(st.Stats.Requests)), st.Workload, st.Model, st.TP, st.Hardware)).
		Select("metric", "Latency", metrics).
		Select("compare", "Compare", labels)
	if len(st.Runs) != len(st.Capacities)*len(st.Schedulers) || len(views) == 0 {
		return e.Fragment(func(widgets.At) string { return "<p>The latency study is empty: run study.Latency first.</p>" })
	}
	cdf := func(run study.LatencyRun, m int) study.CDF {
		return [...]study.CDF{run.TTFT, run.TPOT, run.E2E}[m]
	}
	return e.
		Chart(func(at widgets.At) widgets.Charter {
			m, v := at.Index("metric"), views[at.Index("compare")]
			pl := newPlot(fmt.Sprintf("%s distribution, %s", metrics[m], v.label),
				widgets.Axis{Name: metrics[m], Unit: "s", Log: true}, widgets.Axis{Name: "Requests at or below", Unit: "%"})
			for k, cs := range v.runs {
				d := cdf(st.Run(cs[0], cs[1]), m)
				xs := make([]float64, len(d.Seconds))
				for i, x := range d.Seconds {
					xs[i] = positive(x)
				}
				pl.add(v.by(cs[0], cs[1]), xs, scaled(d.Share, 100), style{color: palette[k%len(palette)]})
			}
			return pl.legendRows(96).yRange(0, 100)
		}, widgets.Size("100%", "380px")).
		Table(func(at widgets.At) report.Table {
			m, v := at.Index("metric"), views[at.Index("compare")]
			band := [...]func(float64) (float64, float64){st.Bands.TTFT.Range, st.Bands.TPOT.Range, st.Bands.E2E.Range}[m]
			t := report.Table{Title: metrics[m] + " percentiles", Columns: []report.Column{{Name: "run"}, {Name: "token hits", Unit: "%"},
				{Name: "mean"}, {Name: "p50"}, {Name: "p50 by the band"}, {Name: "p90"}, {Name: "p99"}, {Name: "ITL p99"}, {Name: "completed"}, {Name: "rejected"}, {Name: "stalls"}}}
			for _, cs := range v.runs {
				run := st.Run(cs[0], cs[1])
				sv := run.Serving
				p := [...][4]float64{
					{sv.MeanTTFTSeconds, sv.P50TTFTSeconds, sv.P90TTFTSeconds, sv.P99TTFTSeconds},
					{sv.MeanTPOTSeconds, sv.P50TPOTSeconds, sv.P90TPOTSeconds, sv.P99TPOTSeconds},
					{sv.MeanE2ESeconds, sv.P50E2ESeconds, sv.P90E2ESeconds, sv.P99E2ESeconds}}[m]
				lo, hi := band(p[1])
				within := "-"
				if hi > 0 {
					within = units.Seconds(lo) + "-" + units.Seconds(hi)
				}
				t.AddRow(v.by(cs[0], cs[1]), report.Percent2(run.TokenHitRate), units.Seconds(p[0]), units.Seconds(p[1]), within, units.Seconds(p[2]), units.Seconds(p[3]),
					units.Seconds(sv.P99ITLSeconds), fmt.Sprint(sv.Completed), fmt.Sprint(sv.Rejected), fmt.Sprint(sv.CapacityStalls))
			}
			return t
		}).
		Note("TTFT: arrival to first token, queueing included; TPOT: a request's mean gap between output tokens; E2E: arrival to last token (kvsim/sim/doc.go). " +
			"Cache sizes: the KV memory the devices leave, 4× and 16× that (as if the GPU held more), and unbounded; the cache also holds the running requests' blocks, " +
			"so a small one makes requests wait (stalls). Rejected: a request larger than the whole cache. Schedulers: prefill-first runs whole prefills before decodes; " +
			"chunked-prefill mixes prefill chunks into decode steps (Sarathi-Serve). " +
			fmt.Sprintf("Times are the cost model's; p50 by the band is the measured range its validated band suggests (TTFT: %s; TPOT: %s; E2E: %s).",
				st.Bands.TTFT, st.Bands.TPOT, st.Bands.E2E))
}
