package widgets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

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
	value := func(i int) []any {
		if m, ok := d[i].(map[string]any); ok {
			return m["value"].([]any)
		}
		return d[i].([]any)
	}
	if len(d) != 6 || value(2)[1] != "-" || value(3)[0].(float64) != 30 {
		t.Errorf("bars %v: want two segments (the NaN point has none), each ended by a gap", d)
	}
}

func TestBandsRefuseBadInput(t *testing.T) {
	for name, c := range map[string]*LineChart{
		"lengths":    NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{1, 2}, []float64{1}, []float64{2, 3}, ""),
		"upside":     NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{1}, []float64{3}, []float64{2}, ""),
		"infinite":   NewLineChart("t", Axis{}, Axis{}).Band("b", []float64{1}, []float64{math.Inf(-1)}, []float64{2}, ""),
		"bar upside": NewLineChart("t", Axis{}, Axis{}).ErrorBars("b", []float64{1}, []float64{3}, []float64{2}, ""),
		"bar length": NewLineChart("t", Axis{}, Axis{}).ErrorBars("b", []float64{1}, nil, []float64{2}, ""),
	} {
		if err := c.Err(); err == nil || !strings.Contains(err.Error(), "widgets:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
