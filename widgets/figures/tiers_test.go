package figures

import (
	"strings"
	"testing"

	"kvcache/kvsim/study"
)

func TestCacheTiers(t *testing.T) {
	lab := tinyLab(t)
	s := lab.TiersSettings()
	s.Workload.Name, s.CapacityPoints, s.Instances = "few-shot", 3, []int{1, 4}
	st, err := study.Tiers(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	pn := render(t, CacheTiers(st))
	if len(pn.Controls) != 5 || pn.Controls[0].Type != "slider" || len(pn.States) != 3*3*2*2*2 || len(pn.Views) != 4 {
		t.Fatalf("%d controls, %d states, %d views", len(pn.Controls), len(pn.States), len(pn.Views))
	}
	for i, want := range []int{3, 2, 3, 2, 2} {
		if got := max(len(pn.Controls[i].Values), len(pn.Controls[i].Labels)); got != want {
			t.Errorf("control %d has %d positions, want %d", i, got, want)
		}
	}
	// Pickers start on the deepest hierarchy, the most instances, the shared store.
	if pn.Controls[1].Start != 1 || pn.Controls[2].Start != 2 || pn.Controls[3].Start != 1 {
		t.Errorf("starts %d %d %d", pn.Controls[1].Start, pn.Controls[2].Start, pn.Controls[3].Start)
	}
	for v := range 3 {
		if pn.Views[v].MarkX != 0 {
			t.Errorf("view %d does not mark the slider", v)
		}
	}
	// The reuse chart draws both stores, so the store picker leaves it
	// alone (states k and k+stride differ in the store only); with tiers
	// below and 4 instances it changes the sources and TTFT charts.
	stride := 3 * 2 * 2 // tiers x instances x routers: the controls after the store
	for k, row := range pn.States {
		if (k/stride)%2 == 0 && row[0] != pn.States[k+stride][0] {
			t.Fatalf("states %d and %d differ in the store only, yet their reuse charts differ", k, k+stride)
		}
	}
	last := pn.States[len(pn.States)-1]
	if private := pn.States[len(pn.States)-1-stride]; private[1] == last[1] || private[2] == last[2] {
		t.Error("the store picker leaves the sources and TTFT charts unchanged")
	}
	seen := map[int]bool{}
	for _, row := range pn.States {
		seen[row[3]] = true
	}
	if len(seen) != len(pn.States) {
		t.Errorf("%d distinct sentences for %d states", len(seen), len(pn.States))
	}
	// The deepest hierarchy with 4 instances draws the maximum, one GPU, the
	// GPUs alone and both stores, and the sources stack hbm, dram, ssd.
	reuse, sources := decode(t, pn.Options[last[0]]), decode(t, pn.Options[last[1]])
	if len(reuse.Series) != 5 || !strings.Contains(reuse.Series[4].Name, "shared") || len(sources.Series) != 4 || sources.Series[2].Name != "ssd (loaded)" {
		t.Errorf("reuse series %+v, sources %+v", reuse.Series, sources.Series)
	}
	if ys := points(t, reuse, 0); ys[0] != study.Round4(100*st.Maximum.BlockHitRate) {
		t.Errorf("maximum line %v, want %g", ys, 100*st.Maximum.BlockHitRate)
	}
	if !strings.Contains(strings.Join(pn.HTML, ""), "of prompt blocks reused") {
		t.Error("no sentence")
	}
}
