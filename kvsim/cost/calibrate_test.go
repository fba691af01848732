package cost

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"kvcache/kvsim/kernels"
	"kvcache/kvsim/model"
)

func TestCalibratorMeasuresOnceAndCaches(t *testing.T) {
	calls := 0
	var mu sync.Mutex
	c := NewCalibrator(func() (Calibration, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return fixedCPU()
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Hardware(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := LookupHardware(ThisCPU, c); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("measured %d times, want once", calls)
	}
}

func TestCalibratorReportsFailures(t *testing.T) {
	failing := NewCalibrator(func() (Calibration, error) { return Calibration{}, errors.New("no timer") })
	if _, err := failing.Hardware(); err == nil || !strings.Contains(err.Error(), "no timer") {
		t.Errorf("measurement error not passed on: %v", err)
	}
	for name, cal := range map[string]Calibration{
		"zero matmul": {MatvecFLOPS: 1, StreamBandwidth: 1, MemoryBytes: 1},
		"NaN matvec":  {MatmulFLOPS: 1, MatvecFLOPS: math.NaN(), StreamBandwidth: 1, MemoryBytes: 1},
		"inf stream":  {MatmulFLOPS: 1, MatvecFLOPS: 1, StreamBandwidth: math.Inf(1), MemoryBytes: 1},
		"no memory":   {MatmulFLOPS: 1, MatvecFLOPS: 1, StreamBandwidth: 1},
	} {
		c := NewCalibrator(func() (Calibration, error) { return cal, nil })
		if _, err := c.Hardware(); err == nil {
			t.Errorf("%s: calibration accepted", name)
		}
	}
}

func TestCalibrationBecomesThisCPU(t *testing.T) {
	cal, _ := fixedCPU()
	h, err := cal.Hardware()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != ThisCPU || h.PeakFLOPS["fp32"] != cal.MatmulFLOPS || h.MatvecFLOPS["fp32"] != cal.MatvecFLOPS ||
		h.MemoryBandwidth != cal.StreamBandwidth || h.KernelGapSeconds != cal.ForkJoinSeconds || h.MaxTP != 1 {
		t.Errorf("this-cpu preset does not carry the calibration: %+v", h)
	}
}

// The decoder-kernel calibration, the default, measures every rate and
// every operation cost and turns into a this-cpu preset that carries them;
// its method names the code it timed.
func TestMeasureDecoderKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("times kernels for about a second")
	}
	cal := NewCalibrator(nil)
	c, err := cal.Calibration()
	if err != nil {
		t.Fatal(err)
	}
	if c.Threads < 1 || !strings.Contains(c.Method, "kvsim/decoder") || c.ForkJoinSeconds <= 0 || c.Ops == nil {
		t.Fatalf("calibration %+v", c)
	}
	o := c.Ops
	if o.Threads != c.Threads || len(o.Matvec) != len(calWorkingSets()) {
		t.Errorf("ops for %d threads with %d working sets", o.Threads, len(o.Matvec))
	}
	// Where the weights live sets the matrix-vector rate: from inside L2
	// to far beyond the last-level cache it can only fall, give or take noise.
	if first, last := o.Matvec[0].FLOPS, o.Matvec[len(o.Matvec)-1].FLOPS; !(last < first) {
		t.Errorf("matvec over 1 MiB %g FLOP/s, over 256 MiB %g: the larger working set should be slower", first, last)
	}
	// An activation (an exponential per value) costs more than an add, and
	// attending to a position costs something. (How that cost splits between
	// a fixed part and a part per head dimension comes from differences of
	// timings; under load one part can come out 0, so only the sum is held.)
	perPosition := o.AttentionPositionSeconds + calAttnHD*o.AttentionDimSeconds
	if !(o.GELUSeconds > o.AddSeconds && o.SwiGLUSeconds > o.AddSeconds && perPosition > 0) {
		t.Errorf("gelu %g, swiglu %g, add %g, attention per position at head dim %d %g s", o.GELUSeconds, o.SwiGLUSeconds, o.AddSeconds, calAttnHD, perPosition)
	}
	hw, err := cal.Hardware()
	if err != nil || hw.Name != ThisCPU || hw.PeakFLOPS[model.FP32] != c.MatmulFLOPS || hw.CPU == nil || hw.CPU == c.Ops {
		t.Errorf("hardware %+v: %v (it must carry a copy of the ops)", hw, err)
	}
}

// BenchmarkMeasureDecoderKernels shows how long the default calibration
// takes (one op = one full calibration).
func BenchmarkMeasureDecoderKernels(b *testing.B) {
	for b.Loop() {
		if _, err := MeasureDecoderKernels(); err != nil {
			b.Fatal(err)
		}
	}
}

// The attention probe times real attention: its output is softmax(q·K/√hd)·V
// for every row and head, whatever the thread count, with K and V laid out
// as the decoder's cache keeps them (a head's positions side by side).
func TestAttentionProbeComputesAttention(t *testing.T) {
	const hd, positions = 8, 5
	for _, threads := range []int{1, 3} {
		pool, err := kernels.NewPool(threads)
		if err != nil {
			t.Fatal(err)
		}
		a := newAttentionProbe(hd, positions, threads)
		copy(a.qkv, a.write.src)
		items := calAttnRows * calAttnHeads
		pool.Run(items, 1, a)
		pool.Close()
		width := calAttnHeads * hd
		for row := range calAttnRows {
			for h := range calAttnHeads {
				scores := make([]float64, positions)
				var norm float64
				for p := range positions {
					for i := range hd {
						scores[p] += float64(a.q[row*width+h*hd+i]) * float64(a.k[(h*positions+p)*hd+i])
					}
					scores[p] = math.Exp(scores[p] / math.Sqrt(hd))
					norm += scores[p]
				}
				for i := range hd {
					var want float64
					for p := range positions {
						want += scores[p] / norm * float64(a.v[(h*positions+p)*hd+i])
					}
					if got := float64(a.o[row*width+h*hd+i]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
						t.Fatalf("threads %d row %d head %d dim %d: %g, want %g", threads, row, h, i, got, want)
					}
				}
			}
		}
	}
}
