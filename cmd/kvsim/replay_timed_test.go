package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var timedArgs = []string{"--model", "llama3-8b", "--hardware", "h100-sxm", "--timed"}

// The JSON keys the timed replay shipped with stay; the serving metrics add
// theirs beside them, for every scheduler.
func TestReplayTimedJSONKeys(t *testing.T) {
	path := writeTrace(t, line1, line2, `{"timestamp": 20, "input_length": 1100, "output_length": 1, "hash_ids": [1, 2, 4]}`)
	for _, sched := range []string{"prefill-first", "chunked-prefill"} {
		args := append([]string{"replay", "--trace", path, "--capacity-blocks", "8,unbounded", "--json", "--scheduler", sched}, timedArgs...)
		code, out, stderr := kvsim(t, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", sched, code, stderr)
		}
		var rows []struct {
			Summary map[string]any `json:"summary"`
			Serving map[string]any `json:"serving"`
		}
		if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
			t.Fatalf("%s: %v\n%s", sched, err, out)
		}
		sv := rows[0].Serving
		for _, k := range []string{"completed", "rejected", "makespan_seconds", "mean_ttft_seconds", "p50_ttft_seconds", "p99_ttft_seconds",
			"mean_queue_seconds", "max_queue_seconds", "max_queued", "peak_pinned_blocks", "prefill_steps", "decode_steps", "mean_decode_batch",
			"capacity_stalls", "output_tokens_per_second",
			"scheduler", "decode_memory", "p90_ttft_seconds", "mean_tpot_seconds", "p50_tpot_seconds", "p90_tpot_seconds", "p99_tpot_seconds",
			"mean_itl_seconds", "p50_itl_seconds", "p90_itl_seconds", "p99_itl_seconds", "mean_e2e_seconds", "p50_e2e_seconds", "p90_e2e_seconds",
			"p99_e2e_seconds", "requests_per_second", "total_tokens_per_second", "preemptions", "preempted_requests", "preemption_recomputed_tokens"} {
			if _, ok := sv[k]; !ok {
				t.Errorf("%s: no key %q in %v", sched, k, sv)
			}
		}
		if sv["scheduler"] != sched || sv["completed"].(float64) != 3 || sv["p50_tpot_seconds"].(float64) <= 0 {
			t.Errorf("%s: %v", sched, sv)
		}
	}
}

func TestReplayRequestsCSV(t *testing.T) {
	path := writeTrace(t, line1, line2)
	csvPath := filepath.Join(t.TempDir(), "requests.csv")
	args := append([]string{"replay", "--trace", path, "--capacity-blocks", "3,unbounded", "--requests-csv", csvPath,
		"--scheduler", "chunked-prefill", "--chunk-tokens", "256", "--decode-memory", "on-demand"}, timedArgs...)
	code, out, stderr := kvsim(t, args...)
	if code != 0 || !strings.Contains(out, "chunked-prefill scheduler, on-demand decode memory, 256 tokens per step") || !strings.Contains(out, "TPOT p50") {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+2*2 || strings.Join(recs[0][:5], ",") != "capacity_blocks,policy,scheduler,decode_memory,request" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, r := range recs[1:] {
		num := func(name string) float64 {
			v, err := strconv.ParseFloat(r[col[name]], 64)
			if err != nil {
				t.Fatalf("%s: %v in %v", name, err, r)
			}
			return v
		}
		if num("first_token_s") < num("arrival_s") || num("finish_s") < num("first_token_s") || num("cached_tokens")+num("new_tokens") != num("prompt_tokens") ||
			r[col["scheduler"]] != "chunked-prefill" || r[col["decode_memory"]] != "on-demand" {
			t.Errorf("row %v", r)
		}
	}
	// The unbounded run's second request reuses 2 blocks of the first.
	if last := recs[4]; last[col["capacity_blocks"]] != "unbounded" || last[col["hit_blocks"]] != "2" || last[col["cached_tokens"]] != "1023" {
		t.Errorf("unbounded, request 1: %v", last)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(csvPath), ".*tmp"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestReplayTimedFlagErrors(t *testing.T) {
	good := writeTrace(t, line1, line2)
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--scheduler", "chunked-prefill"}, 2, "--scheduler applies to the timed replay only"},
		{[]string{"--requests-csv", filepath.Join(dir, "r.csv")}, 2, "--requests-csv applies to the timed replay only"},
		{append([]string{"--scheduler", "fastest"}, timedArgs...), 2, `--scheduler "fastest": use prefill-first or chunked-prefill`},
		{append([]string{"--chunk-tokens", "64"}, timedArgs...), 2, "--chunk-tokens is for --scheduler chunked-prefill"},
		{append([]string{"--scheduler", "chunked-prefill", "--chunk-tokens", "0"}, timedArgs...), 2, "at least 1 token"},
		{append([]string{"--decode-memory", "swap"}, timedArgs...), 2, `--decode-memory "swap"`},
		{append([]string{"--requests-csv", filepath.Join(dir, "no", "such", "r.csv")}, timedArgs...), 1, "cannot write " + filepath.Join(dir, "no", "such", "r.csv") + ": no such file or directory"},
		{append([]string{"--requests-csv", dir}, timedArgs...), 1, "is a folder, not a regular file"},
	} {
		code, _, stderr := kvsim(t, append([]string{"replay", "--trace", good, "--capacity-blocks", "10"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, stderr, tc.want)
		}
	}
}
