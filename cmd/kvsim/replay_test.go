package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kvcache/kvsim/workload"
	"kvcache/kvsim/workload/workloadtest"
)

func writeTrace(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	line1 = `{"timestamp": 0, "input_length": 1100, "output_length": 5, "hash_ids": [1, 2, 3]}`
	line2 = `{"timestamp": 10, "input_length": 1024, "output_length": 7, "hash_ids": [1, 2]}`
)

func TestReplayJSONHasOneObjectPerCapacity(t *testing.T) {
	path := writeTrace(t, line1, line2)
	code, out, stderr := kvsim(t, "replay", "--trace", path, "--capacity-blocks", "1,2,unbounded", "--eviction", "lru", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for _, k := range []string{"capacity_blocks", "policy", "requests", "avg_input_tokens", "avg_output_tokens", "block_hit_rate", "token_hit_rate", "evictions", "peak_blocks"} {
		if _, ok := rows[0][k]; !ok {
			t.Errorf("no key %q in %v", k, rows[0])
		}
	}
	// Capacity 2: LRU keeps blocks 2 and 3 of the first request, not its
	// first block, so nothing hits. Unbounded: the second request's 2 blocks
	// hit, of 5 prompt blocks in all.
	if rows[1]["block_hit_rate"].(float64) != 0 || rows[1]["evictions"].(float64) != 3 || rows[2]["block_hit_rate"].(float64) != 0.4 || rows[2]["unbounded"] != true || rows[0]["requests"].(float64) != 2 || rows[0]["avg_output_tokens"].(float64) != 6 {
		t.Errorf("rows %v", rows)
	}
}

func TestReplayEveryWorkloadAndTheTraces(t *testing.T) {
	for _, name := range workload.Names() {
		code, out, stderr := kvsim(t, "replay", "--workload", name, "--capacity-blocks", "500", "--policy", "lru,sieve", "--belady")
		if code != 0 || !strings.Contains(out, "belady") || !strings.Contains(out, name) {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, stderr)
		}
	}
	code, out, stderr := kvsim(t, "replay", "--workload", "rag", "--block-sizes", "16,512", "--json")
	if code != 0 || !strings.Contains(out, `"last_block_waste"`) {
		t.Errorf("block sizes: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = kvsim(t, "replay", "--workload", "few-shot", "--capacity-bytes", "1GiB,4GiB", "--model", "llama3-8b", "--block-tokens", "16")
	// llama3-8b fp16: 128 KiB per token, 2 MiB per 16-token block: 512 and 2048 blocks.
	if code != 0 || !strings.Contains(out, "512 ") || !strings.Contains(out, "2048 ") || !strings.Contains(out, "1 GiB") {
		t.Errorf("capacity bytes: exit %d\n%s%s", code, out, stderr)
	}
	for _, trace := range []string{workloadtest.Conversation, workloadtest.Synthetic} {
		path := workloadtest.Path(t, trace)
		code, out, stderr := kvsim(t, "replay", "--trace", path, "--capacity-blocks", "10000", "--json")
		var rows []map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["block_hit_rate"].(float64) <= 0 {
			t.Errorf("%s: exit %d\n%s", trace, code, stderr)
		}
	}
}

func TestReplayErrors(t *testing.T) {
	good := writeTrace(t, line1, line2)
	bad := writeTrace(t, line1, `{"timestamp": 3, "input_length": 1024, "output_length": 7}`, line2, `{"timestamp": 4, "input_length": -1, "output_length": 7, "hash_ids": []}`)
	missing := filepath.Join(t.TempDir(), "absent.jsonl")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--capacity-blocks", "10"}, 2, "exactly one of --trace FILE or --workload NAME"},
		{[]string{"--trace", good, "--workload", "rag", "--capacity-blocks", "10"}, 2, "exactly one of"},
		{[]string{"--trace", good}, 2, "--capacity-blocks"},
		{[]string{"--trace", good, "--capacity-blocks", "0"}, 2, "at least 1 block"},
		{[]string{"--trace", good, "--capacity-blocks", "-5"}, 2, "at least 1 block"},
		{[]string{"--trace", good, "--capacity-blocks", "ten"}, 2, "not a whole number"},
		{[]string{"--trace", good, "--capacity-blocks", "10", "--policy", "mru"}, 2, `unknown policy "mru"`},
		{[]string{"--trace", good, "--capacity-blocks", "10", "--eviction", "lru", "--policy", "fifo"}, 2, "not both"},
		{[]string{"--workload", "chatbot", "--capacity-blocks", "10"}, 2, `unknown workload "chatbot"`},
		{[]string{"--trace", good, "--capacity-blocks", "10", "--block-tokens", "16"}, 2, "fixes its blocks at 512"},
		{[]string{"--workload", "rag", "--capacity-bytes", "8GiB"}, 2, "needs --model"},
		{[]string{"--workload", "rag", "--capacity-bytes", "lots", "--model", "llama3-8b"}, 2, "positive size"},
		{[]string{"--workload", "rag", "--capacity-bytes", "1KiB", "--model", "llama3-8b"}, 2, "holds no block"},
		{[]string{"--workload", "rag", "--capacity-blocks", "10", "--model", "llama9"}, 1, "llama9"},
		{[]string{"--trace", good, "--block-sizes", "16"}, 2, "synthetic workload"},
		{[]string{"--trace", missing, "--capacity-blocks", "10"}, 1, "absent.jsonl"},
		{[]string{"--trace", bad, "--capacity-blocks", "10"}, 1, `trace line 2: field "hash_ids": missing`},
		{[]string{"--workload", "rag", "--sweep", "1"}, 2, "at least 2 points"},
		{[]string{"--workload", "rag", "--capacity-blocks", "10", "--timed"}, 2, "--timed needs --model NAME and --hardware NAME"},
		{[]string{"--workload", "rag", "--capacity-blocks", "10", "--hardware", "h100-sxm"}, 2, "--hardware needs --model"},
		{[]string{"--workload", "rag", "--capacity-blocks", "10", "--model", "llama3-8b", "--hardware", "tpu9"}, 1, "tpu9"},
		{[]string{"--workload", "rag", "--capacity-blocks", "10", "--model", "llama3-8b", "--hardware", "h100", "--timed", "--belady"}, 2, "cannot use belady"},
	} {
		code, _, stderr := kvsim(t, append([]string{"replay"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q (want %q)", tc.args, code, tc.code, stderr, tc.want)
		}
	}
	// Issue 14: directories and devices are refused up front, without the
	// --skip-bad-lines hint; an endless line ends at the limit.
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--trace", dir}, "is a directory: give a Mooncake JSON Lines file"},
		{[]string{"--trace", "/dev/zero"}, "is a character device"},
		{[]string{"--trace", "/dev/zero", "--skip-bad-lines"}, "is a character device"},
		{[]string{"--trace", writeTrace(t, "[1, 2]")}, `trace line 1: expected a JSON object {"timestamp": ms, "input_length": n, "output_length": m, "hash_ids": [...]}, found JSON array (--skip-bad-lines skips such lines)`},
		{[]string{"--trace", writeTrace(t, line1, `{"timestamp": 5, "input_length": 1024, "output_length": 7, "hash_ids": [2, 1]}`)}, "trace line 2: field \"hash_ids\": id 2 at index 0 (first block), but line 1 has it at index 1 after id 1"},
	} {
		code, _, stderr := kvsim(t, append(append([]string{"replay"}, tc.args...), "--capacity-blocks", "10")...)
		if code != 1 || !strings.Contains(stderr, tc.want) || (strings.Contains(tc.want, "is a") && strings.Contains(stderr, "skip-bad-lines")) || strings.Contains(stderr, "mooncakeLine") {
			t.Errorf("%v: exit %d, stderr %q (want %q)", tc.args, code, stderr, tc.want)
		}
	}
	// Skipping bad lines keeps the good ones and says how many it dropped.
	code, out, stderr := kvsim(t, "replay", "--trace", bad, "--capacity-blocks", "10", "--skip-bad-lines")
	if code != 0 || !strings.Contains(out, "2 requests") || !strings.Contains(out, "2 malformed lines skipped") {
		t.Errorf("skip bad lines: exit %d\n%s%s", code, out, stderr)
	}
}

func TestReplayTimesPrefillsOnHardware(t *testing.T) {
	code, out, stderr := kvsim(t, "replay", "--workload", "system-prompt", "--capacity-blocks", "4,100000", "--model", "llama3-8b", "--hardware", "h100-sxm", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	small, big := rows[0]["mean_ttft_saved_seconds"], rows[1]["mean_ttft_saved_seconds"]
	if big == nil || big.(float64) <= 0 || (small != nil && small.(float64) >= big.(float64)) {
		t.Errorf("mean TTFT saved should be positive and grow with capacity: %v then %v", small, big)
	}
	code, out, stderr = kvsim(t, "replay", "--workload", "multi-turn", "--capacity-blocks", "2000", "--model", "llama3-8b", "--hardware", "h100-sxm", "--timed")
	if code != 0 || !strings.Contains(out, "TTFT p99") {
		t.Errorf("timed replay: exit %d\n%s\n%s", code, out, stderr)
	}
}
