package decoder

import "math"

// Element-wise math of the blocks, float32 throughout. Every path (cached,
// uncached, recompute) calls the same functions in the same order, which is
// what makes their logits bit-identical.

const normEps = 1e-5 // LayerNorm and RMSNorm ε (GPT-2, LLaMA-2)

// layerNorm sets y = (x - mean(x)) / √(var(x) + ε) ⊙ g + b.
func layerNorm(y, x, g, b []float32) {
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

// rmsNorm sets y = x / √(mean(x²) + ε) ⊙ g.
func rmsNorm(y, x, g []float32) {
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

// gelu is GPT-2's tanh approximation:
// gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))), with tanh u = 1 - 2/(e^{2u}+1).
func gelu(x float32) float32 {
	const c = 0.7978845608028654 // √(2/π)
	u := c * (x + 0.044715*x*x*x)
	return 0.5 * x * (2 - 2/(exp32(2*u)+1))
}

// silu(x) = x·σ(x) = x / (1 + e^{-x}).
func silu(x float32) float32 { return x / (1 + exp32(-x)) }

// softmax sets x_i = e^{x_i - max x} / Σ_j e^{x_j - max x}.
func softmax(x []float32) {
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

// exp32 is e^x in float32 to about 2 ulp: e^x = 2^n · e^r with
// n = round(x/ln 2), r = x - n·ln 2 ∈ [-ln2/2, ln2/2], e^r by a degree-6
// Taylor polynomial. math.Exp (float64) costs several times more and the
// attention softmax calls it once per cached position and head.
func exp32(x float32) float32 {
	const (
		log2e = 1.4426950408889634
		ln2hi = 0.693145751953125 // ln 2 split so n·ln2hi is exact
		ln2lo = 1.4286068203094172e-06
	)
	switch {
	case x > 88.72:
		return float32(math.Inf(1))
	case x < -87.33:
		return 0
	case x != x:
		return x
	}
	n := float32(math.Round(float64(x * log2e)))
	r := (x - n*ln2hi) - n*ln2lo
	p := 1 + r*(1+r*(0.5+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// fillRopeTable sets cos and sin (positions, hd/2) to those of
// θ_{p,i} = p · base^{-2i/hd}.
func fillRopeTable(cos, sin []float32, headDim int, base float64) {
	half := headDim / 2
	positions := len(cos) / half
	for i := 0; i < half; i++ {
		freq := math.Pow(base, -2*float64(i)/float64(headDim))
		for p := 0; p < positions; p++ {
			s, c := math.Sincos(float64(p) * freq)
			cos[p*half+i], sin[p*half+i] = float32(c), float32(s)
		}
	}
}

// rotate applies RoPE to one head vector v (hd) at a position, in the
// rotate-half layout of Hugging Face LLaMA (pairs (i, i+hd/2)):
//
//	v_i ← v_i cos θ_i − v_{i+hd/2} sin θ_i,  v_{i+hd/2} ← v_{i+hd/2} cos θ_i + v_i sin θ_i
func rotate(v, cos, sin []float32) {
	half := len(cos)
	a, b := v[:half], v[half:2*half]
	for i := range a {
		x0, x1 := a[i], b[i]
		a[i] = x0*cos[i] - x1*sin[i]
		b[i] = x1*cos[i] + x0*sin[i]
	}
}

// argmax returns the index of the largest value (the first on ties).
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
