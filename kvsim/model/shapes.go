package model

// MatmulWeights breaks MatmulParams down by the matrices a token multiplies
// through, per layer, so a cost model can price each projection apart:
//
//	MatmulParams = layers x (AttentionIn + AttentionOut)
//	             + dense layers x DenseMLP
//	             + MoE layers x ((active + shared experts) x Expert + Router)
//	             + LMHead
type MatmulWeights struct {
	AttentionIn  int64 // per layer: Q, K, V projections (MLA: query and latent down/up projections)
	AttentionOut int64 // per layer: the output projection O, heads x v_dim x d_model
	DenseMLP     int64 // per dense layer: 2 (GELU) or 3 (SwiGLU, GeGLU) x d_model x ffn
	Expert       int64 // one routed or shared expert: 3 x d_model x expert_ffn; 0 without MoE
	Router       int64 // per MoE layer: d_model x routed experts; 0 without MoE
	LMHead       int64 // vocab x d_model, counted even when tied to the embedding
}

// MatmulWeights returns the per-matrix breakdown of MatmulParams.
func (s Spec) MatmulWeights() MatmulWeights {
	attn, _ := s.attentionParams()
	out := float64(s.Heads) * float64(s.VHeadDim()) * float64(s.DModel)
	w := MatmulWeights{
		AttentionIn:  toInt64(attn - out),
		AttentionOut: toInt64(out),
		DenseMLP:     toInt64(s.mlpWeights(s.FFN)),
		LMHead:       s.lmHeadMatmulParams(),
	}
	if m := s.MoE; m != nil {
		w.Expert = toInt64(s.mlpWeights(m.ExpertFFN))
		w.Router = int64(s.DModel) * int64(m.RoutedExperts)
	}
	return w
}

// AttendedPositions sums, over n new tokens that follow cached tokens
// already in the cache, how many positions each one attends to (itself
// included), averaged over layers: a layer with sliding window W counts
//
//	sum over i = 1..n of min(cached + i, W)
//
// and a layer without one cached + i. AttentionFLOPsPerPosition x
// AttendedPositions is therefore the attention cost of those tokens even
// when windowed and global layers are mixed (Gemma-2).
// AttendedPositions(0, p) is the causal triangle of a p-token prefill,
// p(p+1)/2 without a window. Negative arguments count as 0.
func (s Spec) AttendedPositions(cached, n int) float64 {
	if n <= 0 {
		return 0
	}
	c, m := float64(max(cached, 0)), float64(n)
	global := m*c + m*(m+1)/2
	if s.SlidingWindow <= 0 {
		return global
	}
	w := float64(s.SlidingWindow)
	k := min(max(w-c, 0), m) // tokens whose span is still inside the window
	return s.meanOverLayers(k*c+k*(k+1)/2+(m-k)*w, global)
}

// ActivationValuesPerToken is the peak number of transient values one token
// holds inside one layer of a forward pass (inference keeps no activations
// across layers): the residual stream and its normed copy, plus the larger of
// the attention intermediates (Q, K, V, the attention output and, for MLA,
// the latent) and the MLP intermediates (GELU: fc output and its activation,
// 2 x ffn; SwiGLU, GeGLU: gate, up and their product, 3 x ffn; MoE: that for each
// active and shared expert, plus the router logits).
func (s Spec) ActivationValuesPerToken() int64 {
	d, h := int64(s.DModel), int64(s.Heads)
	qk, v := int64(s.QKHeadDim()), int64(s.VHeadDim())
	kvHeads := int64(s.KVHeads)
	attn := h*qk + kvHeads*(qk+v) + h*v
	if s.Attention == MLA {
		attn += s.KVValuesPerTokenPerLayer()
	}
	perMatrix := int64(2) // GELU: fc output and its activation
	if s.Activation.Gated() {
		perMatrix = 3 // gate, up and act(gate) x up
	}
	mlp := int64(0)
	if s.DenseLayers() > 0 {
		mlp = perMatrix * int64(s.FFN)
	}
	if m := s.MoE; m != nil {
		mlp = max(mlp, perMatrix*int64(m.ActiveExperts+m.SharedExperts)*int64(m.ExpertFFN)+int64(m.RoutedExperts))
	}
	return 2*d + max(attn, mlp)
}

// ActivationBytes is the peak transient memory of one forward pass over
// tokens tokens whose activations are stored in dtype act:
// tokens x ActivationValuesPerToken x bytes per value. Attention is taken to
// be fused (FlashAttention): no tokens x tokens score matrix is stored.
// Like LogitsBytes it saturates at math.MaxInt64 rather than overflow.
func (s Spec) ActivationBytes(tokens int, act DType) int64 {
	if tokens <= 0 {
		return 0
	}
	return bitsToBytes(mulSat(mulSat(int64(tokens), s.ActivationValuesPerToken()), int64(act.Bits())))
}

// LogitsBytes is the memory of the output logits for rows positions in
// dtype d: rows x vocab values.
func (s Spec) LogitsBytes(rows int, d DType) int64 {
	if rows <= 0 {
		return 0
	}
	return bitsToBytes(mulSat(mulSat(int64(rows), int64(s.Vocab)), int64(d.Bits())))
}
