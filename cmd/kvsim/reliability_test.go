package main

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"kvcache/kvsim/atomicfile"
)

// Issue 14's contradictory or ignored flags, and the other ones found
// looking through every command: each is refused with the reason.
func TestContradictoryFlagsAreRefused(t *testing.T) {
	trace := writeTrace(t, line1, line2)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "--threads", "-1"}, 2, "--threads -1: give a number of goroutines, or 0 for one per core"},
		{[]string{"bench", "--cache", "off", "--cache-tokens", "10", "--bounded", "window"}, 2, "--cache off runs without a KV cache, so it has nothing to bound"},
		{[]string{"bench", "--cache", "OFF", "--cache-tokens", "10", "--policy", "window"}, 2, "--cache off runs without a KV cache"},
		{[]string{"bench", "--sinks", "3"}, 2, "--sinks are the tokens a sliding window keeps: they need --bounded window"},
		{[]string{"bench", "--cache-tokens", "10", "--bounded", "recompute", "--sinks", "3"}, 2, "they need --bounded window"},
		{[]string{"bench", "--cache-tokens", "10", "--bounded", "window", "--sinks", "10"}, 2, "--sinks 10: keep from 1 to 9 tokens"},
		{[]string{"bench", "--cache-tokens", "9223372036854775807", "--bounded", "window"}, 2, "holds all 95 positions of this run, so the bounded cache never evicts"},
		{[]string{"bench", "--prompt", "9223372036854775807", "--new", "1"}, 2, "at most 1099511627776 tokens each"},
		{[]string{"bench", "--prompt", "1000", "--new", "1000"}, 1, "prompt 1000 + new 1000 tokens exceed model gpt-tiny's context"},
		{[]string{"replay", "--workload", "rag", "--block-sizes", "16,64", "--timed", "--model", "llama3-8b", "--hardware", "h100-sxm"}, 2,
			"--block-sizes sweeps block sizes through an unbounded cache, which --timed does not apply to"},
		{[]string{"replay", "--workload", "rag", "--block-sizes", "16", "--sweep", "4"}, 2, "which --sweep does not apply to"},
		{[]string{"replay", "--workload", "rag", "--block-sizes", "16", "--policy", "fifo"}, 2, "which --policy does not apply to"},
		{[]string{"replay", "--workload", "rag", "--block-sizes", "16", "--block-tokens", "32"}, 2, "which --block-tokens does not apply to"},
		{[]string{"replay", "--trace", trace, "--block-sizes", "16"}, 2, "needs a synthetic workload"},
		{[]string{"replay", "--workload", "rag", "--sweep", "4", "--kv-dtype", "fp8"}, 2, "--kv-dtype and --model-file go with --model NAME"},
		{[]string{"replay", "--workload", "rag", "--sweep", "4", "--model-file", trace}, 2, "--kv-dtype and --model-file go with --model NAME"},
		{[]string{"replay", "--trace", trace, "--sweep", "4", "--seed", "3"}, 2, "a trace (--trace) has no seed"},
		{[]string{"replay", "--workload", "rag", "--sweep", "4", "--skip-bad-lines"}, 2, "--skip-bad-lines applies to a trace"},
		{[]string{"replay", "--workload", "rag", "--sweep", "9223372036854775807"}, 2, "capacities: at most 256"},
		{[]string{"replay", "--workload", "rag", "--sweep", "4", "--block-tokens", "9223372036854775807"}, 2, "at most 65536 tokens a block"},
		{[]string{"replay", "--workload", "rag", "--sweep", "20", "--block-tokens", "1"}, 2, "use blocks of at least 4 tokens"},
		{[]string{"predict", "--model", "llama3-8b", "--hardware", "all", "--context", "100"}, 2, "--hardware all predicts on every device for every model: add --all"},
		{[]string{"predict", "--model", "llama3-8b", "--hardware", "h100", "--context", "100", "--expert-parallel"}, 2, "llama3-8b has none"},
		{[]string{"validate", "--json", "--summary"}, 2, "--summary shortens the text"},
	} {
		code, stdout, stderr := kvsim(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%v: exit %d (want %d), stderr %q\nwant %q", tc.args, code, tc.code, stderr, tc.want)
		}
	}
}

