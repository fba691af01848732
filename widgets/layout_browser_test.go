package widgets

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-echarts/go-echarts/v2/opts"
)

// hardCharts are charts the issue saw drawn badly: a title longer than
// half the page, a dozen long legend entries, a right axis with big
// numbers, long category names, many points, a message instead of data.
func hardCharts() []Widget {
	long := NewLineChart("Prefill time saved per request at every capacity of the slider (llama3-70b on 8× h100-sxm, fp16 KV, multi-turn workload)",
		Axis{Name: "Cache capacity", Unit: "GiB", Log: true}, Axis{Name: "Time per request", Unit: "ms"})
	xs := []float64{1, 2, 4, 8, 16, 32, 64}
	for i := range 12 {
		ys := make([]float64, len(xs))
		for j, x := range xs {
			ys[j] = 441.6 * (1 + float64(i)) * math.Log1p(x)
		}
		long.Series(fmt.Sprintf("model-%02d (GQA %d/64, window 4096)", i, i+1), xs, ys)
	}
	dual := NewLineChart("Memory in use and evictions", Axis{Name: "Time", Unit: "requests served"}, Axis{Name: "KV memory in use", Unit: "GiB"})
	var ts, mem, ev []float64
	for i := range 200 {
		ts = append(ts, float64(30*i))
		mem = append(mem, 70*(1-math.Exp(-float64(i)/20)))
		ev = append(ev, 14_000*float64(i))
	}
	dual.Series("memory in use", ts, mem).Series("evictions (right axis)", ts, ev)
	dual.Line().ExtendYAxis(opts.YAxis{Type: "value", Name: "Evictions (blocks, cumulative)", Position: "right"})
	dual.Line().MultiSeries[1].YAxisIndex = 1
	names := []string{"gpt3-175b (MHA)", "llama3.1-405b (GQA 8/128)", "mistral-7b (GQA 8/32, window 4096)", "deepseek-v3 (MLA)", "falcon-7b (MQA)"}
	bars := NewBarChart("KV cache per token at fp16", "", Axis{Name: "KV per token", Unit: "KiB", Log: true}, names).
		Series("KV per token", []float64{4608, 504, 128, 68.6, 8}).Horizontal()
	var cats []string
	var parts [2][]float64
	for i := range 175 {
		cats = append(cats, fmt.Sprint(17+i))
		parts[0] = append(parts[0], 0.5+0.001*float64(i))
		parts[1] = append(parts[1], 0.1)
	}
	parts[0][150], parts[0][160] = 190, 80 // spikes near the right edge: cut, labelled inside the canvas
	stack := NewBarChart("Where the time goes: with KV cache", "Position of the new token (tokens)", Axis{Name: "Time per token", Unit: "ms"}, cats).
		Series("matmuls (compute)", parts[0]).Series("attention (reads cached K/V)", parts[1])
	for i := range stack.Bar().MultiSeries {
		stack.Bar().MultiSeries[i].Stack = "time"
	}
	series := NewLineChart("Hit rate over time: S3-FIFO at 87 blocks of 2,048 tokens", Axis{Name: "Time", Unit: "requests served"}, Axis{Name: "Token hit rate", Unit: "%"})
	var win []float64
	for i := range ts {
		win = append(win, 3+math.Sin(float64(i)/5))
	}
	series.Series("windowed", ts, win)
	return []Widget{
		NewExplorer().Caption("Three charts side by side, narrower than the figures draw them").
			Chart(func(At) Charter { return long }, Size("32%", "380px")).
			Chart(func(At) Charter { return dual }, Size("32%", "380px")).
			Chart(func(At) Charter { return series }, Size("32%", "380px")),
		NewChart(bars).Height("300px"),
		NewChart(stack).Height("380px"),
		NewChart(NewMessageChart("llama3.1-405b on 1× l4: does not fit", "The weights alone (810 GB at bf16) exceed the memory of 8 devices (192 GB): pick larger hardware or a smaller model.")).Width("49%").Height("300px"),
	}
}

// layoutJS reads, for every chart, the text elements ECharts drew (with
// their boxes in canvas pixels) and what the reader can use: the legend
// type, the toolbox features, the zoom, a tooltip's text.
const layoutJS = `(async () => {
  const out = [];
  for (const el of document.querySelectorAll('.kvw-chart')) {
    const c = echarts.getInstanceByDom(el), o = c.getOption();
    const texts = [];
    for (const d of c.getZr().storage.getDisplayList(true)) {
      if (d.type !== 'tspan' || !d.style || !d.style.text || d.invisible || d.ignore) continue;
      const r = d.getBoundingRect().clone();
      const m = d.getComputedTransform();
      if (m) r.applyTransform(m);
      texts.push({text: String(d.style.text), x: r.x, y: r.y, w: r.width, h: r.height});
    }
    const t = {width: c.getWidth(), height: c.getHeight(), texts,
      title: (o.title && o.title[0] && o.title[0].text) || '',
      legend: o.legend && o.legend[0] && o.legend[0].show !== false ? {type: o.legend[0].type, data: (o.legend[0].data || []).map(d => typeof d === 'object' ? d.name : d)} : null,
      xName: (o.xAxis && o.xAxis[0] && o.xAxis[0].name) || '', yNames: (o.yAxis || []).map(a => a.name || ''),
      features: Object.keys((o.toolbox && o.toolbox[0] && o.toolbox[0].feature) || {}),
      zoom: (o.dataZoom || []).length, png: c.getDataURL({type: 'png'}).slice(0, 22), tip: '', toolbox: null};
    const tm = c.getModel().getComponent('toolbox'), tv = tm && c.getViewOfComponentModel(tm);
    if (tv) { const r = tv.group.getBoundingRect().clone(); if (tv.group.transform) r.applyTransform(tv.group.transform);
      t.toolbox = {text: 'toolbox', x: r.x, y: r.y, w: r.width, h: r.height}; }
    if ((o.series || []).length) {
      c.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: 1});
      await new Promise(r => setTimeout(r, 50));
      const tips = Array.from(el.querySelectorAll('div')).filter(d => d.innerText && d.innerText.includes(o.series[0].name));
      t.tip = tips.length ? tips[tips.length - 1].innerText : '';
      c.dispatchAction({type: 'hideTip'});
    }
    out.push(t);
  }
  return out;
})()`

