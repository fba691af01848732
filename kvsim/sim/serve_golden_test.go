package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// goldenServePath holds the timed replay's results as the prefill-first
// scheduler gave them before the serving metrics and the other schedulers
// existed (KVCACHE_UPDATE_GOLDEN=1 rewrites it; only do that for a change
// meant to move prefill-first's results).
var goldenServePath = filepath.Join("testdata", "serve_prefill_first.json")

// goldenServeCases are timed replays over every synthetic workload, at
// natural and 100x denser arrivals, with an unbounded, a tight and a middle
// cache, two policies and two batch limits.
func goldenServeCases(t *testing.T) (names []string, results []ServeResult) {
	t.Helper()
	for _, name := range workload.Names() {
		for _, dense := range []bool{false, true} {
			w := smallWorkload(t, name, 5, 64, 300)
			if dense {
				for i := range w.Requests {
					w.Requests[i].ArrivalSeconds /= 100
				}
			}
			p := mustPrepare(t, w)
			largest := 0
			for _, r := range w.Requests {
				largest = max(largest, workload.BlocksFor(r.InputTokens+r.OutputTokens, 64))
			}
			for _, capacity := range []int{cache.Unbounded, largest + 10, 4 * largest} {
				for _, pol := range []string{cache.LRUName, cache.SIEVEName} {
					for _, batch := range []int{0, 8} {
						if batch != 0 && !dense {
							continue // a batch limit matters under load only
						}
						r, err := p.Serve(ServeConfig{Config: Config{Policy: pol, CapacityBlocks: capacity, Timer: linearTimer{}, MaxPoints: 3}, MaxBatch: batch})
						if err != nil {
							t.Fatal(err)
						}
						names = append(names, fmt.Sprintf("%s dense=%v capacity=%d %s batch=%d", name, dense, capacity, pol, batch))
						results = append(results, r)
					}
				}
			}
		}
	}
	return names, results
}

// TestServePrefillFirstUnchanged: prefill-first, the default scheduler,
// gives exactly the results and JSON keys it gave before the serving
// metrics were added; new keys may appear beside them.
func TestServePrefillFirstUnchanged(t *testing.T) {
	names, results := goldenServeCases(t)
	got := map[string]ServeResult{}
	for i, n := range names {
		got[n] = results[i]
	}
	if os.Getenv("KVCACHE_UPDATE_GOLDEN") != "" {
		if err := writeGolden(got); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenServePath)
	}
	data, err := os.ReadFile(goldenServePath)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	data, err = json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var have map[string]any
	if err := json.Unmarshal(data, &have); err != nil {
		t.Fatal(err)
	}
	if len(have) != len(want) {
		t.Fatalf("%d cases, golden has %d", len(have), len(want))
	}
	for name, w := range want {
		for _, d := range subsetDiff(name, w, have[name]) {
			t.Error(d)
		}
	}
}

// subsetDiff lists where have differs from want on want's keys (extra keys
// in have are fine).
func subsetDiff(path string, want, have any) []string {
	wm, ok := want.(map[string]any)
	if !ok {
		if w, ok := want.(float64); ok {
			if h, ok := have.(float64); ok && sameUpToRounding(w, h) {
				return nil
			}
		}
		if !reflect.DeepEqual(want, have) {
			return []string{fmt.Sprintf("%s: %v, was %v", path, have, want)}
		}
		return nil
	}
	hm, ok := have.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: %v is no object", path, have)}
	}
	var out []string
	for k, wv := range wm {
		hv, ok := hm[k]
		if !ok {
			out = append(out, fmt.Sprintf("%s: key %q is gone", path, k))
			continue
		}
		out = append(out, subsetDiff(path+"."+k, wv, hv)...)
	}
	return out
}

// writeGolden writes one case per line, in name order, so a diff reads.
func writeGolden(results map[string]ServeResult) error {
	names := slices.Sorted(maps.Keys(results))
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, n := range names {
		k, _ := json.Marshal(n)
		v, err := json.Marshal(results[n])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s: %s", k, v)
		if i < len(names)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return os.WriteFile(goldenServePath, b.Bytes(), 0o644)
}

// sameUpToRounding: equal, or a few units in the last place apart, as a
// sum taken in another order gives (means are gonum's stat.Mean).
func sameUpToRounding(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-13*math.Max(math.Abs(a), math.Abs(b))
}
