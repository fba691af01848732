package cost

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"kvcache/kvsim/model"
)

// Calibration holds the rates measured on this machine. Any measurement
// may fill it: MeasureDecoderKernels (the default) times the decoder's own
// code and fills Ops too; MeasureGoKernels times plain Go loops and leaves
// Ops nil, so this-cpu is then priced by the roofline alone.
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
		CPU:                 c.Ops.clone(),
		Source:              fmt.Sprintf("measured in %.2f s by %s", c.Took, c.Method),
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

// Sizes of the calibration kernels: shapes like the decoder's on the tiny
// models (d_model 256-768), large enough that a kernel takes milliseconds.
const (
	calMatmulRows = 128     // tokens of a prefill
	calMatmulIn   = 512     // input width
	calMatmulOut  = 512     // output width
	calMatvecOut  = 4096    // rows of the matrix-vector product: 32 MiB of float32 weights
	calMatvecIn   = 2048    // its input width
	calStreamLen  = 4 << 20 // floats per triad array: 3 x 16 MiB
	calForkJoins  = 2000    // empty parallel-fors timed together
	calKernelTime = 60 * time.Millisecond
)

// MeasureGoKernels times plain Go float32 kernels parallel over GOMAXPROCS
// goroutines: a blocked matmul, a matrix-vector product, a streaming triad
// and an empty fork-join. Each kernel runs repeatedly for about 60 ms and
// the fastest run counts. It takes about a third of a second.
func MeasureGoKernels() (Calibration, error) {
	start := time.Now()
	workers := runtime.GOMAXPROCS(0)
	mem, err := physicalMemory()
	if err != nil {
		return Calibration{}, err
	}
	c := Calibration{Threads: workers, MemoryBytes: mem, Method: "kvsim/cost Go float32 kernels (matmul, matvec, triad, fork-join)"}

	x := filled(calMatmulRows*calMatmulIn, 1)
	w := filled(calMatmulOut*calMatmulIn, 2)
	y := make([]float32, calMatmulRows*calMatmulOut)
	sec := bestSeconds(func() { matmul(y, x, w, calMatmulRows, calMatmulIn, calMatmulOut, workers) })
	c.MatmulFLOPS = 2 * calMatmulRows * calMatmulIn * calMatmulOut / sec

	wv := filled(calMatvecOut*calMatvecIn, 3)
	xv := filled(calMatvecIn, 4)
	yv := make([]float32, calMatvecOut)
	sec = bestSeconds(func() { matmul(yv, xv, wv, 1, calMatvecIn, calMatvecOut, workers) })
	c.MatvecFLOPS = 2 * calMatvecOut * calMatvecIn / sec

	a, b, d := make([]float32, calStreamLen), filled(calStreamLen, 5), filled(calStreamLen, 6)
	sec = bestSeconds(func() { triad(a, b, d, 0.5, workers) })
	c.StreamBandwidth = 3 * 4 * calStreamLen / sec

	t0 := time.Now()
	for range calForkJoins {
		parallelFor(workers, workers, func(lo, hi int) {})
	}
	c.ForkJoinSeconds = time.Since(t0).Seconds() / calForkJoins

	c.Took = time.Since(start).Seconds()
	if sink(y)+sink(yv)+sink(a) == 0 {
		return c, errors.New("cost: calibration kernels produced zeros")
	}
	return c, nil
}

// bestSeconds runs f until about calKernelTime has passed (at least once,
// at most 100 times) and returns the fastest run: the rate the machine
// reaches when nothing else intervenes.
func bestSeconds(f func()) float64 {
	best := math.Inf(1)
	deadline := time.Now().Add(calKernelTime)
	for i := 0; i < 100 && (i == 0 || time.Now().Before(deadline)); i++ {
		t := time.Now()
		f()
		best = min(best, time.Since(t).Seconds())
	}
	return max(best, 1e-9)
}

// matmul computes y[t][o] = sum_i x[t][i] w[o][i] for rows t, the weight
// matrix w stored (out, in) row-major as in llama2.c. Output rows are split
// over workers; tiles of 16 weight rows stay in cache while every input row
// passes over them. rows = 1 is the matrix-vector product.
func matmul(y, x, w []float32, rows, in, out, workers int) {
	const tile = 16
	parallelFor((out+tile-1)/tile, workers, func(lo, hi int) {
		for ob := lo * tile; ob < min(hi*tile, out); ob += tile {
			oe := min(ob+tile, out)
			for t := range rows {
				xr := x[t*in : (t+1)*in]
				yr := y[t*out : (t+1)*out]
				for o := ob; o < oe; o++ {
					yr[o] = dot(xr, w[o*in:(o+1)*in])
				}
			}
		}
	})
}

// dot is a float32 dot product with four independent accumulators.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// triad computes a = b + s*c in parallel: 3 x 4 bytes per element.
func triad(a, b, c []float32, s float32, workers int) {
	parallelFor(len(a), workers, func(lo, hi int) {
		aa, bb, cc := a[lo:hi], b[lo:hi], c[lo:hi]
		for i := range aa {
			aa[i] = bb[i] + s*cc[i]
		}
	})
}

// parallelFor splits [0, n) into one contiguous chunk per worker and waits
// for all of them.
func parallelFor(n, workers int, body func(lo, hi int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := k*n/workers, (k+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}

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
