package decoder

import (
	"fmt"

	"kvcache/kvsim/kernels"
	"kvcache/kvsim/model"
)

// shape holds every size the forward pass uses, derived once from a Spec.
type shape struct {
	spec model.Spec

	dim, layers, vocab, context int
	heads, kvHeads, headDim     int
	groups                      int // query heads per K/V head: heads / kv_heads
	qDim, kvDim, qkvDim         int // heads·hd, kv_heads·hd, qDim + 2·kvDim
	ffn, upRows                 int // MLP hidden size; rows of the up matrix (ffn, or 2·ffn for SwiGLU)

	// Row strides of the activation buffers, padded so every row stays
	// aligned (kernels.Stride).
	dimStride, qkvStride, qStride, upStride int

	layerNorm, swiGLU, rope, learned, bias, parallel bool
}

// newShape checks that the decoder implements spec's architecture and
// derives its sizes.
func newShape(s model.Spec) (shape, error) {
	if err := s.Validate(); err != nil {
		return shape{}, fmt.Errorf("decoder: %w", err)
	}
	unsupported := func(what string) error {
		return fmt.Errorf("decoder: model %s uses %s, which the decoder does not implement; pick a dense GPT or LLaMA style model (kvsim models lists them)", s.Name, what)
	}
	switch {
	case s.MoE != nil:
		return shape{}, unsupported("mixture-of-experts MLPs")
	case s.Attention == model.MLA:
		return shape{}, unsupported("multi-head latent attention (MLA)")
	case s.Positions == model.ALiBi:
		return shape{}, unsupported("ALiBi positions")
	case s.SlidingWindow > 0:
		return shape{}, unsupported(fmt.Sprintf("sliding-window attention (window %d)", s.SlidingWindow))
	case s.Activation == model.GeGLU:
		return shape{}, unsupported("a GeGLU MLP")
	case s.Positions == model.RoPE && s.HeadDim%2 != 0:
		return shape{}, fmt.Errorf("decoder: model %s: RoPE needs an even head_dim, got %d", s.Name, s.HeadDim)
	}
	h := shape{
		spec: s, dim: s.DModel, layers: s.Layers, vocab: s.Vocab, context: s.MaxContext,
		heads: s.Heads, kvHeads: s.KVHeads, headDim: s.HeadDim, groups: s.Heads / s.KVHeads,
		ffn:       s.FFN,
		layerNorm: s.Norm == model.LayerNorm, swiGLU: s.Activation == model.SwiGLU,
		rope: s.Positions == model.RoPE, learned: s.Positions == model.Learned,
		bias: s.Bias || s.QKVBias, parallel: s.ParallelBlock,
	}
	h.qDim = h.heads * h.headDim
	h.kvDim = h.kvHeads * h.headDim
	h.qkvDim = h.qDim + 2*h.kvDim
	h.upRows = h.ffn
	if h.swiGLU {
		h.upRows = 2 * h.ffn
	}
	h.dimStride = kernels.Stride(h.dim)
	h.qkvStride = kernels.Stride(h.qkvDim)
	h.qStride = kernels.Stride(h.qDim)
	h.upStride = kernels.Stride(h.upRows)
	return h, nil
}

// mlpBias reports whether the MLP carries biases: GPT-style models with
// biases do; SwiGLU MLPs are bias-free (as model.Spec.Params counts them).
func (h shape) mlpBias() bool { return h.spec.Bias && !h.swiGLU }

// outBias reports whether the attention output projection carries a bias:
// with bias, not with qkv_bias alone (Qwen2).
func (h shape) outBias() bool { return h.spec.Bias }

// normHasBias: LayerNorm has a gain and a bias, RMSNorm a gain only.
func (h shape) normHasBias() bool { return h.layerNorm }

// kvBytesPerPosition is the float32 K/V one position takes in one layer.
func (h shape) kvBytesPerPosition() int64 { return int64(2 * h.kvDim * 4) }
