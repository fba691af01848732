package cost

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

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

func TestMeasureGoKernels(t *testing.T) {
	c := NewCalibrator(nil)
	cal, err := c.Calibration()
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]float64{"matmul": cal.MatmulFLOPS, "matvec": cal.MatvecFLOPS, "stream": cal.StreamBandwidth} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s rate %g", name, v)
		}
	}
	// Plain Go kernels on a CPU: far below a GPU, well above a toy.
	if cal.MatmulFLOPS < 1e8 || cal.MatmulFLOPS > 1e13 {
		t.Errorf("matmul %g FLOP/s is not a CPU figure", cal.MatmulFLOPS)
	}
	if cal.Threads < 1 || cal.MemoryBytes < 1<<28 {
		t.Errorf("threads %d, memory %d", cal.Threads, cal.MemoryBytes)
	}
	again, _ := c.Calibration()
	if again != cal {
		t.Error("second call measured again")
	}
}

func TestCalibrationKernelsAreCorrect(t *testing.T) {
	const rows, in, out = 3, 37, 21
	x, w := filled(rows*in, 7), filled(out*in, 8)
	y := make([]float32, rows*out)
	matmul(y, x, w, rows, in, out, 2)
	for r := range rows {
		for o := range out {
			var want float64
			for i := range in {
				want += float64(x[r*in+i]) * float64(w[o*in+i])
			}
			if math.Abs(float64(y[r*out+o])-want) > 1e-4 {
				t.Fatalf("y[%d][%d] = %v, want %v", r, o, y[r*out+o], want)
			}
		}
	}
	a, b, c := make([]float32, 1001), filled(1001, 1), filled(1001, 2)
	triad(a, b, c, 0.5, 3)
	for i := range a {
		if a[i] != b[i]+0.5*c[i] {
			t.Fatalf("triad a[%d] = %v", i, a[i])
		}
	}
}

// BenchmarkMeasureGoKernels shows how long calibrating this-cpu takes
// (one op = one full calibration).
func BenchmarkMeasureGoKernels(b *testing.B) {
	for b.Loop() {
		if _, err := MeasureGoKernels(); err != nil {
			b.Fatal(err)
		}
	}
}

// The decoder-kernel calibration measures every rate and turns into a
// this-cpu preset; its method names the kernels it timed.
func TestMeasureDecoderKernels(t *testing.T) {
	if testing.Short() {
		t.Skip("times kernels for about a second")
	}
	cal := NewCalibrator(MeasureDecoderKernels)
	c, err := cal.Calibration()
	if err != nil {
		t.Fatal(err)
	}
	if c.Threads < 1 || !strings.Contains(c.Method, "kvsim/kernels") || c.ForkJoinSeconds <= 0 {
		t.Errorf("calibration %+v", c)
	}
	hw, err := cal.Hardware()
	if err != nil || hw.Name != ThisCPU || hw.PeakFLOPS[model.FP32] != c.MatmulFLOPS || hw.MatvecFLOPS[model.FP32] != c.MatvecFLOPS {
		t.Errorf("hardware %+v: %v", hw, err)
	}
}