// writeLlamaCheckpoint writes a one-layer LLaMA spec and a safetensors
// file for it whose MLP weights are finite but so large (about 1e24) that
// the forward pass overflows float32.
func writeLlamaCheckpoint(t *testing.T) (specFile, weights string) {
	t.Helper()
	dir := t.TempDir()
	const d, ffn, vocab = 8, 16, 16
	spec := fmt.Sprintf(`{"name": "huge-weights", "layers": 1, "d_model": %d, "heads": 2, "ffn": %d, "vocab": %d, "max_context": 32,
	  "norm": "rmsnorm", "activation": "swiglu", "positions": "rope", "attention": "mha"}`, d, ffn, vocab)
	specFile = filepath.Join(dir, "spec.json")
	if err := os.WriteFile(specFile, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	tensors := []struct {
		name  string
		shape []int
		scale float64
	}{
		{"model.embed_tokens.weight", []int{vocab, d}, 0.1}, {"model.norm.weight", []int{d}, 1}, {"lm_head.weight", []int{vocab, d}, 0.1},
		{"model.layers.0.input_layernorm.weight", []int{d}, 1}, {"model.layers.0.post_attention_layernorm.weight", []int{d}, 1},
		{"model.layers.0.self_attn.q_proj.weight", []int{d, d}, 0.3}, {"model.layers.0.self_attn.k_proj.weight", []int{d, d}, 0.3},
		{"model.layers.0.self_attn.v_proj.weight", []int{d, d}, 0.3}, {"model.layers.0.self_attn.o_proj.weight", []int{d, d}, 0.3},
		{"model.layers.0.mlp.gate_proj.weight", []int{ffn, d}, 1e24}, {"model.layers.0.mlp.up_proj.weight", []int{ffn, d}, 1e24},
		{"model.layers.0.mlp.down_proj.weight", []int{d, ffn}, 1e24},
	}
	header := map[string]any{}
	var data []byte
	for _, tn := range tensors {
		begin := len(data)
		n := 1
		for _, s := range tn.shape {
			n *= s
		}
		for i := range n {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(float32(tn.scale*math.Sin(float64(3*i+len(tn.name))))))
		}
		header[tn.name] = map[string]any{"dtype": "F32", "shape": tn.shape, "data_offsets": []int{begin, len(data)}}
	}
	h, _ := json.Marshal(header)
	file := append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...)
	weights = filepath.Join(dir, "model.safetensors")
	if err := os.WriteFile(weights, append(file, data...), 0o644); err != nil {
		t.Fatal(err)
	}
	return specFile, weights
}

// Huge finite weights: bench --json says what happened instead of
// failing to encode NaN (issue 14), and prints no half-written JSON.
func TestBenchHugeWeightsJSON(t *testing.T) {
	spec, weights := writeLlamaCheckpoint(t)
	code, stdout, stderr := kvsim(t, "bench", "--model-file", spec, "--model", "huge-weights", "--weights", weights, "--prompt", "3", "--new", "3", "--json")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "overflowed float32") || strings.Contains(stderr, "unsupported value") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// kvsim report checks its folder, its inputs and its sizes before any
// work, and refuses a folder another run is writing.
func TestReportRefusesBeforeWork(t *testing.T) {
	if !chartLibraryInstalled() {
		t.Skip("report checks its chart library before these: run `make assets` first")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	locked := filepath.Join(dir, "locked")
	os.Mkdir(locked, 0o755)
	lk, err := atomicfile.LockDir(locked, "kvsim report")
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", file}, 1, "--out: atomicfile: cannot make folder " + filepath.Join(file, "data") + ": " + file + " is a file, not a folder"},
		{[]string{"--out", filepath.Join(file, "r")}, 1, file + " is a file, not a folder"},
		{[]string{"--out", locked}, 1, "is being written by kvsim report (process"},
		{[]string{"--out", filepath.Join(dir, "a"), "--capacities", "100000"}, 2, "100000 capacities: at most 256"},
		{[]string{"--out", filepath.Join(dir, "b"), "--model", "llama3.1-405b", "--hardware", "this-cpu"}, 2,
			"the serving model llama3-70b (section 5 fills a prefix cache with its fp16 KV blocks) has no room for a KV cache on this-cpu"},
		{[]string{"--out", filepath.Join(dir, "c"), "--cache-tokens", "8,500"}, 2, "a bounded cache of 500 tokens"},
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		cases = append(cases, struct {
			args []string
			code int
			want string
		}{[]string{"--out", ro}, 1, "permission denied"})
	}
	for _, tc := range cases {
		code, _, stderr := kvsim(t, append([]string{"report"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d (want %d), stderr %q\nwant %q", tc.args, code, tc.code, stderr, tc.want)
		}
	}
	for _, sub := range []string{"a", "b", "c"} {
		if entries, _ := os.ReadDir(filepath.Join(dir, sub, "data")); len(entries) > 0 {
			t.Errorf("%s: a refused run wrote %v", sub, entries)
		}
	}
}

// --progress prints a line per stage where stderr is no terminal.
func TestProgressLines(t *testing.T) {
	code, _, stderr := kvsim(t, "replay", "--workload", "few-shot", "--sweep", "4", "--progress")
	if code != 0 || !strings.Contains(stderr, "replay: loading few-shot (synthetic)\n") || !strings.Contains(stderr, "replay: runs: 6 steps\n") ||
		!strings.Contains(stderr, "replay: runs: done\n") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if code, _, stderr := kvsim(t, "replay", "--workload", "few-shot", "--sweep", "4"); code != 0 || stderr != "" {
		t.Errorf("without --progress: exit %d, stderr %q", code, stderr)
	}
}

// snapshot reads every file of a report folder (the page, the report
// files, data/*.json), relative path to content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, pattern := range []string{"kvcache-report.*", filepath.Join("data", "*.json")} {
		matches, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, m)
			out[rel] = string(b)
		}
	}
	return out
}

