package workload

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kvcache/kvsim/workload/workloadtest"
)

func read(t *testing.T, text string, opts ReadOptions) (Workload, ReadReport, error) {
	t.Helper()
	return ReadMooncake(strings.NewReader(text), "test", opts)
}

const good = `{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1, 2]}`

func TestReadMooncakeGood(t *testing.T) {
	text := good + "\n\n   \r\n" +
		`{"timestamp": 1500.5, "input_length": 512, "output_length": 0, "hash_ids": [1], "extra": "ignored"}` + "\r\n" +
		`{"timestamp": 2000, "input_length": 513, "output_length": 1, "hash_ids": [1, 3]}` // no final newline
	w, rep, err := read(t, text, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Requests) != 3 || rep.Lines != 5 || rep.Blank != 2 || rep.Reordered != 0 || w.BlockTokens != 512 {
		t.Fatalf("requests %d, report %+v", len(w.Requests), rep)
	}
	r := w.Requests[1]
	if r.ArrivalSeconds != 1.5005 || r.InputTokens != 512 || r.OutputTokens != 0 || fmt.Sprint(r.Blocks) != "[1]" || r.Prompt != nil {
		t.Errorf("request 1: %+v", r)
	}
	if w.HasTokens() {
		t.Error("a trace claims token content")
	}
}

