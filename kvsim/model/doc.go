// Package model describes decoder-only transformer architectures and derives
// every size the rest of kvsim needs from their hyperparameters.
//
// # Specs and the catalog
//
// A Spec holds raw hyperparameters only (layers, d_model, heads, kv_heads,
// head_dim, FFN size, vocabulary, norm, activation, positions, attention kind,
// sliding window and how many layers use it, biases, RoPE base, MoE and MLA
// settings). NewCatalog returns the presets (GPT-2, all eight GPT-3 sizes,
// LLaMA-1/2/3/3.1/3.2/3.3, Mistral, Mixtral, Qwen2.5, Gemma-2, Phi-3,
// DeepSeek-V2-Lite and V3, Falcon and tiny models that run on a CPU), each
// with its Source.
//
// # Model files
//
// LoadFile adds the models of a JSON file: kvsim specs (every field
// checked, unknown fields refused) or Hugging Face config.json files,
// recognised by their "architectures" field (HFArchitectures lists the
// classes read: Llama, Mistral, Mixtral, Qwen2, Qwen2-MoE, Gemma-2, Phi-3,
// GPT-2, GPT-NeoX, Falcon, DeepSeek-V2/V3), or an array of either. A
// config's model is named by "_name_or_path" or, failing that, by its
// folder (a Hugging Face cache folder models--ORG--NAME gives ORG/NAME).
// Sizes that a config changes nothing about (rope_scaling, softcapping) are
// not read; what a spec approximates (Gemma-2's four norms per layer
// counted as two, Qwen2-MoE's shared-expert gate) is said in its Source.
//
// A file is read whole or refused: it must be a regular file (or a folder
// holding config.json) of at most MaxModelFileBytes, hold one JSON value
// (one object, or one array of them) with nothing after it, and name no
// model twice nor one the catalog already has.
//
// # Limits
//
// Each size field has a ceiling (layers 1024; d_model, heads, head sizes
// and ffn 2^18; vocab 2^24; context 2^27; experts 2^12), and so do two
// derived ones: 2^50 parameters and 2^32 K/V values per token. Under them
// every count is exact in int64; a spec beyond them is refused with the
// count it would have had. KVBytes, ActivationBytes and LogitsBytes take a
// token count from the caller and saturate at math.MaxInt64 rather than
// wrap.
//
// # Derived sizes
//
// Parameters, exact for the architecture:
//
//	embedding   = vocab x d_model (+ max_context x d_model for learned positions)
//	attention   = d x heads x head_dim (Q) + 2 x d x kv_heads x head_dim (K, V) + heads x head_dim x d (O)
//	MLP         = 2 x d x ffn (GELU) or 3 x d x ffn (SwiGLU, GeGLU); MoE: one such MLP per expert
//	LM head     = vocab x d_model unless tied to the embedding
//
// KV cache per token, across layers:
//
//	KVBytesPerToken = 2 x layers x kv_heads x head_dim x bytes_per_value
//	MLA:              layers x (kv_lora_rank + qk_rope_head_dim) x bytes_per_value
//
// e.g. LLaMA-3-70B at fp16: 2 x 80 x 8 x 128 x 2 = 327,680 bytes. A sliding
// window caps the tokens a windowed layer holds; when only some layers are
// windowed (Gemma-2: every other one) KVBytesPerToken still counts every
// layer, the cost of a token while the context fits the window, and
// KVBytesPerTokenBeyondWindow the global layers only, what each further
// token adds. KVBytes(n) is exact either way:
//
//	KVBytes(n) = (windowed layers x min(n, window) + global layers x n) x bytes per token per layer
//
// e.g. Gemma-2-9B at bf16: 344,064 bytes per token up to 4,096 tokens, then
// 172,032 per further token.
//
// FLOPs (a multiply-add counts as 2):
//
//	DecodeFLOPs(L, cached)   = 2 x MatmulParams + AttentionFLOPsPerPosition x min(L+1, window)
//	DecodeFLOPs(L, uncached) = PrefillFLOPs(L+1): the whole prefix runs again
//	PrefillFLOPs(P)          = 2 x layer weights x P + 2 x LM head + attention over the causal triangle
//
// where AttentionFLOPsPerPosition = layers x 2 x heads x (qk_dim + v_dim)
// and windowed layers attend to at most window positions.
//
// For cost models: MatmulWeights splits MatmulParams by matrix (QKV, O, MLP,
// expert, router, LM head); AttendedPositions(cached, n) sums the positions n
// new tokens attend to after cached ones; ActivationBytes and LogitsBytes size
// the transient memory of a forward pass.
package model
