package figures

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"kvcache/kvsim/study"
	"kvcache/kvsim/units"
	"kvcache/widgets"
)

// LiveLatency is the live chart of section 2: per-token latency against
// position, with and without a cache, growing as study.Measure reports
// tokens.
//
//	s := lab.MeasureSettings()
//	live := figures.NewLiveLatency(notebook.NewLiveChart(), s)
//	defer live.Done()
//	s.OnToken = live.OnToken
type LiveLatency struct {
	chart       *widgets.LiveChart
	model       string
	prompt, new int
	repeat, run int // runs of each path; the run being drawn (from 1)
	xs          map[string][]float64
	ys          map[string][]float64
}

// NewLiveLatency draws the run s sets up on chart; feed it with OnToken,
// end it with Done.
func NewLiveLatency(chart *widgets.LiveChart, s study.MeasureSettings) *LiveLatency {
	return &LiveLatency{chart: chart.Height("380px").Every(250 * time.Millisecond), model: s.Model.Name, prompt: s.Prompt, new: s.New,
		repeat: max(s.Repeat, 1), run: 1, xs: map[string][]float64{}, ys: map[string][]float64{}}
}

// OnToken records one token (study.MeasureSettings.OnToken) and redraws at
// most every 250 ms: the browser drawing shares the CPU being measured.
// It draws the first timed run of each path as it arrives and then says
// which run is being timed (the figure after it draws every run). The
// prefill (token 0) is not drawn: it is a whole prompt.
func (l *LiveLatency) OnToken(t study.Token) {
	if t.Index == 0 || (t.Path != "cached" && t.Path != "uncached") {
		return
	}
	if t.Repeat > 0 {
		if t.Repeat+1 != l.run {
			l.run = t.Repeat + 1
			l.chart.Update(l.plot(fmt.Sprintf("run %d of %d of each path…", l.run, l.repeat)))
		}
		return
	}
	l.xs[t.Path] = append(l.xs[t.Path], float64(t.Position))
	l.ys[t.Path] = append(l.ys[t.Path], t.Seconds*1e3)
	l.chart.Update(l.plot(fmt.Sprintf("run 1 of %d of each path…", l.repeat)))
}

// Done draws the final state of the chart.
func (l *LiveLatency) Done() error {
	if len(l.xs["cached"])+len(l.xs["uncached"]) == 0 {
		return l.chart.Done()
	}
	l.chart.Update(l.plot(fmt.Sprintf("first of %d runs of each path", l.repeat)))
	return l.chart.Done()
}

// HTML is the chart's current state.
func (l *LiveLatency) HTML() (string, error) { return l.chart.HTML() }

func (l *LiveLatency) plot(state string) widgets.Charter {
	pl := newPlot(fmt.Sprintf("%s on this CPU: time per token (%s)", l.model, state),
		widgets.Axis{Name: "Position of the new token", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
	pl.add("with KV cache", l.xs["cached"], l.ys["cached"], style{color: colorCached, width: 1.5})
	pl.add("without (recompute the prefix)", l.xs["uncached"], l.ys["uncached"], style{color: colorUncached, width: 1.5})
	return pl.xRange(0, float64(l.prompt+l.new))
}

// MeasuredLatency is the figure of section 2: per-token latency with and
// without a cache against position (the median of the runs, shaded from
// the fastest to the slowest run), and the split of each token's median
// time (matmuls, attention, KV writes, the rest) for the picked path.
func MeasuredLatency(run study.Measured) *widgets.Explorer {
	paths := []string{"with KV cache", "without (recompute the prefix)"}
	return widgets.NewExplorer().
		Caption(fmt.Sprintf("%s measured on this CPU (%d threads): %d-token prompt, %d new tokens; medians of %d runs of each path in turn, after %d untimed warm-up tokens",
			run.Model, run.Threads, run.Prompt, run.New, run.Repeat, run.WarmUpTokens)).
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

func decodeSteps(run study.Measured, ys []float64, scale float64) (xs, out []float64) {
	for i := 1; i < len(ys) && i < len(run.Positions); i++ {
		xs = append(xs, float64(run.Positions[i]))
		out = append(out, ys[i]*scale)
	}
	return xs, out
}

func measuredLines(run study.Measured) widgets.Charter {
	pl := newPlot(run.Model+": time per token (median of the runs)", widgets.Axis{Name: "Position of the new token", Unit: "tokens"}, widgets.Axis{Name: "Time per token", Unit: "ms", Log: true})
	for _, p := range []struct {
		name  string
		t     study.PathTiming
		color string
	}{{"with KV cache", run.Cached, colorCached}, {"without (recompute the prefix)", run.Uncached, colorUncached}} {
		xs, med := decodeSteps(run, p.t.PerTokenS, 1e3)
		pl.add(p.name, xs, med, style{color: p.color, width: 1.5})
		if _, lo := decodeSteps(run, p.t.PerTokenMinS, 1e3); len(lo) == len(xs) {
			_, hi := decodeSteps(run, p.t.PerTokenMaxS, 1e3)
			pl.runBand(strings.SplitN(p.name, " (", 2)[0]+", "+runsLabel(p.t.Repeats), xs, lo, hi, p.color)
		}
	}
	return pl.legendRows(124).xRange(0, float64(run.Prompt+run.New))
}

func breakdownChart(run study.Measured, p study.PathTiming, name string) widgets.Charter {
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

func measuredSentence(run study.Measured) string {
	agree := "produced the same tokens"
	if !run.SameTokens {
		agree = "<b>produced different tokens</b>"
	}
	c, u := run.Cached, run.Uncached
	verdict := fmt.Sprintf("<b>%s faster</b> (%s over %d runs, %s)", units.Times(run.Speedup),
		spreadText(run.SpeedupSpread, units.Times), run.SpeedupSpread.N, ranked(run.Ranking))
	if !run.Ranking.Ranked() {
		verdict = fmt.Sprintf("speedup %s: %s", spreadText(run.SpeedupSpread, units.Times), ranked(run.Ranking))
	}
	clo, cmed, chi := c.PrefillSpread()
	ulo, umed, uhi := u.PrefillSpread()
	return fmt.Sprintf("<p>Whole generation, median of %d runs: %s with the cache, %s without: %s. "+
		"Mean decode step %.2f ms vs %.2f ms (with the cache, the middle 80%% of positions took %.2f to %.2f ms); the last one %.2f ms vs %.2f ms. "+
		"First token (the prompt's prefill, the same work on both paths): %.2f ms (%.2f to %.2f) vs %.2f ms (%.2f to %.2f). "+
		"Both paths %s (largest logit difference %.2g of the logits' scale).%s</p>",
		run.Repeat, spreadText(c.Total.Scaled(1e3), msValue), spreadText(u.Total.Scaled(1e3), msValue), verdict,
		1e3*c.MeanDecodeS(), 1e3*u.MeanDecodeS(), 1e3*c.DecodeStep.P10, 1e3*c.DecodeStep.P90, 1e3*c.LastS(), 1e3*u.LastS(),
		1e3*cmed, 1e3*clo, 1e3*chi, 1e3*umed, 1e3*ulo, 1e3*uhi, agree, run.MaxRelLogitDiff, busy(run.OthersBusy))
}

// msValue formats milliseconds.
func msValue(v float64) string { return fmt.Sprintf("%.0f ms", v) }
