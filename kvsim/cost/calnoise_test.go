package cost

import (
	"fmt"
	"math"
	"strings"
	"testing"

	noise "kvcache/kvsim/timing"
)

// The noise of each headline figure is priced round by round as the
// figure itself is: rates from the probes' seconds, the fork-join per call.
func TestCalibrationNoiseFromRounds(t *testing.T) {
	probes := []*calProbe{
		{name: "fork-join", rounds: []float64{64 * 0.5e-6, 64 * 0.4e-6, 64 * 4e-6}},
		{name: "matmul wide batch", rounds: []float64{0.01, 0.02, 0.04}},
		{name: "matvec 32 MiB", rounds: []float64{0.004, 0.005, 0.006}},
		{name: "triad", rounds: []float64{0.002, 0.003, 0.014}},
	}
	n := calibrationNoise(probes, 0.5e-6)
	if n.Rounds != calRounds || n.ForkJoinSeconds.Median != 0.5e-6 || n.ForkJoinSeconds.Max != 4e-6 {
		t.Errorf("fork-join %+v", n.ForkJoinSeconds)
	}
	if want := triadBytes / 0.003; math.Abs(n.StreamBandwidth.Median-want) > 1e-6*want || math.Abs(n.StreamBandwidth.Min-triadBytes/0.014) > 1 {
		t.Errorf("stream %+v", n.StreamBandwidth)
	}
	if want := 2 * calBatch * calMatFloats / 0.02; math.Abs(n.MatmulFLOPS.Median-want) > 1e-6*want {
		t.Errorf("matmul %+v, want median %g", n.MatmulFLOPS, want)
	}
	// the matrix-vector probe pays one fork-join per MiB, taken out as in derive
	if want := 2 * 32 * calMatFloats / (0.005 - 32*0.5e-6); math.Abs(n.MatvecFLOPS.Median-want) > 1e-6*want {
		t.Errorf("matvec %+v, want median %g", n.MatvecFLOPS, want)
	}
	if d := n.String(); !strings.HasPrefix(d, fmt.Sprintf("this-cpu over %d rounds", calRounds)) || !strings.Contains(d, "fork-join 0.4-4 µs") {
		t.Errorf("String: %q", d)
	}
	if d := (*CalibrationNoise)(nil).String(); !strings.Contains(d, "no noise") {
		t.Errorf("nil: %q", d)
	}
}

// Two calibrations agree on a figure when their ranges overlap; one that
// states no noise is a single value.
func TestCompareCalibrations(t *testing.T) {
	sp := func(xs ...float64) noise.Spread { return noise.Of(xs) }
	quiet := Calibration{MatmulFLOPS: 60e9, MatvecFLOPS: 20e9, StreamBandwidth: 24e9, ForkJoinSeconds: 0.4e-6,
		Noise: &CalibrationNoise{Rounds: 3, MatmulFLOPS: sp(58e9, 60e9, 61e9), MatvecFLOPS: sp(19e9, 20e9, 21e9),
			StreamBandwidth: sp(23e9, 24e9, 25e9), ForkJoinSeconds: sp(0.38e-6, 0.4e-6, 0.45e-6)}}
	busy := Calibration{MatmulFLOPS: 55e9, MatvecFLOPS: 12e9, StreamBandwidth: 3.45e9, ForkJoinSeconds: 4.2e-6,
		Noise: &CalibrationNoise{Rounds: 3, MatmulFLOPS: sp(30e9, 55e9, 59e9), MatvecFLOPS: sp(8e9, 12e9, 18e9),
			StreamBandwidth: sp(3e9, 3.45e9, 9e9), ForkJoinSeconds: sp(0.5e-6, 4.2e-6, 9e-6)}}
	got := CompareCalibrations(quiet, busy)
	if len(got) != 4 {
		t.Fatalf("%d figures", len(got))
	}
	agree := map[string]bool{}
	for _, a := range got {
		agree[a.Figure] = a.Agree
	}
	if !agree["matmul rate"] || agree["matrix-vector rate"] || agree["stream bandwidth"] || agree["fork-join"] {
		t.Errorf("agreement %v", agree)
	}
	if d := got[2].Difference; math.Abs(d-(3.45-24)/24) > 1e-12 {
		t.Errorf("stream difference %g", d)
	}
	bare := quiet
	bare.Noise = nil
	for _, a := range CompareCalibrations(bare, bare) {
		if !a.Agree || a.A.N != 1 {
			t.Errorf("a calibration without noise against itself: %+v", a)
		}
	}
}
