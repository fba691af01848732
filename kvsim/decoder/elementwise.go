package decoder

import "math"

// The element-wise steps of the forward pass, float32 throughout. Every path
// (cached, uncached, recompute) calls these same functions in the same
// order, which is what makes their logits bit-identical. They are exported
// so that kvsim/cost times exactly the decoder's loops when it calibrates
// this-cpu.

// LayerNorm sets y = (x - mean(x)) / √(var(x) + ε) ⊙ g + b over len(x)
// values (GPT blocks).
func LayerNorm(y, x, g, b []float32) {
	n := len(x)
	y, g, b = y[:n], g[:n], b[:n]
	var sum float32
	for _, v := range x {
		sum += v
	}
	mean := sum / float32(n)
	var ss float32
	for _, v := range x {
		d := v - mean
		ss += d * d
	}
	inv := float32(1 / math.Sqrt(float64(ss/float32(n)+normEps)))
	for i, v := range x {
		y[i] = (v-mean)*inv*g[i] + b[i]
	}
}

// RMSNorm sets y = x / √(mean(x²) + ε) ⊙ g over len(x) values (LLaMA
// blocks).
func RMSNorm(y, x, g []float32) {
	n := len(x)
	y, g = y[:n], g[:n]
	var ss float32
	for _, v := range x {
		ss += v * v
	}
	inv := float32(1 / math.Sqrt(float64(ss/float32(n)+normEps)))
	for i, v := range x {
		y[i] = v * inv * g[i]
	}
}

// GELU sets u ← gelu(u) in place (GPT MLP, tanh approximation).
func GELU(u []float32) {
	for j, v := range u {
		u[j] = gelu(v)
	}
}

// SwiGLU sets gate ← silu(gate) ⊙ up over len(gate) values (LLaMA MLP),
// which PyTorch writes F.silu(w1(x)) * w3(x).
func SwiGLU(gate, up []float32) {
	up = up[:len(gate)]
	for j, g := range gate {
		gate[j] = silu(g) * up[j]
	}
}

// Softmax sets x_i ← e^{x_i - max x} / Σ_j e^{x_j - max x} in place:
// attention's step over one row of scores.
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	var sum float32
	for i, v := range x {
		e := exp32(v - m)
		x[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range x {
		x[i] *= inv
	}
}

// RoPE rotates one head vector v at a position whose angles θ_i have the
// cosines cos and sines sin (len(v)/2 each), in the rotate-half layout of
// Hugging Face LLaMA (pairs (i, i+hd/2)):
//
//	v_i ← v_i cos θ_i − v_{i+hd/2} sin θ_i,  v_{i+hd/2} ← v_{i+hd/2} cos θ_i + v_i sin θ_i
func RoPE(v, cos, sin []float32) {
	half := len(cos)
	a, b := v[:half], v[half:2*half]
	sin = sin[:half]
	for i := range a {
		x0, x1 := a[i], b[i]
		a[i] = x0*cos[i] - x1*sin[i]
		b[i] = x1*cos[i] + x0*sin[i]
	}
}

// AddTo sets y += x over len(y) values: biases and residuals.
func AddTo(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}
