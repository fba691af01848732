package decoder

import (
	"fmt"
	"slices"
	"strings"
)

// placement says where one checkpoint tensor goes: into dst, transposed or
// not, with the shape it must have in the file.
type placement struct {
	name      string
	shape     []int
	dst       []float32
	transpose bool
}

// loadSafetensors reads a GPT-2 or LLaMA (Hugging Face) checkpoint (a
// file, an index with shards, or a folder; see openCheckpoint) into
// weights shaped for h. Before reading anything it checks that the
// checkpoint and the spec describe one model: every tensor the spec needs
// is there with its shape, and every weight of the checkpoint has a place
// (biases the spec lacks, layers beyond its count, an untied LM head of a
// tied spec are refused rather than dropped).
func loadSafetensors(path string, h *shape) (*Weights, error) {
	ck, err := openCheckpoint(path)
	if err != nil {
		return nil, err
	}
	defer ck.close()
	w := allocWeights(*h)
	var plan []placement
	switch {
	case ck.has("wte.weight") || ck.has("transformer.wte.weight"):
		if !h.layerNorm || h.swiGLU || !h.learned || h.parallel {
			block := "sequential"
			if h.parallel {
				block = "parallel"
			}
			return nil, fmt.Errorf("decoder: %s has GPT-2 tensor names but model %s is not GPT-2 shaped (it uses %s, %s, %s positions, %s blocks)",
				path, h.spec.Name, h.spec.Norm, h.spec.Activation, h.spec.Positions, block)
		}
		prefix := ""
		if ck.has("transformer.wte.weight") {
			prefix = "transformer."
		}
		plan = gpt2Plan(w, h, prefix)
	case ck.has("model.embed_tokens.weight"):
		if h.layerNorm || !h.swiGLU || !h.rope || h.parallel {
			return nil, fmt.Errorf("decoder: %s has LLaMA tensor names but model %s is not LLaMA shaped (it uses %s, %s, %s positions)", path, h.spec.Name, h.spec.Norm, h.spec.Activation, h.spec.Positions)
		}
		plan = llamaPlan(w, h)
	default:
		return nil, fmt.Errorf("decoder: %s has neither GPT-2 (wte.weight) nor LLaMA (model.embed_tokens.weight) tensor names; found %s", path, sample(ck.names(), 5))
	}
	if err := checkPlan(ck, plan, h); err != nil {
		return nil, fmt.Errorf("decoder: %s: %w", path, err)
	}
	for _, p := range plan {
		if err := ck.read(p.name, p.dst, p.transpose); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// checkPlan checks the plan against the checkpoint and the allocation:
// missing tensors, wrong shapes, tensors without a place, and (never
// expected) a destination that does not match its shape.
func checkPlan(ck *checkpoint, plan []placement, h *shape) error {
	var missing []string
	placed := map[string]bool{}
	for _, p := range plan {
		placed[p.name] = true
		if !ck.has(p.name) {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("lacks tensors for model %s: %s", h.spec.Name, sample(missing, 5))
	}
	for _, p := range plan {
		if got := ck.shape(p.name); !slices.Equal(got, p.shape) {
			return fmt.Errorf("tensor %s has shape %v, model %s needs %v", p.name, got, h.spec.Name, p.shape)
		}
		if len(p.dst) != numel(p.shape) {
			return fmt.Errorf("model %s has room for %d values of tensor %s, which holds %d: the weight plan and the spec disagree", h.spec.Name, len(p.dst), p.name, numel(p.shape))
		}
	}
	var unused []string
	for _, name := range ck.names() {
		if !placed[name] && !ignorable(name) {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		return fmt.Errorf("holds weights model %s has no place for: %s; the spec does not describe this checkpoint%s",
			h.spec.Name, sample(unused, 5), unusedHint(unused, h))
	}
	return nil
}

// ignorable names checkpoint buffers that are not weights: GPT-2's causal
// masks and the RoPE frequencies some LLaMA checkpoints store.
func ignorable(name string) bool {
	return strings.HasSuffix(name, ".attn.bias") || strings.HasSuffix(name, ".attn.masked_bias") ||
		strings.HasSuffix(name, ".rotary_emb.inv_freq")
}

// unusedHint names the spec field that most likely explains unused tensors.
func unusedHint(unused []string, h *shape) string {
	var hints []string
	for _, n := range unused {
		switch {
		case n == "lm_head.weight" && h.spec.TiedEmbeddings:
			hints = append(hints, `it has its own LM head: set "tied_embeddings": false`)
		case strings.HasSuffix(n, "q_proj.bias") && !h.bias:
			hints = append(hints, `it biases Q, K and V: set "qkv_bias": true (Qwen2) or "bias": true`)
		case strings.HasSuffix(n, "o_proj.bias") && !h.outBias():
			hints = append(hints, `it biases every attention projection: set "bias": true`)
		case strings.HasSuffix(n, ".bias") && !h.spec.Bias && !strings.Contains(n, "_proj."):
			hints = append(hints, `it has biases: set "bias": true (GPT-2 checkpoints do)`)
		case strings.Contains(n, fmt.Sprintf(".%d.", h.layers)):
			hints = append(hints, fmt.Sprintf("it has more than the spec's %d layers", h.layers))
		}
	}
	slices.Sort(hints)
	hints = slices.Compact(hints)
	if len(hints) == 0 {
		return ""
	}
	return " (" + strings.Join(hints, "; ") + ")"
}

// layerSlice is layer l's part of a tensor stacked over layers; nil when
// the tensor is not allocated that far, which checkPlan reports.
func layerSlice(x []float32, l, per int) []float32 {
	if (l+1)*per > len(x) {
		return nil
	}
	return x[l*per : (l+1)*per]
}

// gpt2Plan maps Hugging Face GPT-2 names. Its Conv1D weights are stored
// (in, out) and are transposed to (out, in). Biases are placed only when
// the spec has them; a checkpoint's other biases are then left unplaced,
// and checkPlan says so.
func gpt2Plan(w *Weights, h *shape, p string) []placement {
	d := h.dim
	plan := []placement{
		{p + "wte.weight", []int{h.vocab, d}, w.TokenEmbedding, false},
		{p + "wpe.weight", []int{h.context, d}, w.PositionEmbedding, false},
		{p + "ln_f.weight", []int{d}, w.FinalNormGain, false},
		{p + "ln_f.bias", []int{d}, w.FinalNormBias, false},
	}
	if !h.spec.TiedEmbeddings {
		plan = append(plan, placement{"lm_head.weight", []int{h.vocab, d}, w.LMHead, false})
	}
	for l := 0; l < h.layers; l++ {
		b := fmt.Sprintf("%sh.%d.", p, l)
		plan = append(plan,
			placement{b + "ln_1.weight", []int{d}, layerSlice(w.AttnNormGain, l, d), false},
			placement{b + "ln_1.bias", []int{d}, layerSlice(w.AttnNormBias, l, d), false},
			placement{b + "attn.c_attn.weight", []int{d, h.qkvDim}, layerSlice(w.QKV, l, h.qkvDim*d), true},
			placement{b + "attn.c_proj.weight", []int{h.qDim, d}, layerSlice(w.Out, l, d*h.qDim), true},
			placement{b + "ln_2.weight", []int{d}, layerSlice(w.MLPNormGain, l, d), false},
			placement{b + "ln_2.bias", []int{d}, layerSlice(w.MLPNormBias, l, d), false},
			placement{b + "mlp.c_fc.weight", []int{d, h.ffn}, layerSlice(w.Up, l, h.ffn*d), true},
			placement{b + "mlp.c_proj.weight", []int{h.ffn, d}, layerSlice(w.Down, l, d*h.ffn), true},
		)
		if h.bias {
			plan = append(plan, placement{b + "attn.c_attn.bias", []int{h.qkvDim}, layerSlice(w.QKVBias, l, h.qkvDim), false})
		}
		if h.outBias() {
			plan = append(plan, placement{b + "attn.c_proj.bias", []int{d}, layerSlice(w.OutBias, l, d), false})
		}
		if h.mlpBias() {
			plan = append(plan,
				placement{b + "mlp.c_fc.bias", []int{h.ffn}, layerSlice(w.UpBias, l, h.ffn), false},
				placement{b + "mlp.c_proj.bias", []int{d}, layerSlice(w.DownBias, l, d), false})
		}
	}
	return plan
}

// llamaPlan maps Hugging Face LLaMA names: q/k/v_proj fill the fused QKV
// rows, gate_proj and up_proj the fused Up rows. Qwen2 adds biases to q, k
// and v (qkv_bias); "bias" adds one to o_proj as well.
func llamaPlan(w *Weights, h *shape) []placement {
	d := h.dim
	plan := []placement{
		{"model.embed_tokens.weight", []int{h.vocab, d}, w.TokenEmbedding, false},
		{"model.norm.weight", []int{d}, w.FinalNormGain, false},
	}
	if !h.spec.TiedEmbeddings {
		plan = append(plan, placement{"lm_head.weight", []int{h.vocab, d}, w.LMHead, false})
	}
	part := func(x []float32, lo, hi int) []float32 {
		if hi > len(x) {
			return nil
		}
		return x[lo:hi]
	}
	for l := 0; l < h.layers; l++ {
		b := fmt.Sprintf("model.layers.%d.", l)
		qkv := layerSlice(w.QKV, l, h.qkvDim*d)
		up := layerSlice(w.Up, l, h.upRows*d)
		plan = append(plan,
			placement{b + "input_layernorm.weight", []int{d}, layerSlice(w.AttnNormGain, l, d), false},
			placement{b + "self_attn.q_proj.weight", []int{h.qDim, d}, part(qkv, 0, h.qDim*d), false},
			placement{b + "self_attn.k_proj.weight", []int{h.kvDim, d}, part(qkv, h.qDim*d, (h.qDim+h.kvDim)*d), false},
			placement{b + "self_attn.v_proj.weight", []int{h.kvDim, d}, part(qkv, (h.qDim+h.kvDim)*d, h.qkvDim*d), false},
			placement{b + "self_attn.o_proj.weight", []int{d, h.qDim}, layerSlice(w.Out, l, d*h.qDim), false},
			placement{b + "post_attention_layernorm.weight", []int{d}, layerSlice(w.MLPNormGain, l, d), false},
			placement{b + "mlp.gate_proj.weight", []int{h.ffn, d}, part(up, 0, h.ffn*d), false},
			placement{b + "mlp.up_proj.weight", []int{h.ffn, d}, part(up, h.ffn*d, 2*h.ffn*d), false},
			placement{b + "mlp.down_proj.weight", []int{d, h.ffn}, layerSlice(w.Down, l, d*h.ffn), false},
		)
		if h.bias {
			bias := layerSlice(w.QKVBias, l, h.qkvDim)
			plan = append(plan,
				placement{b + "self_attn.q_proj.bias", []int{h.qDim}, part(bias, 0, h.qDim), false},
				placement{b + "self_attn.k_proj.bias", []int{h.kvDim}, part(bias, h.qDim, h.qDim+h.kvDim), false},
				placement{b + "self_attn.v_proj.bias", []int{h.kvDim}, part(bias, h.qDim+h.kvDim, h.qkvDim), false},
			)
		}
		if h.outBias() {
			plan = append(plan, placement{b + "self_attn.o_proj.bias", []int{d}, layerSlice(w.OutBias, l, d), false})
		}
	}
	return plan
}
