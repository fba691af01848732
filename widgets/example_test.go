package widgets_test

import (
	"fmt"
	"math"
	"strings"

	"kvcache/kvsim/report"
	"kvcache/widgets"
)

// An explorer over 5 capacities x 3 models: the chart depends on the model
// only, so the page carries 3 chart options for its 15 states; the table
// depends on both.
func ExampleExplorer() {
	caps := []float64{1, 2, 4, 8, 16}
	models := []string{"small", "medium", "large"}
	hit := func(m int, c float64) float64 { return 100 * (1 - math.Exp(-c/float64(4*(m+1)))) }

	ex := widgets.NewExplorer().
		Slider("cap", "Cache capacity", caps, func(v float64) string { return fmt.Sprintf("%g GiB", v) }).
		Select("model", "Model", models).
		Start("cap", 2).
		Chart(func(at widgets.At) widgets.Charter {
			ys := make([]float64, len(caps))
			for i, c := range caps {
				ys[i] = hit(at.Index("model"), c)
			}
			return widgets.NewLineChart("Hit rate: "+at.Label("model"),
				widgets.Axis{Name: "Cache capacity", Unit: "GiB"}, widgets.Axis{Name: "Hit rate", Unit: "%"}).
				Series("LRU", caps, ys)
		}, widgets.MarkX("cap")).
		Table(func(at widgets.At) report.Table {
			t := report.Table{Columns: []report.Column{{Name: "Model"}, {Name: "Hit rate", Unit: "%"}}}
			t.AddRow(at.Label("model"), fmt.Sprintf("%.1f", hit(at.Index("model"), at.Value("cap"))))
			return t
		})
	html, err := ex.HTML()
	fmt.Println("error:", err)
	fmt.Println("states:", ex.States())
	fmt.Println("one line without JavaScript:", strings.Contains(html, "interactive chart removed by sanitizing"))
	fmt.Println("scripts hidden from a sanitized export:", strings.Contains(html, `<div class="lm-Widget lm-mod-hidden kvw-code"><style>`))
	// Output:
	// error: <nil>
	// states: 15
	// one line without JavaScript: true
	// scripts hidden from a sanitized export: true
}

// Mistakes surface as errors (and as a red box from Render).
func ExampleLineChart_mismatch() {
	c := widgets.NewLineChart("t", widgets.Axis{Name: "x"}, widgets.Axis{Name: "y"}).
		Series("s", []float64{1, 2, 3}, []float64{1, 2})
	_, err := widgets.NewChart(c).HTML()
	fmt.Println(err)
	// Output:
	// widgets: series "s" has 3 x values and 2 y values; they must pair up
}
