package figures

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// deltaE76 is the CIELAB distance of two #rrggbb colours.
func deltaE76(a, b string) float64 {
	lab := func(h string) [3]float64 {
		var c [3]float64
		for i := range c {
			v, _ := strconv.ParseUint(h[1+2*i:3+2*i], 16, 8)
			x := float64(v) / 255
			if x <= 0.04045 {
				c[i] = x / 12.92
			} else {
				c[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		xyz := [3]float64{(0.4124*c[0] + 0.3576*c[1] + 0.1805*c[2]) / 0.95047, 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2],
			(0.0193*c[0] + 0.1192*c[1] + 0.9505*c[2]) / 1.08883}
		f := func(t float64) float64 {
			if t > 0.008856 {
				return math.Cbrt(t)
			}
			return 7.787*t + 16.0/116
		}
		return [3]float64{116*f(xyz[1]) - 16, 500 * (f(xyz[0]) - f(xyz[1])), 200 * (f(xyz[1]) - f(xyz[2]))}
	}
	p, q := lab(a), lab(b)
	return math.Sqrt((p[0]-q[0])*(p[0]-q[0]) + (p[1]-q[1])*(p[1]-q[1]) + (p[2]-q[2])*(p[2]-q[2]))
}

// The old palette had teal and cyan 18 apart: two models read as one.
func TestPaletteColoursAreDistinct(t *testing.T) {
	for i, a := range palette {
		for _, b := range palette[i+1:] {
			if d := deltaE76(a, b); d < 25 {
				t.Errorf("palette colours %s and %s are only %.1f apart (ΔE76); want 25 or more", a, b, d)
			}
		}
	}
}

// The section 4 table follows the KV data type picker: at fp8 each model's
// devices hold twice the tokens they hold at fp16.
func TestKVTableFollowsThePicker(t *testing.T) {
	lab := tinyLab(t)
	k, err := study.KV(ctx, lab.KVSettings())
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, KVMemory(k))
	if len(pn.Views) != 3 || pn.Views[2].Type != "html" {
		t.Fatalf("views %+v: want two charts and the table", pn.Views)
	}
	fp16, fp8 := pn.HTML[pn.States[0][2]], pn.HTML[pn.States[1][2]]
	if fp16 == fp8 || !strings.Contains(fp16, "KV cache at fp16") || !strings.Contains(fp8, "KV cache at fp8") {
		t.Fatalf("the table does not follow the picker:\n%s\n%s", fp16, fp8)
	}
	f16, f8 := k.FitsAt("fp16"), k.FitsAt("fp8")
	for i := range f16 {
		if f16[i].Fits && (f8[i].NodeKVTokens < 2*f16[i].NodeKVTokens-2 || f8[i].NodeKVTokens > 2*f16[i].NodeKVTokens+2) {
			t.Errorf("%s: %d tokens at fp8, %d at fp16", f16[i].Model, f8[i].NodeKVTokens, f16[i].NodeKVTokens)
		}
	}
	// The bars are horizontal: the long names read in full down the side.
	var bars struct {
		YAxis []struct {
			Type string   `json:"type"`
			Data []string `json:"data"`
		} `json:"yAxis"`
	}
	if err := json.Unmarshal(pn.Options[pn.States[0][0]], &bars); err != nil || bars.YAxis[0].Type != "category" || !strings.Contains(strings.Join(bars.YAxis[0].Data, "|"), "mistral-7b (GQA 8/32, window 4096)") {
		t.Errorf("KV per token bars: %v %+v", err, bars)
	}
}

// A model that fits nowhere on the picked hardware says so once, the same
// in both charts, instead of two empty plots with contradicting titles.
func TestPredictedNoFitIsAMessage(t *testing.T) {
	lab := tinyLab(t)
	s := lab.PredictSettings()
	var small, tiny []int
	for i, h := range s.Hardware {
		switch h.Name {
		case "l4", "t4", "rtx-4090", "a10g":
			small = append(small, i)
		}
	}
	for i, m := range s.Models {
		if m.Name == "gpt3-175b" || m.Name == "gpt3-125m" {
			tiny = append(tiny, i)
		}
	}
	if len(small) == 0 || len(tiny) != 2 {
		t.Skipf("no small device or models among %d presets", len(s.Hardware))
	}
	hw := s.Hardware[small[0]]
	s.Models = append(s.Models[:0:0], s.Models[tiny[0]], s.Models[tiny[1]])
	s.Hardware = s.Hardware[small[0] : small[0]+1]
	s.StartModel, s.StartHardware = "", ""
	p, err := study.Predict(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, PredictedLatency(p))
	big := slicesIndex(p.Models, "gpt3-175b")
	for e := range p.Curves[big][0] {
		state := big*len(p.Curves[big][0]) + e
		lat, sp := decodeMessage(t, pn.Options[pn.States[state][0]]), decodeMessage(t, pn.Options[pn.States[state][1]])
		if lat.Title.Text == "" || lat.Title.Text != sp.Title.Text || len(lat.Series) != 0 || !strings.Contains(lat.Text(), "does not fit on") {
			t.Errorf("gpt3-175b on %s: %+v and %+v", hw.Name, lat, sp)
		}
	}
	// A model that fits still draws its curves.
	small125 := slicesIndex(p.Models, "gpt3-125m")
	if c := decodeMessage(t, pn.Options[pn.States[small125*len(p.Curves[0][0])][0]]); len(c.Series) == 0 {
		t.Errorf("gpt3-125m on %s draws no series", hw.Name)
	}
}

type messageOption struct {
	Title struct {
		Text string `json:"text"`
	} `json:"title"`
	Series  []json.RawMessage `json:"series"`
	Graphic []struct {
		Style struct {
			Text string `json:"text"`
		} `json:"style"`
	} `json:"graphic"`
}

func (m messageOption) Text() string {
	if len(m.Graphic) == 0 {
		return ""
	}
	return m.Graphic[0].Style.Text
}

func decodeMessage(t *testing.T, raw json.RawMessage) messageOption {
	t.Helper()
	var m messageOption
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func slicesIndex(xs []string, v string) int {
	for i, x := range xs {
		if x == v {
			return i
		}
	}
	return -1
}

// Section 5's pickers: every combination is a state; the charts over time
// do not depend on the serving model, the curves not on the slider; the
// slider's label and marker follow the model (GiB of its KV).
func TestCacheExplorer(t *testing.T) {
	lab := tinyLab(t)
	s := lab.CacheSettings()
	s.Workload.Name = "few-shot"
	s.Compare = nil
	s.Grid.Workloads = s.Grid.Workloads[:2]
	s.Grid.BlockSizes = []int{512, 2048}
	st, err := study.Cache(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	x := st.Explorer
	fig := CacheSize(st)
	pn := render(t, fig)
	html, _ := fig.HTML()
	blocks, err := widgets.DataBlocks(html)
	if err != nil {
		t.Fatal(err)
	}
	var extra struct {
		Controls []struct {
			StateText []int `json:"stateText"`
		} `json:"controls"`
		Views []struct {
			MarkAt []*float64 `json:"markAt"`
		} `json:"views"`
	}
	if err := json.Unmarshal(blocks[0], &extra); err != nil {
		t.Fatal(err)
	}
	W, B, P, M, C := len(x.Workloads), len(x.BlockSizes), len(x.Policies), len(x.Models), len(pn.Controls[4].Labels)
	if len(pn.Controls) != 5 || pn.Controls[4].Type != "slider" || len(pn.States) != W*B*P*M*C || M != 3 || P != 3 {
		t.Fatalf("%d controls, %d states for %dx%dx%dx%dx%d", len(pn.Controls), len(pn.States), W, B, P, M, C)
	}
	if len(pn.Views) != 5 || pn.Views[2].MarkX != 4 || len(extra.Views[2].MarkAt) != len(pn.States) || len(extra.Controls[4].StateText) != len(pn.States) {
		t.Fatalf("views %+v", pn.Views)
	}
	state := func(w, b, p, m, c int) []int { return pn.States[(((w*B+b)*P+p)*M+m)*C+c] }
	a, other := state(0, 0, 0, 0, 2), state(0, 0, 0, 1, 2)
	if a[0] != other[0] || a[1] != other[1] {
		t.Error("the charts over time changed with the serving model")
	}
	if a[2] == other[2] || a[3] == other[3] {
		t.Error("the curves against capacity ignore the serving model (GiB, TTFT)")
	}
	if a[2] != state(0, 0, 0, 0, 3)[2] {
		t.Error("the curves against capacity changed with the slider; only their marker should")
	}
	if a[0] == state(0, 0, 1, 0, 2)[0] || a[0] == state(0, 1, 0, 0, 2)[0] || a[0] == state(1, 0, 0, 0, 2)[0] {
		t.Error("the hit rate over time ignores the policy, the block size or the workload")
	}
	s0 := (((0*B+0)*P+0)*M+0)*C + 2
	s1 := (((0*B+0)*P+0)*M+1)*C + 2
	if *extra.Views[2].MarkAt[s0] == *extra.Views[2].MarkAt[s1] {
		t.Error("the capacity marker stands at the same GiB for two models")
	}
	if extra.Controls[4].StateText[s0] == extra.Controls[4].StateText[s1] {
		t.Error("the slider's label does not follow the model")
	}
	if len(pn.HTML) < W*B*P*M*C/2 {
		t.Errorf("%d sentences for %d states", len(pn.HTML), len(pn.States))
	}
}
