package figures

import (
	"fmt"

	"kvcache/kvsim/study"
)

// runBand shades, around a line drawn with add, the range from its fastest
// to its slowest run (widgets.LineChart.Band).
func (p plot) runBand(name string, xs, lo, hi []float64, color string) plot {
	p.Band(name, rounded(xs), rounded(lo), rounded(hi), color)
	return p
}

// errorBars draws, at each point of a line drawn with add, the range from
// the fastest to the slowest run (widgets.LineChart.ErrorBars).
func (p plot) errorBars(name string, xs, lo, hi []float64, color string) plot {
	p.ErrorBars(name, rounded(xs), rounded(lo), rounded(hi), color)
	return p
}

// runsLabel names a band: "range of 3 runs" (fastest to slowest).
func runsLabel(n int) string {
	if n == 1 {
		return "one run: no range"
	}
	return fmt.Sprintf("range of %d runs", n)
}

// ranked says how two measured paths compare, in HTML: the ratio when it
// is beyond the noise, "within noise" when the runs overlap, and a flag
// when the ordering is impossible (noise, not a result).
func ranked(r study.Ranking) string {
	switch {
	case r.Impossible:
		return fmt.Sprintf("<b>flagged as noise</b> (%s)", r.Verdict)
	case r.WithinNoise:
		return "<b>within noise</b> (the runs' ranges overlap: no ranking)"
	case r.Faster != "":
		return "beyond the noise"
	}
	return ""
}

// spreadText is a median with its range: "4.2x (3.9x to 4.6x)".
func spreadText(s study.Spread, format func(float64) string) string {
	if s.N < 2 {
		return format(s.Median)
	}
	return fmt.Sprintf("%s (%s to %s)", format(s.Median), format(s.Min), format(s.Max))
}

// busy says, when other processes kept the machine busy, that they did.
func busy(cores *float64) string {
	if cores == nil || *cores < study.BusyCores {
		return ""
	}
	return fmt.Sprintf(" <b>Busy machine:</b> other processes kept %.1f cores busy during these runs; expect wide ranges.", *cores)
}
