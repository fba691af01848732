package decoder

import (
	"math"
	"testing"
)

// referenceLogits is an independent, naive float64 forward pass over the
// whole sequence, written from the formulas without any of the decoder's
// machinery (no fused buffers, no cache, no pool): the yardstick that keeps
// both decoder paths honest.
func referenceLogits(d *Decoder, tokens []int) []float64 {
	h, w := &d.h, d.w
	dm, hd := h.dim, h.headDim
	n := len(tokens)
	f := func(x []float32) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		return y
	}
	linear := func(W []float32, rows, cols int, x []float64) []float64 {
		y := make([]float64, rows)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				y[r] += float64(W[r*cols+c]) * x[c]
			}
		}
		return y
	}
	norm := func(x []float64, g, b []float32) []float64 {
		var mean, ss float64
		if h.layerNorm {
			for _, v := range x {
				mean += v
			}
			mean /= float64(len(x))
		}
		for _, v := range x {
			ss += (v - mean) * (v - mean)
		}
		inv := 1 / math.Sqrt(ss/float64(len(x))+normEps)
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = (v - mean) * inv * float64(g[i])
			if h.layerNorm {
				y[i] += float64(b[i])
			}
		}
		return y
	}
	rope := func(v []float64, pos int) {
		for i := 0; i < hd/2; i++ {
			theta := float64(pos) * math.Pow(d.ropeBase, -2*float64(i)/float64(hd))
			a, b := v[i], v[i+hd/2]
			v[i] = a*math.Cos(theta) - b*math.Sin(theta)
			v[i+hd/2] = b*math.Cos(theta) + a*math.Sin(theta)
		}
	}
	x := make([][]float64, n)
	for i, tok := range tokens {
		x[i] = f(w.TokenEmbedding[tok*dm : (tok+1)*dm])
		if h.learned {
			for j := range x[i] {
				x[i][j] += float64(w.PositionEmbedding[i*dm+j])
			}
		}
	}
	for l := 0; l < h.layers; l++ {
		sl := func(t []float32, per int) []float32 {
			if t == nil {
				return nil
			}
			return t[l*per : (l+1)*per]
		}
		q := make([][]float64, n)
		k := make([][]float64, n)
		v := make([][]float64, n)
		a := make([][]float64, n)
		for i := range x {
			a[i] = norm(x[i], sl(w.AttnNormGain, dm), sl(w.AttnNormBias, dm))
			qkv := linear(sl(w.QKV, h.qkvDim*dm), h.qkvDim, dm, a[i])
			if h.bias {
				for j := range qkv {
					qkv[j] += float64(w.QKVBias[l*h.qkvDim+j])
				}
			}
			q[i], k[i], v[i] = qkv[:h.qDim], qkv[h.qDim:h.qDim+h.kvDim], qkv[h.qDim+h.kvDim:]
			if h.rope {
				for hh := 0; hh < h.heads; hh++ {
					rope(q[i][hh*hd:(hh+1)*hd], i)
				}
				for hh := 0; hh < h.kvHeads; hh++ {
					rope(k[i][hh*hd:(hh+1)*hd], i)
				}
			}
		}
		for i := range x {
			o := make([]float64, h.qDim)
			for hh := 0; hh < h.heads; hh++ {
				g := hh * h.kvHeads / h.heads
				s := make([]float64, i+1)
				m := math.Inf(-1)
				for t := 0; t <= i; t++ {
					for j := 0; j < hd; j++ {
						s[t] += q[i][hh*hd+j] * k[t][g*hd+j]
					}
					s[t] /= math.Sqrt(float64(hd))
					m = math.Max(m, s[t])
				}
				var z float64
				for t := range s {
					s[t] = math.Exp(s[t] - m)
					z += s[t]
				}
				for t := range s {
					for j := 0; j < hd; j++ {
						o[hh*hd+j] += s[t] / z * v[t][g*hd+j]
					}
				}
			}
			attn := linear(sl(w.Out, dm*h.qDim), dm, h.qDim, o)
			mlpIn := a[i]
			for j := range x[i] {
				x[i][j] += attn[j]
				if h.bias {
					x[i][j] += float64(w.OutBias[l*dm+j])
				}
			}
			if !h.parallel {
				mlpIn = norm(x[i], sl(w.MLPNormGain, dm), sl(w.MLPNormBias, dm))
			}
			u := linear(sl(w.Up, h.upRows*dm), h.upRows, dm, mlpIn)
			act := make([]float64, h.ffn)
			for j := range act {
				if h.swiGLU {
					g := u[j]
					act[j] = g / (1 + math.Exp(-g)) * u[h.ffn+j]
				} else {
					z := u[j]
					if h.mlpBias() {
						z += float64(w.UpBias[l*h.ffn+j])
					}
					act[j] = 0.5 * z * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(z+0.044715*z*z*z)))
				}
			}
			down := linear(sl(w.Down, dm*h.ffn), dm, h.ffn, act)
			for j := range x[i] {
				x[i][j] += down[j]
				if h.mlpBias() {
					x[i][j] += float64(w.DownBias[l*dm+j])
				}
			}
		}
	}
	last := norm(x[n-1], w.FinalNormGain, w.FinalNormBias)
	return linear(w.LMHead, h.vocab, dm, last)
}

