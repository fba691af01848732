package figures

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// attentionLabel names what a model caches: MHA, GQA 8/64, MQA, MLA, and a
// sliding window when there is one.
func attentionLabel(s model.Spec) string {
	l := strings.ToUpper(string(s.Attention))
	if s.Attention == model.GQA {
		l = fmt.Sprintf("GQA %d/%d", s.KVHeads, s.Heads)
	}
	if s.SlidingWindow > 0 {
		l += fmt.Sprintf(" + window %d", s.SlidingWindow)
	}
	return l
}

// KVMemory is the first figure of section 4: a picker for the KV data type
// over the cache one token takes in each model (bars, log scale) and the
// whole cache against context, up to each model's window (a sliding window
// caps it).
func KVMemory(k KVStudy) *widgets.Explorer {
	specs, dtypes := k.Models, k.DTypes
	names := make([]string, len(dtypes))
	for i, d := range dtypes {
		names[i] = fmt.Sprintf("%s (%d bits)", d, d.Bits())
	}
	e := widgets.NewExplorer().
		Caption("KV cache memory by architecture").
		Select("dtype", "KV data type", names)
	if len(specs) == 0 {
		return e.Chart(func(widgets.At) widgets.Charter { return nil })
	}
	return e.
		Chart(func(at widgets.At) widgets.Charter { return kvPerTokenChart(specs, dtypes[at.Index("dtype")]) }, widgets.Size("100%", "360px")).
		Chart(func(at widgets.At) widgets.Charter { return kvContextChart(specs, dtypes[at.Index("dtype")]) }, widgets.Size("100%", "420px")).
		Note("KV/token = 2 × layers × kv_heads × head_dim × bytes per value (MLA: layers × (kv_lora_rank + rope dim) × bytes). " +
			"Lines stop at each model's trained context window.")
}

func kvPerTokenChart(specs []model.Spec, d model.DType) widgets.Charter {
	cats := make([]string, len(specs))
	kib := make([]float64, len(specs))
	for i, s := range specs {
		cats[i] = s.Name + " (" + strings.Replace(attentionLabel(s), " + window ", ", window ", 1) + ")"
		kib[i] = round4(float64(s.KVBytesPerToken(d)) / 1024)
	}
	b := widgets.NewBarChart(fmt.Sprintf("KV cache per token at %s", d), "", widgets.Axis{Name: "KV per token", Unit: "KiB", Log: true}, cats).
		Series("KV per token ("+string(d)+")", kib)
	b.Bar().SetGlobalOptions(
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 25, FontSize: 11}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "88", Right: "40", Top: "56", Bottom: "120"}))
	if n := len(b.Bar().MultiSeries); n > 0 {
		b.Bar().MultiSeries[n-1].ConfigureSeriesOpts(
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorCached}),
			charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top", Formatter: "{c}"}))
	}
	return b
}

func kvContextChart(specs []model.Spec, d model.DType) widgets.Charter {
	pl := newPlot(fmt.Sprintf("KV cache of one sequence against context at %s", d),
		widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "KV cache", Unit: "GiB", Log: true})
	for i, s := range specs {
		var xs, ys []float64
		for _, n := range cost.Contexts(128, s.MaxContext, 24) {
			xs = append(xs, float64(n))
			ys = append(ys, gib(float64(s.KVBytes(n, d))))
		}
		pl.add(s.Name+" ("+attentionLabel(s)+")", xs, ys, style{color: palette[i%len(palette)]})
	}
	return pl.legendRows(128)
}

// KVFit is how well one model uses KV memory: bytes per token, bytes per
// token per billion parameters, and the tokens one node of the hardware
// holds once the weights are placed.
type KVFit struct {
	Model             string      `json:"model"`
	Attention         string      `json:"attention"`
	Params            int64       `json:"params"`
	KVBytesPerToken   int64       `json:"kv_bytes_per_token"`            // at DType
	KVBytesPerTokenPB float64     `json:"kv_bytes_per_token_per_bparam"` // per billion parameters
	DType             model.DType `json:"dtype"`
	Hardware          string      `json:"hardware"`
	TP                int         `json:"tp"`             // devices of the node the model is split over
	NodeKVBytes       int64       `json:"node_kv_bytes"`  // cache memory left on those devices
	NodeKVTokens      int64       `json:"node_kv_tokens"` // tokens it holds
	Fits              bool        `json:"fits"`           // the weights leave room for at least one token
	Error             string      `json:"error,omitempty"`
}

