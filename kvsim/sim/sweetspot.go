package sim

import "fmt"

// SweetSpot is the smallest capacity of the policy's curve whose token hit
// rate reaches fraction of the unbounded (theoretical maximum) rate:
//
//	sweet spot = min { C : H_t(C) >= fraction x H_t(unbounded) }
//
// Past it, more memory buys at most (1 - fraction) of the maximum. It
// returns the index into s.Capacities and that point's summary; ok is false
// when no capacity of the sweep reaches it (grow the sweep). fraction must
// be in (0, 1].
func (s Sweep) SweetSpot(policy string, fraction float64) (index int, point Summary, ok bool, err error) {
	if !(fraction > 0 && fraction <= 1) {
		return 0, Summary{}, false, fmt.Errorf("sim: sweet spot at %g of the maximum: the fraction must be in (0, 1]", fraction)
	}
	c, found := s.Curve(policy)
	if !found {
		return 0, Summary{}, false, fmt.Errorf("sim: sweet spot: the sweep has no %q curve", policy)
	}
	target := fraction * s.Unbounded.TokenHitRate
	for i, p := range c.Points {
		if p.TokenHitRate >= target {
			return i, p, true, nil
		}
	}
	return 0, Summary{}, false, nil
}
