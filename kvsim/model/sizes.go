package model

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

// Params counts the model's parameters.
func (s Spec) Params() ParamCounts {
	d, l := int64(s.DModel), int64(s.Layers)
	var c ParamCounts
	c.Embedding = int64(s.Vocab) * d
	if s.Positions == Learned {
		c.Positions = int64(s.MaxContext) * d
	}
	if !s.TiedEmbeddings {
		c.LMHead = int64(s.Vocab) * d
	}
	attnWeights, attnExtra := s.attentionParamsPerLayer()
	c.Attention = l * (attnWeights + attnExtra)

	normSize := d
	if s.Norm == LayerNorm {
		normSize = 2 * d // gain and bias
	}
	normsPerLayer := int64(2)
	if s.ParallelBlock {
		normsPerLayer = 1
	}
	c.Norms = (l*normsPerLayer + 1) * normSize

	c.DenseMLP = int64(s.DenseLayers()) * s.mlpParams(s.FFN)
	var idleExperts int64
	if m := s.MoE; m != nil {
		moeLayers := int64(s.MoELayers())
		expert := s.mlpParams(m.ExpertFFN)
		c.Experts = moeLayers * int64(m.RoutedExperts+m.SharedExperts) * expert
		c.Router = moeLayers * d * int64(m.RoutedExperts)
		idleExperts = moeLayers * int64(m.RoutedExperts-m.ActiveExperts) * expert
	}
	c.Total = c.Embedding + c.Positions + c.Attention + c.DenseMLP + c.Experts + c.Router + c.Norms + c.LMHead
	c.Active = c.Total - idleExperts
	return c
}

// TotalParams is the number of parameters stored.
func (s Spec) TotalParams() int64 { return s.Params().Total }

// ActiveParams is the number of parameters one token touches.
func (s Spec) ActiveParams() int64 { return s.Params().Active }

// attentionParamsPerLayer counts one layer's attention parameters: the
// projection matrices (weights) and the biases or latent norms (extra).
func (s Spec) attentionParamsPerLayer() (weights, extra int64) {
	d, h := int64(s.DModel), int64(s.Heads)
	if s.Attention == MLA && s.MLA != nil {
		m := s.MLA
		qk := int64(m.QKNopeHeadDim + m.QKRopeHeadDim)
		q := d * h * qk
		if m.QLoRARank > 0 {
			q = d*int64(m.QLoRARank) + int64(m.QLoRARank)*h*qk // down, then up
		}
		kvDown := d * int64(m.KVLoRARank+m.QKRopeHeadDim)
		kvUp := int64(m.KVLoRARank) * h * int64(m.QKNopeHeadDim+m.VHeadDim)
		out := h * int64(m.VHeadDim) * d
		return q + kvDown + kvUp + out, int64(m.QLoRARank + m.KVLoRARank)
	}
	hd, kv := int64(s.HeadDim), int64(s.KVHeads)
	weights = d*h*hd + 2*d*kv*hd + h*hd*d
	if s.Bias {
		extra = h*hd + 2*kv*hd + d
	}
	return weights, extra
}

// mlpParams counts one MLP (or one expert) of hidden size ffn.
func (s Spec) mlpParams(ffn int) int64 {
	p := s.mlpWeights(ffn)
	if s.Bias && s.Activation != SwiGLU {
		p += int64(ffn) + int64(s.DModel)
	}
	return p
}

// mlpWeights counts the matrices of one MLP of hidden size ffn.
func (s Spec) mlpWeights(ffn int) int64 {
	mats := int64(2)
	if s.Activation == SwiGLU {
		mats = 3
	}
	return mats * int64(s.DModel) * int64(ffn)
}

// MatmulParams is the number of weights one token multiplies through in a
// forward pass: attention and active MLP weights of every layer, the router
// and the LM head (counted even when tied). Embedding lookups, norms and
// biases are not matmuls.
func (s Spec) MatmulParams() int64 {
	return s.layerMatmulParams() + s.lmHeadMatmulParams()
}

func (s Spec) lmHeadMatmulParams() int64 { return int64(s.Vocab) * int64(s.DModel) }

