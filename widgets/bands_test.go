package widgets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// A band is a series without a line whose mark areas are one rectangle
// per point, half way to each neighbour, from the low edge to the high.
func TestBandIsOneRectanglePerPoint(t *testing.T) {
	c := NewLineChart("t", Axis{Name: "x", Unit: "u"}, Axis{Name: "y", Unit: "ms", Log: true}).
		Series("median", []float64{1, 2, 4}, []float64{2, 3, 4}).
		Band("fastest to slowest", []float64{1, 2, 4}, []float64{1.5, math.NaN(), 3.5}, []float64{2.5, 4, 6}, "#123456")
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Series []struct {
			Name     string `json:"name"`
			Data     []any  `json:"data"`
			MarkArea struct {
				ItemStyle struct {
					Color   string  `json:"color"`
					Opacity float64 `json:"opacity"`
				} `json:"itemStyle"`
				Data [][2]struct {
					Coord [2]float64 `json:"coord"`
				} `json:"data"`
			} `json:"markArea"`
		} `json:"series"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Series) != 2 || o.Series[1].Name != "fastest to slowest" || len(o.Series[1].Data) != 0 {
		t.Fatalf("series %+v", o.Series)
	}
	ma := o.Series[1].MarkArea
	if ma.ItemStyle.Color != "#123456" || ma.ItemStyle.Opacity <= 0 || ma.ItemStyle.Opacity >= 1 {
		t.Errorf("fill %+v", ma.ItemStyle)
	}
	// points 1 and 4 (2 is NaN): [0.5, 1.5] x [1.5, 2.5] and [3, 5] x [3.5, 6]
	want := [][4]float64{{0.5, 1.5, 1.5, 2.5}, {3, 5, 3.5, 6}}
	if len(ma.Data) != len(want) {
		t.Fatalf("%d rectangles, want %d", len(ma.Data), len(want))
	}
	for i, w := range want {
		r := ma.Data[i]
		if got := [4]float64{r[0].Coord[0], r[1].Coord[0], r[0].Coord[1], r[1].Coord[1]}; got != w {
			t.Errorf("rectangle %d: %v, want %v", i, got, w)
		}
	}
}

func TestErrorBarsAreSegments(t *testing.T) {
	c := NewLineChart("t", Axis{Name: "x", Unit: "u"}, Axis{Name: "y", Unit: "x"}).
		ErrorBars("range", []float64{10, 20, 30}, []float64{1, math.NaN(), 2}, []float64{1.5, 3, 4}, "#000")
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(c.JSON())
	var o option
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	d := o.Series[0].Data
	if len(d) != 6 || d[2].Value.([]any)[1] != "-" || d[3].Value.([]any)[0].(float64) != 30 {
		t.Errorf("bars %v: want two segments (the NaN point has none), each ended by a gap", d)
	}
}

func TestBandsRefuseBadInput(t *testing.T) {
	for name, c := range map[string]*LineChart{
		"lengths":    NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{1, 2}, []float64{1}, []float64{2, 3}, ""),
		"upside":     NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{1}, []float64{3}, []float64{2}, ""),
		"infinite":   NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{1}, []float64{math.Inf(-1)}, []float64{2}, ""),
		"unsorted":   NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{2, 1}, []float64{1, 1}, []float64{2, 2}, ""),
		"bar upside": NewLineChart("t", Axis{}, Axis{}).ErrorBars("b", []float64{1}, []float64{3}, []float64{2}, ""),
		"bar length": NewLineChart("t", Axis{}, Axis{}).ErrorBars("b", []float64{1}, nil, []float64{2}, ""),
	} {
		if err := c.Err(); err == nil || !strings.Contains(err.Error(), "widgets:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
