package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"kvcache/widgets"
)

// tinyReport are report flags that make every study take a fraction of a second.
var tinyReport = []string{"--prompt", "4", "--new", "8", "--long-prompt", "4", "--long-new", "20", "--cache-tokens", "8,12", "--capacities", "4", "--workload", "few-shot",
	"--repeat", "2", "--sweep-models", "gpt-tiny,llama-tiny"}

// tiny is one run of kvsim report with the default picks and tinyReport,
// shared by the tests that read what it wrote.
var tiny struct {
	once                sync.Once
	out, stdout, stderr string
	code                int
}

// tinyReportRun runs kvsim report once per test binary (into a folder
// TestMain removes) and returns its folder and output.
func tinyReportRun(t *testing.T) (out, stdout, stderr string) {
	t.Helper()
	if !chartLibraryInstalled() {
		t.Skip("kvsim report needs the ECharts library: run `make assets` first")
	}
	tiny.once.Do(func() {
		tiny.out = filepath.Join(reportTemp, "r")
		tiny.code, tiny.stdout, tiny.stderr = kvsim(t, append([]string{"report", "--out", tiny.out}, tinyReport...)...)
	})
	if tiny.code != 0 {
		t.Fatalf("kvsim report: exit %d: %s", tiny.code, tiny.stderr)
	}
	return tiny.out, tiny.stdout, tiny.stderr
}

var reportTemp string

func TestMain(m *testing.M) {
	if os.Getenv("KVSIM_TEST_AS_KVSIM") == "1" { // a child process of a test: be kvsim
		os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr}))
	}
	dir, err := os.MkdirTemp("", "kvsim-report-test-")
	if err != nil {
		panic(err)
	}
	reportTemp = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestReportWritesThePageAndTheData(t *testing.T) {
	out, stdout, stderr := tinyReportRun(t)
	if stderr != "" {
		t.Errorf("progress on a stderr that is no terminal: %q", stderr)
	}
	for _, f := range []string{"kvcache-report.html", "kvcache-report.csv", "kvcache-report.json", "kvcache-report.md",
		"data/measured.json", "data/predictions.json", "data/cpu.json", "data/kv.json", "data/cache.json", "data/bounded.json", "data/trust.json", "data/sparse.json", "data/tiers.json", "data/latency.json", "data/speedup.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
		if strings.HasPrefix(f, "kvcache-report") && !strings.Contains(stdout, filepath.Join(out, f)) {
			t.Errorf("stdout does not list %s:\n%s", f, stdout)
		}
	}
	html, err := os.ReadFile(filepath.Join(out, "kvcache-report.html"))
	if err != nil {
		t.Fatal(err)
	}
	lib, err := os.ReadFile(filepath.Join("..", "..", "widgets", "assets", "dist", "echarts.min.js"))
	if err != nil {
		t.Skipf("chart library not installed (make assets): %v", err)
	}
	if n := strings.Count(string(html), string(lib[2000:6000])); n != 1 {
		t.Errorf("the page carries the chart library %d times, want once", n)
	}
	// Section 2: 2 charts + 2 of the sweep, 3: 3 + 2 (sliding window) + 1 (trust) + 2, 4: 2, 5: 4, 5b: 3, 5c: 1, 6: 4.
	if n := chartViews(t, string(html)); n != 26 {
		t.Errorf("%d charts on the page, want 26", n)
	}
	for _, want := range []string{"1. The chosen models", "5b. Beyond one GPU", "5c. Serving latencies", "8. Findings", "GQA (LLaMA) uses its cache better than MHA (GPT)",
		"A KV cache shared across GPUs", "gpt3-175b", "How far to trust the predictions", "likely measured", "kvw-band-", "Models with sparse attention"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(string(html), "kvw-error") {
		t.Error("a figure rendered an error box")
	}
	var rep struct {
		Metrics  []map[string]any `json:"metrics"`
		Findings []struct{ Claim, Verdict string }
	}
	b, _ := os.ReadFile(filepath.Join(out, "kvcache-report.json"))
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Metrics) < 20 || len(rep.Findings) != 7 {
		t.Fatalf("report JSON: %v, %d metrics, %d findings", err, len(rep.Metrics), len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if f.Verdict == "not tested" {
			t.Errorf("finding %q not tested after a full run", f.Claim)
		}
	}
	// Every predicted headline number carries its likely measured range.
	for _, m := range rep.Metrics {
		lo, _ := m["likely_measured_low"].(float64)
		hi, _ := m["likely_measured_high"].(float64)
		if m["section"] == "3 predicted" && !(hi > lo && lo > 0) {
			t.Errorf("predicted metric without a band: %v", m)
		}
	}
}

func TestReportBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report"}, 2, "give --out DIR"},
		{[]string{"report", "--out", dir, "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"report", "--out", dir, "--prompt", "0"}, 2, "--prompt 0: give at least 1"},
		{[]string{"report", "--out", dir, "--capacities", "1"}, 2, "--capacities 1"},
		{[]string{"report", "--out", dir, "--cache-tokens", "8,x"}, 2, `-cache-tokens: "x": give whole numbers`},
		{[]string{"report", "--out", dir, "--memory-fraction", "1.2"}, 2, "--memory-fraction must be in (0, 1], got 1.2"},
		{[]string{"report", "--out", dir, "--memory-fraction", "0"}, 2, "--memory-fraction must be in (0, 1], got 0"},
		{[]string{"report", "--out", dir, "--trace", "t.jsonl", "--workload", "rag"}, 2, "not both"},
		{[]string{"report", "--out", dir, "--model", "gpt-5"}, 1, `unknown model "gpt-5"`},
		{[]string{"report", "--out", dir, "--hardware", "tpu"}, 1, `unknown hardware "tpu"`},
		{[]string{"report", "--out", dir, "--workload", "chat"}, 1, `unknown workload "chat"`},
		{[]string{"report", "--out", dir, "--trace", filepath.Join(dir, "none.jsonl")}, 1, "none.jsonl"},
		{[]string{"report", "--out", dir, "--small-model", "gpt3-175b", "--prompt", "4", "--new", "4"}, 1, "gpt3-175b"},
	} {
		if tc.code == 1 && !chartLibraryInstalled() {
			t.Logf("%v: skipped: picks are checked after the chart library; run `make assets` first", tc.args)
			continue
		}
		code, _, stderr := kvsim(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, stderr, tc.msg)
		}
	}
}

// chartLibraryInstalled: `make assets` has put ECharts where the build embeds it.
func chartLibraryInstalled() bool {
	_, err := os.Stat(filepath.Join("..", "..", "widgets", "assets", "dist", "echarts.min.js"))
	return err == nil
}

// chartViews counts the chart views of every widget on a page (the runtime
// draws one chart per view).
func chartViews(t *testing.T, html string) int {
	t.Helper()
	blocks, err := widgets.DataBlocks(html)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range blocks {
		var d struct {
			Views []struct{ Type string } `json:"views"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		for _, v := range d.Views {
			if v.Type == "chart" {
				n++
			}
		}
	}
	return n
}
