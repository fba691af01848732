package model

import (
	"math"
	"math/bits"
)

// ParamCounts breaks a model's parameters down by role. Counts are exact for
// the architecture as specified (biases and norm gains included).
type ParamCounts struct {
	Embedding int64 // token embedding table, vocab x d_model
	Positions int64 // learned position table, max_context x d_model
	Attention int64 // Q, K, V, O projections (and MLA's latent projections and norms)
	DenseMLP  int64 // MLPs of dense layers
	Experts   int64 // every routed and shared expert of MoE layers
	Router    int64 // MoE gates
	Norms     int64 // layer norms and the final norm
	LMHead    int64 // output projection; 0 when tied to the embedding

	Total  int64 // every parameter stored
	Active int64 // parameters one token touches (Total less idle experts)
}

// Sizes are counted in float64 and converted once. Validate refuses a spec
// whose total passes MaxParams (2^50), so every term and partial sum is an
// integer below 2^53: float64 holds it exactly, and no int64 product can
// overflow. A spec built in code without Validate gets saturated counts,
// never wrapped ones.

// Params counts the model's parameters.
func (s Spec) Params() ParamCounts {
	f := s.paramsFloat()
	return ParamCounts{
		Embedding: toInt64(f.embedding), Positions: toInt64(f.positions), Attention: toInt64(f.attention),
		DenseMLP: toInt64(f.denseMLP), Experts: toInt64(f.experts), Router: toInt64(f.router),
		Norms: toInt64(f.norms), LMHead: toInt64(f.lmHead), Total: toInt64(f.total), Active: toInt64(f.active),
	}
}

type paramsF struct {
	embedding, positions, attention, denseMLP, experts, router, norms, lmHead, total, active float64
}

func (s Spec) paramsFloat() paramsF {
	d, l := float64(s.DModel), float64(s.Layers)
	var c paramsF
	c.embedding = float64(s.Vocab) * d
	if s.Positions == Learned {
		c.positions = float64(s.MaxContext) * d
	}
	if !s.TiedEmbeddings {
		c.lmHead = float64(s.Vocab) * d
	}
	attnWeights, attnExtra := s.attentionParams()
	c.attention = l * (attnWeights + attnExtra)

	normSize := d
	if s.Norm == LayerNorm {
		normSize = 2 * d // gain and bias
	}
	normsPerLayer := 2.0
	if s.ParallelBlock {
		normsPerLayer = 1
	}
	c.norms = (l*normsPerLayer + 1) * normSize

	c.denseMLP = float64(s.DenseLayers()) * s.mlpParams(s.FFN)
	var idleExperts float64
	if m := s.MoE; m != nil {
		moeLayers := float64(s.MoELayers())
		expert := s.mlpParams(m.ExpertFFN)
		c.experts = moeLayers * float64(m.RoutedExperts+m.SharedExperts) * expert
		c.router = moeLayers * d * float64(m.RoutedExperts)
		idleExperts = moeLayers * float64(m.RoutedExperts-m.ActiveExperts) * expert
	}
	c.total = c.embedding + c.positions + c.attention + c.denseMLP + c.experts + c.router + c.norms + c.lmHead
	c.active = c.total - idleExperts
	return c
}

// TotalParams is the number of parameters stored.
func (s Spec) TotalParams() int64 { return s.Params().Total }

// ActiveParams is the number of parameters one token touches.
func (s Spec) ActiveParams() int64 { return s.Params().Active }

