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
	Lines       int          // lines read, blank ones included
	Blank       int          // empty or whitespace-only lines, ignored
	Skipped     int          // malformed lines dropped (SkipBad)
	Problems    []*LineError // the first maxProblems malformed lines
	Reordered   int          // lines whose timestamp is below the previous line's
	BrokenChain int          // of Skipped, lines whose hash ids contradict earlier lines' prefix chains
}

const maxProblems = 10

// LineError is a malformed trace line.
type LineError struct {
	Line  int    // 1-based
	Field string // the JSON field at fault, "" for the line as a whole
	Msg   string
	Err   error // ErrLineTooLong or ErrBrokenChain, nil for other problems
}

// ErrLineTooLong marks a line longer than ReadOptions.MaxLineBytes. It ends
// the read even with SkipBad: where such a line ends cannot be known
// without reading on without bound (a file with no newline, /dev/zero).
var ErrLineTooLong = errors.New("line too long")

// ErrBrokenChain marks a line whose hash ids contradict the prefix chain
// that earlier lines set up (see ReadMooncake).
var ErrBrokenChain = errors.New("broken prefix chain")

func (e *LineError) Unwrap() error { return e.Err }

// Skippable reports whether ReadOptions.SkipBad would drop the line and read
// on (every malformed line but one too long).
func (e *LineError) Skippable() bool { return !errors.Is(e.Err, ErrLineTooLong) }

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

// LoadMooncake reads a Mooncake trace file (see ReadMooncake). It refuses
// directories and devices before reading; a named pipe is read as a stream
// (kvsim replay --trace <(zcat trace.jsonl.gz)).
func LoadMooncake(path string, opts ReadOptions) (Workload, ReadReport, error) {
	if err := CheckTracePath(path); err != nil {
		return Workload{}, ReadReport{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Workload{}, ReadReport{}, fmt.Errorf("workload: open trace: %w", err)
	}
	defer f.Close()
	return ReadMooncake(f, filepath.Base(path), opts)
}

// CheckTracePath says, without reading it, whether path can be a trace:
// it exists and is a regular file or a named pipe.
func CheckTracePath(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("workload: open trace: %w", err)
	}
	if kind := specialKind(info.Mode()); kind != "" {
		return fmt.Errorf("workload: trace %s is %s: give a Mooncake JSON Lines file (one request per line)", path, kind)
	}
	return nil
}