// Both paths must agree with the naive float64 reference, for every block
// type and attention kind; this is what catches a bug the two paths share.
func TestLogitsMatchNaiveReference(t *testing.T) {
	for _, spec := range testSpecs() {
		t.Run(spec.Name, func(t *testing.T) {
			d := newTestDecoder(t, spec, 2)
			prompt := randomPrompt(spec.Vocab, 6, 2)
			for _, c := range []CacheConfig{full, {}} {
				g := generate(t, d, prompt, 5, c)
				seq := append([]int(nil), prompt...)
				for i := range g.Steps {
					want := referenceLogits(d, seq)
					var diff, scale float64
					for j, v := range want {
						diff = math.Max(diff, math.Abs(float64(g.Logits[i][j])-v))
						scale = math.Max(scale, math.Abs(v))
					}
					if diff/scale > 1e-4 {
						t.Fatalf("cache %v step %d: logits off the float64 reference by %.3g relative", c.Enabled, i, diff/scale)
					}
					seq = append(seq, g.Tokens[i])
				}
			}
		})
	}
}

// Random weights must give sane, non-degenerate logits: finite, spread
// (std near targetLogits), changing from step to step, and (on the catalog's
// tiny models that kvsim bench runs by default) not the same token every
// step, which would make the same-tokens check trivial.
func TestRandomLogitsAreNotDegenerate(t *testing.T) {
	for _, spec := range append(testSpecs(), catalogSpec(t, "gpt-tiny"), catalogSpec(t, "llama-tiny")) {
		d := newTestDecoder(t, spec, 2)
		g := generate(t, d, randomPrompt(spec.Vocab, 8, 3), 16, full)
		distinct := map[int]bool{}
		for i, lg := range g.Logits {
			var sum, ss float64
			for _, v := range lg {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s step %d: non-finite logit", spec.Name, i)
				}
				sum += float64(v)
			}
			mean := sum / float64(len(lg))
			for _, v := range lg {
				ss += (float64(v) - mean) * (float64(v) - mean)
			}
			if std := math.Sqrt(ss / float64(len(lg))); std < 0.5 || std > 8 {
				t.Errorf("%s step %d: logit std %.3g, want about %g", spec.Name, i, std, targetLogits)
			}
			distinct[g.Tokens[i]] = true
			if i > 0 {
				if abs, _ := logitDiff(lg, g.Logits[i-1]); abs < 0.01 {
					t.Errorf("%s step %d: logits barely move from the previous step (%.3g)", spec.Name, i, abs)
				}
			}
		}
		if spec.Family == "tiny" && len(distinct) < 2 {
			t.Errorf("%s: every generated token is %d", spec.Name, g.Tokens[0])
		}
	}
}
