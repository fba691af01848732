package widgets

import (
	"fmt"
	"math"
	"testing"

	"kvcache/kvsim/report"
)

// BenchmarkExplorerNotebookScale renders the main notebook's shape: 48
// capacities x 8 models x 6 hardware presets (2304 states), a hit-rate curve
// per model (marked at the capacity), a latency curve per (model, hardware)
// and a table per state. It reports the fragment's size.
func BenchmarkExplorerNotebookScale(b *testing.B) {
	caps := make([]float64, 48)
	for i := range caps {
		caps[i] = float64(i+1) * 2
	}
	models := []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"}
	hardware := []string{"H100", "H200", "A100-80G", "A100-40G", "L40S", "MI300X"}
	curve := func(scale float64) []float64 {
		ys := make([]float64, len(caps))
		for i, c := range caps {
			ys[i] = 100 * (1 - math.Exp(-c/scale))
		}
		return ys
	}
	ex := NewExplorer().
		Slider("cap", "Cache capacity", caps, func(v float64) string { return fmt.Sprintf("%g GiB", v) }).
		Select("model", "Model", models).
		Select("hw", "Hardware", hardware).
		Chart(func(at At) Charter {
			return NewLineChart("Hit rate", Axis{Name: "Capacity", Unit: "GiB"}, Axis{Name: "Hit rate", Unit: "%"}).
				Series(at.Label("model"), caps, curve(float64(4+at.Index("model"))))
		}, MarkX("cap")).
		Chart(func(at At) Charter {
			return NewLineChart("Latency", Axis{Name: "Capacity", Unit: "GiB"}, Axis{Name: "TTFT", Unit: "ms"}).
				Series(at.Label("hw"), caps, curve(float64(3+at.Index("model")+at.Index("hw"))))
		}, MarkX("cap")).
		Table(func(at At) report.Table {
			t := report.Table{Columns: []report.Column{{Name: "Model"}, {Name: "Hardware"}, {Name: "Capacity", Unit: "GiB"}}}
			t.AddRow(at.Label("model"), at.Label("hw"), at.Label("cap"))
			return t
		})
	var size int
	for b.Loop() {
		html, err := ex.HTML()
		if err != nil {
			b.Fatal(err)
		}
		size = len(html)
	}
	b.ReportMetric(float64(size), "html-bytes")
	b.ReportMetric(float64(ex.States()), "states")
}
