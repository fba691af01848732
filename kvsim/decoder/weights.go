package decoder

import (
	"math"
	"math/rand/v2"
	"sync"
)

// Weights are a model's parameters in float32, fused where one matmul can
// serve several projections. Every matrix is row-major (out, in), as
// PyTorch's nn.Linear stores it: row r holds output r's weights.
type Weights struct {
	TokenEmbedding    []float32 // (vocab, dim)
	PositionEmbedding []float32 // (context, dim); learned positions only

	AttnNormGain []float32 // (layers, dim)
	AttnNormBias []float32 // (layers, dim); LayerNorm only
	QKV          []float32 // (layers, qDim+2·kvDim, dim): rows [Wq; Wk; Wv]
	QKVBias      []float32 // (layers, qDim+2·kvDim); models with bias or qkv_bias
	Out          []float32 // (layers, dim, qDim)
	OutBias      []float32 // (layers, dim); models with bias (not qkv_bias alone)

	MLPNormGain []float32 // (layers, dim); absent in parallel blocks
	MLPNormBias []float32 // (layers, dim); LayerNorm, sequential blocks only
	Up          []float32 // (layers, upRows, dim): GELU W1 (ffn rows); SwiGLU [W1 gate; W3 up] (2·ffn rows)
	UpBias      []float32 // (layers, ffn); biased GELU MLPs only
	Down        []float32 // (layers, dim, ffn)
	DownBias    []float32 // (layers, dim); biased GELU MLPs only

	FinalNormGain []float32 // (dim)
	FinalNormBias []float32 // (dim); LayerNorm only
	LMHead        []float32 // (vocab, dim); the same slice as TokenEmbedding when tied
}

// tensor names one weight tensor with its expected shape.
type tensor struct {
	name  string
	data  *[]float32
	shape []int
}

// tensors lists every tensor the architecture has, with its shape; the tied
// LM head is left out (it is the token embedding).
func (w *Weights) tensors(h shape) []tensor {
	d, l := h.dim, h.layers
	t := []tensor{{"token_embedding", &w.TokenEmbedding, []int{h.vocab, d}}}
	if h.learned {
		t = append(t, tensor{"position_embedding", &w.PositionEmbedding, []int{h.context, d}})
	}
	t = append(t, tensor{"attn_norm_gain", &w.AttnNormGain, []int{l, d}})
	if h.normHasBias() {
		t = append(t, tensor{"attn_norm_bias", &w.AttnNormBias, []int{l, d}})
	}
	t = append(t, tensor{"qkv", &w.QKV, []int{l, h.qkvDim, d}})
	if h.bias {
		t = append(t, tensor{"qkv_bias", &w.QKVBias, []int{l, h.qkvDim}})
	}
	t = append(t, tensor{"out", &w.Out, []int{l, d, h.qDim}})
	if h.outBias() {
		t = append(t, tensor{"out_bias", &w.OutBias, []int{l, d}})
	}
	if !h.parallel {
		t = append(t, tensor{"mlp_norm_gain", &w.MLPNormGain, []int{l, d}})
		if h.normHasBias() {
			t = append(t, tensor{"mlp_norm_bias", &w.MLPNormBias, []int{l, d}})
		}
	}
	t = append(t, tensor{"up", &w.Up, []int{l, h.upRows, d}})
	if h.mlpBias() {
		t = append(t, tensor{"up_bias", &w.UpBias, []int{l, h.ffn}})
	}
	t = append(t, tensor{"down", &w.Down, []int{l, d, h.ffn}})
	if h.mlpBias() {
		t = append(t, tensor{"down_bias", &w.DownBias, []int{l, d}})
	}
	t = append(t, tensor{"final_norm_gain", &w.FinalNormGain, []int{d}})
	if h.normHasBias() {
		t = append(t, tensor{"final_norm_bias", &w.FinalNormBias, []int{d}})
	}
	if !h.spec.TiedEmbeddings {
		t = append(t, tensor{"lm_head", &w.LMHead, []int{h.vocab, d}})
	}
	return t
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// allocWeights allocates every tensor of the architecture, zeroed.
func allocWeights(h shape) *Weights {
	w := &Weights{}
	for _, t := range w.tensors(h) {
		*t.data = make([]float32, numel(t.shape))
	}
	if h.spec.TiedEmbeddings {
		w.LMHead = w.TokenEmbedding
	}
	return w
}

// Initial scales of random weights. Embeddings (and an untied LM head) are
// N(0, 0.02²) as in GPT-2; the block matrices are N(0, 1/fan_in), so that
// every projection of a unit-RMS (normed) input is O(1): activations work in
// their non-linear range, attention is not uniform, and each block moves the
// residual stream by O(1). (GPT-2's 0.02 everywhere leaves the blocks so weak
// that, with tied embeddings, the fed token's own embedding dominates the
// logits and greedy decoding repeats one token forever, which would make
// the same-tokens check trivial.) Pre-norm blocks keep the stream sane. Gains
// are 1 + N(0, 0.1²) and biases N(0, 0.02²), so a path that forgot one
// would show in the parity tests; the final gain scales logits to a std of
// about targetLogits.
const (
	initStd      = 0.02
	positionStd  = 0.01
	gainJitter   = 0.1
	biasStd      = 0.02
	targetLogits = 2.0 // std of the logits, about a trained model's
)

// randomWeights fills w from seed, deterministically: tensor i draws from
// its own PCG stream (seed, i), so tensors fill in parallel and the result
// does not depend on the thread count.
func randomWeights(h shape, seed uint64, threads int) *Weights {
	w := allocWeights(h)
	ts := w.tensors(h)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, threads))
	for i, t := range ts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := rand.New(rand.NewPCG(seed, uint64(i)+1))
			data := *t.data
			switch t.name {
			case "attn_norm_gain", "mlp_norm_gain":
				fill(r, data, 1, gainJitter)
			case "final_norm_gain":
				// logits = gain·n(x)·E: each has std ≈ gain·0.02·√dim,
				// scaled to targetLogits so the distribution is neither
				// flat nor one-hot.
				fill(r, data, targetLogits/(initStd*math.Sqrt(float64(h.dim))), gainJitter)
			case "position_embedding":
				fill(r, data, 0, positionStd)
			case "attn_norm_bias", "mlp_norm_bias", "final_norm_bias", "qkv_bias", "out_bias", "up_bias", "down_bias":
				fill(r, data, 0, biasStd)
			case "qkv", "out", "up", "down":
				fill(r, data, 0, 1/math.Sqrt(float64(t.shape[len(t.shape)-1])))
			default:
				fill(r, data, 0, initStd)
			}
		}()
	}
	wg.Wait()
	return w
}

// fill sets x[i] = mean·(1 + N(0, jitter²)) when mean != 0, else N(0, std²).
func fill(r *rand.Rand, x []float32, mean, std float64) {
	for i := range x {
		if mean != 0 {
			x[i] = float32(mean * (1 + std*r.NormFloat64()))
		} else {
			x[i] = float32(std * r.NormFloat64())
		}
	}
}