// KVFits sizes each model's cache at dtype on one node of hw: the largest
// tensor-parallel degree the node and the model's heads allow (vLLM's
// rules), then what memory the cost model leaves for the cache.
func KVFits(specs []model.Spec, hw cost.Hardware, dtype model.DType) ([]KVFit, error) {
	if len(specs) == 0 {
		return nil, errors.New("figures: KV fits need at least one model")
	}
	out := make([]KVFit, 0, len(specs))
	for _, s := range specs {
		f := KVFit{Model: s.Name, Attention: attentionLabel(s), Params: s.TotalParams(), DType: dtype, Hardware: hw.Name,
			KVBytesPerToken: s.KVBytesPerToken(dtype)}
		f.KVBytesPerTokenPB = float64(f.KVBytesPerToken) / (float64(f.Params) / 1e9)
		var pred *cost.Predictor
		var err error
		for t := max(hw.MaxTP, 1); t >= 1; t /= 2 {
			if pred, err = cost.New(s, hw, cost.Options{DType: dtype, TP: t}); err == nil {
				break
			}
		}
		if err != nil {
			f.Error = err.Error()
			out = append(out, f)
			continue
		}
		c, err := pred.Capacity(1)
		if err != nil {
			f.Error = err.Error()
			out = append(out, f)
			continue
		}
		f.TP = pred.Options().TP
		f.NodeKVBytes = c.KVCacheBytes * int64(f.TP)
		f.NodeKVTokens = c.KVCacheTokens
		f.Fits = f.NodeKVTokens > 0
		out = append(out, f)
	}
	return out, nil
}

// KVTable is the table of section 4: KV bytes per token, per billion
// parameters, and the tokens one node holds.
func KVTable(k KVStudy) *widgets.Table {
	fits := k.Fits
	t := report.Table{Title: "How much context fits", Columns: []report.Column{
		{Name: "model"}, {Name: "attention"}, {Name: "params"}, {Name: "KV/token"}, {Name: "KV/token per B params", Unit: "bytes"},
		{Name: "devices"}, {Name: "KV memory left"}, {Name: "tokens that fit"},
	}}
	for _, f := range fits {
		node, left, tokens := "-", "-", "-"
		switch {
		case f.Error != "":
			left = "cannot split"
		case !f.Fits:
			node, left, tokens = strconv.Itoa(f.TP), "weights do not fit", "0"
		default:
			node = strconv.Itoa(f.TP)
			left = units.Bytes(float64(f.NodeKVBytes))
			tokens = units.Count(float64(f.NodeKVTokens))
		}
		t.AddRow(f.Model, f.Attention, units.Count(float64(f.Params)), units.Bytes(float64(f.KVBytesPerToken)),
			units.Count(f.KVBytesPerTokenPB), node, left, tokens)
	}
	note := "KV at the given dtype; weights at the same dtype; memory left = 90% of the devices' memory less weights and one prefill chunk's activations."
	if len(fits) > 0 {
		note = fmt.Sprintf("KV and weights at %s on one node of %s: as many devices as the model's heads allow (tensor parallelism; Falcon's 71 heads allow 1); "+
			"memory left = 90%% of device memory less weights and one 8,192-token chunk's activations. KV/token per B params counts all parameters (for mixture-of-experts models, not only the active ones).",
			fits[0].DType, fits[0].Hardware)
	}
	return widgets.NewTable(t).Note(note)
}

// KVStudy is section 4: architectures, KV data types, and how each model's
// cache fits one node of the chosen hardware.
type KVStudy struct {
	Models []model.Spec  `json:"models"`
	DTypes []model.DType `json:"dtypes"`
	Fits   []KVFit       `json:"fits"` // at the hardware's default dtype (bf16 on GPUs)
}

// KVArchitectures names the models of section 4: MHA (GPT-3, LLaMA-2-7B),
// GQA (LLaMA-2-70B, LLaMA-3), MQA (Falcon), MLA (DeepSeek-V3) and a sliding
// window (Mistral).
func KVArchitectures() []string {
	return []string{"gpt3-175b", "llama-65b", "llama2-7b", "llama2-70b", "llama3-8b", "llama3-70b", "llama3.1-405b", "mistral-7b", "falcon-7b", "deepseek-v3"}
}

// KV sizes the caches of KVArchitectures plus the lab's big and serving
// models, and saves the result.
func (l *Lab) KV() (KVStudy, error) {
	start := time.Now()
	k := KVStudy{Models: l.chosen(append(KVArchitectures(), l.Big.Name, l.Serving.Name)...), DTypes: []model.DType{model.FP16, model.FP8, model.INT4}}
	var err error
	if k.Fits, err = KVFits(k.Models, l.Hardware, l.Hardware.DefaultDType); err != nil {
		return KVStudy{}, err
	}
	sec := time.Since(start).Seconds()
	l.logf("sized the KV caches of %d models in %.2f s", len(k.Models), sec)
	return k, l.save("kv", k, sec)
}
