package figures

import (
	"strings"
	"testing"

	"kvcache/kvsim/study"
)

func TestLatencyCDF(t *testing.T) {
	lab := tinyLab(t)
	s := lab.LatencySettings()
	s.Workload.Name, s.Requests, s.Points = "few-shot", 200, 20
	st, err := study.Latency(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, LatencyCDF(st))
	// Latency picker x (cache sizes per scheduler + schedulers per capacity).
	views := len(st.Schedulers) + len(st.Capacities)
	if len(pn.Controls) != 2 || len(pn.Controls[0].Labels) != 3 || len(pn.Controls[1].Labels) != views || len(pn.States) != 3*views || len(pn.Views) != 2 {
		t.Fatalf("controls %+v, %d states, %d views", pn.Controls, len(pn.States), len(pn.Views))
	}
	// First state: TTFT by cache size under the first scheduler, one line per capacity,
	// rising to 100% of the requests.
	c := decode(t, pn.Options[pn.States[0][0]])
	if len(c.Series) != len(st.Capacities) || c.XAxis[0].Type != "log" || !strings.Contains(c.Title.Text, "TTFT") {
		t.Fatalf("CDF chart %+v", c)
	}
	if ys := points(t, c, 0); ys[len(ys)-1] != 100 {
		t.Errorf("CDF ends at %g%%", ys[len(ys)-1])
	}
	// Each control changes the chart.
	if pn.States[0][0] == pn.States[len(st.Schedulers)+len(st.Capacities)][0] || pn.States[0][0] == pn.States[1][0] {
		t.Error("a picker leaves the chart unchanged")
	}
	if !strings.Contains(strings.Join(pn.HTML, ""), "p99") {
		t.Error("no percentile table")
	}
}
