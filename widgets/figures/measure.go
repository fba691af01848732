package figures

import (
	"fmt"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
	"kvcache/widgets"
)

// Measure runs the small model on this CPU with and without a KV cache
// (Sizes.Prompt + Sizes.New tokens), drawing each token as it arrives when
// Lab.Live is set, and saves the result.
func (l *Lab) Measure() (MeasuredRun, error) {
	sz := l.Sizes.withDefaults()
	start := time.Now()
	opt := decoder.BenchOptions{Prompt: sz.Prompt, New: sz.New, Cache: decoder.CacheBoth, Seed: l.Settings.Seed}
	var live *LiveLatency
	if l.Live {
		live = NewLiveLatency(l.Small, sz.Prompt, sz.New)
		opt.OnToken = live.OnToken
	}
	res, err := decoder.Run(l.Small, opt)
	if live != nil {
		live.Done()
	}
	if err != nil {
		return MeasuredRun{}, fmt.Errorf("figures: measuring %s on this CPU: %w", l.Small.Name, err)
	}
	run := NewMeasuredRun(l.Small, res)
	run.Seconds = time.Since(start).Seconds()
	l.logf("measured %s on this CPU (%d threads), %d+%d tokens with and without a cache, in %.1f s", run.Model, run.Threads, run.Prompt, run.New, run.Seconds)
	return run, l.save("measured", run, run.Seconds)
}

// NewMeasuredRun keeps what the figures need of a decoder run with both paths.
func NewMeasuredRun(spec model.Spec, res *decoder.BenchResult) MeasuredRun {
	run := MeasuredRun{Model: res.Model, Params: spec.TotalParams(), Prompt: res.Prompt, New: res.New, Threads: res.Threads,
		SameTokens: res.SameTokens, MaxRelLogitDiff: res.MaxRelLogitDiff}
	for i := range res.New {
		run.Positions = append(run.Positions, res.Prompt-1+i)
	}
	if res.Cached != nil {
		run.Cached = pathTiming(res.Cached)
	}
	if res.Uncached != nil {
		run.Uncached = pathTiming(res.Uncached)
	}
	if run.Cached.TotalS > 0 {
		run.Speedup = run.Uncached.TotalS / run.Cached.TotalS
	}
	return run
}

// pathTiming copies a path's per-token arrays. The total is the sum of the
// steps' latencies, so time spent drawing between steps is not counted.
func pathTiming(p *decoder.PathResult) PathTiming {
	t := PathTiming{PerTokenS: p.PerTokenS, HitRate: p.HitRate, KVBytesPeak: p.KVBytesPeak, Recomputed: p.Recomputed}
	for _, b := range p.PerTokenBreakdown {
		t.MatmulS = append(t.MatmulS, b.MatmulS)
		t.AttentionS = append(t.AttentionS, b.AttentionS)
		t.KVIOS = append(t.KVIOS, b.KVIOS)
		t.RecomputeS = append(t.RecomputeS, b.RecomputeS)
		t.OtherS = append(t.OtherS, b.OtherS)
	}
	t.TotalS = sum(p.PerTokenS)
	return t
}

// LiveLatency is the live chart of section 2: per-token latency against
// position, with and without a cache, growing as decoder.Run reports tokens.
type LiveLatency struct {
	chart       *widgets.LiveChart
	spec        model.Spec
	prompt, new int
	xs          map[string][]float64
	ys          map[string][]float64
}

// NewLiveLatency starts a live chart for a run of spec generating new
// tokens after a prompt; feed it with OnToken, end it with Done.
func NewLiveLatency(spec model.Spec, prompt, newTokens int) *LiveLatency {
	return &LiveLatency{chart: widgets.NewLiveChart().Height("380px").Every(250 * time.Millisecond), spec: spec, prompt: prompt, new: newTokens,
		xs: map[string][]float64{}, ys: map[string][]float64{}}
}

// OnToken records one token (decoder.BenchOptions.OnToken) and redraws at
// most every 250 ms: the browser drawing shares the CPU being measured.
// The prefill (token 0) is not drawn: it is a whole prompt.
func (l *LiveLatency) OnToken(path string, ev decoder.TokenEvent) {
	if ev.Index == 0 || (path != "cached" && path != "uncached") {
		return
	}
	l.xs[path] = append(l.xs[path], float64(ev.Position))
	l.ys[path] = append(l.ys[path], ev.Step.Latency.Seconds()*1e3)
	l.chart.Update(l.plot("measuring…"))
}

// Done draws the final state of the chart.
func (l *LiveLatency) Done() error {
	if len(l.xs["cached"])+len(l.xs["uncached"]) == 0 {
		return l.chart.Done()
	}
	l.chart.Update(l.plot("as measured"))
	return l.chart.Done()
}

// HTML is the chart's current state.
func (l *LiveLatency) HTML() (string, error) { return l.chart.HTML() }

