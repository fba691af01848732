package model

import (
	"fmt"
	"math"
	"strings"
)

// Limits beyond which a shape is refused as absurd rather than computed.
// The two derived ones keep every size exact in int64 (see sizes.go):
// maxParams is 1,700 times DeepSeek-V3, maxKVValues 1,800 times GPT-3's
// cache per token, and maxKVValues x 4 bytes x maxContext fits in int64.
const (
	maxLayers   = 1024
	maxWidth    = 1 << 18 // d_model, ffn, head sizes
	maxVocab    = 1 << 24
	maxContext  = 1 << 27
	maxExperts  = 1 << 12
	maxParams   = 1 << 50 // about 1.1e15 parameters
	maxKVValues = 1 << 32 // K/V values one token adds across all layers
)

// FieldError says which field of which model is wrong and why.
type FieldError struct {
	Model, Field, Problem string
}

func (e *FieldError) Error() string {
	name := e.Model
	if name == "" {
		name = "(unnamed)"
	}
	if e.Field == "" { // a problem of the shape as a whole
		return fmt.Sprintf("model %s: %s", name, e.Problem)
	}
	return fmt.Sprintf("model %s: field %q: %s", name, e.Field, e.Problem)
}

// Normalize fills the defaults a JSON file may leave out (head_dim from
// d_model/heads, kv_heads from the attention kind) and then validates.
func (s *Spec) Normalize() error {
	s.Norm = Norm(strings.ToLower(string(s.Norm)))
	s.Activation = Activation(strings.ToLower(string(s.Activation)))
	s.Positions = Positions(strings.ToLower(string(s.Positions)))
	s.Attention = AttentionKind(strings.ToLower(string(s.Attention)))
	if s.KVHeads == 0 {
		switch s.Attention {
		case MHA, MLA:
			s.KVHeads = s.Heads
		case MQA:
			s.KVHeads = 1
		}
	}
	if s.HeadDim == 0 && s.Heads > 0 && s.DModel > 0 {
		if s.DModel%s.Heads != 0 {
			return s.fieldErr("heads", "%d heads do not divide d_model %d; give head_dim explicitly", s.Heads, s.DModel)
		}
		s.HeadDim = s.DModel / s.Heads
	}
	return s.Validate()
}

// Validate checks that the spec describes a buildable model. The error
// names the first offending field.
func (s Spec) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return s.fieldErr("name", "is empty")
	}
	if err := s.checkEnums(); err != nil {
		return err
	}
	sizes := []struct {
		field  string
		v, max int
	}{
		{"layers", s.Layers, maxLayers},
		{"d_model", s.DModel, maxWidth},
		{"heads", s.Heads, maxWidth},
		{"kv_heads", s.KVHeads, maxWidth},
		{"head_dim", s.HeadDim, maxWidth},
		{"vocab", s.Vocab, maxVocab},
		{"max_context", s.MaxContext, maxContext},
	}
	for _, f := range sizes {
		if err := s.checkSize(f.field, f.v, f.max); err != nil {
			return err
		}
	}
	if s.DenseLayers() > 0 || s.FFN != 0 { // an MoE model may leave ffn out
		if err := s.checkSize("ffn", s.FFN, maxWidth); err != nil {
			return err
		}
	}
	if s.KVHeads > s.Heads {
		return s.fieldErr("kv_heads", "%d is more than heads %d", s.KVHeads, s.Heads)
	}
	if s.Heads%s.KVHeads != 0 {
		return s.fieldErr("kv_heads", "%d does not divide heads %d", s.KVHeads, s.Heads)
	}
	if err := s.checkAttention(); err != nil {
		return err
	}
	if s.SlidingWindow < 0 {
		return s.fieldErr("sliding_window", "is %d; use 0 for no window", s.SlidingWindow)
	}
	if s.SlidingWindowLayers < 0 || s.SlidingWindowLayers > s.Layers {
		return s.fieldErr("sliding_window_layers", "is %d; it must be from 0 (every layer) to layers (%d)", s.SlidingWindowLayers, s.Layers)
	}
	if s.SlidingWindowLayers > 0 && s.SlidingWindow == 0 {
		return s.fieldErr("sliding_window_layers", "is %d but there is no sliding_window; give the window or drop the field", s.SlidingWindowLayers)
	}
	if s.Bias && s.QKVBias {
		return s.fieldErr("qkv_bias", "is set with bias, which already biases Q, K and V; keep one")
	}
	if s.RoPETheta < 0 || math.IsNaN(s.RoPETheta) || math.IsInf(s.RoPETheta, 0) {
		return s.fieldErr("rope_theta", "is %g; give a positive base, or 0 when unknown", s.RoPETheta)
	}
	if err := s.checkMoE(); err != nil {
		return err
	}
	return s.checkTotals()
}

