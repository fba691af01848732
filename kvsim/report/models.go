package report

import (
	"fmt"
	"strconv"

	"kvcache/kvsim/model"
	"kvcache/kvsim/units"
)

// ModelTable lists architectures with their derived sizes.
func ModelTable(specs []model.Spec) Table {
	t := Table{
		Title: "Model catalog",
		Columns: []Column{
			{Name: "model"}, {Name: "family"}, {Name: "layers"}, {Name: "d_model"},
			{Name: "heads"}, {Name: "kv heads"}, {Name: "head dim"}, {Name: "attention"},
			{Name: "params"}, {Name: "active"}, {Name: "KV/token fp16"}, {Name: "context"},
		},
	}
	for _, s := range specs {
		attn := string(s.Attention)
		if s.SlidingWindow > 0 {
			attn += fmt.Sprintf(" +window %d", s.SlidingWindow)
			if w := s.WindowedLayers(); w < s.Layers {
				attn += fmt.Sprintf(" on %d/%d layers", w, s.Layers)
			}
		}
		p := s.Params()
		t.AddRow(s.Name, s.Family, strconv.Itoa(s.Layers), strconv.Itoa(s.DModel),
			strconv.Itoa(s.Heads), strconv.Itoa(s.KVHeads), strconv.Itoa(s.HeadDim), attn,
			units.Count(float64(p.Total)), units.Count(float64(p.Active)),
			units.Bytes(float64(s.KVBytesPerToken(model.FP16))), strconv.Itoa(s.MaxContext))
	}
	return t
}

// ModelDetail shows one model in full: hyperparameters, parameter
// breakdown, weight and KV bytes per dtype, and FLOPs per decoded token.
func ModelDetail(s model.Spec) Table {
	t := Table{Title: s.Name, Columns: []Column{{Name: "property"}, {Name: "value"}}}
	add := func(k, v string) { t.AddRow(k, v) }
	itoa := strconv.Itoa
	add("family", s.Family)
	add("layers", itoa(s.Layers))
	add("d_model", itoa(s.DModel))
	add("heads / kv heads / head dim", fmt.Sprintf("%d / %d / %d", s.Heads, s.KVHeads, s.HeadDim))
	add("attention", string(s.Attention))
	if m := s.MLA; m != nil {
		add("MLA q / kv latent", fmt.Sprintf("%d / %d (rope %d, nope %d, v %d)", m.QLoRARank, m.KVLoRARank, m.QKRopeHeadDim, m.QKNopeHeadDim, m.VHeadDim))
	}
	if s.SlidingWindow > 0 {
		add("sliding window", fmt.Sprintf("%d tokens, on %d of %d layers", s.SlidingWindow, s.WindowedLayers(), s.Layers))
	}
	add("FFN", itoa(s.FFN))
	if m := s.MoE; m != nil {
		add("MoE", fmt.Sprintf("%d routed (%d active) + %d shared experts of %d; %d dense layers first",
			m.RoutedExperts, m.ActiveExperts, m.SharedExperts, m.ExpertFFN, m.DenseLayers))
	}
	add("vocab", itoa(s.Vocab))
	add("max context", itoa(s.MaxContext))
	add("norm / activation / positions", fmt.Sprintf("%s / %s / %s", s.Norm, s.Activation, s.Positions))
	add("tied embeddings", strconv.FormatBool(s.TiedEmbeddings))

	p := s.Params()
	add("params total", fmt.Sprintf("%s (%d)", units.Count(float64(p.Total)), p.Total))
	add("params active", fmt.Sprintf("%s (%d)", units.Count(float64(p.Active)), p.Active))
	for _, part := range []struct {
		name string
		n    int64
	}{{"embedding", p.Embedding}, {"positions", p.Positions}, {"attention", p.Attention}, {"dense MLP", p.DenseMLP},
		{"experts", p.Experts}, {"router", p.Router}, {"norms", p.Norms}, {"LM head", p.LMHead}} {
		if part.n > 0 {
			add("  "+part.name, units.Count(float64(part.n)))
		}
	}
	for _, d := range model.DTypes() {
		add("weights "+string(d), units.Bytes(float64(s.WeightBytes(d))))
	}
	for _, d := range model.DTypes() {
		kv := s.KVBytesPerToken(d)
		add("KV/token "+string(d), fmt.Sprintf("%s (%d B)", units.Bytes(float64(kv)), kv))
	}
	if s.SlidingWindow > 0 {
		kv := s.KVBytesPerTokenBeyondWindow(model.FP16)
		add("KV/token beyond the window fp16", fmt.Sprintf("%s (%d B)", units.Bytes(float64(kv)), kv))
	}
	add("KV at max context fp16", units.Bytes(float64(s.KVBytes(s.MaxContext, model.FP16))))
	for _, l := range []int{0, 1023, s.MaxContext - 1} {
		if l >= s.MaxContext {
			continue
		}
		add(fmt.Sprintf("decode FLOPs after %d tokens", l), fmt.Sprintf("%s cached, %s uncached",
			units.Count(s.DecodeFLOPs(l, true)), units.Count(s.DecodeFLOPs(l, false))))
	}
	if s.Source != "" {
		add("source", s.Source)
	}
	return t
}
