package decoder

import "math"

// Scalar math of the blocks, float32 throughout; the element-wise steps
// built on it are in elementwise.go.

const normEps = 1e-5 // LayerNorm and RMSNorm ε (GPT-2, LLaMA-2)

// gelu is GPT-2's tanh approximation:
// gelu(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³))), with tanh u = 1 - 2/(e^{2u}+1).
func gelu(x float32) float32 {
	const c = 0.7978845608028654 // √(2/π)
	u := c * (x + 0.044715*x*x*x)
	return 0.5 * x * (2 - 2/(exp32(2*u)+1))
}

// silu(x) = x·σ(x) = x / (1 + e^{-x}).
func silu(x float32) float32 { return x / (1 + exp32(-x)) }

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