// checkTotals refuses shapes whose derived sizes pass the limits that keep
// them exact; the counts are taken in float64, which cannot overflow.
func (s Spec) checkTotals() error {
	if p := s.paramsFloat().total; p > maxParams {
		return s.fieldErr("", "its shape gives %.3g parameters, beyond the supported %.3g (2^50); check layers, d_model, heads, head_dim, ffn and the experts", p, float64(maxParams))
	}
	if kv := float64(s.Layers) * float64(s.KVValuesPerTokenPerLayer()); kv > maxKVValues {
		return s.fieldErr("", "each token adds %.3g K/V values across its layers, beyond the supported %.3g (2^32); check layers, kv_heads and head_dim", kv, float64(maxKVValues))
	}
	return nil
}

func (s Spec) checkEnums() error {
	switch s.Norm {
	case LayerNorm, RMSNorm:
	default:
		return s.fieldErr("norm", "unknown %q; use layernorm or rmsnorm", s.Norm)
	}
	switch s.Activation {
	case GELU, SwiGLU, GeGLU:
	default:
		return s.fieldErr("activation", "unknown %q; use gelu, swiglu or geglu", s.Activation)
	}
	switch s.Positions {
	case Learned, RoPE, ALiBi:
	default:
		return s.fieldErr("positions", "unknown %q; use learned, rope or alibi", s.Positions)
	}
	switch s.Attention {
	case MHA, GQA, MQA, MLA:
	default:
		return s.fieldErr("attention", "unknown %q; use mha, gqa, mqa or mla", s.Attention)
	}
	return nil
}

func (s Spec) checkAttention() error {
	switch s.Attention {
	case MHA:
		if s.KVHeads != s.Heads {
			return s.fieldErr("kv_heads", "is %d but mha needs kv_heads = heads (%d); use gqa or mqa", s.KVHeads, s.Heads)
		}
	case GQA:
		if s.KVHeads == s.Heads || s.KVHeads == 1 {
			return s.fieldErr("attention", "gqa needs 1 < kv_heads < heads, got kv_heads %d of %d heads; use mha or mqa", s.KVHeads, s.Heads)
		}
	case MQA:
		if s.KVHeads != 1 {
			return s.fieldErr("kv_heads", "is %d but mqa has exactly 1", s.KVHeads)
		}
	case MLA:
		m := s.MLA
		if m == nil {
			return s.fieldErr("mla", "attention mla needs an mla object with kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim")
		}
		for _, f := range []struct {
			field string
			v     int
		}{{"mla.kv_lora_rank", m.KVLoRARank}, {"mla.qk_nope_head_dim", m.QKNopeHeadDim}, {"mla.qk_rope_head_dim", m.QKRopeHeadDim}, {"mla.v_head_dim", m.VHeadDim}} {
			if err := s.checkSize(f.field, f.v, maxWidth); err != nil {
				return err
			}
		}
		if m.QLoRARank < 0 || m.QLoRARank > maxWidth {
			return s.fieldErr("mla.q_lora_rank", "is %d; use 0 (no query compression) up to %d", m.QLoRARank, maxWidth)
		}
	default:
		return s.fieldErr("attention", "unknown %q; use mha, gqa, mqa or mla", s.Attention)
	}
	if s.Attention != MLA && s.MLA != nil {
		return s.fieldErr("mla", "is set but attention is %s; set attention to mla or drop mla", s.Attention)
	}
	return nil
}

func (s Spec) checkMoE() error {
	m := s.MoE
	if m == nil {
		return nil
	}
	if err := s.checkSize("moe.routed_experts", m.RoutedExperts, maxExperts); err != nil {
		return err
	}
	if m.ActiveExperts <= 0 || m.ActiveExperts > m.RoutedExperts {
		return s.fieldErr("moe.active_experts", "is %d; it must be between 1 and routed_experts (%d)", m.ActiveExperts, m.RoutedExperts)
	}
	if m.SharedExperts < 0 || m.SharedExperts > maxExperts {
		return s.fieldErr("moe.shared_experts", "is %d; it must be 0 or more", m.SharedExperts)
	}
	if err := s.checkSize("moe.expert_ffn", m.ExpertFFN, maxWidth); err != nil {
		return err
	}
	if m.DenseLayers < 0 || m.DenseLayers >= s.Layers {
		return s.fieldErr("moe.dense_layers", "is %d; it must be from 0 to layers-1 (%d)", m.DenseLayers, s.Layers-1)
	}
	if !s.Activation.Gated() {
		return s.fieldErr("activation", "MoE experts are modelled as gated MLPs; set activation to swiglu or geglu")
	}
	return nil
}

func (s Spec) checkSize(field string, v, max int) error {
	if v <= 0 {
		return s.fieldErr(field, "is %d; it must be a positive size", v)
	}
	if v > max {
		return s.fieldErr(field, "is %d, beyond the supported %d", v, max)
	}
	return nil
}

func (s Spec) fieldErr(field, format string, args ...any) error {
	return &FieldError{Model: s.Name, Field: field, Problem: fmt.Sprintf(format, args...)}
}