// layerMatmulParams is MatmulParams without the LM head.
func (s Spec) layerMatmulParams() int64 {
	attn, _ := s.attentionParamsPerLayer()
	p := int64(s.Layers)*attn + int64(s.DenseLayers())*s.mlpWeights(s.FFN)
	if m := s.MoE; m != nil {
		perToken := int64(m.ActiveExperts+m.SharedExperts)*s.mlpWeights(m.ExpertFFN) + int64(s.DModel)*int64(m.RoutedExperts)
		p += int64(s.MoELayers()) * perToken
	}
	return p
}

// WeightBytes is the memory the stored parameters take in dtype d.
func (s Spec) WeightBytes(d DType) int64 { return bitsToBytes(s.TotalParams() * int64(d.Bits())) }

// KVValuesPerTokenPerLayer is how many values one token adds to one layer's
// cache: K and V, kv_heads x head_dim each; for MLA one latent of
// kv_lora_rank plus the shared RoPE key.
func (s Spec) KVValuesPerTokenPerLayer() int64 {
	if s.Attention == MLA && s.MLA != nil {
		return int64(s.MLA.KVLoRARank + s.MLA.QKRopeHeadDim)
	}
	return 2 * int64(s.KVHeads) * int64(s.HeadDim)
}

// KVBytesPerToken is the cache memory one token takes across all layers:
// 2 x layers x kv_heads x head_dim x bytes per value (MLA: layers x latent).
func (s Spec) KVBytesPerToken(d DType) int64 {
	return bitsToBytes(int64(s.Layers) * s.KVValuesPerTokenPerLayer() * int64(d.Bits()))
}

// CachedTokens is how many tokens the cache must hold for a context of n
// tokens: n, capped at the sliding window when there is one.
func (s Spec) CachedTokens(n int) int {
	if s.SlidingWindow > 0 && n > s.SlidingWindow {
		return s.SlidingWindow
	}
	return n
}

// KVBytes is the cache memory for a context of n tokens.
func (s Spec) KVBytes(n int, d DType) int64 {
	return int64(s.CachedTokens(n)) * s.KVBytesPerToken(d)
}

// AttentionFLOPsPerPosition is the cost of one query attending to one
// position, summed over layers: 2 x heads x qk_dim for the score q.k and
// 2 x heads x v_dim for the weighted sum of values.
func (s Spec) AttentionFLOPsPerPosition() float64 {
	return float64(s.Layers) * 2 * float64(s.Heads) * float64(s.QKHeadDim()+s.VHeadDim())
}

// attendedPositions sums, over the first n positions, how many positions
// each one attends to (itself included), honouring the sliding window.
func (s Spec) attendedPositions(n int) float64 {
	p, w := float64(n), float64(s.SlidingWindow)
	if s.SlidingWindow <= 0 || n <= s.SlidingWindow {
		return p * (p + 1) / 2
	}
	return w*(w+1)/2 + (p-w)*w
}

// PrefillFLOPs is the cost of one forward pass over p prompt tokens that
// yields the next token's logits: 2 x layer matmul weights per token,
// attention over the causal triangle, and the LM head for the last token.
func (s Spec) PrefillFLOPs(p int) float64 {
	if p <= 0 {
		return 0
	}
	return 2*float64(s.layerMatmulParams())*float64(p) +
		2*float64(s.lmHeadMatmulParams()) +
		s.AttentionFLOPsPerPosition()*s.attendedPositions(p)
}

// DecodeFLOPs is the cost of producing one token when contextLen tokens
// precede it. With a cache the new token runs alone and attends to the
// cached positions and itself: 2 x matmul weights + attention over
// min(contextLen+1, window) positions. Without one the whole prefix of
// contextLen+1 tokens is run again: PrefillFLOPs(contextLen+1).
func (s Spec) DecodeFLOPs(contextLen int, cached bool) float64 {
	if !cached {
		return s.PrefillFLOPs(contextLen + 1)
	}
	return 2*float64(s.MatmulParams()) + s.AttentionFLOPsPerPosition()*float64(s.CachedTokens(contextLen+1))
}