func (l *LiveLatency) plot(state string) widgets.Charter {
	pl := newPlot(fmt.Sprintf("%s on this CPU: time per token (%s)", l.spec.Name, state),
		widgets.Axis{Name: "Position of the new token", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
	pl.add("with KV cache", l.xs["cached"], l.ys["cached"], style{color: colorCached, width: 1.5})
	pl.add("without (recompute the prefix)", l.xs["uncached"], l.ys["uncached"], style{color: colorUncached, width: 1.5})
	return pl.xRange(0, float64(l.prompt+l.new))
}

// MeasuredLatency is the figure of section 2: per-token latency with and
// without a cache against position, and the split of each token's time
// (matmuls, attention, KV writes, the rest) for the picked path.
func MeasuredLatency(run MeasuredRun) *widgets.Explorer {
	paths := []string{"with KV cache", "without (recompute the prefix)"}
	return widgets.NewExplorer().
		Caption(fmt.Sprintf("%s measured on this CPU (%d threads): %d-token prompt, %d new tokens", run.Model, run.Threads, run.Prompt, run.New)).
		Select("path", "Breakdown of", paths).
		Chart(func(widgets.At) widgets.Charter { return measuredLines(run) }, widgets.Size("49%", "380px")).
		Chart(func(at widgets.At) widgets.Charter {
			p := run.Cached
			if at.Index("path") == 1 {
				p = run.Uncached
			}
			return breakdownChart(run, p, paths[at.Index("path")])
		}, widgets.Size("49%", "380px")).
		Fragment(func(widgets.At) string { return measuredSentence(run) })
}

func decodeSteps(run MeasuredRun, ys []float64, scale float64) (xs, out []float64) {
	for i := 1; i < len(ys) && i < len(run.Positions); i++ {
		xs = append(xs, float64(run.Positions[i]))
		out = append(out, ys[i]*scale)
	}
	return xs, out
}

func measuredLines(run MeasuredRun) widgets.Charter {
	pl := newPlot(run.Model+": time per token", widgets.Axis{Name: "Position of the new token", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
	xs, c := decodeSteps(run, run.Cached.PerTokenS, 1e3)
	pl.add("with KV cache", xs, c, style{color: colorCached, width: 1.5})
	xs, u := decodeSteps(run, run.Uncached.PerTokenS, 1e3)
	pl.add("without (recompute the prefix)", xs, u, style{color: colorUncached, width: 1.5})
	return pl.xRange(0, float64(run.Prompt+run.New))
}

func breakdownChart(run MeasuredRun, p PathTiming, name string) widgets.Charter {
	var cats []string
	for i := 1; i < len(run.Positions) && i < len(p.PerTokenS); i++ {
		cats = append(cats, strconv.Itoa(run.Positions[i]))
	}
	b := widgets.NewBarChart("Where the time goes: "+name, "Position of the new token (tokens)", widgets.Axis{Name: "Time per token", Unit: "ms"}, cats)
	for _, part := range []struct {
		name  string
		ys    []float64
		color string
	}{
		{"matmuls (compute)", p.MatmulS, colorMatmul}, {"attention (reads cached K/V)", p.AttentionS, colorAttention},
		{"KV writes (memory)", p.KVIOS, colorKVIO}, {"recompute", p.RecomputeS, colorRecompute}, {"other (norms, embeddings, …)", p.OtherS, colorOther},
	} {
		if sum(part.ys) == 0 || len(part.ys) < len(cats)+1 {
			continue
		}
		b.Series(part.name, rounded(scaled(part.ys[1:len(cats)+1], 1e3)))
		if n := len(b.Bar().MultiSeries); n > 0 {
			s := &b.Bar().MultiSeries[n-1]
			s.Stack = "time"
			s.ConfigureSeriesOpts(charts.WithItemStyleOpts(opts.ItemStyle{Color: part.color}))
		}
	}
	b.Bar().SetGlobalOptions(
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "Position of the new token (tokens)", NameLocation: "middle", NameGap: 30,
			AxisLabel: &opts.AxisLabel{HideOverlap: opts.Bool(true)}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "4", Type: "plain"}),
		charts.WithGridOpts(opts.Grid{Left: "88", Right: "24", Top: "56", Bottom: "104"}))
	return b
}

func measuredSentence(run MeasuredRun) string {
	agree := "produced the same tokens"
	if !run.SameTokens {
		agree = "<b>produced different tokens</b>"
	}
	pre := func(p PathTiming) float64 {
		if len(p.PerTokenS) == 0 {
			return 0
		}
		return p.PerTokenS[0]
	}
	return fmt.Sprintf("<p>Whole generation: %.0f ms with the cache, %.0f ms without: <b>%s faster</b>. "+
		"Mean decode step %.2f ms vs %.2f ms; the last one %.2f ms vs %.2f ms. First token (the prompt's prefill): %.2f ms vs %.2f ms. "+
		"Both paths %s (largest logit difference %.2g of the logits' scale).</p>",
		1e3*run.Cached.TotalS, 1e3*run.Uncached.TotalS, times(run.Speedup),
		1e3*meanDecode(run.Cached.PerTokenS), 1e3*meanDecode(run.Uncached.PerTokenS), 1e3*last(run.Cached.PerTokenS), 1e3*last(run.Uncached.PerTokenS),
		1e3*pre(run.Cached), 1e3*pre(run.Uncached), agree, run.MaxRelLogitDiff)
}
