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

// KVMemory is the figure of section 4: a picker for the KV data type
// over the cache one token takes in each model (bars, log scale), the
// whole cache against context, up to each model's window (a sliding
// window caps it), and the table of what fits on the hardware with the
// cache at that data type.
func KVMemory(k study.KVStudy) *widgets.Explorer {
	names := make([]string, len(k.DTypes))
	for i, d := range k.DTypes {
		names[i] = fmt.Sprintf("%s (%d bits)", d, d.Bits())
	}
	e := widgets.NewExplorer().
		Caption("KV cache memory by architecture").
		Select("dtype", "KV data type", names)
	if len(k.Models) == 0 {
		return e.Chart(func(widgets.At) widgets.Charter {
			return widgets.NewMessageChart("KV cache memory", "The KV study holds no model: run study.KV with at least one.")
		})
	}
	return e.
		Chart(func(at widgets.At) widgets.Charter { return kvPerTokenChart(k, at.Index("dtype")) }, widgets.Size("100%", fmt.Sprintf("%dpx", 96+26*len(k.Models)))).
		Chart(func(at widgets.At) widgets.Charter { return kvContextChart(k, at.Index("dtype")) }, widgets.Size("100%", "440px")).
		Table(func(at widgets.At) report.Table {
			d := k.DTypes[at.Index("dtype")]
			return kvFitsTable(k.FitsAt(d), string(d))
		}).
		Note("KV/token = 2 × layers × kv_heads × head_dim × bytes per value (MLA: layers × (kv_lora_rank + rope dim) × bytes). " +
			"Lines stop at each model's trained context window; a line drawn over another (same KV per token) is dashed, with markers. " +
			kvTableNote(k))
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
		Series(fmt.Sprintf("KV per token (%s)", d), kib).
		Horizontal()
	b.Bar().SetGlobalOptions(charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}))
	if n := len(b.Bar().MultiSeries); n > 0 {
		b.Bar().MultiSeries[n-1].ConfigureSeriesOpts(
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorCached}),
			charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right", Formatter: "{c} KiB"}))
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
	return pl
}

// KVTable is the table of section 4 at the fit's data type (KVMemory
// carries it for every KV data type of its picker): KV bytes per token,
// per billion parameters, and the tokens the model's devices hold.
func KVTable(k study.KVStudy) *widgets.Table {
	d := ""
	if len(k.Fits) > 0 {
		d = string(k.Fits[0].DType)
	}
	return widgets.NewTable(kvFitsTable(k.Fits, d)).Note(kvTableNote(k))
}

// kvFitsTable lists fits whose KV cache is stored at kv.
func kvFitsTable(fits []study.KVFit, kv string) report.Table {
	title := "How much context fits"
	if len(fits) > 0 {
		title = fmt.Sprintf("How much context fits on %s, KV cache at %s", fits[0].Hardware, kv)
	}
	t := report.Table{Title: title, Columns: []report.Column{
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
	return t
}

func kvTableNote(k study.KVStudy) string {
	if len(k.Fits) == 0 {
		return "Weights at the given dtype; memory left = 90% of the devices' memory less weights and one prefill chunk's activations."
	}
	return fmt.Sprintf("The table: weights at %s on %s, each model on the fewest devices that hold one request at its full context window "+
		"(tensor parallelism, as in section 3; Falcon's 71 heads allow only 1); memory left = 90%% of their memory less weights and one 8,192-token chunk's activations, "+
		"the KV cache at the picked data type. KV/token per B params counts all parameters (for mixture-of-experts models, not only the active ones).",
		k.Fits[0].DType, k.Fits[0].Hardware)
}
