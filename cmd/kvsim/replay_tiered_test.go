package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"kvcache/kvsim/workload/workloadtest"
)

// Bad tier flags are usage errors (exit 2) that name the problem and the
// fix, before any replay runs.
func TestReplayTiersRefusesBadFlags(t *testing.T) {
	w := []string{"replay", "--workload", "few-shot"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--capacity-blocks", "100", "--instances", "4"}, "give the tiers"},
		{[]string{"--capacity-blocks", "100", "--shared"}, "give the tiers"},
		{[]string{"--capacity-blocks", "100", "--router", "cache-aware"}, "give the tiers"},
		{[]string{"--capacity-blocks", "100", "--write-through"}, "give the tiers"},
		{[]string{"--tiers", "dram:20GiB"}, "must be hbm"},
		{[]string{"--tiers", "hbm:20GiB"}, "sized in bytes need a model"},
		{[]string{"--tiers", "hbm:abc"}, "give a size with its unit"},
		{[]string{"--tiers", "hbm:100blocks,hbm:100blocks"}, "fastest first"},
		{[]string{"--tiers", "hbm:100blocks", "--capacity-blocks", "5"}, "the tiers set the capacities"},
		{[]string{"--tiers", "hbm:100blocks", "--sweep", "4"}, "the tiers set the capacities"},
		{[]string{"--tiers", "hbm:100blocks", "--capacity-blocks", "5", "--sweep", "4"}, "give exactly one of"},
		{[]string{"--tiers", "hbm:100blocks", "--belady"}, "one eviction policy"},
		{[]string{"--tiers", "hbm:100blocks", "--block-sizes", "16"}, "--tiers does not apply"},
		{[]string{"--tiers", "hbm:100blocks", "--timed", "--model", "llama3-8b", "--hardware", "h100-sxm"}, "leave timed off"},
		{[]string{"--tiers", "hbm:100blocks", "--instances", "0"}, "--instances 0: give at least 1"},
		{[]string{"--tiers", "hbm:100blocks", "--instances", "5000"}, "give 1 to"},
		{[]string{"--tiers", "hbm:100blocks", "--router", "fastest"}, "unknown router"},
		{[]string{"--tiers", "hbm:100blocks", "--router", "least-loaded"}, "needs a model and hardware"},
		{[]string{"--tiers", "hbm:100blocks", "--eviction", "lru,fifo"}, "one eviction policy"},
		{[]string{"--tiers", "hbm:100blocks,dram:10blocks", "--eviction", "belady"}, "online policy"},
		{[]string{"--tiers", "hbm:100blocks", "--shared"}, "a shared store is a tier below hbm"},
		{[]string{"--tiers", "hbm:100blocks", "--write-through"}, "write-through stores blocks in the tier below hbm"},
		{[]string{"--tiers", "hbm:1MiB", "--model", "llama3-70b"}, "holds no block"},
	} {
		code, out, stderr := kvsim(t, append(w, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, stderr, c.want)
		}
	}
}

// One hbm tier and one instance is today's replay: the same summary as
// --capacity-blocks at that capacity, key for key.
func TestReplayOneTierOneInstanceIsReplay(t *testing.T) {
	code, out, stderr := kvsim(t, "replay", "--workload", "few-shot", "--capacity-blocks", "300", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("%v, %d rows", err, len(rows))
	}
	code, out, stderr = kvsim(t, "replay", "--workload", "few-shot", "--tiers", "hbm:300blocks", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var tiered struct {
		Tiered struct {
			Summary map[string]any `json:"summary"`
			PerTier []struct {
				Medium  string  `json:"medium"`
				HitRate float64 `json:"hit_rate"`
			} `json:"per_tier"`
			Instances int `json:"instances"`
		} `json:"tiered"`
		Stats map[string]any `json:"stats"`
	}
	if err := json.Unmarshal([]byte(out), &tiered); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tiered.Tiered.Summary, rows[0]) {
		t.Errorf("tiered summary\n%v\nreplay row\n%v", tiered.Tiered.Summary, rows[0])
	}
	if tiered.Tiered.Instances != 1 || len(tiered.Tiered.PerTier) != 1 || tiered.Tiered.PerTier[0].HitRate != rows[0]["block_hit_rate"] || tiered.Stats["requests"] != rows[0]["requests"] {
		t.Errorf("tiered replay %+v", tiered)
	}
}

// The example on a synthetic workload: text tables for the tiers,
// the TTFT and the instances; JSON with the per-tier, per-instance and
// balance keys.
func TestReplayTiersTextAndJSON(t *testing.T) {
	args := []string{"replay", "--workload", "multi-turn", "--tiers", "hbm:20GiB,dram:256GiB,ssd:2TiB", "--instances", "4", "--router", "cache-aware",
		"--model", "llama3-8b", "--hardware", "h100-sxm"}
	code, out, stderr := kvsim(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"4 instance(s), tiers hbm:20GiB,dram:256GiB,ssd:2TiB (private), router cache-aware", "load-or-recompute",
		"Tiers (rates", "dram  4", "pcie5", "ssd", "nvme4", "Time to first token", "hbm only (no offload)", "no cache", "Instances", "Load balance", "prefills timed on 1× h100-sxm"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, stderr = kvsim(t, append(args, "--shared", "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		BytesPerBlock int64 `json:"bytes_per_block"`
		TP            int   `json:"tp"`
		Tiered        struct {
			Shared  bool `json:"shared"`
			PerTier []struct {
				Medium string `json:"medium"`
				Stores int    `json:"stores"`
			} `json:"per_tier"`
			PerInst []map[string]any `json:"per_instance"`
			Balance map[string]any   `json:"load_balance"`
			TTFT    struct {
				Tiered struct{ P99 float64 } `json:"tiered"`
			} `json:"ttft"`
			Offload map[string]any `json:"offload"`
		} `json:"tiered"`
		Provenance map[string]any `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	tr := r.Tiered
	if !tr.Shared || len(tr.PerTier) != 3 || tr.PerTier[0].Stores != 4 || tr.PerTier[1].Stores != 1 || len(tr.PerInst) != 4 ||
		tr.Balance["work_max_over_mean"] == nil || !(tr.TTFT.Tiered.P99 > 0) || tr.Offload["loaded_bytes"] == nil || r.BytesPerBlock != 512*131072 || r.TP != 1 || r.Provenance == nil {
		t.Errorf("tiered JSON %+v", r)
	}
}

// Both Mooncake traces replay over tiers and instances from the CLI.
func TestReplayTiersOnTheTraces(t *testing.T) {
	for _, name := range []string{workloadtest.Conversation, workloadtest.Synthetic} {
		code, out, stderr := kvsim(t, "replay", "--trace", workloadtest.Path(t, name), "--tiers", "hbm:4000blocks,dram:3e6tokens", "--instances", "8", "--shared")
		if code != 0 || !strings.Contains(out, "dram  1 shared") || !strings.Contains(out, "8 instance(s)") {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, stderr)
		}
	}
}
