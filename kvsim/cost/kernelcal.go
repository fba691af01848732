package cost

import (
	"errors"
	"runtime"
	"time"

	"kvcache/kvsim/kernels"
)

// MeasureDecoderKernels is a MeasureFunc that times the kernels the kvsim
// decoder itself runs (kvsim/kernels, on a Pool of GOMAXPROCS threads)
// instead of this package's plain Go loops: Pool.MatMul over the same
// shapes as MeasureGoKernels (128 rows, the prefill rate; 1 row over 32 MiB
// of weights, the decode rate), the same triad split by Pool.Run, and an
// empty Pool.Run (the fork-join). Predictions meant to match `kvsim bench`
// should use it: NewCalibrator(MeasureDecoderKernels).
func MeasureDecoderKernels() (Calibration, error) {
	start := time.Now()
	workers := runtime.GOMAXPROCS(0)
	mem, err := physicalMemory()
	if err != nil {
		return Calibration{}, err
	}
	pool, err := kernels.NewPool(workers)
	if err != nil {
		return Calibration{}, err
	}
	defer pool.Close()
	c := Calibration{Threads: pool.Threads(), MemoryBytes: mem, Method: "kvsim/kernels, the decoder's kernels (Pool.MatMul, a triad and an empty Pool.Run)"}

	x := alignedFilled(calMatmulRows*calMatmulIn, 1)
	w := alignedFilled(calMatmulOut*calMatmulIn, 2)
	y := kernels.Aligned(calMatmulRows * calMatmulOut)
	sec := bestSeconds(func() { pool.MatMul(y, calMatmulOut, w, calMatmulOut, calMatmulIn, x, calMatmulIn, calMatmulRows) })
	c.MatmulFLOPS = 2 * calMatmulRows * calMatmulIn * calMatmulOut / sec

	wv := alignedFilled(calMatvecOut*calMatvecIn, 3)
	xv := alignedFilled(calMatvecIn, 4)
	yv := kernels.Aligned(calMatvecOut)
	sec = bestSeconds(func() { pool.MatMul(yv, calMatvecOut, wv, calMatvecOut, calMatvecIn, xv, calMatvecIn, 1) })
	c.MatvecFLOPS = 2 * calMatvecOut * calMatvecIn / sec

	tr := &triadTask{a: make([]float32, calStreamLen), b: filled(calStreamLen, 5), c: filled(calStreamLen, 6), s: 0.5}
	sec = bestSeconds(func() { pool.Run(calStreamLen, 0, tr) })
	c.StreamBandwidth = 3 * 4 * calStreamLen / sec

	var idle emptyTask
	t0 := time.Now()
	for range calForkJoins {
		pool.Run(workers, 1, idle)
	}
	c.ForkJoinSeconds = time.Since(t0).Seconds() / calForkJoins

	c.Took = time.Since(start).Seconds()
	if sink(y)+sink(yv)+sink(tr.a) == 0 {
		return c, errors.New("cost: calibration kernels produced zeros")
	}
	return c, nil
}

func alignedFilled(n int, seed uint32) []float32 {
	v := kernels.Aligned(n)
	copy(v, filled(n, seed))
	return v
}

// triadTask computes a = b + s*c over the indices it is given.
type triadTask struct {
	a, b, c []float32
	s       float32
}

func (t *triadTask) Run(_, lo, hi int) {
	a, b, c := t.a[lo:hi], t.b[lo:hi], t.c[lo:hi]
	for i := range a {
		a[i] = b[i] + t.s*c[i]
	}
}

// emptyTask does nothing: timing it times the pool's fork-join.
type emptyTask struct{}

func (emptyTask) Run(_, _, _ int) {}
