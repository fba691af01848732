package workload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"kvcache/kvsim/cache"
)

// MooncakeBlockTokens is the block size of Mooncake trace hash_ids.
const MooncakeBlockTokens = 512

// DefaultMaxLineBytes bounds one trace line (64 MiB: some 4 billion prompt
// tokens of hash ids), so a file without newlines cannot exhaust memory.
const DefaultMaxLineBytes = 64 << 20

// maxInputTokens bounds input_length (2^31 tokens).
const maxInputTokens = 1 << 31

// ReadOptions controls ReadMooncake.
type ReadOptions struct {
	SkipBad      bool // drop malformed lines, counting them, instead of failing on the first
	MaxLineBytes int  // 0 means DefaultMaxLineBytes
}

// ReadReport says what the reader saw.
type ReadReport struct {
	Lines     int          // lines read, blank ones included
	Blank     int          // empty or whitespace-only lines, ignored
	Skipped   int          // malformed lines dropped (SkipBad)
	Problems  []*LineError // the first maxProblems malformed lines
	Reordered int          // lines whose timestamp is below the previous line's
}

const maxProblems = 10

// LineError is a malformed trace line.
type LineError struct {
	Line  int    // 1-based
	Field string // the JSON field at fault, "" for the line as a whole
	Msg   string
}

func (e *LineError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("workload: trace line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("workload: trace line %d: field %q: %s", e.Line, e.Field, e.Msg)
}

// mooncakeLine is one JSON object; pointers tell a missing field from zero.
type mooncakeLine struct {
	Timestamp    *float64 `json:"timestamp"`
	InputLength  *int64   `json:"input_length"`
	OutputLength *int64   `json:"output_length"`
	HashIDs      *[]int64 `json:"hash_ids"`
}

// LoadMooncake reads a Mooncake trace file (see ReadMooncake).
func LoadMooncake(path string, opts ReadOptions) (Workload, ReadReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return Workload{}, ReadReport{}, fmt.Errorf("workload: open trace: %w", err)
	}
	defer f.Close()
	return ReadMooncake(f, filepath.Base(path), opts)
}

// ReadMooncake reads a Mooncake FAST'25 trace: JSON Lines, one request per
// line, {"timestamp": ms, "input_length": n, "output_length": m,
// "hash_ids": [...]}, each hash id naming one 512-token prompt block together
// with all blocks before it.
//
// Rules, checked per line (the error names the line and the field):
//   - every field present; unknown fields ignored; blank lines skipped;
//   - timestamp >= 0 (milliseconds, fractions allowed); input_length >= 1;
//     output_length >= 0; hash ids >= 0;
//   - len(hash_ids) = ceil(input_length / 512), as in both published traces;
//     a mismatch is an error, since token counts per block would be unknown;
//   - timestamps may go backwards: such lines are accepted, the requests are
//     stably sorted by arrival, and ReadReport.Reordered counts them.
//
// With SkipBad, malformed lines are dropped and counted instead; it still
// fails when no request is left. Lines of any length up to MaxLineBytes are
// read.
func ReadMooncake(r io.Reader, name string, opts ReadOptions) (Workload, ReadReport, error) {
	maxLine := opts.MaxLineBytes
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	var rep ReadReport
	w := Workload{Name: name, BlockTokens: MooncakeBlockTokens}
	br := bufio.NewReaderSize(r, 1<<16)
	var buf []byte
	prevTS := -1.0
	for {
		line, err := readLine(br, &buf, maxLine)
		if err == io.EOF {
			break
		}
		rep.Lines++
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				le := &LineError{Line: rep.Lines, Msg: fmt.Sprintf("longer than %d bytes: is this a JSON Lines trace?", maxLine)}
				if !opts.SkipBad {
					return Workload{}, rep, le
				}
				rep.skip(le)
				continue
			}
			return Workload{}, rep, fmt.Errorf("workload: read trace line %d: %w", rep.Lines, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			rep.Blank++
			continue
		}
		req, le := parseMooncakeLine(line, rep.Lines)
		if le != nil {
			if !opts.SkipBad {
				return Workload{}, rep, le
			}
			rep.skip(le)
			continue
		}
		if req.ArrivalSeconds < prevTS {
			rep.Reordered++
		}
		prevTS = req.ArrivalSeconds
		w.Requests = append(w.Requests, req)
	}
	if len(w.Requests) == 0 {
		msg := "workload: trace %s holds no requests"
		if rep.Skipped > 0 {
			return Workload{}, rep, fmt.Errorf(msg+" (%d malformed lines skipped; first: %v)", name, rep.Skipped, rep.Problems[0])
		}
		return Workload{}, rep, fmt.Errorf(msg, name)
	}
	if rep.Reordered > 0 {
		sort.SliceStable(w.Requests, func(i, j int) bool { return w.Requests[i].ArrivalSeconds < w.Requests[j].ArrivalSeconds })
		w.Notes = append(w.Notes, fmt.Sprintf("%d lines had a timestamp earlier than the line before; requests were sorted by arrival", rep.Reordered))
	}
	if rep.Skipped > 0 {
		w.Notes = append(w.Notes, fmt.Sprintf("%d malformed lines skipped (first: %v)", rep.Skipped, rep.Problems[0]))
	}
	return w, rep, nil
}

