package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// `kvsim bench --model gpt-tiny --cache both --json` has the documented
// keys, and its operation counts show the shape the cache is about: the
// uncached per-token work grows with position, the cached stays nearly flat.
func TestBenchJSONShowsUncachedGrowthAndCachedFlat(t *testing.T) {
	code, out, stderr := kvsim(t, "bench", "--model", "gpt-tiny", "--cache", "both", "--json", "--prompt", "16", "--new", "24")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("progress written to a non-terminal stderr: %q", stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"model", "prompt", "new", "per_token_s_cached", "per_token_s_uncached", "total_s_cached",
		"total_s_uncached", "speedup", "max_abs_logit_diff", "same_tokens", "kv_bytes_peak", "hit_rate", "breakdown"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	for _, k := range []string{"matmul_s", "attention_s", "kv_io_s"} {
		if _, ok := r["breakdown"].(map[string]any)[k]; !ok {
			t.Errorf("breakdown lacks %q", k)
		}
	}
	if len(r["per_token_s_cached"].([]any)) != 24 || len(r["per_token_s_uncached"].([]any)) != 24 {
		t.Errorf("per-token arrays do not have one entry per new token")
	}
	if r["same_tokens"] != true || r["max_abs_logit_diff"].(float64) > 1e-3 || r["hit_rate"].(float64) != 1 {
		t.Errorf("same_tokens %v, max_abs_logit_diff %v, hit_rate %v", r["same_tokens"], r["max_abs_logit_diff"], r["hit_rate"])
	}
	flops := func(path string) []float64 {
		var f []float64
		for _, v := range r[path].(map[string]any)["per_token_flops"].([]any) {
			f = append(f, v.(float64))
		}
		return f[1:] // decode steps; step 0 is the same prefill in both
	}
	cached, uncached := flops("cached"), flops("uncached")
	for i := 1; i < len(uncached); i++ {
		if uncached[i] <= uncached[i-1] {
			t.Fatalf("uncached work does not grow: step %d %g after %g", i, uncached[i], uncached[i-1])
		}
	}
	// positions 16..38: uncached work ∝ L, ≈ 39/17 from first to last step
	if g := uncached[len(uncached)-1] / uncached[0]; g < 2 {
		t.Errorf("uncached work grew only %.2fx over the run", g)
	}
	if g := cached[len(cached)-1] / cached[0]; g > 1.05 {
		t.Errorf("cached work grew %.3fx, want nearly flat", g)
	}
	if last := len(cached) - 1; uncached[last]/cached[last] < 20 {
		t.Errorf("last step: uncached does only %.1fx the cached work", uncached[last]/cached[last])
	}
}

func TestBenchTextAndPolicies(t *testing.T) {
	code, out, stderr := kvsim(t, "bench", "--model", "llama-tiny", "--prompt", "8", "--new", "12", "--cache-tokens", "6", "--policy", "window")
	if code != 0 || !strings.Contains(out, "top-1 agreement") || !strings.Contains(out, "uncached") {
		t.Errorf("window bench (exit %d):\n%s%s", code, out, stderr)
	}
	code, out, stderr = kvsim(t, "bench", "--prompt", "8", "--new", "6", "--cache", "on", "--cache-tokens", "4", "--policy", "recompute", "--json")
	var r map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil {
		t.Fatalf("recompute bench (exit %d):\n%s%s", code, out, stderr)
	}
	if r["per_token_s_uncached"] != nil || r["cached"].(map[string]any)["recomputed_positions"].(float64) == 0 {
		t.Errorf("cache on with recompute: %v", out)
	}
}

func TestBenchBadInput(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--prompt", "500", "--new", "100"}, 1, "exceed model gpt-tiny's context"},
		{[]string{"--new", "0"}, 2, "--new 0"},
		{[]string{"--prompt", "0"}, 2, "--prompt 0"},
		{[]string{"--model", "gpt3-175b", "--prompt", "2", "--new", "2"}, 1, "needs"},
		{[]string{"--cache-tokens", "0", "--policy", "window"}, 2, "at least 1 token"},
		{[]string{"--cache-tokens", "-4", "--policy", "window"}, 2, "at least 1 token"},
		{[]string{"--cache-tokens", "8"}, 2, "needs --bounded"},
		{[]string{"--cache-tokens", "8", "--bounded", "window", "--policy", "recompute"}, 2, "not both"},
		{[]string{"--cache-tokens", "8", "--policy", "lru"}, 2, `unknown cache policy "lru"`},
		{[]string{"--cache", "sometimes"}, 2, "unknown cache mode"},
		{[]string{"--weights", "/nonexistent.safetensors", "--new", "2"}, 1, "no such file"},
		{[]string{"--model", "gtp-tiny"}, 1, "did you mean"},
		{[]string{"extra"}, 2, "unexpected argument"},
		{[]string{"--predict", "--cache-tokens", "8", "--policy", "window"}, 2, "drop --cache-tokens"},
		{[]string{"--predict", "--new", "1"}, 2, "--new 2 or more"},
	}
	for _, c := range cases {
		code, _, stderr := kvsim(t, append([]string{"bench"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("bench %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func TestBenchProgressOnlyOnATerminal(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"bench", "--prompt", "4", "--new", "3"}, &env{stdout: &out, stderr: &errb, stderrIsTerminal: true})
	if code != 0 || !strings.Contains(errb.String(), "gpt-tiny warm-up") || !strings.Contains(errb.String(), "gpt-tiny uncached (run 3/3): 3/3") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// `kvsim bench --predict` prices the very decode steps it measured: one
// prediction per step, per path, beside the measurement, with the error;
// the text output has the same table.
func TestBenchPredict(t *testing.T) {
	code, out, stderr := kvsim(t, "bench", "--predict", "--json", "--prompt", "8", "--new", "6", "--cache", "on")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Model      string `json:"model"`
		Prediction []struct {
			Prompt     int       `json:"prompt"`
			Cached     bool      `json:"cached"`
			MeasuredS  []float64 `json:"measured_s"`
			PredictedS []float64 `json:"predicted_s"`
			TotalError float64   `json:"total_error"`
		} `json:"prediction"`
		Hardware struct {
			Name string `json:"name"`
			CPU  *struct {
				Matvec []any `json:"matvec"`
			} `json:"cpu_ops"`
		} `json:"prediction_hardware"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "gpt-tiny" || len(r.Prediction) != 1 || r.Hardware.Name != "this-cpu" || r.Hardware.CPU == nil || len(r.Hardware.CPU.Matvec) == 0 {
		t.Fatalf("bench --predict JSON: %s", out)
	}
	p := r.Prediction[0]
	if !p.Cached || p.Prompt != 8 || len(p.MeasuredS) != 5 || len(p.PredictedS) != 5 {
		t.Errorf("prediction %+v: want the 5 cached decode steps after a prompt of 8", p)
	}
	for i, s := range p.PredictedS {
		if !(s > 0) {
			t.Errorf("step %d predicted %g s", i, s)
		}
	}
	code, out, stderr = kvsim(t, "bench", "--predict", "--prompt", "4", "--new", "3")
	if code != 0 || !strings.Contains(out, "this-cpu prediction") || strings.Count(out, "%") < 4 {
		t.Errorf("text (exit %d): %s%s", code, out, stderr)
	}
}

// `kvsim bench --cache both --repeat 5 --json` reports medians and spreads
// beside the old keys: the totals are the medians of their spreads, the
// speedup the median of the runs' ratios, and the ranking says whether the
// paths differ beyond the noise.
func TestBenchRepeatReportsMediansAndSpreads(t *testing.T) {
	code, out, stderr := kvsim(t, "bench", "--cache", "both", "--repeat", "5", "--json", "--prompt", "4", "--new", "6")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Repeat                      int
		TotalSCached, Speedup       float64
		CachedSpread, SpeedupSpread map[string]float64
		Ranking, Cached             map[string]any
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"repeat", "warm_up_tokens", "total_s_cached_spread", "total_s_uncached_spread", "speedup_spread", "ranking"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	json.Unmarshal(raw["repeat"], &r.Repeat)
	json.Unmarshal(raw["total_s_cached"], &r.TotalSCached)
	json.Unmarshal(raw["speedup"], &r.Speedup)
	json.Unmarshal(raw["total_s_cached_spread"], &r.CachedSpread)
	json.Unmarshal(raw["speedup_spread"], &r.SpeedupSpread)
	json.Unmarshal(raw["ranking"], &r.Ranking)
	json.Unmarshal(raw["cached"], &r.Cached)
	if r.Repeat != 5 || r.CachedSpread["n"] != 5 || r.CachedSpread["median"] != r.TotalSCached || r.SpeedupSpread["median"] != r.Speedup {
		t.Errorf("repeat %d, cached spread %v (total %g), speedup %g spread %v", r.Repeat, r.CachedSpread, r.TotalSCached, r.Speedup, r.SpeedupSpread)
	}
	if !(r.CachedSpread["min"] <= r.CachedSpread["q1"] && r.CachedSpread["q3"] <= r.CachedSpread["max"]) || r.Ranking["verdict"] == "" {
		t.Errorf("spread %v, ranking %v", r.CachedSpread, r.Ranking)
	}
	if n := len(r.Cached["totals_s"].([]any)); n != 5 || len(r.Cached["per_token_s_max"].([]any)) != 6 {
		t.Errorf("%d run totals, per-token bands %v", n, r.Cached["per_token_s_max"])
	}
}

// `kvsim bench --sweep` measures the smallest model and skips what the
// budget cannot hold, saying why.
func TestBenchSweep(t *testing.T) {
	code, out, stderr := kvsim(t, "bench", "--sweep", "--sweep-budget", "1ns", "--prompt", "4", "--new", "4", "--repeat", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var st struct {
		Points []struct {
			Model   string             `json:"model"`
			Speedup map[string]float64 `json:"speedup"`
		} `json:"points"`
		Skipped []struct{ Model, Reason string } `json:"skipped"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Points) != 1 || st.Points[0].Speedup["n"] != 2 || len(st.Skipped) < 5 || !strings.Contains(st.Skipped[0].Reason, "budget") {
		t.Errorf("points %+v, skipped %d: %+v", st.Points, len(st.Skipped), st.Skipped)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--sweep", "--model", "gpt-tiny"}, "drop --model"},
		{[]string{"--sweep", "--new", "1"}, "--new 2 or more"},
		{[]string{"--repeat", "0"}, "--repeat"},
	} {
		if code, _, stderr := kvsim(t, append([]string{"bench"}, c.args...)...); code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("bench %v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// `kvsim hardware this-cpu` states the calibration's noise: the range of
// each headline figure over its rounds, in the text and in --json.
func TestHardwareThisCPUStatesItsNoise(t *testing.T) {
	code, out, stderr := kvsim(t, "hardware", "this-cpu", "--json")
	var h struct {
		Name string
		CPU  struct {
			Noise struct {
				Rounds          int                `json:"rounds"`
				StreamBandwidth map[string]float64 `json:"stream_bandwidth"`
				ForkJoin        map[string]float64 `json:"fork_join_s"`
			} `json:"noise"`
		} `json:"cpu_ops"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &h) != nil {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n := h.CPU.Noise
	if h.Name != "this-cpu" || n.Rounds < 3 || n.StreamBandwidth["n"] != float64(n.Rounds) || !(n.ForkJoin["min"] <= n.ForkJoin["median"] && n.ForkJoin["median"] <= n.ForkJoin["max"]) {
		t.Errorf("noise %+v", n)
	}
	if code, out, _ := kvsim(t, "hardware", "this-cpu"); code != 0 || !strings.Contains(out, "rounds: matmul") || !strings.Contains(out, "fork-join") {
		t.Errorf("text output lacks the rounds' ranges:\n%s", out)
	}
}