// attentionParams counts one layer's attention parameters: the projection
// matrices (weights) and the biases or latent norms (extra).
func (s Spec) attentionParams() (weights, extra float64) {
	d, h := float64(s.DModel), float64(s.Heads)
	if s.Attention == MLA && s.MLA != nil {
		m := s.MLA
		qk := float64(m.QKNopeHeadDim + m.QKRopeHeadDim)
		q := d * h * qk
		if m.QLoRARank > 0 {
			q = d*float64(m.QLoRARank) + float64(m.QLoRARank)*h*qk // down, then up
		}
		kvDown := d * float64(m.KVLoRARank+m.QKRopeHeadDim)
		kvUp := float64(m.KVLoRARank) * h * float64(m.QKNopeHeadDim+m.VHeadDim)
		out := h * float64(m.VHeadDim) * d
		return q + kvDown + kvUp + out, float64(m.QLoRARank + m.KVLoRARank)
	}
	hd, kv := float64(s.HeadDim), float64(s.KVHeads)
	weights = d*h*hd + 2*d*kv*hd + h*hd*d
	switch {
	case s.Bias:
		extra = h*hd + 2*kv*hd + d
	case s.QKVBias:
		extra = h*hd + 2*kv*hd
	}
	return weights, extra
}

// mlpParams counts one MLP (or one expert) of hidden size ffn.
func (s Spec) mlpParams(ffn int) float64 {
	p := s.mlpWeights(ffn)
	if s.Bias && !s.Activation.Gated() {
		p += float64(ffn) + float64(s.DModel)
	}
	return p
}

// mlpWeights counts the matrices of one MLP of hidden size ffn.
func (s Spec) mlpWeights(ffn int) float64 {
	mats := 2.0
	if s.Activation.Gated() {
		mats = 3
	}
	return mats * float64(s.DModel) * float64(ffn)
}

// MatmulParams is the number of weights one token multiplies through in a
// forward pass: attention and active MLP weights of every layer, the router
// and the LM head (counted even when tied). Embedding lookups, norms and
// biases are not matmuls.
func (s Spec) MatmulParams() int64 {
	return toInt64(s.layerMatmulWeights() + s.lmHeadWeights())
}

func (s Spec) lmHeadWeights() float64 { return float64(s.Vocab) * float64(s.DModel) }

func (s Spec) lmHeadMatmulParams() int64 { return toInt64(s.lmHeadWeights()) }

// layerMatmulWeights is MatmulParams without the LM head.
func (s Spec) layerMatmulWeights() float64 {
	attn, _ := s.attentionParams()
	p := float64(s.Layers)*attn + float64(s.DenseLayers())*s.mlpWeights(s.FFN)
	if m := s.MoE; m != nil {
		perToken := float64(m.ActiveExperts+m.SharedExperts)*s.mlpWeights(m.ExpertFFN) + float64(s.DModel)*float64(m.RoutedExperts)
		p += float64(s.MoELayers()) * perToken
	}
	return p
}

func (s Spec) layerMatmulParams() int64 { return toInt64(s.layerMatmulWeights()) }

// WeightBytes is the memory the stored parameters take in dtype d.
func (s Spec) WeightBytes(d DType) int64 {
	return bitsToBytes(mulSat(s.TotalParams(), int64(d.Bits())))
}

// KVValuesPerTokenPerLayer is how many values one token adds to one layer's
// cache: K and V, kv_heads x head_dim each; for MLA one latent of
// kv_lora_rank plus the shared RoPE key.
func (s Spec) KVValuesPerTokenPerLayer() int64 {
	if s.Attention == MLA && s.MLA != nil {
		return int64(s.MLA.KVLoRARank) + int64(s.MLA.QKRopeHeadDim)
	}
	return 2 * int64(s.KVHeads) * int64(s.HeadDim)
}

// KVBytesPerToken is the cache memory one token takes across all layers:
// 2 x layers x kv_heads x head_dim x bytes per value (MLA: layers x latent).
// Every layer counts, windowed ones too: it is what a token costs while the
// context is within the sliding window, and what a paged cache that keeps
// every layer's blocks for every token holds. Beyond the window a token
// adds only KVBytesPerTokenBeyondWindow; KVBytes(n) is exact at any n.
func (s Spec) KVBytesPerToken(d DType) int64 {
	return s.kvBytesForTokenLayers(int64(s.Layers), d)
}

// KVBytesPerTokenBeyondWindow is what one more token adds to the cache once
// the context is longer than the sliding window: the layers that attend to
// the whole context (all of them without a window, none when every layer
// is windowed).
func (s Spec) KVBytesPerTokenBeyondWindow(d DType) int64 {
	return s.kvBytesForTokenLayers(int64(s.GlobalLayers()), d)
}

