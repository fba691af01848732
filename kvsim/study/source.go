package study

import (
	"errors"
	"fmt"
	"path/filepath"

	"kvcache/kvsim/workload"
)

// ErrBadSettings marks an error in what the caller asked for (a name that
// does not exist, a capacity that holds nothing), as opposed to a failure
// while computing; the CLI exits 2 on it.
var ErrBadSettings = errors.New("bad settings")

// badSettings is an error that matches ErrBadSettings.
func badSettings(format string, args ...any) error {
	return settingsError("study: " + fmt.Sprintf(format, args...))
}

type settingsError string

func (e settingsError) Error() string        { return string(e) }
func (e settingsError) Is(target error) bool { return target == ErrBadSettings }

// Source is which requests a cache study replays: the Mooncake JSONL trace
// at Trace when it is set, else the synthetic workload Name drawn from
// Seed. It is the one place that choice is made: the notebook, kvsim
// report and kvsim replay all load their requests through it.
type Source struct {
	Trace        string `json:"trace,omitempty"`
	Name         string `json:"workload,omitempty"`
	Seed         uint64 `json:"seed"`
	BlockTokens  int    `json:"block_tokens,omitempty"` // synthetic only; 0: 512, the Mooncake traces' block
	SkipBadLines bool   `json:"skip_bad_lines,omitempty"`
}

// Check says whether the source can load, without reading it: the trace
// is a file, or the workload name exists; a trace keeps its 512-token blocks.
func (s Source) Check() error {
	if s.Trace != "" {
		if err := workload.CheckTracePath(s.Trace); err != nil {
			return fmt.Errorf("study: %w", err)
		}
		if s.BlockTokens != 0 && s.BlockTokens != workload.MooncakeBlockTokens {
			return badSettings("%d-token blocks: a Mooncake trace fixes its blocks at %d tokens (its hash_ids); other sizes need a synthetic workload",
				s.BlockTokens, workload.MooncakeBlockTokens)
		}
		return nil
	}
	switch {
	case s.BlockTokens < 0:
		return badSettings("%d-token blocks: a block holds at least 1 token", s.BlockTokens)
	case s.BlockTokens > MaxBlockTokens:
		return badSettings("%d-token blocks: at most %d tokens a block", s.BlockTokens, MaxBlockTokens)
	}
	if _, err := workload.Default(s.Name); err != nil {
		return badSettings("%v", err)
	}
	return nil
}

// Load reads the trace or generates the workload. A workload of more than
// MaxPromptBlocks prompt blocks is refused; a synthetic one is counted at
// 512-token blocks first (quick), so small blocks are refused before the
// time and memory they would take.
func (s Source) Load() (workload.Workload, error) {
	if err := s.Check(); err != nil {
		return workload.Workload{}, err
	}
	if s.Trace != "" {
		w, _, err := workload.LoadMooncake(s.Trace, workload.ReadOptions{SkipBad: s.SkipBadLines})
		if err != nil {
			return workload.Workload{}, fmt.Errorf("study: %w", err)
		}
		if n := w.Stats().PromptBlocks; n > MaxPromptBlocks {
			return workload.Workload{}, badSettings("trace %s has %d prompt blocks, above the limit of %d (about 0.5 GB to replay); replay a part of it (its first lines)",
				s.Trace, n, MaxPromptBlocks)
		}
		return w, nil
	}
	bt := orDefault(s.BlockTokens, workload.MooncakeBlockTokens)
	w, err := workload.Generate(s.Name, s.Seed, workload.MooncakeBlockTokens)
	if err != nil {
		return workload.Workload{}, fmt.Errorf("study: %w", err)
	}
	if err := checkPromptBlocks(w, bt); err != nil {
		return workload.Workload{}, err
	}
	if bt != workload.MooncakeBlockTokens {
		if w, err = workload.Generate(s.Name, s.Seed, bt); err != nil {
			return workload.Workload{}, fmt.Errorf("study: %w", err)
		}
	}
	return w, nil
}

// Label names the source for captions: "multi-turn (synthetic)" or
// "conversation.jsonl (trace)".
func (s Source) Label() string {
	if s.Trace != "" {
		return filepath.Base(s.Trace) + " (trace)"
	}
	return s.Name + " (synthetic)"
}
