package timing

import (
	"math"
	"time"
)

// Load is a snapshot of the machine's busy CPU time and this process's,
// taken by StartLoad.
type Load struct {
	at          time.Time
	machine, me float64 // seconds
	ok          bool
}

// StartLoad takes the snapshot a measurement's OthersBusy is counted from.
func StartLoad() Load { return sample() }

// OthersBusy is how many cores, on average since l, processes other than
// this one kept busy: 0 on a quiet machine, near the core count while
// something else compiles. ok is false where it cannot be read (not Linux).
func (l Load) OthersBusy() (cores float64, ok bool) {
	now := sample()
	if !l.ok || !now.ok {
		return 0, false
	}
	return othersBusy(now.machine-l.machine, now.me-l.me, now.at.Sub(l.at).Seconds()), true
}

// othersBusy is the machine's busy CPU seconds less this process's, over
// wall seconds, never negative (the machine counts whole ticks).
func othersBusy(machine, me, wall float64) float64 {
	if !(wall > 0) {
		return 0
	}
	return math.Max(0, machine-me) / wall
}