// Each malformed line is reported with its line number and field.
func TestReadMooncakeMalformed(t *testing.T) {
	for _, tc := range []struct {
		line, field, msg string
	}{
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5`, "", "invalid JSON"},
		{`[1, 2, 3]`, "", `expected a JSON object {"timestamp": ms, "input_length": n, "output_length": m, "hash_ids": [...]}, found JSON array`},
		{`"a string"`, "", "found JSON string"},
		{`42`, "", "found JSON number"},
		{`null`, "", "found JSON null"},
		{`true`, "", "found JSON boolean"},
		{`{"input_length": 1000, "output_length": 5, "hash_ids": [1, 2]}`, "timestamp", "missing"},
		{`{"timestamp": 0, "output_length": 5, "hash_ids": [1, 2]}`, "input_length", "missing"},
		{`{"timestamp": 0, "input_length": 1000, "hash_ids": [1, 2]}`, "output_length", "missing"},
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5}`, "hash_ids", "missing"},
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": null}`, "hash_ids", "missing"},
		{`{"timestamp": -1, "input_length": 1000, "output_length": 5, "hash_ids": [1, 2]}`, "timestamp", "negative"},
		{`{"timestamp": 0, "input_length": 0, "output_length": 5, "hash_ids": []}`, "input_length", "must be in 1.."},
		{`{"timestamp": 0, "input_length": -7, "output_length": 5, "hash_ids": []}`, "input_length", "must be in 1.."},
		{`{"timestamp": 0, "input_length": 1000, "output_length": -5, "hash_ids": [1, 2]}`, "output_length", "must be in 0.."},
		{`{"timestamp": 0, "input_length": 1000.5, "output_length": 5, "hash_ids": [1, 2]}`, "input_length", "expected a whole number of tokens, found JSON number 1000.5"},
		{`{"timestamp": "0", "input_length": 1000, "output_length": 5, "hash_ids": [1, 2]}`, "timestamp", "expected a number (milliseconds), found JSON string"},
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1, 2, 3]}`, "hash_ids", "3 ids, but input_length 1000 needs ceil(1000/512) = 2"},
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1]}`, "hash_ids", "1 ids"},
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1, -2]}`, "hash_ids", "negative"},
		{`{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [1, "x"]}`, "hash_ids", "expected an array of whole numbers (block hash ids), found JSON string"},
		{`{"timestamp": 0, "input_length": 99999999999999, "output_length": 5, "hash_ids": [1]}`, "input_length", "must be in 1.."},
	} {
		_, _, err := read(t, good+"\n\n"+tc.line+"\n"+good, ReadOptions{})
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("%s: error %v is not a LineError", tc.line, err)
			continue
		}
		if le.Line != 3 || le.Field != tc.field || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "workload: trace line 3") ||
			strings.Contains(err.Error(), "mooncakeLine") || strings.Contains(err.Error(), "int64") || !le.Skippable() {
			t.Errorf("%s:\n got line %d field %q: %v\nwant line 3 field %q containing %q", tc.line, le.Line, le.Field, err, tc.field, tc.msg)
		}
		// With SkipBad the line is dropped and counted.
		w, rep, err := read(t, good+"\n\n"+tc.line+"\n"+good, ReadOptions{SkipBad: true})
		if err != nil || len(w.Requests) != 2 || rep.Skipped != 1 || rep.Problems[0].Line != 3 || len(w.Notes) != 1 {
			t.Errorf("%s with SkipBad: %v, %d requests, %+v", tc.line, err, len(w.Requests), rep)
		}
	}
}

func TestReadMooncakeOutOfOrderIsSortedWithANote(t *testing.T) {
	text := `{"timestamp": 5000, "input_length": 10, "output_length": 1, "hash_ids": [7]}
{"timestamp": 1000, "input_length": 10, "output_length": 2, "hash_ids": [8]}
{"timestamp": 3000, "input_length": 10, "output_length": 3, "hash_ids": [9]}`
	w, rep, err := read(t, text, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var outs []int
	for _, r := range w.Requests {
		outs = append(outs, r.OutputTokens)
	}
	if rep.Reordered != 1 || fmt.Sprint(outs) != "[2 3 1]" || len(w.Notes) != 1 || !strings.Contains(w.Notes[0], "sorted") {
		t.Errorf("reordered %d, order %v, notes %v", rep.Reordered, outs, w.Notes)
	}
}

func TestReadMooncakeLongLines(t *testing.T) {
	// A valid 4-million-token prompt: one line of about 60 MB... kept to 8192 ids (4M tokens) here.
	var b strings.Builder
	n := 8192 * 512
	fmt.Fprintf(&b, `{"timestamp": 0, "input_length": %d, "output_length": 1, "hash_ids": [`, n)
	for i := 0; i < 8192; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", 1_000_000_000+i)
	}
	b.WriteString("]}\n")
	w, _, err := read(t, b.String()+good, ReadOptions{})
	if err != nil || len(w.Requests) != 2 || len(w.Requests[0].Blocks) != 8192 {
		t.Fatalf("long line: %v", err)
	}
	// A line over the limit ends the read, with or without SkipBad.
	for _, skip := range []bool{false, true} {
		_, _, err = read(t, good+"\n"+b.String(), ReadOptions{MaxLineBytes: 4096, SkipBad: skip})
		var le *LineError
		if !errors.As(err, &le) || le.Line != 2 || !errors.Is(err, ErrLineTooLong) || le.Skippable() || !strings.Contains(err.Error(), "longer than 4096 bytes, the limit for one line") {
			t.Errorf("over-long line (skip %v): %v", skip, err)
		}
	}
	// Exactly at the limit, with CR LF: read.
	line := good + strings.Repeat(" ", 4096-len(good))
	if w, _, err := read(t, line+"\r\n"+line, ReadOptions{MaxLineBytes: 4096}); err != nil || len(w.Requests) != 2 {
		t.Errorf("lines of exactly the limit: %v", err)
	}
	if _, _, err := read(t, line+" ", ReadOptions{MaxLineBytes: 4096}); !errors.Is(err, ErrLineTooLong) {
		t.Errorf("a last line one byte over the limit: %v", err)
	}
}

// endless is a stream that never ends and holds no newline, as /dev/zero.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	clear(p)
	e.read += int64(len(p))
	return len(p), nil
}

// A stream without a newline ends with an error at the line limit instead
// of reading forever (issue: kvsim replay --trace /dev/zero never returned).
func TestReadMooncakeEndlessLine(t *testing.T) {
	for _, tc := range []struct {
		opts  ReadOptions
		limit int
	}{
		{ReadOptions{MaxLineBytes: 1 << 16}, 1 << 16},
		{ReadOptions{MaxLineBytes: 1 << 16, SkipBad: true}, 1 << 16},
		{ReadOptions{}, DefaultMaxLineBytes},
	} {
		src := &endless{}
		_, _, err := ReadMooncake(src, "zero", tc.opts)
		var le *LineError
		if !errors.As(err, &le) || le.Line != 1 || !errors.Is(err, ErrLineTooLong) || !strings.Contains(err.Error(), fmt.Sprintf("longer than %d bytes", tc.limit)) {
			t.Errorf("%+v: %v", tc.opts, err)
		}
		if src.read > int64(tc.limit)+2<<16 {
			t.Errorf("%+v: read %d bytes for a limit of %d", tc.opts, src.read, tc.limit)
		}
	}
}

// The prefix chain: a hash id keeps one index and one id before it.
func TestReadMooncakeBrokenChain(t *testing.T) {
	line := func(ts int, ids ...int) string {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = fmt.Sprint(id)
		}
		return fmt.Sprintf(`{"timestamp": %d, "input_length": %d, "output_length": 1, "hash_ids": [%s]}`, ts, 512*len(ids), strings.Join(s, ", "))
	}
	for _, tc := range []struct {
		name  string
		lines []string
		bad   int
		msg   string
	}{
		{"swapped", []string{line(0, 5, 6), line(1, 6, 5)}, 2, "id 6 at index 0 (first block), but line 1 has it at index 1 after id 5"},
		{"other parent", []string{line(0, 1, 2), line(1, 3, 2)}, 2, "id 2 at index 1 after id 3, but line 1 has it at index 1 after id 1"},
		{"repeated in a line", []string{line(0, 7, 7)}, 1, "id 7 at index 1 after id 7, but line 1 has it at index 0 (first block)"},
		{"shifted", []string{line(0, 1, 2, 3), line(1, 9, 1)}, 2, "id 1 at index 1 after id 9, but line 1 has it at index 0"},
	} {
		_, _, err := read(t, strings.Join(tc.lines, "\n"), ReadOptions{})
		var le *LineError
		if !errors.As(err, &le) || le.Line != tc.bad || le.Field != "hash_ids" || !errors.Is(err, ErrBrokenChain) || !le.Skippable() || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	// With SkipBad the contradicting line goes, the first one keeps its ids,
	// and the ids the dropped line introduced before the contradiction are
	// forgotten: line 3 may use 8 and 9 as first blocks.
	text := strings.Join([]string{line(0, 5, 6), line(1, 8, 9, 6), line(2, 9, 8), line(3, 5, 6, 10)}, "\n")
	w, rep, err := read(t, text, ReadOptions{SkipBad: true})
	if err != nil || len(w.Requests) != 3 || rep.Skipped != 1 || rep.BrokenChain != 1 || rep.Problems[0].Line != 2 || len(w.Notes) != 1 {
		t.Errorf("skip: %v, %d requests, %+v", err, len(w.Requests), rep)
	}
	// Out of order lines check the chain all the same.
	if _, _, err := read(t, line(9, 1, 2)+"\n"+line(3, 2), ReadOptions{}); !errors.Is(err, ErrBrokenChain) {
		t.Errorf("out of order: %v", err)
	}
}

// Directories and devices are refused before any read.
func TestLoadMooncakeRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ path, msg string }{
		{dir, "is a directory: give a Mooncake JSON Lines file"},
		{"/dev/zero", "is a character device"},
		{"/dev/null", "is a character device"},
	} {
		if _, err := os.Stat(tc.path); err != nil {
			continue // no such device here
		}
		_, _, err := LoadMooncake(tc.path, ReadOptions{SkipBad: true})
		if err == nil || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "workload: trace ") {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
}

func TestReadMooncakeEmptyAndMissing(t *testing.T) {
	if _, _, err := read(t, "\n\n", ReadOptions{}); err == nil || !strings.Contains(err.Error(), "no requests") {
		t.Errorf("empty trace: %v", err)
	}
	if _, _, err := read(t, "{}\nnot json\n", ReadOptions{SkipBad: true}); err == nil || !strings.Contains(err.Error(), "2 malformed lines skipped") {
		t.Errorf("all lines bad: %v", err)
	}
	_, _, err := LoadMooncake(filepath.Join(t.TempDir(), "nope.jsonl"), ReadOptions{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.jsonl") {
		t.Errorf("missing file: %v", err)
	}
}

// TestMooncakeTracesMatchThePaper checks the published traces against the
// Mooncake paper's Table 2 averages (rounded there to whole tokens, so the
// tolerance is half a token).
func TestMooncakeTracesMatchThePaper(t *testing.T) {
	for _, tc := range []struct {
		file          string
		requests      int
		input, output float64
	}{
		{workloadtest.Conversation, 12031, 12035, 343},
		{workloadtest.Synthetic, 3993, 15325, 149},
	} {
		t.Run(tc.file, func(t *testing.T) {
			w, rep, err := LoadMooncake(workloadtest.Path(t, tc.file), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := w.Stats()
			t.Logf("%s: %d requests, avg input %.2f, avg output %.2f (paper %g, %g), %d lines out of order",
				tc.file, s.Requests, s.AvgInputTokens, s.AvgOutputTokens, tc.input, tc.output, rep.Reordered)
			if s.Requests != tc.requests || math.Abs(s.AvgInputTokens-tc.input) > 0.5 || math.Abs(s.AvgOutputTokens-tc.output) > 0.5 {
				t.Errorf("%d requests, avg input %.2f, avg output %.2f; paper: %d, %g, %g", s.Requests, s.AvgInputTokens, s.AvgOutputTokens, tc.requests, tc.input, tc.output)
			}
		})
	}
}

// FuzzReadMooncake: the reader never panics, and whatever it accepts obeys
// the request invariants.
func FuzzReadMooncake(f *testing.F) {
	f.Add([]byte(good + "\n"))
	f.Add([]byte(`{"timestamp": 9, "input_length": 1, "output_length": 0, "hash_ids": [0]}` + "\r\n\n" + good))
	f.Add([]byte(`{"timestamp": 1e308, "input_length": 513, "output_length": 1, "hash_ids": [1, 1]}`))
	f.Add([]byte("{\"timestamp\": 0, \"input_length\": 1000, \"hash_ids\": [1, 2]}\n\x00\xff"))
	f.Add([]byte(`{"timestamp": 0, "input_length": 1000, "output_length": 5, "hash_ids": [5, 6]}` + "\n" + `{"timestamp": 1, "input_length": 1000, "output_length": 5, "hash_ids": [6, 5]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, skip := range []bool{false, true} {
			w, rep, err := ReadMooncake(bytes.NewReader(data), "fuzz", ReadOptions{SkipBad: skip, MaxLineBytes: 1 << 16})
			if err != nil {
				if w.Requests != nil {
					t.Fatalf("error %v with %d requests", err, len(w.Requests))
				}
				continue
			}
			if rep.Lines < len(w.Requests)+rep.Blank+rep.Skipped {
				t.Fatalf("report %+v for %d requests", rep, len(w.Requests))
			}
			type place struct {
				index  int
				parent int64
			}
			chain := map[uint64]place{}
			for i, r := range w.Requests {
				if r.InputTokens < 1 || r.OutputTokens < 0 || len(r.Blocks) != BlocksFor(r.InputTokens, 512) || r.ArrivalSeconds < 0 {
					t.Fatalf("request %d breaks the invariants: %+v", i, r)
				}
				parent := int64(-1)
				for j, h := range r.Blocks {
					if p, ok := chain[uint64(h)]; ok && p != (place{j, parent}) {
						t.Fatalf("request %d: id %d at index %d after %d, elsewhere at %+v", i, h, j, parent, p)
					}
					chain[uint64(h)] = place{j, parent}
					parent = int64(h)
				}
				if i > 0 && r.ArrivalSeconds < w.Requests[i-1].ArrivalSeconds {
					t.Fatalf("request %d arrives before request %d", i, i-1)
				}
			}
		}
	})
}
