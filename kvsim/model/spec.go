package model

// Norm is the normalisation used before attention and the MLP.
type Norm string

// Norms.
const (
	LayerNorm Norm = "layernorm" // y = (x-mean)/std * g + b
	RMSNorm   Norm = "rmsnorm"   // y = x/rms(x) * g
)

// Activation is the MLP's non-linearity.
type Activation string

// Activations.
const (
	GELU   Activation = "gelu"   // W2 gelu(W1 x): two matrices
	SwiGLU Activation = "swiglu" // W2 (silu(W1 x) * W3 x): three matrices
	GeGLU  Activation = "geglu"  // W2 (gelu(W1 x) * W3 x): three matrices (Gemma)
)

// Gated reports whether the MLP multiplies an activated gate by a second
// projection (SwiGLU, GeGLU): three matrices instead of two.
func (a Activation) Gated() bool { return a == SwiGLU || a == GeGLU }

// Positions says how token positions enter the model.
type Positions string

// Position encodings.
const (
	Learned Positions = "learned" // a (max_context, d_model) table added to the embeddings
	RoPE    Positions = "rope"    // rotary embeddings applied to Q and K
	ALiBi   Positions = "alibi"   // linear biases added to attention scores
)

// AttentionKind says how many K/V heads there are and what is cached.
type AttentionKind string

// Attention kinds.
const (
	MHA AttentionKind = "mha" // one K/V head per query head
	GQA AttentionKind = "gqa" // query heads share kv_heads K/V heads (1 < kv_heads < heads)
	MQA AttentionKind = "mqa" // all query heads share one K/V head
	MLA AttentionKind = "mla" // multi-head latent attention: a compressed latent is cached
)

// Spec is the blueprint of a decoder-only transformer: raw hyperparameters
// only. Every size derived from it (parameters, KV bytes, FLOPs) is a method.
type Spec struct {
	Name   string `json:"name"`
	Family string `json:"family"`

	Layers     int `json:"layers"`
	DModel     int `json:"d_model"`
	Heads      int `json:"heads"`
	KVHeads    int `json:"kv_heads"` // 0 in a file means: heads for MHA, 1 for MQA
	HeadDim    int `json:"head_dim"` // 0 in a file means: d_model / heads
	FFN        int `json:"ffn"`      // hidden size of a dense MLP
	Vocab      int `json:"vocab"`
	MaxContext int `json:"max_context"`

	Norm       Norm          `json:"norm"`
	Activation Activation    `json:"activation"`
	Positions  Positions     `json:"positions"`
	Attention  AttentionKind `json:"attention"`
	MLA        *MLAConfig    `json:"mla,omitempty"`

	SlidingWindow int `json:"sliding_window,omitempty"` // 0: attend to the whole context
	// SlidingWindowLayers is how many layers attend within SlidingWindow;
	// the others attend to the whole context (Gemma-2 alternates: half of
	// them). 0 with a window: every layer.
	SlidingWindowLayers int `json:"sliding_window_layers,omitempty"`

	TiedEmbeddings bool    `json:"tied_embeddings"`          // the LM head reuses the token embedding
	Bias           bool    `json:"bias,omitempty"`           // linear layers carry biases (GPT-2/3)
	QKVBias        bool    `json:"qkv_bias,omitempty"`       // only the Q, K and V projections carry biases (Qwen2)
	ParallelBlock  bool    `json:"parallel_block,omitempty"` // attention and MLP read one shared norm (Falcon)
	RoPETheta      float64 `json:"rope_theta,omitempty"`     // RoPE base θ; 0: unknown (the decoder uses 10000)

	MoE *MoEConfig `json:"moe,omitempty"`

	Source string `json:"source,omitempty"` // where the hyperparameters come from
}

// MLAConfig holds the latent sizes of multi-head latent attention
// (DeepSeek-V2/V3). Per layer and token the cache holds KVLoRARank +
// QKRopeHeadDim values instead of 2 x kv_heads x head_dim.
type MLAConfig struct {
	QLoRARank     int `json:"q_lora_rank"` // 0: queries are not compressed
	KVLoRARank    int `json:"kv_lora_rank"`
	QKNopeHeadDim int `json:"qk_nope_head_dim"`
	QKRopeHeadDim int `json:"qk_rope_head_dim"`
	VHeadDim      int `json:"v_head_dim"`
}

// MoEConfig describes mixture-of-experts MLPs (SwiGLU experts).
type MoEConfig struct {
	RoutedExperts int `json:"routed_experts"`
	ActiveExperts int `json:"active_experts"` // routed experts each token uses
	SharedExperts int `json:"shared_experts"` // experts every token uses
	ExpertFFN     int `json:"expert_ffn"`     // hidden size of one expert
	DenseLayers   int `json:"dense_layers"`   // layers with a dense MLP of size FFN (DeepSeek: the first ones)
}

// QKHeadDim is the per-head width of queries and keys.
func (s Spec) QKHeadDim() int {
	if s.Attention == MLA && s.MLA != nil {
		return s.MLA.QKNopeHeadDim + s.MLA.QKRopeHeadDim
	}
	return s.HeadDim
}

// VHeadDim is the per-head width of values.
func (s Spec) VHeadDim() int {
	if s.Attention == MLA && s.MLA != nil {
		return s.MLA.VHeadDim
	}
	return s.HeadDim
}

// MoELayers is the number of layers whose MLP is a mixture of experts.
func (s Spec) MoELayers() int {
	if s.MoE == nil {
		return 0
	}
	return s.Layers - s.MoE.DenseLayers
}

// DenseLayers is the number of layers with a dense MLP.
func (s Spec) DenseLayers() int { return s.Layers - s.MoELayers() }

// WindowedLayers is the number of layers that attend within the sliding
// window: 0 without a window, every layer unless SlidingWindowLayers says
// fewer.
func (s Spec) WindowedLayers() int {
	switch {
	case s.SlidingWindow <= 0:
		return 0
	case s.SlidingWindowLayers > 0:
		return s.SlidingWindowLayers
	}
	return s.Layers
}

// GlobalLayers is the number of layers that attend to the whole context.
func (s Spec) GlobalLayers() int { return s.Layers - s.WindowedLayers() }