// whole says whether a report file's content is complete for its kind.
func whole(name, content string) bool {
	switch filepath.Ext(name) {
	case ".json":
		return json.Valid([]byte(content))
	case ".html":
		return strings.HasSuffix(strings.TrimSpace(content), "</html>")
	case ".csv":
		recs, err := csv.NewReader(strings.NewReader(content)).ReadAll()
		return err == nil && len(recs) > 20 && strings.HasPrefix(content, "section,metric")
	case ".md":
		return strings.HasPrefix(content, "# kvcache performance report") && strings.Contains(content, "Findings") && strings.HasSuffix(content, "|\n\n")
	}
	return false
}

// The criterion: a SIGKILL at any moment of kvsim report leaves
// either the old files or the new ones, never a truncated one. A child
// kvsim report rewrites a finished report's folder with another seed and
// is killed at a random moment after its last study starts (when that
// study saves and the report files are written); a last run then finishes
// over what the kill left, lock and temporary files included.
func TestReportKilledLeavesWholeFiles(t *testing.T) {
	if testing.Short() || runtime.GOOS == "windows" {
		t.Skip("runs kvsim report twice more (and uses SIGKILL)")
	}
	done, _, _ := tinyReportRun(t)
	dir := filepath.Join(t.TempDir(), "r")
	if err := os.CopyFS(dir, os.DirFS(done)); err != nil {
		t.Fatal(err)
	}
	child := func(seed int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], append([]string{"report", "--out", dir, "--progress", "--seed", strconv.Itoa(seed)}, tinyReport...)...)
		cmd.Env = append(os.Environ(), "KVSIM_TEST_AS_KVSIM=1")
		return cmd
	}
	check := func(when string, before map[string]string) map[string]string {
		now := snapshot(t, dir)
		if len(now) != len(before) {
			t.Fatalf("%s: %d files, had %d", when, len(now), len(before))
		}
		for name, content := range now {
			if content != before[name] && !whole(name, content) {
				t.Fatalf("%s: %s is neither the old file nor a whole new one (%d bytes)", when, name, len(content))
			}
		}
		return now
	}
	files := check("the finished report", snapshot(t, dir))
	rng := rand.New(rand.NewPCG(14, 3))
	for i, stage := range []string{"bounded: running"} { // the last study: its save and the report files follow
		cmd := child(3 + i)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stderr)
		for sc.Scan() && !strings.HasSuffix(sc.Text(), stage) {
		}
		delay := time.Duration(rng.Float64() * float64(4*time.Second))
		time.Sleep(delay)
		cmd.Process.Kill()
		go io.Copy(io.Discard, stderr)
		cmd.Wait()
		files = check(fmt.Sprintf("killed %.2f s after %q", delay.Seconds(), stage), files)
	}
	if out, err := child(9).CombinedOutput(); err != nil {
		t.Fatalf("a run after the kills: %v\n%s", err, out)
	}
	check("a run after the kills", files)
	for _, sub := range []string{".", "data"} {
		if left, _ := filepath.Glob(filepath.Join(dir, sub, ".*.tmp")); len(left) > 0 {
			t.Errorf("temporary files left after a finished run: %v", left)
		}
	}
}
