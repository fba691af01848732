package decoder

import (
	"math"
	"testing"
)

// The element-wise steps (the functions forward calls, and the ones
// kvsim/cost times) compute what their names say.
func TestElementwiseExports(t *testing.T) {
	x := []float32{0.5, -1.25, 2, 0.75, -0.5, 3}
	ones, zeros := []float32{1, 1, 1, 1, 1, 1}, make([]float32, 6)
	y := make([]float32, 6)

	LayerNorm(y, x, ones, zeros)
	var mean, sq float64
	for _, v := range y {
		mean += float64(v) / 6
		sq += float64(v) * float64(v) / 6
	}
	if math.Abs(mean) > 1e-6 || math.Abs(sq-1) > 1e-4 {
		t.Errorf("LayerNorm: mean %g, mean square %g; want 0 and 1", mean, sq)
	}
	RMSNorm(y, x, ones)
	sq = 0
	for _, v := range y {
		sq += float64(v) * float64(v) / 6
	}
	if math.Abs(sq-1) > 1e-4 {
		t.Errorf("RMSNorm: mean square %g, want 1", sq)
	}

	u := append([]float32(nil), x...)
	GELU(u)
	for i, v := range x {
		if u[i] != gelu(v) {
			t.Errorf("GELU(%g) = %g, decoder's gelu %g", v, u[i], gelu(v))
		}
	}
	gate, up := append([]float32(nil), x...), []float32{2, 2, 2, 2, 2, 2}
	SwiGLU(gate, up)
	for i, v := range x {
		if gate[i] != silu(v)*2 {
			t.Errorf("SwiGLU(%g, 2) = %g, want silu x 2 = %g", v, gate[i], silu(v)*2)
		}
	}

	s := append([]float32(nil), x...)
	Softmax(s)
	var total float64
	for _, v := range s {
		total += float64(v)
	}
	if math.Abs(total-1) > 1e-6 || !(s[5] > s[2] && s[2] > s[0]) {
		t.Errorf("Softmax = %v: sums to %g, want 1 and the order of the scores", s, total)
	}

	v := []float32{1, 2, 3, 4}
	c, sn := math.Cos(0.3), math.Sin(0.3)
	RoPE(v, []float32{float32(c), 1}, []float32{float32(sn), 0})
	want := []float64{1*c - 3*sn, 2, 3*c + 1*sn, 4} // pairs (0, 2) turned by 0.3, (1, 3) by 0
	for i := range v {
		if math.Abs(float64(v[i])-want[i]) > 1e-6 {
			t.Errorf("RoPE: %v, want %v", v, want)
			break
		}
	}

	sum := []float32{1, 2}
	AddTo(sum, []float32{0.5, -2, 99})
	if sum[0] != 1.5 || sum[1] != 0 {
		t.Errorf("AddTo = %v, want [1.5 0]", sum)
	}
}
