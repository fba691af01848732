package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Arrivals draws the gap in seconds between consecutive arrivals. It is kept
// apart from what a request contains, so any generator can take any arrival
// process (as microsoft/vidur separates them).
type Arrivals interface {
	Gap(rng *rand.Rand) float64
	String() string
	validate() error
}

// Poisson arrivals: exponential gaps of mean 1/RatePerSecond.
type Poisson struct{ RatePerSecond float64 }

// Gap draws an exponential gap.
func (p Poisson) Gap(rng *rand.Rand) float64 { return rng.ExpFloat64() / p.RatePerSecond }
func (p Poisson) String() string             { return fmt.Sprintf("poisson(%g/s)", p.RatePerSecond) }
func (p Poisson) validate() error            { return positiveRate(p.RatePerSecond) }

// Constant arrivals: one every 1/RatePerSecond seconds.
type Constant struct{ RatePerSecond float64 }

// Gap is 1/RatePerSecond.
func (c Constant) Gap(*rand.Rand) float64 { return 1 / c.RatePerSecond }
func (c Constant) String() string         { return fmt.Sprintf("constant(%g/s)", c.RatePerSecond) }
func (c Constant) validate() error        { return positiveRate(c.RatePerSecond) }

func positiveRate(r float64) error {
	if !(r > 0) || math.IsInf(r, 0) {
		return fmt.Errorf("workload: arrival rate %g per second: must be positive and finite", r)
	}
	return nil
}

// Lengths draws a token count.
type Lengths interface {
	Draw(rng *rand.Rand) int
	String() string
	validate() error
}

// Fixed is always N tokens.
type Fixed struct{ N int }

// Draw returns N.
func (f Fixed) Draw(*rand.Rand) int { return f.N }
func (f Fixed) String() string      { return fmt.Sprintf("fixed(%d)", f.N) }
func (f Fixed) validate() error     { return checkRange(f.N, f.N) }

// Uniform draws an integer in [Min, Max].
type Uniform struct{ Min, Max int }

// Draw returns Min + a uniform integer in [0, Max-Min].
func (u Uniform) Draw(rng *rand.Rand) int { return u.Min + rng.IntN(u.Max-u.Min+1) }
func (u Uniform) String() string          { return fmt.Sprintf("uniform(%d..%d)", u.Min, u.Max) }
func (u Uniform) validate() error         { return checkRange(u.Min, u.Max) }

// LogNormal draws round(Median x exp(Sigma x N(0,1))), clamped to [Min, Max]:
// the long-tailed shape of real prompt and answer lengths.
type LogNormal struct {
	Median   float64
	Sigma    float64
	Min, Max int
}

// Draw returns one clamped log-normal length.
func (l LogNormal) Draw(rng *rand.Rand) int {
	v := math.Round(l.Median * math.Exp(l.Sigma*rng.NormFloat64()))
	return int(math.Min(math.Max(v, float64(l.Min)), float64(l.Max)))
}
func (l LogNormal) String() string {
	return fmt.Sprintf("lognormal(median %g, sigma %g, %d..%d)", l.Median, l.Sigma, l.Min, l.Max)
}
func (l LogNormal) validate() error {
	if !(l.Median > 0) || !(l.Sigma >= 0) || math.IsInf(l.Median, 0) || math.IsInf(l.Sigma, 0) {
		return fmt.Errorf("workload: lognormal median %g, sigma %g: need median > 0 and sigma >= 0", l.Median, l.Sigma)
	}
	return checkRange(l.Min, l.Max)
}

func checkRange(lo, hi int) error {
	if lo < 0 || hi < lo || hi > maxPieceTokens {
		return fmt.Errorf("workload: length range %d..%d: need 0 <= min <= max <= %d", lo, hi, maxPieceTokens)
	}
	return nil
}

// maxPieceTokens bounds one segment (token offsets are 32-bit).
const maxPieceTokens = 1 << 24

// zipf draws ranks 0..n-1 with P(k) proportional to (k+1)^-s, s > 1.
func zipf(rng *rand.Rand, s float64, n int) *rand.Zipf {
	return rand.NewZipf(rng, s, 1, uint64(n-1))
}
