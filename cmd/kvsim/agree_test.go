package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
	"kvcache/kvsim/study"
)

// readData reads one study's result from a report's data folder.
func readData(t *testing.T, dir, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "data", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct{ Data json.RawMessage }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(st.Data, v); err != nil {
		t.Fatal(err)
	}
}

func lookup(t *testing.T, name string) model.Spec {
	t.Helper()
	s, err := model.NewCatalog().Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The notebook's studies (run here through kvsim report, which calls the
// same Lab), kvsim predict, kvsim replay and kvsim bench give one answer to
// each question for the same inputs: how many devices a model runs on,
// what the cost model's error is, and what a total time is.
func TestOneAnswerPerQuestion(t *testing.T) {
	out, _, _ := tinyReportRun(t) // default picks: gpt3-175b and llama3-70b on h100-sxm

	t.Run("tensor-parallel degree", func(t *testing.T) {
		var kv study.KVStudy
		var cs study.CacheStudy
		var pred study.Predictions
		readData(t, out, "kv", &kv)
		readData(t, out, "cache", &cs)
		readData(t, out, "predictions", &pred)
		for _, name := range []string{"llama3-70b", "gpt3-175b"} {
			spec := lookup(t, name)
			var cli map[string]any
			code, js, stderr := kvsim(t, "predict", "--model", name, "--hardware", "h100-sxm", "--context", fmt.Sprint(spec.MaxContext-1), "--json")
			if code != 0 || json.Unmarshal([]byte(js), &cli) != nil {
				t.Fatalf("predict %s: exit %d: %s", name, code, stderr)
			}
			curve, _ := pred.Curve(name, "h100-sxm", cost.Graph)
			tps := map[string]int{"kvsim predict --context max-1": int(cli["tp"].(float64)), "section 3 curve": curve.TP}
			for _, f := range kv.Fits {
				if f.Model == name {
					tps["section 4 KV table"] = f.TP
				}
			}
			if name == cs.Model {
				tps["section 5 cache study"] = cs.TP
				code, text, stderr := kvsim(t, "replay", "--workload", "few-shot", "--capacity-blocks", "100", "--model", name, "--hardware", "h100-sxm")
				if code != 0 {
					t.Fatalf("replay: exit %d: %s", code, stderr)
				}
				var tp int
				if _, err := fmt.Sscanf(text[strings.Index(text, "prefills timed on ")+len("prefills timed on "):], "%d×", &tp); err != nil {
					t.Fatalf("replay does not say which devices time the prefills: %v\n%s", err, text)
				}
				tps["kvsim replay --hardware"] = tp
			}
			want, _, err := study.Devices(spec, lookupHW(t, "h100-sxm"), model.BF16)
			if err != nil {
				t.Fatal(err)
			}
			for where, tp := range tps {
				if tp != want {
					t.Errorf("%s: %s says %d devices, study.Devices %d (all: %v)", name, where, tp, want, tps)
				}
			}
		}
	})

	t.Run("errors of the cost model", func(t *testing.T) {
		// kvsim bench --predict measures and prices; the notebook's study,
		// given the same steps and the same this-cpu, must report the same errors.
		code, js, stderr := kvsim(t, "bench", "--predict", "--json", "--prompt", "6", "--new", "8")
		if code != 0 {
			t.Fatalf("bench: exit %d: %s", code, stderr)
		}
		var b struct {
			decoder.BenchResult
			Prediction []cost.DecodeComparison `json:"prediction"`
			Hardware   cost.Hardware           `json:"prediction_hardware"`
		}
		if err := json.Unmarshal([]byte(js), &b); err != nil || len(b.Prediction) != 2 {
			t.Fatalf("bench JSON: %v, %d predictions", err, len(b.Prediction))
		}
		spec := lookup(t, "gpt-tiny")
		c, err := study.CompareCPU(t.Context(), study.CompareSettings{Model: spec, Measured: study.NewMeasured(spec, &b.BenchResult), Hardware: b.Hardware})
		if err != nil {
			t.Fatal(err)
		}
		if c.TotalErrorCached != b.Prediction[0].TotalError || c.TotalErrorUncached != b.Prediction[1].TotalError {
			t.Errorf("study errors %g/%g, kvsim bench %g/%g", c.TotalErrorCached, c.TotalErrorUncached, b.Prediction[0].TotalError, b.Prediction[1].TotalError)
		}
		// The report's errors are the CPU study's, over the measured study's steps.
		var m study.Measured
		var cpu study.CPUComparison
		readData(t, out, "measured", &m)
		readData(t, out, "cpu", &cpu)
		hw, err := cpu.Calibration.Hardware()
		if err != nil {
			t.Fatal(err)
		}
		again, err := study.CompareCPU(t.Context(), study.CompareSettings{Model: spec, Measured: m, Hardware: hw})
		if err != nil || again.TotalErrorCached != cpu.TotalErrorCached || again.MedianAbsErrorUncached != cpu.MedianAbsErrorUncached {
			t.Errorf("report's cpu study %+v, recomputed %+v (%v)", cpu.TotalErrorCached, again.TotalErrorCached, err)
		}
	})

	t.Run("totals", func(t *testing.T) {
		code, js, stderr := kvsim(t, "bench", "--json", "--prompt", "6", "--new", "8")
		var res decoder.BenchResult
		if code != 0 || json.Unmarshal([]byte(js), &res) != nil {
			t.Fatalf("bench: exit %d: %s", code, stderr)
		}
		m := study.NewMeasured(lookup(t, "gpt-tiny"), &res)
		if m.Cached.TotalS != res.TotalSCached || m.Uncached.TotalS != res.TotalSUncached || m.Speedup != res.Speedup {
			t.Errorf("study totals %g/%g (speedup %g), kvsim bench %g/%g (%g)", m.Cached.TotalS, m.Uncached.TotalS, m.Speedup,
				res.TotalSCached, res.TotalSUncached, res.Speedup)
		}
		// The report's speedup is the measured study's: the median over runs of
		// the uncached total over the cached one of the same round.
		var mr study.Measured
		readData(t, out, "measured", &mr)
		var rep struct{ Metrics []study.Metric }
		b, _ := os.ReadFile(filepath.Join(out, "kvcache-report.json"))
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, mt := range rep.Metrics {
			if mt.Name == "generation speedup" && mt.Section == "2 measured" {
				found = true
				if mt.Value != mr.Speedup || mr.Speedup != mr.SpeedupSpread.Median || mt.Low != mr.SpeedupSpread.Min || mt.High != mr.SpeedupSpread.Max || mt.Runs != mr.Repeat {
					t.Errorf("report speedup %+v, study %g (%+v)", mt, mr.Speedup, mr.SpeedupSpread)
				}
			}
		}
		if !found {
			t.Error("the report has no measured speedup")
		}
	})
}

func lookupHW(t *testing.T, name string) cost.Hardware {
	t.Helper()
	h, err := cost.LookupHardware(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
