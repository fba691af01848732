package study

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLabChecksPicksAndStoresResults(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		edit func(*Picks)
		msg  string
	}{
		{func(s *Picks) { s.SmallModel = "gpt-tinny" }, `small model: model: unknown model "gpt-tinny"`},
		{func(s *Picks) { s.BigModel = "" }, "big model"},
		{func(s *Picks) { s.Hardware = "h1000" }, `unknown hardware "h1000"`},
		{func(s *Picks) { s.Workload = "chat" }, `unknown workload "chat"`},
		{func(s *Picks) { s.Trace = filepath.Join(dir, "missing.jsonl") }, "missing.jsonl"},
		{func(s *Picks) { s.Trace = dir }, "is a directory"},
		{func(s *Picks) { s.MemoryFraction = 1.5 }, "memory fraction 1.5"},
		{func(s *Picks) { s.MemoryFraction = -0.1 }, "memory fraction -0.1"},
	} {
		s := DefaultPicks()
		tc.edit(&s)
		if _, err := NewLab(s, dir); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v, want %q", s, err, tc.msg)
		}
	}
	lab, err := NewLab(DefaultPicks(), dir)
	if err != nil {
		t.Fatal(err)
	}
	lab.Log = nil
	k, err := Run(ctx, lab, KV, lab.KVSettings())
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load[KVStudy](lab)
	if err != nil || len(back.Fits) != len(k.Fits) || back.Fits[0] != k.Fits[0] || !back.Computed.Equal(k.Computed) {
		t.Fatalf("round trip: %v", err)
	}
	other := DefaultPicks()
	other.Workload = "rag"
	lab2, err := NewLab(other, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load[KVStudy](lab2); !errors.Is(err, ErrNotRun) || !strings.Contains(err.Error(), "other picks") {
		t.Errorf("stale result: %v", err)
	}
	r, err := lab.Results()
	if err != nil {
		t.Fatal(err)
	}
	if r.KV == nil || r.Measured != nil || len(r.Missing) != 10 { // measured, speedup, predictions, cpu, cache, tiers, latency, bounded, trust, sparse
		t.Errorf("results: kv %v, measured %v, missing %q", r.KV != nil, r.Measured != nil, r.Missing)
	}
}

func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	lab, err := NewLab(DefaultPicks(), dir)
	if err != nil {
		t.Fatal(err)
	}
	lab.Log = nil
	if _, err := Run(ctx, lab, KV, lab.KVSettings()); err != nil {
		t.Fatal(err)
	}
	rep, err := lab.Report()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 3 {
		t.Fatalf("files %v", rep.Files)
	}
	f, err := os.Open(filepath.Join(dir, "kvcache-report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 1+len(rep.Metrics) || rows[0][2] != "value" {
		t.Fatalf("csv: %v, %d rows for %d metrics", err, len(rows), len(rep.Metrics))
	}
	var js map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "kvcache-report.json"))
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"settings", "environment", "metrics", "findings", "timings"} {
		if _, ok := js[k]; !ok {
			t.Errorf("report JSON has no %q", k)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "kvcache-report.md"))
	for _, want := range []string{"### Environment", "GOMAXPROCS", "this-cpu matmul", "| GQA (LLaMA) uses its cache better than MHA (GPT) | holds |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}
