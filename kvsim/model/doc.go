// Package model describes decoder-only transformer architectures and derives
// every size the rest of kvsim needs from their hyperparameters.
//
// # Specs and the catalog
//
// A Spec holds raw hyperparameters only (layers, d_model, heads, kv_heads,
// head_dim, FFN size, vocabulary, norm, activation, positions, attention kind,
// sliding window, MoE and MLA settings). NewCatalog returns the presets
// (GPT-2, all eight GPT-3 sizes, LLaMA-1/2/3/3.1, Mistral, Mixtral,
// DeepSeek-V3, Falcon and tiny models that run on a CPU); LoadFile adds specs
// from JSON with every field checked.
//
// # Derived sizes
//
// Parameters, exact for the architecture:
//
//	embedding   = vocab x d_model (+ max_context x d_model for learned positions)
//	attention   = d x heads x head_dim (Q) + 2 x d x kv_heads x head_dim (K, V) + heads x head_dim x d (O)
//	MLP         = 2 x d x ffn (GELU) or 3 x d x ffn (SwiGLU); MoE: one such MLP per expert
//	LM head     = vocab x d_model unless tied to the embedding
//
// KV cache per token, across layers:
//
//	KVBytesPerToken = 2 x layers x kv_heads x head_dim x bytes_per_value
//	MLA:              layers x (kv_lora_rank + qk_rope_head_dim) x bytes_per_value
//
// e.g. LLaMA-3-70B at fp16: 2 x 80 x 8 x 128 x 2 = 327,680 bytes. A sliding
// window caps the cached tokens at the window (CachedTokens).
//
// FLOPs (a multiply-add counts as 2):
//
//	DecodeFLOPs(L, cached)   = 2 x MatmulParams + AttentionFLOPsPerPosition x min(L+1, window)
//	DecodeFLOPs(L, uncached) = PrefillFLOPs(L+1): the whole prefix runs again
//	PrefillFLOPs(P)          = 2 x layer weights x P + 2 x LM head + attention over the causal triangle
//
// where AttentionFLOPsPerPosition = layers x 2 x heads x (qk_dim + v_dim).
//
// For cost models: MatmulWeights splits MatmulParams by matrix (QKV, O, MLP,
// expert, router, LM head); AttendedPositions(cached, n) sums the positions n
// new tokens attend to after cached ones; ActivationBytes and LogitsBytes size
// the transient memory of a forward pass.
package model