// specialKind names what a trace path is when it is neither a regular file
// nor a named pipe, "" otherwise.
func specialKind(m os.FileMode) string {
	switch {
	case m.IsRegular(), m&os.ModeNamedPipe != 0:
		return ""
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
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
//     stably sorted by arrival, and ReadReport.Reordered counts them;
//   - the prefix chain holds: a hash id names its block and every block
//     before it, so each id has one index in every prompt and one id before
//     it (none at index 0). An id met at another index, or after another
//     id, than where an earlier line put it breaks the chain ([5, 6] then
//     [6, 5] would otherwise give 50% hits): the line is malformed
//     (ErrBrokenChain) and names the line that set the id up.
//
// With SkipBad, malformed lines are dropped and counted instead (broken
// chains also in ReadReport.BrokenChain; the earliest line keeps the id);
// it still fails when no request is left. Lines up to MaxLineBytes are
// read; a longer one is an error even with SkipBad (ErrLineTooLong), since
// finding its end could mean reading without bound.
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
	chains := chainIndex{}
	for {
		line, err := readLine(br, &buf, maxLine)
		if err == io.EOF {
			break
		}
		rep.Lines++
		if errors.Is(err, ErrLineTooLong) {
			return Workload{}, rep, &LineError{Line: rep.Lines, Err: ErrLineTooLong,
				Msg: fmt.Sprintf("longer than %s, the limit for one line: is this a Mooncake JSON Lines trace, one request per line?", byteCount(maxLine))}
		}
		if err != nil {
			return Workload{}, rep, fmt.Errorf("workload: read trace line %d: %w", rep.Lines, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			rep.Blank++
			continue
		}
		req, le := parseMooncakeLine(line, rep.Lines)
		if le == nil {
			le = chains.add(req.Blocks, rep.Lines)
		}
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
	if errors.Is(le.Err, ErrBrokenChain) {
		rep.BrokenChain++
	}
	if len(rep.Problems) < maxProblems {
		rep.Problems = append(rep.Problems, le)
	}
}

// readLine returns the next line without its newline (and a trailing CR),
// reusing buf, or io.EOF at the end. It stops reading a line as soon as it
// passes max bytes and returns ErrLineTooLong.
func readLine(br *bufio.Reader, buf *[]byte, max int) ([]byte, error) {
	*buf = (*buf)[:0]
	for {
		chunk, err := br.ReadSlice('\n')
		*buf = append(*buf, chunk...)
		if len(*buf) > max+2 { // room for CR LF
			return nil, ErrLineTooLong
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
		case io.EOF:
			if len(*buf) == 0 {
				return nil, io.EOF
			}
		default:
			return nil, err
		}
		line := bytes.TrimSuffix(*buf, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > max {
			return nil, ErrLineTooLong
		}
		return line, nil
	}
}

// chainIndex records, for every hash id of the lines read so far, where the
// first of them put it.
type chainIndex map[cache.BlockHash]chainLink

// chainLink is a hash id's place in the prefix chain.
type chainLink struct {
	index  int             // position in the prompt
	parent cache.BlockHash // the id before it; noParent at index 0
	line   int             // the line that set it up
}

const noParent = ^cache.BlockHash(0) // hash ids are >= 0 as int64, so never this

// add checks a line's ids against the chain and records the new ones; on a
// contradiction it records nothing and returns the error.
func (c chainIndex) add(ids []cache.BlockHash, line int) *LineError {
	parent := noParent
	for i, id := range ids {
		l, seen := c[id]
		if !seen {
			c[id] = chainLink{index: i, parent: parent, line: line}
			parent = id
			continue
		}
		if l.index != i || l.parent != parent {
			for _, undo := range ids[:i] {
				if c[undo].line == line {
					delete(c, undo)
				}
			}
			return &LineError{Line: line, Field: "hash_ids", Err: ErrBrokenChain, Msg: brokenChain(id, i, parent, l)}
		}
		parent = id
	}
	return nil
}

func brokenChain(id cache.BlockHash, index int, parent cache.BlockHash, first chainLink) string {
	where := func(index int, parent cache.BlockHash) string {
		if parent == noParent {
			return fmt.Sprintf("index %d (first block)", index)
		}
		return fmt.Sprintf("index %d after id %d", index, parent)
	}
	return fmt.Sprintf("id %d at %s, but line %d has it at %s: a hash id names its block and every block before it, so it has one place in every prompt (the trace's prefix chain is broken)",
		id, where(index, parent), first.line, where(first.index, first.parent))
}

// lineShape is what a trace line must be, in the user's words.
const lineShape = `a JSON object {"timestamp": ms, "input_length": n, "output_length": m, "hash_ids": [...]}`

func parseMooncakeLine(line []byte, n int) (Request, *LineError) {
	if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '{' && json.Valid(t) {
		return Request{}, &LineError{Line: n, Msg: fmt.Sprintf("expected %s, found JSON %s", lineShape, jsonKind(t[0]))}
	}
	var m mooncakeLine
	if err := json.Unmarshal(line, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Request{}, &LineError{Line: n, Field: te.Field, Msg: fmt.Sprintf("expected %s, found JSON %s", fieldShape(te.Field), te.Value)}
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

// fieldShape is what a field must hold, in the user's words.
func fieldShape(field string) string {
	switch field {
	case "timestamp":
		return "a number (milliseconds)"
	case "input_length", "output_length":
		return "a whole number of tokens"
	case "hash_ids":
		return "an array of whole numbers (block hash ids)"
	}
	return lineShape
}

// jsonKind names a JSON value by its first byte.
func jsonKind(first byte) string {
	switch first {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// byteCount is n bytes, with MiB when whole.
func byteCount(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d bytes (%d MiB)", n, n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
