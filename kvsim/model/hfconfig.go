package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// A Hugging Face config.json names its model class in "architectures"; the
// hyperparameters follow under the names the transformers library gives
// them (which differ between families). hfBuilders turns each supported
// class into a Spec; the defaults are those of the transformers config
// classes, used when a config.json leaves a field out.
var hfBuilders = map[string]func(*hfReader) Spec{
	"LlamaForCausalLM":      hfLlama,
	"MistralForCausalLM":    hfMistral,
	"MixtralForCausalLM":    hfMixtral,
	"Qwen2ForCausalLM":      hfQwen2,
	"Qwen2MoeForCausalLM":   hfQwen2MoE,
	"Gemma2ForCausalLM":     hfGemma2,
	"Phi3ForCausalLM":       hfPhi3,
	"GPT2LMHeadModel":       hfGPT2,
	"GPTNeoXForCausalLM":    hfGPTNeoX,
	"FalconForCausalLM":     hfFalcon,
	"RWForCausalLM":         hfFalcon, // Falcon's configs before transformers took the model in
	"DeepseekV2ForCausalLM": hfDeepSeek,
	"DeepseekV3ForCausalLM": hfDeepSeek,
}

// HFArchitectures lists the Hugging Face model classes a config.json may
// name, sorted.
func HFArchitectures() []string {
	names := make([]string, 0, len(hfBuilders))
	for k := range hfBuilders {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// isHFConfig reports whether a JSON object is a Hugging Face config: it
// has an "architectures" field.
func isHFConfig(obj map[string]json.RawMessage) bool {
	_, ok := obj["architectures"]
	return ok
}

// parseHFConfig builds a Spec from a Hugging Face config object. name is
// used when the config has no "_name_or_path"; origin (the file) goes into
// the spec's Source.
func parseHFConfig(obj map[string]json.RawMessage, name, origin string) (Spec, error) {
	r := &hfReader{fields: obj}
	var archs []string
	if err := json.Unmarshal(obj["architectures"], &archs); err != nil || len(archs) == 0 {
		return Spec{}, fmt.Errorf(`Hugging Face config: "architectures" must be a list naming the model class, e.g. ["LlamaForCausalLM"]`)
	}
	arch := archs[0]
	build, ok := hfBuilders[arch]
	if !ok {
		return Spec{}, fmt.Errorf("Hugging Face architecture %q is not supported; supported: %s (or describe the model as a kvsim spec, see README)",
			arch, strings.Join(HFArchitectures(), ", "))
	}
	if n := hfModelName(r.str("", "_name_or_path")); n != "" {
		name = n
	}
	if name == "" {
		return Spec{}, fmt.Errorf(`Hugging Face config (%s) has no "_name_or_path": load it from its model folder, which names it, or add "_name_or_path"`, arch)
	}
	r.name = name
	s := build(r)
	if r.err != nil {
		return Spec{}, r.err
	}
	s.Name = name
	src := "Hugging Face config.json, " + arch
	if origin != "" {
		src += " (" + origin + ")"
	}
	s.Source = strings.Join(append([]string{src}, r.notes...), "; ")
	return s, nil
}

// hfModelName turns "_name_or_path" into a model name: a hub id such as
// "meta-llama/Llama-3.2-1B" is kept whole; a local path gives its last
// element.
func hfModelName(p string) string {
	p = strings.TrimSpace(strings.TrimRight(p, `/\`))
	if p == "" {
		return ""
	}
	local := strings.HasPrefix(p, "/") || strings.HasPrefix(p, ".") || strings.HasPrefix(p, "~") ||
		strings.Contains(p, `\`) || strings.Count(p, "/") > 1
	if local {
		p = p[strings.LastIndexAny(p, `/\`)+1:]
	}
	return p
}

// hfReader reads typed fields of a config object, keeping the first error
// so that a builder reads every field it needs and checks once.
type hfReader struct {
	fields map[string]json.RawMessage
	name   string
	err    error
	notes  []string // what the spec leaves out or approximates, for Source
}

func (r *hfReader) fail(key, format string, args ...any) {
	if r.err == nil {
		r.err = &FieldError{Model: r.name, Field: key, Problem: fmt.Sprintf(format, args...) + " (Hugging Face config)"}
	}
}

func (r *hfReader) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// raw returns the first of keys present with a non-null value.
func (r *hfReader) raw(keys ...string) (string, json.RawMessage, bool) {
	for _, k := range keys {
		if v, ok := r.fields[k]; ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return k, v, true
		}
	}
	return "", nil, false
}

func (r *hfReader) has(keys ...string) bool { _, _, ok := r.raw(keys...); return ok }

// int reads a whole number from the first key present; a missing one is an
// error naming the first key.
func (r *hfReader) int(keys ...string) int {
	if !r.has(keys...) {
		r.fail(keys[0], "is missing")
		return 0
	}
	return r.intOr(0, keys...)
}

// intOr reads a whole number, def when every key is missing or null.
func (r *hfReader) intOr(def int, keys ...string) int {
	k, v, ok := r.raw(keys...)
	if !ok {
		return def
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		r.fail(k, "is %s; want a number", v)
		return def
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		r.fail(k, "is %s; want a whole number of sensible size", v)
		return def
	}
	return int(f)
}

func (r *hfReader) floatOr(def float64, keys ...string) float64 {
	return readOr(r, def, "a number", keys)
}

func (r *hfReader) boolOr(def bool, keys ...string) bool {
	return readOr(r, def, "true or false", keys)
}

func (r *hfReader) str(def string, keys ...string) string { return readOr(r, def, "a string", keys) }

// readOr decodes the first of keys present as a T, def when every key is
// missing or null; a value of another kind is an error saying what was
// wanted.
func readOr[T any](r *hfReader, def T, want string, keys []string) T {
	k, v, ok := r.raw(keys...)
	if !ok {
		return def
	}
	var out T
	if err := json.Unmarshal(v, &out); err != nil {
		r.fail(k, "is %s; want %s", v, want)
		return def
	}
	return out
}

// list reads an array into dst (a pointer to a slice); false when absent.
func (r *hfReader) list(key string, dst any) bool {
	_, v, ok := r.raw(key)
	if !ok {
		return false
	}
	if err := json.Unmarshal(v, dst); err != nil {
		r.fail(key, "is %s; want a list", v)
		return false
	}
	return true
}

// ropeTheta reads the RoPE base from "rope_theta" or, in configs written
// by transformers 5, "rope_parameters".
func (r *hfReader) ropeTheta(def float64, keys ...string) float64 {
	if r.has(keys...) {
		return r.floatOr(def, keys...)
	}
	var p struct {
		Theta *float64 `json:"rope_theta"`
	}
	if _, v, ok := r.raw("rope_parameters"); ok && json.Unmarshal(v, &p) == nil && p.Theta != nil {
		return *p.Theta
	}
	return def
}

// attentionKind names the attention of heads query heads over kvHeads K/V heads.
func attentionKind(heads, kvHeads int) AttentionKind {
	switch {
	case kvHeads == heads:
		return MHA
	case kvHeads == 1:
		return MQA
	}
	return GQA
}

// llamaBase reads the fields every LLaMA-like config shares: RMSNorm,
// RoPE, a gated MLP, GQA through num_key_value_heads, an explicit head_dim
// where given. rope_scaling changes no size and is not read.
func llamaBase(r *hfReader, family string, tiedDefault bool) Spec {
	s := Spec{
		Family:     family,
		Layers:     r.int("num_hidden_layers"),
		DModel:     r.int("hidden_size"),
		Heads:      r.int("num_attention_heads"),
		FFN:        r.int("intermediate_size"),
		Vocab:      r.int("vocab_size"),
		MaxContext: r.int("max_position_embeddings"),
		Norm:       RMSNorm, Positions: RoPE,
		TiedEmbeddings: r.boolOr(tiedDefault, "tie_word_embeddings"),
		RoPETheta:      r.ropeTheta(10000, "rope_theta"),
	}
	s.KVHeads = r.intOr(s.Heads, "num_key_value_heads")
	s.HeadDim = r.intOr(0, "head_dim") // 0: hidden_size / heads
	s.Attention = attentionKind(s.Heads, s.KVHeads)
	s.Activation = gatedActivation(r, "silu", "hidden_act")
	return s
}

// gatedActivation maps hidden_act of a gated MLP (def when absent): silu
// gives SwiGLU, the GELU variants GeGLU.
func gatedActivation(r *hfReader, def string, keys ...string) Activation {
	act := r.str(def, keys...)
	switch {
	case act == "silu" || act == "swish":
		return SwiGLU
	case strings.HasPrefix(act, "gelu"):
		return GeGLU
	}
	r.fail(keys[0], "is %q; the gated MLP is modelled for silu (SwiGLU) and gelu (GeGLU)", act)
	return SwiGLU
}

// windowAll applies sliding_window (def when absent) to every layer; a
// window at least as long as the context is no window.
func windowAll(r *hfReader, s *Spec, def int) {
	w := r.intOr(def, "sliding_window")
	switch {
	case w <= 0:
	case w >= s.MaxContext:
		r.note("sliding_window %d is not shorter than the context %d: no window in effect", w, s.MaxContext)
	default:
		s.SlidingWindow = w
	}
}

// windowByLayerTypes counts the "sliding_attention" entries of layer_types
// (written by transformers since 4.53); false when the config has none.
func windowByLayerTypes(r *hfReader, s *Spec, def int) bool {
	var types []string
	if !r.list("layer_types", &types) {
		return false
	}
	if len(types) != s.Layers {
		r.fail("layer_types", "has %d entries for %d layers", len(types), s.Layers)
		return true
	}
	n := 0
	for _, t := range types {
		if t == "sliding_attention" {
			n++
		}
	}
	if n > 0 {
		windowAll(r, s, def)
		if s.SlidingWindow > 0 && n < s.Layers {
			s.SlidingWindowLayers = n
		}
	}
	return true
}

func hfLlama(r *hfReader) Spec {
	s := llamaBase(r, "Llama", false)
	s.Bias = r.boolOr(false, "attention_bias") // q, k, v and o projections
	if r.boolOr(false, "mlp_bias") {
		r.fail("mlp_bias", "is true; biases in a gated MLP are not modelled")
	}
	if r.has("rope_scaling") {
		r.note("rope_scaling ignored (it changes no size)")
	}
	return s
}

func hfMistral(r *hfReader) Spec {
	s := llamaBase(r, "Mistral", false)
	windowAll(r, &s, 0)
	return s
}

func hfMixtral(r *hfReader) Spec {
	s := llamaBase(r, "Mixtral", false)
	windowAll(r, &s, 0)
	s.MoE = &MoEConfig{
		RoutedExperts: r.int("num_local_experts"),
		ActiveExperts: r.int("num_experts_per_tok"),
		ExpertFFN:     s.FFN,
	}
	return s
}

// hfQwen2 reads Qwen2 and Qwen2.5: biases on Q, K and V only; a sliding
// window only with use_sliding_window, on the layers from max_window_layers on.
func hfQwen2(r *hfReader) Spec {
	s := llamaBase(r, "Qwen2", false)
	s.QKVBias = true
	if !windowByLayerTypes(r, &s, 0) && r.boolOr(false, "use_sliding_window") {
		windowAll(r, &s, 0)
		if s.SlidingWindow > 0 {
			first := r.intOr(28, "max_window_layers") // the transformers default
			switch {
			case first >= s.Layers:
				s.SlidingWindow = 0
			case first > 0:
				s.SlidingWindowLayers = s.Layers - first
			}
		}
	}
	return s
}

// hfQwen2MoE adds sparse MLPs to Qwen2: num_experts routed experts of
// moe_intermediate_size on every decoder_sparse_step-th layer not listed in
// mlp_only_layers, and one shared expert, counted as the whole number of
// routed-size experts it equals (5632 = 4 x 1408).
func hfQwen2MoE(r *hfReader) Spec {
	s := hfQwen2(r)
	s.Family = "Qwen2-MoE"
	experts := r.intOr(0, "num_experts")
	step := r.intOr(1, "decoder_sparse_step")
	var mlpOnly []int
	r.list("mlp_only_layers", &mlpOnly)
	if experts <= 0 || r.err != nil {
		return s
	}
	if step <= 0 {
		r.fail("decoder_sparse_step", "is %d; want 1 or more", step)
		return s
	}
	dense := 0
	for i := 0; i < s.Layers; i++ {
		if slices.Contains(mlpOnly, i) || (i+1)%step != 0 {
			dense++
		}
	}
	m := &MoEConfig{RoutedExperts: experts, ActiveExperts: r.int("num_experts_per_tok"),
		ExpertFFN: r.int("moe_intermediate_size"), DenseLayers: dense}
	if shared := r.intOr(0, "shared_expert_intermediate_size"); shared > 0 && m.ExpertFFN > 0 {
		if shared%m.ExpertFFN != 0 {
			r.fail("shared_expert_intermediate_size", "is %d, not a whole number of experts of %d; the shared expert is modelled as such", shared, m.ExpertFFN)
		}
		m.SharedExperts = shared / m.ExpertFFN
		r.note("shared expert of %d counted as %d experts of %d; its gate (d_model per layer) left out", shared, m.SharedExperts, m.ExpertFFN)
	}
	if dense < s.Layers {
		s.MoE = m
	}
	return s
}

// hfGemma2 reads Gemma-2: tied embeddings, GeGLU, head_dim 256 unless
// given, and a sliding window on every other layer (the first, third, ...).
func hfGemma2(r *hfReader) Spec {
	s := llamaBase(r, "Gemma-2", true)
	s.HeadDim = r.intOr(256, "head_dim")
	s.Activation = gatedActivation(r, "gelu_pytorch_tanh", "hidden_activation", "hidden_act")
	if !windowByLayerTypes(r, &s, 4096) {
		windowAll(r, &s, 4096) // the transformers default
		if s.SlidingWindow > 0 && s.Layers > 1 {
			s.SlidingWindowLayers = (s.Layers + 1) / 2
		}
	}
	r.note("its four norms per layer counted as two (%d parameters short)", 2*s.Layers*s.DModel)
	return s
}

func hfPhi3(r *hfReader) Spec {
	s := llamaBase(r, "Phi-3", false)
	windowAll(r, &s, 0)
	if r.has("rope_scaling") {
		r.note("rope_scaling ignored (it changes no size)")
	}
	return s
}

// hfGPT2 reads GPT-2: learned positions, LayerNorm, a GELU MLP of n_inner
// (4 x n_embd unless given), biases everywhere, tied embeddings.
func hfGPT2(r *hfReader) Spec {
	d := r.int("n_embd", "hidden_size")
	s := Spec{
		Family:     "GPT-2",
		Layers:     r.int("n_layer", "num_hidden_layers"),
		DModel:     d,
		Heads:      r.int("n_head", "num_attention_heads"),
		FFN:        r.intOr(4*d, "n_inner"),
		Vocab:      r.int("vocab_size"),
		MaxContext: r.int("n_positions", "n_ctx", "max_position_embeddings"),
		Norm:       LayerNorm, Activation: GELU, Positions: Learned, Attention: MHA,
		TiedEmbeddings: r.boolOr(true, "tie_word_embeddings"), Bias: true,
	}
	s.KVHeads = s.Heads
	if act := r.str("gelu_new", "activation_function"); !strings.HasPrefix(act, "gelu") {
		r.fail("activation_function", "is %q; GPT-2 is modelled with GELU", act)
	}
	return s
}

// hfGPTNeoX reads GPT-NeoX and Pythia: parallel attention and MLP, biases,
// LayerNorm, an untied output layer, RoPE on rotary_pct of each head.
func hfGPTNeoX(r *hfReader) Spec {
	s := Spec{
		Family:     "GPT-NeoX",
		Layers:     r.int("num_hidden_layers"),
		DModel:     r.int("hidden_size"),
		Heads:      r.int("num_attention_heads"),
		FFN:        r.int("intermediate_size"),
		Vocab:      r.int("vocab_size"),
		MaxContext: r.int("max_position_embeddings"),
		Norm:       LayerNorm, Activation: GELU, Positions: RoPE, Attention: MHA,
		TiedEmbeddings: r.boolOr(false, "tie_word_embeddings"),
		Bias:           r.boolOr(true, "attention_bias"),
		ParallelBlock:  r.boolOr(true, "use_parallel_residual"),
		RoPETheta:      r.ropeTheta(10000, "rotary_emb_base", "rope_theta"),
	}
	s.KVHeads = s.Heads
	if act := r.str("gelu", "hidden_act"); !strings.HasPrefix(act, "gelu") {
		r.fail("hidden_act", "is %q; GPT-NeoX is modelled with GELU", act)
	}
	if pct := r.floatOr(1, "rotary_pct", "partial_rotary_factor"); pct != 1 {
		r.note("RoPE on %g of each head (the decoder would rotate all of it)", pct)
	}
	if s.ParallelBlock {
		r.note("its two norms per parallel layer counted as one (%d parameters short)", 2*s.Layers*s.DModel)
	}
	return s
}

// hfFalcon reads Falcon: parallel attention and MLP, no biases, MQA
// (multi_query) or, with new_decoder_architecture, GQA over num_kv_heads.
func hfFalcon(r *hfReader) Spec {
	d := r.int("hidden_size")
	s := Spec{
		Family:     "Falcon",
		Layers:     r.int("num_hidden_layers", "n_layer"),
		DModel:     d,
		Heads:      r.int("num_attention_heads", "n_head"),
		FFN:        r.intOr(4*d, "ffn_hidden_size"),
		Vocab:      r.intOr(65024, "vocab_size"),
		MaxContext: r.intOr(2048, "max_position_embeddings"),
		Norm:       LayerNorm, Activation: GELU, Positions: RoPE,
		TiedEmbeddings: r.boolOr(true, "tie_word_embeddings"),
		Bias:           r.boolOr(false, "bias"),
		ParallelBlock:  r.boolOr(true, "parallel_attn"),
		RoPETheta:      r.ropeTheta(10000, "rope_theta"),
	}
	if r.boolOr(false, "alibi") {
		s.Positions, s.RoPETheta = ALiBi, 0
	}
	s.HeadDim = r.intOr(0, "head_dim")
	// Falcon-40B's first config says "model_type": "RefinedWeb" for the new
	// architecture and has no new_decoder_architecture field.
	switch {
	case r.boolOr(r.str("", "model_type") == "RefinedWeb", "new_decoder_architecture"):
		s.KVHeads = r.intOr(s.Heads, "num_kv_heads", "n_head_kv")
		s.ParallelBlock = true
		r.note("its two norms per layer (new_decoder_architecture) counted as one (%d parameters short)", 2*s.Layers*d)
	case r.boolOr(true, "multi_query"):
		s.KVHeads = 1
	default:
		s.KVHeads = s.Heads
	}
	s.Attention = attentionKind(s.Heads, s.KVHeads)
	return s
}

// hfDeepSeek reads DeepSeek-V2 and V3: MLA, and MoE on every layer from
// first_k_dense_replace on (every moe_layer_freq-th). V3's multi-token
// prediction module (num_nextn_predict_layers) is not part of the model.
func hfDeepSeek(r *hfReader) Spec {
	s := Spec{
		Family:     "DeepSeek",
		Layers:     r.int("num_hidden_layers"),
		DModel:     r.int("hidden_size"),
		Heads:      r.int("num_attention_heads"),
		FFN:        r.int("intermediate_size"),
		Vocab:      r.int("vocab_size"),
		MaxContext: r.int("max_position_embeddings"),
		Norm:       RMSNorm, Activation: gatedActivation(r, "silu", "hidden_act"), Positions: RoPE, Attention: MLA,
		TiedEmbeddings: r.boolOr(false, "tie_word_embeddings"),
		RoPETheta:      r.ropeTheta(10000, "rope_theta"),
		MLA: &MLAConfig{
			QLoRARank:     r.intOr(0, "q_lora_rank"),
			KVLoRARank:    r.int("kv_lora_rank"),
			QKNopeHeadDim: r.int("qk_nope_head_dim"),
			QKRopeHeadDim: r.int("qk_rope_head_dim"),
			VHeadDim:      r.int("v_head_dim"),
		},
	}
	s.KVHeads, s.HeadDim = s.Heads, s.MLA.VHeadDim
	if n := r.intOr(0, "num_nextn_predict_layers"); n > 0 {
		r.note("the %d multi-token-prediction layer(s) left out", n)
	}
	routed := r.intOr(0, "n_routed_experts")
	if routed <= 0 || r.err != nil {
		return s
	}
	firstMoE, freq := r.intOr(0, "first_k_dense_replace"), r.intOr(1, "moe_layer_freq")
	if freq <= 0 {
		r.fail("moe_layer_freq", "is %d; want 1 or more", freq)
		return s
	}
	dense := 0
	for i := 0; i < s.Layers; i++ {
		if i < firstMoE || i%freq != 0 {
			dense++
		}
	}
	if dense < s.Layers {
		s.MoE = &MoEConfig{RoutedExperts: routed, ActiveExperts: r.int("num_experts_per_tok"),
			SharedExperts: r.intOr(0, "n_shared_experts"), ExpertFFN: r.int("moe_intermediate_size"), DenseLayers: dense}
	}
	return s
}
