package timing

import "fmt"

// Sample is one timed path: its name, its repeated times and the work it
// did (zero Work: unknown, so no ordering can be called impossible).
type Sample struct {
	Name    string
	Seconds Spread
	Work    Work
}

// Work is what a path computed and moved, counted, not timed.
type Work struct {
	FLOPs float64 // arithmetic, recomputation included
	Bytes float64 // memory the counts say it must stream (cached K/V read, ...)
}

// atLeast says w does at least as much as o in every count, and more in
// one: on one machine it cannot take less time.
func (w Work) atLeast(o Work) bool {
	if w.FLOPs <= 0 && w.Bytes <= 0 {
		return false
	}
	return w.FLOPs >= o.FLOPs && w.Bytes >= o.Bytes && (w.FLOPs > o.FLOPs || w.Bytes > o.Bytes)
}

// Ranking compares two timed paths, A and B.
type Ranking struct {
	A     string  `json:"a"`
	B     string  `json:"b"`
	Ratio float64 `json:"ratio"` // median time of B / median time of A: how many times faster A ran
	// Faster names the faster path when the min-max ranges do not overlap
	// and the ordering is possible; "" otherwise.
	Faster      string `json:"faster,omitempty"`
	WithinNoise bool   `json:"within_noise"` // the ranges overlap: no ranking
	// Impossible: the path doing at least as much work in every count
	// measured faster beyond the noise. The ordering is the machine's noise,
	// not a result.
	Impossible bool   `json:"impossible"`
	Verdict    string `json:"verdict"` // the comparison in words
}

// Rank compares a and b: "within noise" when their min-max ranges overlap,
// flagged as noise (Impossible) when the one doing at least as much work
// came out faster beyond the noise, else the faster one and the ratio of
// medians.
func Rank(a, b Sample) Ranking {
	r := Ranking{A: a.Name, B: b.Name, Ratio: b.Seconds.Median / a.Seconds.Median}
	switch {
	case a.Seconds.Overlaps(b.Seconds):
		r.WithinNoise = true
		r.Verdict = fmt.Sprintf("%s and %s within noise (their ranges over %d and %d runs overlap)", a.Name, b.Name, a.Seconds.N, b.Seconds.N)
	case a.Seconds.Max < b.Seconds.Min && a.Work.atLeast(b.Work):
		r.Impossible = true
		r.Verdict = impossible(a, b)
	case b.Seconds.Max < a.Seconds.Min && b.Work.atLeast(a.Work):
		r.Impossible = true
		r.Verdict = impossible(b, a)
	case a.Seconds.Max < b.Seconds.Min:
		r.Faster = a.Name
		r.Verdict = fmt.Sprintf("%s %.2fx faster than %s, beyond the noise", a.Name, r.Ratio, b.Name)
	default:
		r.Faster = b.Name
		r.Verdict = fmt.Sprintf("%s %.2fx faster than %s, beyond the noise", b.Name, 1/r.Ratio, a.Name)
	}
	return r
}

func impossible(more, less Sample) string {
	return fmt.Sprintf("noise: %s does at least the work of %s yet measured faster (%.3g s against %.3g s); the machine, not the method, ordered them",
		more.Name, less.Name, more.Seconds.Median, less.Seconds.Median)
}

// Ranked says the ranking is a result: neither within noise nor flagged.
func (r Ranking) Ranked() bool { return r.Faster != "" }

// Label is the ranking's standing in a few words: "beyond the noise",
// "within noise" or "flagged as noise" (an impossible ordering).
func (r Ranking) Label() string {
	switch {
	case r.Impossible:
		return "flagged as noise"
	case r.WithinNoise:
		return "within noise"
	case r.Faster != "":
		return "beyond the noise"
	}
	return ""
}
