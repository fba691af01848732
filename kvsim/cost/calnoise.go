package cost

import (
	"fmt"
	"math"
	"strings"

	noise "kvcache/kvsim/timing" // cost has its own timing type
)

// CalibrationNoise is how far a calibration's rounds disagreed on each of
// its headline figures: each figure is its median round, and the Spread
// gives the rounds' range. OthersBusy is how many cores other processes
// kept busy while it ran (nil where it cannot be read): a calibration taken
// while something compiled shows it here and in wide ranges.
type CalibrationNoise struct {
	Rounds          int          `json:"rounds"`
	MatmulFLOPS     noise.Spread `json:"matmul_flops"`
	MatvecFLOPS     noise.Spread `json:"matvec_flops"`
	StreamBandwidth noise.Spread `json:"stream_bandwidth"`
	ForkJoinSeconds noise.Spread `json:"fork_join_s"`
	OthersBusy      *float64     `json:"others_busy_cores,omitempty"`
}

// calibrationNoise turns the probes' rounds into the headline figures'
// ranges, each round priced as derive prices the medians.
func calibrationNoise(probes []*calProbe, forkJoin float64) *CalibrationNoise {
	rounds := map[string][]float64{}
	for _, p := range probes {
		rounds[p.name] = p.rounds
	}
	each := func(name string, f func(s float64) float64) noise.Spread {
		var xs []float64
		for _, s := range rounds[name] {
			xs = append(xs, f(s))
		}
		return noise.Of(xs)
	}
	mib := float64(calMatvecMiB)
	return &CalibrationNoise{Rounds: calRounds,
		MatmulFLOPS: each("matmul wide batch", func(s float64) float64 { return 2 * calBatch * calMatFloats / s }),
		MatvecFLOPS: each(fmt.Sprintf("matvec %d MiB", calMatvecMiB), func(s float64) float64 {
			return 2 * mib * calMatFloats / math.Max(s-mib*forkJoin, 1e-9)
		}),
		StreamBandwidth: each("triad", func(s float64) float64 { return triadBytes / s }),
		ForkJoinSeconds: each("fork-join", func(s float64) float64 { return s / calForkJoins }),
	}
}

// describe is the noise in words for a preset's Source ("" without).
func (n *CalibrationNoise) describe() string {
	if n == nil {
		return ""
	}
	s := fmt.Sprintf("; over %d rounds: matmul %.3g-%.3g GFLOP/s, matrix-vector %.3g-%.3g GFLOP/s, stream %.3g-%.3g GB/s, fork-join %.3g-%.3g µs",
		n.Rounds, n.MatmulFLOPS.Min/1e9, n.MatmulFLOPS.Max/1e9, n.MatvecFLOPS.Min/1e9, n.MatvecFLOPS.Max/1e9,
		n.StreamBandwidth.Min/1e9, n.StreamBandwidth.Max/1e9, n.ForkJoinSeconds.Min*1e6, n.ForkJoinSeconds.Max*1e6)
	if n.OthersBusy != nil {
		s += fmt.Sprintf("; other processes kept %.2f cores busy meanwhile", *n.OthersBusy)
	}
	return s
}

// String is the noise in words: each headline figure's range over the
// rounds, and the load of other processes.
func (n *CalibrationNoise) String() string {
	if n == nil {
		return "this-cpu: measured without rounds, no noise stated"
	}
	return "this-cpu" + strings.TrimPrefix(n.describe(), ";")
}

// Agreement compares one headline figure of two calibrations.
type Agreement struct {
	Figure string       `json:"figure"`
	Unit   string       `json:"unit"`
	A      noise.Spread `json:"a"` // over the rounds (a single value without noise)
	B      noise.Spread `json:"b"`
	// Difference is (B - A) / A of the two figures (their median rounds).
	Difference float64 `json:"difference"`
	// Agree: the two ranges overlap, so the calibrations cannot be told
	// apart at the noise each states.
	Agree bool `json:"agree"`
}

// CompareCalibrations sets two calibrations' headline figures side by
// side: matmul and matrix-vector rates, stream bandwidth, fork-join. A
// calibration without Noise states none: its figure is a single value.
func CompareCalibrations(a, b Calibration) []Agreement {
	figures := []struct {
		name, unit string
		value      func(Calibration) float64
		ofNoise    func(*CalibrationNoise) noise.Spread
	}{
		{"matmul rate", "FLOP/s", func(c Calibration) float64 { return c.MatmulFLOPS }, func(n *CalibrationNoise) noise.Spread { return n.MatmulFLOPS }},
		{"matrix-vector rate", "FLOP/s", func(c Calibration) float64 { return c.MatvecFLOPS }, func(n *CalibrationNoise) noise.Spread { return n.MatvecFLOPS }},
		{"stream bandwidth", "B/s", func(c Calibration) float64 { return c.StreamBandwidth }, func(n *CalibrationNoise) noise.Spread { return n.StreamBandwidth }},
		{"fork-join", "s", func(c Calibration) float64 { return c.ForkJoinSeconds }, func(n *CalibrationNoise) noise.Spread { return n.ForkJoinSeconds }},
	}
	spread := func(c Calibration, value func(Calibration) float64, ofNoise func(*CalibrationNoise) noise.Spread) noise.Spread {
		if c.Noise != nil {
			if s := ofNoise(c.Noise); s.N > 0 {
				return s
			}
		}
		return noise.Of([]float64{value(c)})
	}
	var out []Agreement
	for _, f := range figures {
		sa, sb := spread(a, f.value, f.ofNoise), spread(b, f.value, f.ofNoise)
		va, vb := f.value(a), f.value(b)
		out = append(out, Agreement{Figure: f.name, Unit: f.unit, A: sa, B: sb, Difference: (vb - va) / va, Agree: sa.Overlaps(sb)})
	}
	return out
}

// withNoise is a copy of o that carries n (nil without ops).
func (o *CPUOps) withNoise(n *CalibrationNoise) *CPUOps {
	c := o.clone()
	if c != nil {
		c.Noise = n
	}
	return c
}
