package figures

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// KVMemory is the first figure of section 4: a picker for the KV data type
// over the cache one token takes in each model (bars, log scale) and the
// whole cache against context, up to each model's window (a sliding window
// caps it).
func KVMemory(k study.KVStudy) *widgets.Explorer {
	names := make([]string, len(k.DTypes))
	for i, d := range k.DTypes {
		names[i] = fmt.Sprintf("%s (%d bits)", d, d.Bits())
	}
	e := widgets.NewExplorer().
		Caption("KV cache memory by architecture").
		Select("dtype", "KV data type", names)
	if len(k.Models) == 0 {
		return e.Chart(func(widgets.At) widgets.Charter { return nil })
	}
	return e.
		Chart(func(at widgets.At) widgets.Charter { return kvPerTokenChart(k, at.Index("dtype")) }, widgets.Size("100%", "360px")).
		Chart(func(at widgets.At) widgets.Charter { return kvContextChart(k, at.Index("dtype")) }, widgets.Size("100%", "420px")).
		Note("KV/token = 2 × layers × kv_heads × head_dim × bytes per value (MLA: layers × (kv_lora_rank + rope dim) × bytes). " +
			"Lines stop at each model's trained context window.")
}

func kvPerTokenChart(k study.KVStudy, di int) widgets.Charter {
	d := k.DTypes[di]
	cats := make([]string, len(k.Models))
	kib := make([]float64, len(k.Models))
	for i, b := range k.PerToken(d) {
		cats[i] = k.Models[i].Name + " (" + strings.Replace(study.AttentionLabel(k.Models[i]), " + window ", ", window ", 1) + ")"
		kib[i] = study.Round4(float64(b) / 1024)
	}
	b := widgets.NewBarChart(fmt.Sprintf("KV cache per token at %s", d), "", widgets.Axis{Name: "KV per token", Unit: "KiB", Log: true}, cats).
		Series(fmt.Sprintf("KV per token (%s)", d), kib)
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

func kvContextChart(k study.KVStudy, di int) widgets.Charter {
	d := k.DTypes[di]
	pl := newPlot(fmt.Sprintf("KV cache of one sequence against context at %s", d),
		widgets.Axis{Name: "Context", Unit: "tokens", Log: true}, widgets.Axis{Name: "KV cache", Unit: "GiB", Log: true})
	for i, s := range k.Models {
		tokens, bytes := k.AgainstContext(i, d)
		ys := make([]float64, len(bytes))
		for j, b := range bytes {
			ys[j] = units.GiB(float64(b))
		}
		pl.add(s.Name+" ("+study.AttentionLabel(s)+")", ints(tokens), ys, style{color: palette[i%len(palette)]})
	}
	return pl.legendRows(128)
}

// KVTable is the table of section 4: KV bytes per token, per billion
// parameters, and the tokens the model's devices hold.
func KVTable(k study.KVStudy) *widgets.Table {
	t := report.Table{Title: "How much context fits", Columns: []report.Column{
		{Name: "model"}, {Name: "attention"}, {Name: "params"}, {Name: "KV/token"}, {Name: "KV/token per B params", Unit: "bytes"},
		{Name: "devices"}, {Name: "KV memory left"}, {Name: "tokens that fit"},
	}}
	for _, f := range k.Fits {
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
	if len(k.Fits) > 0 {
		note = fmt.Sprintf("KV and weights at %s on %s: each model on the fewest devices that hold one request at its full context window (tensor parallelism, as in section 3; "+
			"Falcon's 71 heads allow only 1); memory left = 90%% of their memory less weights and one 8,192-token chunk's activations. "+
			"KV/token per B params counts all parameters (for mixture-of-experts models, not only the active ones).",
			k.Fits[0].DType, k.Fits[0].Hardware)
	}
	return widgets.NewTable(t).Note(note)
}