type textBox struct {
	Text       string
	X, Y, W, H float64
}

type chartLayout struct {
	Width, Height int
	Texts         []textBox
	Title         string
	Legend        *struct {
		Type string
		Data []string
	}
	XName    string
	YNames   []string
	Features []string
	Zoom     int
	PNG      string
	Tip      string
	Toolbox  *textBox
}

// kind sorts a drawn text into the part of the chart it belongs to.
func (l chartLayout) kind(s string) string {
	switch {
	case l.Title != "" && strings.Contains(l.Title, strings.Split(s, "\n")[0]):
		return "title"
	case l.Legend != nil && contains(l.Legend.Data, s):
		return "legend"
	case s == l.XName || contains(l.YNames, s):
		return "axis name"
	}
	return "label"
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func overlap(a, b textBox) bool {
	const slack = 1
	return a.X+slack < b.X+b.W && b.X+slack < a.X+a.W && a.Y+slack < b.Y+b.H && b.Y+slack < a.Y+a.H
}

// TestBrowserChartsFit draws the hard charts at 1200 px and checks what
// the issue found broken: every text inside its canvas (no title cut off,
// no right-axis label cut), title, legend, axis names and tick labels
// clear of one another, a legend that is never paged, a toolbox that saves
// a PNG offline, zoom on the long x axes, tooltips with units.
func TestBrowserChartsFit(t *testing.T) {
	b := startBrowser(t)
	page := NewPage("Layout check")
	for _, w := range hardCharts() {
		page.Add(w)
	}
	path := filepath.Join(t.TempDir(), "layout.html")
	if err := page.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if err := b.Open("file://" + path); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitCharts(6, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	var charts []chartLayout
	if err := b.Eval(layoutJS, &charts); err != nil {
		t.Fatal(err)
	}
	if len(charts) != 6 {
		t.Fatalf("%d charts on the page, want 6", len(charts))
	}
	for i, c := range charts {
		name := fmt.Sprintf("chart %d (%.40q)", i, c.Title)
		if len(c.Texts) == 0 {
			t.Errorf("%s drew no text", name)
		}
		for _, x := range c.Texts {
			if x.X < -1 || x.Y < -1 || x.X+x.W > float64(c.Width)+1 || x.Y+x.H > float64(c.Height)+1 {
				t.Errorf("%s: %q at (%.0f,%.0f %.0fx%.0f) leaves the %dx%d canvas", name, x.Text, x.X, x.Y, x.W, x.H, c.Width, c.Height)
			}
		}
		for p, x := range c.Texts {
			for _, y := range c.Texts[p+1:] {
				kx, ky := c.kind(x.Text), c.kind(y.Text)
				if kx != ky && overlap(x, y) {
					t.Errorf("%s: %s %q overlaps %s %q", name, kx, x.Text, ky, y.Text)
				}
			}
		}
		for _, x := range c.Texts {
			if c.Toolbox != nil && c.kind(x.Text) == "title" && overlap(x, *c.Toolbox) {
				t.Errorf("%s: the title line %q runs into the toolbox (%+v)", name, x.Text, *c.Toolbox)
			}
		}
		if c.Legend != nil && c.Legend.Type != "plain" {
			t.Errorf("%s: legend type %q pages series away", name, c.Legend.Type)
		}
		if !contains(c.Features, "saveAsImage") {
			t.Errorf("%s: no save-as-PNG in the toolbox (%v)", name, c.Features)
		}
		if c.PNG != "data:image/png;base64," {
			t.Errorf("%s: saving as PNG gives %q", name, c.PNG)
		}
	}
	if !strings.Contains(charts[0].Title, "\n") {
		t.Errorf("the long title was not wrapped: %q", charts[0].Title)
	}
	if want := 12; charts[0].Legend == nil || len(charts[0].Legend.Data) != want {
		t.Errorf("legend of the 12-series chart: %+v", charts[0].Legend)
	}
	for i, want := range []int{0, 2, 2, 0, 2, 0} {
		if charts[i].Zoom != want {
			t.Errorf("chart %d has %d dataZoom components, want %d", i, charts[i].Zoom, want)
		}
	}
	for i, want := range []string{"GiB", "GiB", "%", "KiB", "ms"} {
		if !strings.Contains(charts[i].Tip, want) {
			t.Errorf("chart %d tooltip %q lacks the unit %s", i, charts[i].Tip, want)
		}
	}
	if !strings.Contains(charts[0].Tip, "ms") || strings.Contains(charts[0].Tip, "0000000") {
		t.Errorf("tooltip not formatted with units: %q", charts[0].Tip)
	}
	if !contains(charts[0].Features, "dataView") || !contains(charts[4].Features, "dataZoom") {
		t.Errorf("toolbox features: %v and %v", charts[0].Features, charts[4].Features)
	}
	shot := filepath.Join(screenshotDir(t), "layout.png")
	if err := b.Screenshot(shot); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("KVCACHE_KEEP") != "" {
		t.Logf("screenshot %s", shot)
	}
	checkClean(t, b, false)
}
