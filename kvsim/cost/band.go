package cost

import (
	"fmt"
	"sync"
)

// Band is how far a prediction of one engine and regime is from measured
// runs, as the published validation found it: the 10th to 90th percentile
// of predicted/measured time ratios over Cases cases. A prediction of t
// seconds therefore suggests a measured time between t/High and t/Low.
type Band struct {
	Engine string  `json:"engine"`
	Regime Regime  `json:"regime"`
	Low    float64 `json:"low"`    // 10th percentile of predicted/measured
	Median float64 `json:"median"` // median of predicted/measured
	High   float64 `json:"high"`   // 90th percentile of predicted/measured
	Cases  int     `json:"cases"`
	// Scope says which cases the band comes from: "engine and regime" when
	// that cell has at least MinBandCases, else "engine", else "all cases".
	Scope string `json:"scope"`
}

// MinBandCases is the fewest cases a band is taken from before it falls
// back to a wider group.
const MinBandCases = 5

// Band scopes.
const (
	ScopeCell   = "engine and regime"
	ScopeEngine = "engine"
	ScopeAll    = "all cases"
)

// Band returns the band for a prediction of engine in regime, falling back
// to the engine's cases, then to every case, when a group has fewer than
// MinBandCases.
func (v Validation) Band(engine string, regime Regime) Band {
	b := Band{Engine: engine, Regime: regime}
	if engine == ThisCPUEngine { // measured here, not published: kvsim bench --predict checks it
		b.Scope = "none: this-cpu is checked against kvsim bench, not published runs"
		return b
	}
	for _, g := range []struct {
		s     Summary
		scope string
	}{
		{summarise(v.Results, engine, regime), ScopeCell},
		{summarise(v.Results, engine, ""), ScopeEngine},
		{v.Overall, ScopeAll},
	} {
		if g.s.Cases >= MinBandCases {
			b.Low, b.Median, b.High, b.Cases, b.Scope = g.s.Low, g.s.Median, g.s.High, g.s.Cases, g.scope
			return b
		}
	}
	return b
}

// Range is the measured time the band suggests for a predicted time:
// predicted/High to predicted/Low.
func (b Band) Range(predicted float64) (lo, hi float64) {
	if b.Cases == 0 || !(b.Low > 0) || !(b.High > 0) {
		return 0, 0
	}
	return predicted / b.High, predicted / b.Low
}

// String reads "0.82-1.04x over 17 cases of vllm in batch-1 decode", or
// says which wider group the band fell back to.
func (b Band) String() string {
	if b.Cases == 0 {
		return "no validated band (" + b.Scope + ")"
	}
	var from string
	switch b.Scope {
	case ScopeCell:
		from = fmt.Sprintf("of %s in %s", b.Engine, b.Regime)
	case ScopeEngine:
		from = fmt.Sprintf("of %s in every regime (fewer than %d in %s)", b.Engine, MinBandCases, b.Regime)
	default:
		from = fmt.Sprintf("of every engine (fewer than %d of %s)", MinBandCases, b.Engine)
	}
	return fmt.Sprintf("%.2f-%.2fx over %d published cases %s", b.Low, b.High, b.Cases, from)
}

// RegimeOf is the regime a predicted pass belongs to: a cached decode step
// of one request, of several, or a prompt's pass (an uncached step reruns
// its prefix: a prefill).
func RegimeOf(st Step) Regime {
	switch {
	case st.Phase == DecodePhase && st.Cached && st.Batch == 1:
		return DecodeBatch1
	case st.Phase == DecodePhase && st.Cached:
		return DecodeBatched
	}
	return PrefillTTFT
}

// publishedBands validates the shipped dataset once per process; the
// result is immutable.
var publishedBands = sync.OnceValues(ValidatePublished)

// PublishedBand is the band the shipped validation gives a prediction of
// engine in regime (see Validation.Band). Callers that need many bands, or
// the cases behind them, call ValidatePublished once instead.
func PublishedBand(engine string, regime Regime) (Band, error) {
	v, err := publishedBands()
	if err != nil {
		return Band{}, err
	}
	return v.Band(engine, regime), nil
}
