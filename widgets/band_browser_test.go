package widgets

import (
	"math"
	"path/filepath"
	"testing"
	"time"
)

// A band's filled edge is drawn at (x, high) on a log-log chart: ECharts
// stacks its two series on y and leaves x alone.
func TestBrowserBandEdges(t *testing.T) {
	b := startBrowser(t)
	xs, lo, hi := []float64{16, 256, 4096}, []float64{2, 3, 40}, []float64{5, 9, 100}
	c := NewLineChart("band", Axis{Name: "Context", Unit: "tokens", Log: true}, Axis{Name: "Time", Unit: "ms", Log: true}).
		Series("predicted", xs, []float64{1.5, 2.5, 30}).
		Band("likely measured", xs, lo, hi, "#2563eb")
	path := filepath.Join(t.TempDir(), "band.html")
	if err := NewPage("band").Add(NewChart(c)).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if err := b.Open("file://" + path); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WaitCharts(1, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Drawn, Want [][2]float64
	}
	js := `(() => {
  const inst = echarts.getInstanceByDom(document.querySelector('.kvw-chart'));
  const data = inst.getModel().getSeriesByIndex(2).getData();
  const xs = [16, 256, 4096], hi = [5, 9, 100];
  const pts = data.getLayout('points'); // x0, y0, x1, y1, ... as drawn
  return {drawn: xs.map((_, i) => [pts[2 * i], pts[2 * i + 1]]), want: xs.map((x, i) => inst.convertToPixel({seriesIndex: 0}, [x, hi[i]]))};
})()`
	if err := b.Eval(js, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Drawn) != len(xs) || len(got.Want) != len(xs) {
		t.Fatalf("layout %+v", got)
	}
	for i := range xs {
		if math.Abs(got.Drawn[i][0]-got.Want[i][0]) > 1 || math.Abs(got.Drawn[i][1]-got.Want[i][1]) > 1 {
			t.Errorf("point %d: band edge drawn at %v px, (x, high) is at %v px", i, got.Drawn[i], got.Want[i])
		}
	}
	checkClean(t, b, false)
}