// kvBytesForTokenLayers is the cache memory of n (token, layer) pairs.
func (s Spec) kvBytesForTokenLayers(n int64, d DType) int64 {
	return bitsToBytes(mulSat(mulSat(n, s.KVValuesPerTokenPerLayer()), int64(d.Bits())))
}

// CachedTokens is the most tokens any layer's cache holds for a context of
// n tokens: n, or the sliding window when every layer is windowed. With
// windowed and global layers mixed (Gemma-2) the global layers hold all n;
// KVBytes counts each kind.
func (s Spec) CachedTokens(n int) int {
	if s.WindowedLayers() == s.Layers && s.SlidingWindow > 0 && n > s.SlidingWindow {
		return s.SlidingWindow
	}
	return n
}

// KVBytes is the cache memory for a context of n tokens: windowed layers
// hold min(n, window) tokens, the others n. A result beyond int64 (only for
// n far past the model's context) saturates at math.MaxInt64.
func (s Spec) KVBytes(n int, d DType) int64 {
	if n <= 0 {
		return 0
	}
	windowed := int64(n)
	if s.SlidingWindow > 0 {
		windowed = int64(min(n, s.SlidingWindow))
	}
	tokenLayers := addSat(mulSat(int64(s.WindowedLayers()), windowed), mulSat(int64(s.GlobalLayers()), int64(n)))
	return s.kvBytesForTokenLayers(tokenLayers, d)
}

// AttentionFLOPsPerPosition is the cost of one query attending to one
// position, summed over layers: 2 x heads x qk_dim for the score q.k and
// 2 x heads x v_dim for the weighted sum of values.
func (s Spec) AttentionFLOPsPerPosition() float64 {
	return float64(s.Layers) * 2 * float64(s.Heads) * float64(s.QKHeadDim()+s.VHeadDim())
}

// meanOverLayers averages a per-layer quantity: windowed layers take
// windowed, the others global. Exact when every layer is of one kind.
func (s Spec) meanOverLayers(windowed, global float64) float64 {
	w, l := s.WindowedLayers(), s.Layers
	switch w {
	case 0:
		return global
	case l:
		return windowed
	}
	return (float64(w)*windowed + float64(l-w)*global) / float64(l)
}

// PrefillFLOPs is the cost of one forward pass over p prompt tokens that
// yields the next token's logits: 2 x layer matmul weights per token,
// attention over the causal triangle, and the LM head for the last token.
func (s Spec) PrefillFLOPs(p int) float64 {
	if p <= 0 {
		return 0
	}
	return 2*s.layerMatmulWeights()*float64(p) +
		2*s.lmHeadWeights() +
		s.AttentionFLOPsPerPosition()*s.AttendedPositions(0, p)
}

// DecodeFLOPs is the cost of producing one token when contextLen tokens
// precede it. With a cache the new token runs alone and attends to the
// cached positions and itself: 2 x matmul weights + attention over
// min(contextLen+1, window) positions in windowed layers, contextLen+1 in
// the others. Without one the whole prefix of contextLen+1 tokens is run
// again: PrefillFLOPs(contextLen+1).
func (s Spec) DecodeFLOPs(contextLen int, cached bool) float64 {
	if !cached {
		return s.PrefillFLOPs(contextLen + 1)
	}
	n := float64(contextLen + 1)
	windowed := n
	if s.SlidingWindow > 0 {
		windowed = min(n, float64(s.SlidingWindow))
	}
	return 2*float64(s.MatmulParams()) + s.AttentionFLOPsPerPosition()*s.meanOverLayers(windowed, n)
}

// toInt64 converts a count, saturating at math.MaxInt64.
func toInt64(f float64) int64 {
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
}

// mulSat multiplies non-negative a and b, saturating at math.MaxInt64.
func mulSat(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// addSat adds non-negative a and b, saturating at math.MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
