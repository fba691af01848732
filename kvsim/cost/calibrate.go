package cost

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"kvcache/kvsim/model"
)

// Calibration holds the rates measured on this machine. Any measurement
// may fill it: MeasureDecoderKernels (the default) times the decoder's own
// code and fills Ops too; a measurement that leaves Ops nil has this-cpu
// priced by the roofline alone.
type Calibration struct {
	MatmulFLOPS     float64 `json:"matmul_flops"`     // batched float32 matmul, all goroutines (prefill, uncached)
	MatvecFLOPS     float64 `json:"matvec_flops"`     // float32 matrix-vector product over 32 MiB, all goroutines (cached decode)
	StreamBandwidth float64 `json:"stream_bandwidth"` // bytes/s of a parallel triad a = b + s*c
	ForkJoinSeconds float64 `json:"fork_join_s"`      // one parallel-for over all goroutines doing nothing
	Threads         int     `json:"threads"`          // GOMAXPROCS during the measurement
	MemoryBytes     int64   `json:"memory_bytes"`     // physical memory
	Took            float64 `json:"took_s"`           // wall time of the measurement
	Method          string  `json:"method"`           // what measured it
	Ops             *CPUOps `json:"ops,omitempty"`    // the decoder's operation costs; nil: price by the roofline
	// Noise is each headline figure's range over the measurement's rounds
	// (nil: not measured in rounds); two calibrations agree when their
	// ranges overlap (CompareCalibrations).
	Noise *CalibrationNoise `json:"noise,omitempty"`
}

// Validate checks that every rate is positive and finite.
func (c Calibration) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"matmul FLOP/s", c.MatmulFLOPS}, {"matvec FLOP/s", c.MatvecFLOPS},
		{"stream bandwidth", c.StreamBandwidth}, {"memory size", float64(c.MemoryBytes)},
	} {
		if !(f.v > 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("cost: calibration %s is %g; it must be positive and finite", f.name, f.v)
		}
	}
	if c.ForkJoinSeconds < 0 || math.IsNaN(c.ForkJoinSeconds) {
		return fmt.Errorf("cost: calibration fork-join time is %g", c.ForkJoinSeconds)
	}
	if c.Ops != nil {
		return c.Ops.Validate()
	}
	return nil
}

// Hardware turns the calibration into the this-cpu preset. Measured rates
// are already achievable ones, so both efficiencies are 1. Kernels run
// synchronously, so the per-kernel cost is the fork-join and there is no
// host-side launch to hide. With Ops the preset carries them (Hardware.CPU)
// and is priced operation by operation as the decoder runs.
func (c Calibration) Hardware() (Hardware, error) {
	if err := c.Validate(); err != nil {
		return Hardware{}, err
	}
	return Hardware{
		Name:                ThisCPU,
		Device:              fmt.Sprintf("this machine: %s/%s, %d threads", runtime.GOOS, runtime.GOARCH, c.Threads),
		PeakFLOPS:           map[model.DType]float64{model.FP32: c.MatmulFLOPS},
		MatvecFLOPS:         map[model.DType]float64{model.FP32: c.MatvecFLOPS},
		MemoryBandwidth:     c.StreamBandwidth,
		MemoryBytes:         c.MemoryBytes,
		ComputeEfficiency:   1,
		BandwidthEfficiency: 1,
		KernelGapSeconds:    c.ForkJoinSeconds,
		MaxTP:               1,
		DefaultDType:        model.FP32,
		CPU:                 c.Ops.withNoise(c.Noise),
		Source:              fmt.Sprintf("measured in %.2f s by %s%s", c.Took, c.Method, c.Noise.describe()),
	}, nil
}

// MeasureFunc measures this machine.
type MeasureFunc func() (Calibration, error)

// Calibrator measures this machine once, on first use, and keeps the
// result. It is safe for concurrent use. Make one per process (or per test).
type Calibrator struct {
	measure MeasureFunc
	once    sync.Once
	cal     Calibration
	err     error
}

// NewCalibrator returns a calibrator that uses measure, or
// MeasureDecoderKernels when measure is nil.
func NewCalibrator(measure MeasureFunc) *Calibrator {
	if measure == nil {
		measure = MeasureDecoderKernels
	}
	return &Calibrator{measure: measure}
}

// Calibration measures on the first call and returns the cached result after.
func (c *Calibrator) Calibration() (Calibration, error) {
	c.once.Do(func() {
		c.cal, c.err = c.measure()
		if c.err == nil {
			c.err = c.cal.Validate()
		}
		if c.err != nil {
			c.err = fmt.Errorf("cost: calibrating this-cpu: %w", c.err)
		}
	})
	return c.cal, c.err
}

// Hardware returns the this-cpu preset from the (cached) calibration.
func (c *Calibrator) Hardware() (Hardware, error) {
	cal, err := c.Calibration()
	if err != nil {
		return Hardware{}, err
	}
	return cal.Hardware()
}

// Sizes of the calibration probes kept beside the decoder's own (kernelcal.go).
const (
	calStreamLen = 4 << 20 // floats per triad array: 3 x 16 MiB
	calForkJoins = 64      // empty parallel-fors per timed run of the fork-join probe
)

// filled returns n deterministic values in [-0.5, 0.5).
func filled(n int, seed uint32) []float32 {
	v := make([]float32, n)
	s := seed*2654435761 + 1
	for i := range v {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		v[i] = float32(s%1000)/1000 - 0.5
	}
	return v
}

// sink folds a result so the kernels cannot be optimised away.
func sink(v []float32) float32 {
	var s float32
	for _, x := range v {
		s += x * x
	}
	return s
}
