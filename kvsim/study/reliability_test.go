package study

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Counting a synthetic workload's blocks at another size from its 512-token
// version is exact: the limit is checked before the real generation.
func TestPromptBlocksAtIsExact(t *testing.T) {
	w, err := Source{Name: "rag", Seed: 1}.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, bt := range []int{16, 100} {
		small, err := Source{Name: "rag", Seed: 1, BlockTokens: bt}.Load()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := promptBlocksAt(w, bt), small.Stats().PromptBlocks; got != want {
			t.Errorf("%d-token blocks: counted %d, generated %d", bt, got, want)
		}
	}
}

// Work beyond the limits is refused up front, with the numbers and the fix
// (issue 14: report --capacities 100000 ran past 500 s; replay
// --block-tokens 1 with a sweep took 131 s and 2.85 GB).
func TestWorkLimits(t *testing.T) {
	rag16 := Source{Name: "rag", Seed: 1, BlockTokens: 16}
	many := make([]int, MaxCapacityPoints)
	for i := range many {
		many[i] = 10 + i
	}
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"1-token blocks", func() error { _, err := Source{Name: "rag", Seed: 1, BlockTokens: 1}.Load(); return err },
			"rag at 1-token blocks has 14594591 prompt blocks, above the limit of 4000000 (about 0.5 GB to replay); use blocks of at least 4 tokens"},
		{"huge blocks", func() error { _, err := Source{Name: "rag", BlockTokens: 1 << 40}.Load(); return err }, "at most 65536 tokens a block"},
		{"a slider of 100000", func() error { _, err := SliderCapacities(5000, 100000); return err }, "100000 capacities: at most 256"},
		{"a sweep of MaxInt", func() error { _, err := SliderCapacities(5000, int(^uint(0)>>1)); return err }, "at most 256"},
		{"257 capacities in blocks", func() error {
			_, _, err := Capacities{Blocks: append(many, 9999)}.Resolve(100, 0)
			return err
		}, "257 capacities: at most 256"},
		{"256 capacities x 2 policies of 914489 blocks", func() error {
			_, err := Replay(ctx, ReplaySettings{Workload: rag16, Evictions: []string{"lru", "fifo"}, Capacities: Capacities{Blocks: many}})
			return err
		}, "replaying rag in 513 runs (capacities × policies) of 914489 prompt blocks each is 4.69e+08 block visits, above the limit of 3e+08"},
		{"block-size sweep at 1 token", func() error {
			_, err := BlockSizes(ctx, BlockSizeSettings{Workload: Source{Name: "rag", Seed: 1}, Sizes: []int{64, 1}})
			return err
		}, "use blocks of at least 4 tokens"},
		{"block-size sweep of a trace", func() error {
			_, err := BlockSizes(ctx, BlockSizeSettings{Workload: Source{Trace: "t.jsonl"}, Sizes: []int{64}})
			return err
		}, "needs a synthetic workload"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrBadSettings) {
			t.Errorf("%s: %v\nwant %q", tc.name, err, tc.want)
		}
	}
}

// Replay and the cache study say how far they are.
func TestReplayProgress(t *testing.T) {
	var seen []Progress
	_, err := Replay(ctx, ReplaySettings{Workload: Source{Name: "few-shot", Seed: 1}, Evictions: []string{"lru", "fifo"},
		Capacities: Capacities{Blocks: []int{100, 1000}, Unbounded: true}, Progress: func(p Progress) { seen = append(seen, p) }})
	if err != nil {
		t.Fatal(err)
	}
	// loading, 0/6, then one per run: the sweep's 2x2 + its unbounded run, and the unbounded row.
	if len(seen) != 8 || seen[0].Stage != "loading few-shot (synthetic)" || seen[1] != (Progress{Study: "replay", Stage: "runs", Total: 6}) ||
		seen[7] != (Progress{Study: "replay", Stage: "runs", Done: 6, Total: 6}) {
		t.Errorf("progress %+v", seen)
	}
}

// A result saved with other sizes counts as missing, so a folder never
// mixes two runs' sizes silently; saves are whole files under the folder's
// lock, which refuses a second writer.
func TestSavedSizesAndTheFolderLock(t *testing.T) {
	dir := t.TempDir()
	lab, err := NewLab(DefaultPicks(), dir)
	if err != nil {
		t.Fatal(err)
	}
	lab.Log = nil
	if _, err := Run(ctx, lab, KV, lab.KVSettings()); err != nil {
		t.Fatal(err)
	}
	other, err := NewLab(DefaultPicks(), dir)
	if err != nil {
		t.Fatal(err)
	}
	other.Sizes.CapacityPoints = 12
	if _, err := Load[KVStudy](other); !errors.Is(err, ErrNotRun) || !strings.Contains(err.Error(), "other sizes") {
		t.Errorf("a result of other sizes: %v", err)
	}
	if _, err := Load[KVStudy](lab); err != nil {
		t.Errorf("same sizes: %v", err)
	}
	unlock, err := other.Lock("kvsim report")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, lab, KV, lab.KVSettings()); err == nil || !strings.Contains(err.Error(), "is being written by kvsim report (process") {
		t.Errorf("a save while another writer holds the folder: %v", err)
	}
	if _, err := Run(ctx, other, KV, other.KVSettings()); err != nil {
		t.Errorf("the holder's own save: %v", err)
	}
	unlock()
	if _, err := Run(ctx, lab, KV, lab.KVSettings()); err != nil {
		t.Errorf("after unlock: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "data", ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// The folder is checked when the lab is made, before any work.
func TestNewLabChecksTheFolder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, bad := range []string{file, filepath.Join(file, "under")} {
		if _, err := NewLab(DefaultPicks(), bad); err == nil || !strings.Contains(err.Error(), file+" is a file, not a folder") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// Lab.Check refuses, before any study runs, picks and sizes that would
// fail late, naming the role of the model at fault (issue 14: report
// --model llama3.1-405b --hardware this-cpu complained about llama3-70b).
func TestLabCheck(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		picks func(*Picks)
		sizes func(*Sizes)
		want  string
	}{
		{func(p *Picks) { p.BigModel, p.Hardware = "llama3.1-405b", "this-cpu" }, nil,
			"the serving model llama3-70b (section 5 fills a prefix cache with its fp16 KV blocks) has no room for a KV cache on this-cpu"},
		{nil, func(s *Sizes) { s.LongPrompt, s.LongNew = 1000, 100 }, "section 6's generation (Sizes.LongPrompt, Sizes.LongNew) of 1000 + 100 tokens"},
		{nil, func(s *Sizes) { s.New = 1 << 62 }, "section 2's generation"},
		{nil, func(s *Sizes) { s.CapacityPoints = 100000 }, "100000 capacities: at most 256"},
		{nil, func(s *Sizes) { s.CacheTokens = make([]int, 40) }, "40 bounded-cache capacities"},
	} {
		p := DefaultPicks()
		if tc.picks != nil {
			tc.picks(&p)
		}
		lab, err := NewLab(p, dir)
		if err != nil {
			t.Fatal(err)
		}
		if tc.sizes != nil {
			tc.sizes(&lab.Sizes)
		}
		if err := lab.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v\nwant %q", err, tc.want)
		}
	}
	lab, err := NewLab(DefaultPicks(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Check(); err != nil {
		t.Errorf("the defaults: %v", err)
	}
}
