package study

import (
	"fmt"
	"math"
	"strings"

	"kvcache/kvsim/units"
)

// Rules of the cache-sharing finding.
const (
	// SharingRecovers is the share of the reuse private caches miss that a
	// shared store must win back for the claim to hold under a router.
	SharingRecovers = 0.5
	// SharingNothingToRecover: private caches within this many points of the
	// most reuse there is leave a shared store nothing to win.
	SharingNothingToRecover = 0.05
)

// cacheSharing checks the seed's direction "cache sharing across GPUs"
// against the tiers study (section 5b): at the hbm capacity nearest the
// memory one instance's devices leave, with the most instances and the
// deepest hierarchy, does one shared store below hbm win back the reuse
// that private tiers miss, under each router?
func cacheSharing(r Results) Finding {
	f := Finding{ID: "cache-sharing", Claim: "A KV cache shared across GPUs recovers reuse that each GPU's own memory misses", Verdict: NotTested,
		Engine: "any: block reuse in the replay does not depend on the engine"}
	st := r.Tiers
	if st == nil {
		f.Evidence = "the tiers study (section 5b) did not run"
		return f
	}
	n, h := 0, deepest(st.Hierarchies)
	for i, v := range st.Instances {
		if v > st.Instances[n] {
			n = i
		}
	}
	if len(st.Runs) == 0 || len(st.Instances) == 0 || st.Instances[n] < 2 || h < 0 {
		f.Evidence = "the tiers study needs 2 or more instances and a tier below hbm to compare private and shared stores"
		return f
	}
	c := nearestCapacity(st)
	most := st.Maximum.BlockHitRate
	gib := units.GiBLabel(units.GiB(float64(st.Capacities[c]) * float64(st.BytesPerBlock)))
	one := st.Run(c, 0, 0, 0, 0)
	if st.Instances[0] != 1 || strings.TrimSpace(st.Hierarchies[0]) != "" {
		one = TierRun{GPUHitRate: math.NaN()}
	}
	var parts []string
	holds, tested := 0, 0
	for k, router := range st.Routers {
		priv, shared := st.Run(c, h, n, k, 0), st.Run(c, h, n, k, 1)
		missed, won := most-priv.HitRate, shared.HitRate-priv.HitRate
		s := fmt.Sprintf("%s routing: the GPUs' own memory reuses %s, private tiers below it %s, one shared store %s (TTFT p50 %s private, %s shared)",
			router, units.Percent(priv.GPUHitRate), units.Percent(priv.HitRate), units.Percent(shared.HitRate),
			units.Seconds(priv.TTFT.Tiered.P50), units.Seconds(shared.TTFT.Tiered.P50))
		if missed < SharingNothingToRecover {
			s += fmt.Sprintf(": private tiers already come within %.1f points of the most, nothing for sharing to win", 100*missed)
		} else {
			tested++
			s += fmt.Sprintf(": sharing wins back %.1f of the %.1f points private tiers miss (%.0f%%)", 100*won, 100*missed, 100*won/missed)
			if won >= SharingRecovers*missed {
				holds++
			}
		}
		parts = append(parts, s)
	}
	switch {
	case tested == 0:
		f.Verdict = DoesNotHold
	case holds == len(st.Routers):
		f.Verdict = Holds
	case holds > 0:
		f.Verdict = HoldsPartly
	default:
		f.Verdict = DoesNotHold
	}
	lead := fmt.Sprintf("%s, %s KV blocks, %d instances with %s of GPU memory each (the slider's capacity nearest the %s their %d× %s leave) above %s (per instance; a shared store pools them). "+
		"The most reuse there is, one unbounded cache seeing every request: %s of prompt blocks",
		st.Workload, st.Model, st.Instances[n], gib, units.GiBLabel(units.GiB(float64(st.NodeKVBytes))), st.TP, st.Hardware,
		strings.Join(splitTiers(st.Hierarchies[h]), " + "), units.Percent(most))
	if !math.IsNaN(one.GPUHitRate) {
		lead += fmt.Sprintf("; one GPU with that memory alone: %s", units.Percent(one.HitRate))
	}
	f.Evidence = lead + ". " + strings.Join(parts, "; ") + fmt.Sprintf(". Holds under a router when sharing wins back at least %.0f%% of what private tiers miss; "+
		"a router whose private tiers come within %.0f points of the most leaves nothing to win (it counts against the claim: sharing is not what recovers the reuse there).",
		100*SharingRecovers, 100*SharingNothingToRecover)
	return f
}

// deepest is the hierarchy with the most tiers below hbm (the last of
// equals), or -1 when none has any.
func deepest(hs []string) int {
	best, most := -1, 0
	for i, h := range hs {
		if n := len(splitTiers(h)); n > 0 && n >= most {
			best, most = i, n
		}
	}
	return best
}

// nearestCapacity is the slider position nearest, on a log scale, the KV
// memory one instance's devices leave (the middle one when unknown).
func nearestCapacity(st *TiersStudy) int {
	if st.NodeKVBytes <= 0 || st.BytesPerBlock <= 0 {
		return len(st.Capacities) / 2
	}
	node := float64(st.NodeKVBytes) / float64(st.BytesPerBlock)
	best := 0
	for i, c := range st.Capacities {
		if math.Abs(math.Log(float64(c)/node)) < math.Abs(math.Log(float64(st.Capacities[best])/node)) {
			best = i
		}
	}
	return best
}
