package widgets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"kvcache/kvsim/report"
)

func TestBandStacksTwoSilentSeries(t *testing.T) {
	c := NewLineChart("t", Axis{Name: "x", Unit: "u"}, Axis{Name: "y", Unit: "ms", Log: true}).
		Series("curve", []float64{1, 2, 3}, []float64{2, 3, 4}).
		Band("likely measured", []float64{1, 2, 3}, []float64{1, math.NaN(), 3}, []float64{4, 5, 8}, "#2563eb")
	raw, err := chartOption(c)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Series []struct {
			Name, ID, Stack string
			Data            json.RawMessage
			Tooltip         *struct{ Show bool }
			AreaStyle       *struct{ Opacity float64 }
			Encode          *struct{ X, Y int }
		}
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Series) != 3 {
		t.Fatalf("%d series, want the curve and two band series", len(o.Series))
	}
	curve, low, width := o.Series[0], o.Series[1], o.Series[2]
	if curve.Tooltip != nil || low.Tooltip == nil || low.Tooltip.Show || width.Tooltip == nil || width.Tooltip.Show {
		t.Errorf("tooltips: curve %+v, band %+v %+v", curve.Tooltip, low.Tooltip, width.Tooltip)
	}
	if low.Encode == nil || low.Encode.X != 1 || low.Encode.Y != 0 || low.Stack == "" || low.Stack != width.Stack || !strings.HasPrefix(low.ID, bandID) || low.AreaStyle != nil || width.AreaStyle == nil {
		t.Errorf("band series %+v %+v", low, width)
	}
	// The stacked top is the high edge; a NaN edge is a gap in both. Points
	// are [y, x], encoded so that y is the value ECharts stacks.
	var lowData, widthData [][]any
	if json.Unmarshal(low.Data, &lowData) != nil || json.Unmarshal(width.Data, &widthData) != nil {
		t.Fatalf("band data %s %s", low.Data, width.Data)
	}
	if lowData[0][0] != 1.0 || widthData[0][0] != 3.0 || lowData[1][0] != "-" || widthData[1][0] != "-" || widthData[2][0] != 5.0 || widthData[2][1] != 3.0 {
		t.Errorf("band data %s %s", low.Data, width.Data)
	}
	bad := NewLineChart("t", Axis{Name: "x", Unit: "u"}, Axis{Name: "y", Unit: "u"}).Band("b", []float64{1}, []float64{2}, []float64{1}, "")
	if _, err := chartOption(bad); err == nil || !strings.Contains(err.Error(), "low <= high") {
		t.Errorf("an upside-down band: %v", err)
	}
}

func TestPointsAndATableBesideAChart(t *testing.T) {
	c := NewLineChart("t", Axis{Name: "x", Unit: "s", Log: true}, Axis{Name: "y", Unit: "s", Log: true}).
		Points("vllm", []float64{1, 2}, []float64{1.5, 2.5}, []string{"case-a", "case-b"}, "#2563eb")
	raw, err := chartOption(c)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Series []struct {
			Type string
			Data []struct {
				Name  string
				Value []float64
			}
		}
	}
	if err := json.Unmarshal(raw, &o); err != nil || len(o.Series) != 1 || o.Series[0].Type != "scatter" || o.Series[0].Data[1].Name != "case-b" || o.Series[0].Data[1].Value[1] != 2.5 {
		t.Errorf("points %v %s", err, raw)
	}
	if _, err := chartOption(NewLineChart("t", Axis{}, Axis{}).Points("p", []float64{1}, []float64{math.Inf(1)}, nil, "")); err == nil {
		t.Error("an infinite point was accepted")
	}
	html, err := NewExplorer().Chart(func(At) Charter { return c }, Size("58%", "300px")).
		Table(func(At) report.Table {
			return report.Table{Columns: []report.Column{{Name: "a"}}, Rows: [][]string{{"1"}}}
		}, Size("40%", "auto")).HTML()
	if err != nil {
		t.Fatalf("table beside the chart: %v", err)
	}
	blocks, err := DataBlocks(html)
	if err != nil || len(blocks) != 1 || !strings.Contains(string(blocks[0]), `"type":"html","markX":-1,"markY":-1,"width":"40%"`) {
		t.Errorf("table beside the chart: the page data must give the table view its width (%v)", err)
	}
	if _, err := NewExplorer().Table(func(At) report.Table { return report.Table{} }, Size("40%;color:red", "auto")).HTML(); err == nil {
		t.Error("a table width that is not a CSS length was accepted")
	}
}
