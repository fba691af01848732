package study

import (
	"fmt"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
	"kvcache/kvsim/units"
)

// EngineBands are the bands the published validation gives one engine's
// predictions (cost.Validation.Band): how far a predicted time is likely
// to be from a measured one, by the kind of pass it is.
type EngineBands struct {
	Engine       string    `json:"engine"`
	DecodeCached cost.Band `json:"decode_cached"` // a cached decode step at the study's batch
	Prefill      cost.Band `json:"prefill"`       // a prompt's pass, an uncached step (it reruns its prefix) and a generation without a cache
	EndToEnd     cost.Band `json:"end_to_end"`    // a whole generation with a cache: the prompt, then every decode step
}

// BandsOf looks up an engine's bands in v for decode steps of batch requests.
func BandsOf(v cost.Validation, engine string, batch int) EngineBands {
	decode := cost.DecodeBatch1
	if batch > 1 {
		decode = cost.DecodeBatched
	}
	return EngineBands{Engine: engine, DecodeCached: v.Band(engine, decode), Prefill: v.Band(engine, cost.PrefillTTFT), EndToEnd: v.Band(engine, cost.EndToEnd)}
}

// WithBand writes a predicted time with the measured time its band
// suggests, in kvsim predict's words: "21.9 ms, likely measured 23.1 ms -
// 43.1 ms", or "(no validated band)" when there is none (this-cpu).
func WithBand(seconds float64, b cost.Band) string {
	if _, hi := b.Range(seconds); hi == 0 {
		return units.Seconds(seconds) + " (no validated band)"
	}
	return units.Seconds(seconds) + ", likely measured " + report.LikelyMeasured(seconds, b)
}

// SpeedupRange is the speedup a measurement would likely show for a
// predicted speedup = uncached / cached time, each time carrying its own
// band: measured speedup = predicted × (cached ratio / uncached ratio),
// taken at opposite ends of the two bands, so [S × cached.Low /
// uncached.High, S × cached.High / uncached.Low]. The two errors are taken
// as independent; where they move together the range is narrower. 0, 0
// when either band is missing.
func SpeedupRange(speedup float64, cached, uncached cost.Band) (lo, hi float64) {
	if _, h := cached.Range(1); h == 0 {
		return 0, 0
	}
	if _, h := uncached.Range(1); h == 0 {
		return 0, 0
	}
	return speedup * cached.Low / uncached.High, speedup * cached.High / uncached.Low
}

// SpeedupWithBand writes a predicted speedup with its likely measured
// range (SpeedupRange): "6.90x, likely measured 3.71x - 12.8x".
func SpeedupWithBand(speedup float64, cached, uncached cost.Band) string {
	lo, hi := SpeedupRange(speedup, cached, uncached)
	if hi == 0 {
		return units.Times(speedup) + " (no validated band)"
	}
	return fmt.Sprintf("%s, likely measured %s - %s", units.Times(speedup), units.Times(lo), units.Times(hi))
}
