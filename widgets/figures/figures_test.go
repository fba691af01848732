package figures

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/workload"
	"kvcache/widgets"
)

// panel is the data block of a rendered widget.
type panel struct {
	Controls []struct {
		Type   string    `json:"type"`
		Values []float64 `json:"values"`
		Labels []string  `json:"labels"`
		Start  int       `json:"start"`
	} `json:"controls"`
	Views []struct {
		Type  string `json:"type"`
		MarkX int    `json:"markX"`
	} `json:"views"`
	Options []json.RawMessage `json:"options"`
	HTML    []string          `json:"html"`
	States  [][]int           `json:"states"`
}

var dataBlock = regexp.MustCompile(`(?s)<script type="application/json" class="kvw-data">(.*?)</script>`)

// render renders w and decodes its one data block; it fails on a widget
// error, on NaN or Infinity anywhere, and on an option that is not JSON.
func render(t *testing.T, w interface{ HTML() (string, error) }) panel {
	t.Helper()
	html, err := w.HTML()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"NaN", "Infinity", "kvw-error"} {
		if strings.Contains(html, bad) {
			t.Fatalf("rendered widget holds %q", bad)
		}
	}
	m := dataBlock.FindAllStringSubmatch(html, -1)
	if len(m) != 1 {
		t.Fatalf("%d data blocks, want 1", len(m))
	}
	var p panel
	if err := json.Unmarshal([]byte(m[0][1]), &p); err != nil {
		t.Fatalf("data block: %v", err)
	}
	for _, row := range p.States {
		if len(row) != len(p.Views) {
			t.Fatalf("state %v for %d views", row, len(p.Views))
		}
	}
	// Every numeric axis says what it counts, with a unit in brackets.
	for _, raw := range p.Options {
		var o struct {
			Title struct{ Text string } `json:"title"`
			Axes  []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"yAxis"`
			X []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"xAxis"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		for _, a := range append(o.Axes, o.X...) {
			if a.Type != "category" && !hasUnit(a.Name) {
				t.Errorf("chart %q: axis %q (%s) has no unit", o.Title.Text, a.Name, a.Type)
			}
		}
	}
	return p
}

// chart is the part of an ECharts option the tests read.
type chart struct {
	Title struct {
		Text string `json:"text"`
	} `json:"title"`
	XAxis []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"xAxis"`
	YAxis []struct {
		Name string `json:"name"`
	} `json:"yAxis"`
	Series []struct {
		Name string `json:"name"`
		Data []struct {
			Value any `json:"value"`
		} `json:"data"`
	} `json:"series"`
}

func decode(t *testing.T, raw json.RawMessage) chart {
	t.Helper()
	var c chart
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// hasUnit says an axis name carries a unit in brackets.
func hasUnit(name string) bool { return regexp.MustCompile(`\(.+\)`).MatchString(name) }

// points returns a series' y values (NaN for gaps).
func points(t *testing.T, c chart, series int) []float64 {
	t.Helper()
	var ys []float64
	for _, d := range c.Series[series].Data {
		switch v := d.Value.(type) {
		case []any:
			if y, ok := v[1].(float64); ok {
				ys = append(ys, y)
			} else {
				ys = append(ys, math.NaN())
			}
		case float64:
			ys = append(ys, v)
		}
	}
	return ys
}

func specs(t *testing.T, names ...string) []model.Spec {
	t.Helper()
	cat := model.NewCatalog()
	out := make([]model.Spec, len(names))
	for i, n := range names {
		s, err := cat.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

func hardware(t *testing.T, names ...string) []cost.Hardware {
	t.Helper()
	out := make([]cost.Hardware, len(names))
	for i, n := range names {
		h, err := cost.LookupHardware(n, nil)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h
	}
	return out
}

func TestPredictedLatency(t *testing.T) {
	p, err := Predict(PredictConfig{Models: specs(t, "gpt3-125m", "gpt3-1.3b", "llama2-7b"), Hardware: hardware(t, "h100-sxm", "l4"),
		Points: 5, Prompt: 128, New: 64, StartModel: "gpt3-1.3b", StartHardware: "l4"})
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, PredictedLatency(p))
	if len(pn.Controls) != 3 || len(pn.States) != 3*2*2 || len(pn.Views) != 3 {
		t.Fatalf("%d controls, %d states, %d views", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.Controls[0].Start != 1 || pn.Controls[1].Start != 1 {
		t.Errorf("pickers start at %d, %d; want gpt3-1.3b on l4", pn.Controls[0].Start, pn.Controls[1].Start)
	}
	// The size chart depends on hardware and mode only: 4 options, not 12.
	sizes := map[int]bool{}
	for _, row := range pn.States {
		sizes[row[2]] = true
	}
	if len(sizes) != 4 {
		t.Errorf("%d distinct size charts, want 4", len(sizes))
	}
	for _, raw := range pn.Options {
		c := decode(t, raw)
		if !hasUnit(c.XAxis[0].Name) || !hasUnit(c.YAxis[0].Name) {
			t.Errorf("%q: axes %q, %q lack units", c.Title.Text, c.XAxis[0].Name, c.YAxis[0].Name)
		}
	}
	// Without a cache a step costs more at long context, and the speedup grows
	// with it (llama2-7b; gpt3-125m's uncached steps under vllm are eager
	// prefills that wait on the host up to about 2k tokens).
	c := decode(t, pn.Options[pn.States[len(pn.States)-1][0]])
	cached, uncached := points(t, c, 0), points(t, c, 1)
	if n := len(cached); n != 5 || !(uncached[n-1] > cached[n-1]) || !(uncached[n-1] > uncached[0]) {
		t.Errorf("latency points cached %v uncached %v", cached, uncached)
	}
	if _, err := Predict(PredictConfig{Models: specs(t, "gpt3-125m"), Hardware: hardware(t, "l4"), StartModel: "gpt3-175b"}); err == nil || !strings.Contains(err.Error(), "gpt3-175b") {
		t.Errorf("unknown start model: %v", err)
	}
	if _, err := Predict(PredictConfig{}); err == nil {
		t.Error("an empty grid gave no error")
	}
}

func TestKVMemoryAndFits(t *testing.T) {
	k := KVStudy{Models: specs(t, "gpt3-175b", "llama3-70b", "mistral-7b", "deepseek-v3", "llama3.1-405b"), DTypes: []model.DType{model.FP16, model.FP8, model.INT4}}
	h := hardware(t, "h100-sxm")[0]
	var err error
	if k.Fits, err = KVFits(k.Models, h, model.BF16); err != nil {
		t.Fatal(err)
	}
	pn := render(t, KVMemory(k))
	if len(pn.Controls) != 1 || len(pn.Controls[0].Labels) != 3 || len(pn.States) != 3 || len(pn.Options) != 6 {
		t.Fatalf("controls %+v, %d states, %d options", pn.Controls, len(pn.States), len(pn.Options))
	}
	// fp16 bars: 2 x layers x kv_heads x head_dim x 2 bytes; LLaMA-3-70B 320 KiB; fp8 halves it.
	fp16, fp8 := points(t, decode(t, pn.Options[pn.States[0][0]]), 0), points(t, decode(t, pn.Options[pn.States[1][0]]), 0)
	if fp16[1] != 320 || fp8[1] != 160 || fp16[0] != 4608 {
		t.Errorf("KV per token fp16 %v fp8 %v", fp16, fp8)
	}
	// Mistral's window caps its cache: the last two context points are equal.
	ctx := decode(t, pn.Options[pn.States[0][1]])
	mis := points(t, ctx, 2)
	if mis[len(mis)-1] != mis[len(mis)-2] {
		t.Errorf("mistral-7b cache keeps growing past its window: %v", mis)
	}
	byName := map[string]KVFit{}
	for _, f := range k.Fits {
		byName[f.Model] = f
	}
	if f := byName["llama3-70b"]; f.TP != 8 || !f.Fits || f.NodeKVTokens < 1e6 || f.KVBytesPerToken != 327680 {
		t.Errorf("llama3-70b %+v", f)
	}
	if f := byName["llama3.1-405b"]; f.Fits {
		t.Errorf("405B at bf16 fits on 8 H100s: %+v", f)
	}
	if byName["gpt3-175b"].KVBytesPerTokenPB < 5*byName["llama3-70b"].KVBytesPerTokenPB {
		t.Errorf("GPT-3 caches %g bytes per token per B params, LLaMA-3-70B %g", byName["gpt3-175b"].KVBytesPerTokenPB, byName["llama3-70b"].KVBytesPerTokenPB)
	}
	html, err := KVTable(k).HTML()
	if err != nil || !strings.Contains(html, "weights do not fit") {
		t.Errorf("table: %v", err)
	}
}

// smallWorkload is a system-prompt workload small enough for a unit test.
func smallWorkload(t *testing.T) workload.Workload {
	t.Helper()
	g := workload.DefaultSystemPrompt()
	g.Requests, g.Prompts = 300, 12
	w, err := g.Generate(workload.NewRand(4), 512)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCacheSize(t *testing.T) {
	st, err := StudyCache(CacheConfig{Workload: smallWorkload(t), Model: specs(t, "llama3-8b")[0], Hardware: hardware(t, "h100-sxm")[0],
		Capacities: 8, SeriesPoints: 20, Compare: specs(t, "gpt3-175b", "llama3-8b")})
	if err != nil {
		t.Fatal(err)
	}
	n := len(st.Sweep.Capacities)
	if n < 4 || len(st.Series) != n || st.BytesPerBlock != 512*131072 || st.TP != 8 {
		t.Fatalf("%d capacities, %d series, %d bytes per block, TP %d", n, len(st.Series), st.BytesPerBlock, st.TP)
	}
	pn := render(t, CacheSize(st))
	if len(pn.Controls) != 1 || pn.Controls[0].Type != "slider" || len(pn.States) != n || len(pn.Views) != 5 {
		t.Fatalf("controls %d, states %d, views %d", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	if pn.Views[2].MarkX != 0 || pn.Views[3].MarkX != 0 {
		t.Error("the capacity curves do not mark the slider")
	}
	if st.SweetSpot >= 0 && pn.Controls[0].Start != st.SweetSpot {
		t.Errorf("slider starts at %d, sweet spot %d", pn.Controls[0].Start, st.SweetSpot)
	}
	// Slider values are the capacities in GiB: blocks x 64 MiB.
	if v := pn.Controls[0].Values[0]; math.Abs(v-float64(st.Sweep.Capacities[0])/16) > 0.01 {
		t.Errorf("first slider value %g GiB for %d blocks", v, st.Sweep.Capacities[0])
	}
	// Over-time charts differ per capacity; the curves are one option each.
	seen := map[int]bool{}
	for _, row := range pn.States {
		seen[row[0]] = true
	}
	if len(seen) != n || pn.States[0][2] != pn.States[n-1][2] {
		t.Errorf("%d distinct over-time charts for %d capacities", len(seen), n)
	}
	hit := decode(t, pn.Options[pn.States[0][2]])
	if !hasUnit(hit.XAxis[0].Name) || hit.XAxis[0].Type != "log" {
		t.Errorf("hit-rate x axis %+v", hit.XAxis[0])
	}
	lru := points(t, hit, 0)
	for i := 1; i < len(lru); i++ {
		if lru[i]+1e-9 < lru[i-1] {
			t.Errorf("LRU hit rate falls with capacity: %v", lru)
		}
	}
	if len(st.Budget) != 2 || st.Budget[0].Blocks >= st.Budget[1].Blocks {
		t.Errorf("budget %+v", st.Budget)
	}
	if _, err := StudyCache(CacheConfig{Workload: smallWorkload(t), Model: specs(t, "llama3.1-405b")[0], Hardware: hardware(t, "l4")[0]}); err == nil ||
		!strings.Contains(err.Error(), "no room") {
		t.Errorf("a model that does not fit: %v", err)
	}
}

func TestSpearman(t *testing.T) {
	for _, tc := range []struct {
		xs, ys []float64
		want   float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{[]float64{1, 2, 3}, []float64{5, 5, 5}, 0},
		{[]float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 0.8},
	} {
		if got := spearman(tc.xs, tc.ys); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("spearman(%v, %v) = %g, want %g", tc.xs, tc.ys, got, tc.want)
		}
	}
}

var _ widgets.Widget = (*widgets.Explorer)(nil)