func (rep *ReadReport) skip(le *LineError) {
	rep.Skipped++
	if len(rep.Problems) < maxProblems {
		rep.Problems = append(rep.Problems, le)
	}
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline (and a trailing CR),
// reusing buf, or io.EOF at the end. A line over max bytes is consumed and
// reported as errLineTooLong.
func readLine(br *bufio.Reader, buf *[]byte, max int) ([]byte, error) {
	*buf = (*buf)[:0]
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			*buf = append(*buf, chunk...)
			if len(*buf) > max+2 { // room for CR LF
				tooLong, *buf = true, (*buf)[:0]
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			if len(*buf) == 0 && !tooLong {
				return nil, io.EOF
			}
		default:
			return nil, err
		}
		if tooLong {
			return nil, errLineTooLong
		}
		line := bytes.TrimSuffix(*buf, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), nil
	}
}

func parseMooncakeLine(line []byte, n int) (Request, *LineError) {
	var m mooncakeLine
	if err := json.Unmarshal(line, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Request{}, &LineError{Line: n, Field: te.Field, Msg: fmt.Sprintf("expected %s, found JSON %s", te.Type, te.Value)}
		}
		return Request{}, &LineError{Line: n, Msg: "invalid JSON: " + err.Error()}
	}
	switch {
	case m.Timestamp == nil:
		return Request{}, &LineError{Line: n, Field: "timestamp", Msg: "missing"}
	case m.InputLength == nil:
		return Request{}, &LineError{Line: n, Field: "input_length", Msg: "missing"}
	case m.OutputLength == nil:
		return Request{}, &LineError{Line: n, Field: "output_length", Msg: "missing"}
	case m.HashIDs == nil:
		return Request{}, &LineError{Line: n, Field: "hash_ids", Msg: "missing"}
	case *m.Timestamp < 0:
		return Request{}, &LineError{Line: n, Field: "timestamp", Msg: fmt.Sprintf("%g ms is negative", *m.Timestamp)}
	case *m.InputLength < 1 || *m.InputLength > maxInputTokens:
		return Request{}, &LineError{Line: n, Field: "input_length", Msg: fmt.Sprintf("%d tokens: must be in 1..%d", *m.InputLength, int64(maxInputTokens))}
	case *m.OutputLength < 0 || *m.OutputLength > maxInputTokens:
		return Request{}, &LineError{Line: n, Field: "output_length", Msg: fmt.Sprintf("%d tokens: must be in 0..%d", *m.OutputLength, int64(maxInputTokens))}
	}
	in, out, ids := int(*m.InputLength), int(*m.OutputLength), *m.HashIDs
	if want := BlocksFor(in, MooncakeBlockTokens); len(ids) != want {
		return Request{}, &LineError{Line: n, Field: "hash_ids", Msg: fmt.Sprintf("%d ids, but input_length %d needs ceil(%d/%d) = %d", len(ids), in, in, MooncakeBlockTokens, want)}
	}
	blocks := make([]cache.BlockHash, len(ids))
	for i, id := range ids {
		if id < 0 {
			return Request{}, &LineError{Line: n, Field: "hash_ids", Msg: fmt.Sprintf("id %d at index %d is negative", id, i)}
		}
		blocks[i] = cache.BlockHash(id)
	}
	return Request{ArrivalSeconds: *m.Timestamp / 1000, InputTokens: in, OutputTokens: out, Blocks: blocks}, nil
}
