package decoder

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON {name: {"dtype", "shape", "data_offsets": [begin, end]}} (plus an
// optional "__metadata__"), then the tensor bytes, offsets counted from the
// end of the header. A sharded checkpoint adds model.safetensors.index.json,
// {"metadata": {...}, "weight_map": {tensor name: shard file name}}, with
// the shards beside it.

type stEntry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

type stFile struct {
	f       *os.File
	path    string
	base    int64 // file offset of the data section
	entries map[string]stEntry
}

// Limits on what the reader accepts before it allocates.
const (
	maxHeaderBytes = 100 << 20 // one file's JSON header
	maxIndexBytes  = 64 << 20  // model.safetensors.index.json
	maxShards      = 4096
	maxTensorDim   = 1 << 40
)

// Names of a Hugging Face checkpoint's files.
const (
	singleFile = "model.safetensors"
	indexFile  = "model.safetensors.index.json"
)

func openSafetensors(path string) (*stFile, error) {
	if err := checkRegular(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decoder: weights file: %w", err)
	}
	st, err := readSafetensorsHeader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return st, nil
}

// checkRegular refuses what is not a regular file before it is opened: a
// device never ends, a pipe may block the open itself.
func checkRegular(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("decoder: weights file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("decoder: weights %s is not a regular file but a device, pipe or socket; give a .safetensors file, its index or its folder", path)
	}
	return nil
}

func readSafetensorsHeader(f *os.File, path string) (*stFile, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("decoder: %s is not a valid safetensors file: %s", path, fmt.Sprintf(format, args...))
	}
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("decoder: weights file: %w", err)
	}
	size := info.Size()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, bad("shorter than the 8-byte header length")
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n == 0 || n > maxHeaderBytes || int64(n) > size-8 {
		return nil, bad("header length %d does not fit a file of %d bytes", n, size)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, bad("reading the header: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, bad("header is not a JSON object: %v", err)
	}
	st := &stFile{f: f, path: path, base: 8 + int64(n), entries: map[string]stEntry{}}
	dataLen := size - st.base
	for name, msg := range raw {
		if name == "__metadata__" {
			continue
		}
		var e stEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, bad("tensor %q: %v", name, err)
		}
		width := dtypeBytes(e.DType)
		if width == 0 {
			return nil, fmt.Errorf("decoder: %s: tensor %q has dtype %q; the decoder reads F32, F16 and BF16", path, name, e.DType)
		}
		count := int64(1)
		for _, d := range e.Shape {
			if d < 0 || d > maxTensorDim {
				return nil, bad("tensor %q has a dimension out of range in shape %v", name, e.Shape)
			}
			if d > 0 && count > dataLen/int64(d) { // more values than the file could hold; no overflow either
				return nil, bad("tensor %q of shape %v does not fit a data section of %d bytes", name, e.Shape, dataLen)
			}
			count *= int64(d)
		}
		b, end := e.Offsets[0], e.Offsets[1]
		if b < 0 || end < b || end > dataLen || end-b != count*int64(width) {
			return nil, bad("tensor %q: offsets [%d, %d] do not hold %v %s values in a data section of %d bytes", name, b, end, e.Shape, e.DType, dataLen)
		}
		st.entries[name] = e
	}
	return st, nil
}

func dtypeBytes(dtype string) int {
	switch dtype {
	case "F32":
		return 4
	case "F16", "BF16":
		return 2
	}
	return 0
}

// read decodes tensor name into dst (len = numel), converting F16 and BF16
// to float32 and transposing a 2-D tensor when transpose is set (GPT-2's
// Conv1D stores (in, out)). A NaN or infinite value is refused with the
// tensor's name: it would turn every logit into NaN.
func (st *stFile) read(name string, dst []float32, transpose bool) error {
	e := st.entries[name]
	width := dtypeBytes(e.DType)
	buf := make([]byte, e.Offsets[1]-e.Offsets[0])
	if len(buf) != len(dst)*width {
		return fmt.Errorf("decoder: %s: tensor %q holds %d bytes, not the %d values it is read into", st.path, name, len(buf), len(dst))
	}
	if _, err := st.f.ReadAt(buf, st.base+e.Offsets[0]); err != nil {
		return fmt.Errorf("decoder: %s: reading tensor %q: %w", st.path, name, err)
	}
	rows, cols := 1, len(dst)
	if transpose {
		rows, cols = e.Shape[0], e.Shape[1]
	}
	for i := range dst {
		var v float32
		b := buf[i*width:]
		switch e.DType {
		case "F32":
			v = math.Float32frombits(binary.LittleEndian.Uint32(b))
		case "BF16":
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16)
		case "F16":
			v = halfToFloat(binary.LittleEndian.Uint16(b))
		}
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("decoder: %s: tensor %q holds %v at element %d; the weights are corrupt (or were saved after training diverged), refusing them", st.path, name, v, i)
		}
		if transpose { // file (rows, cols) → dst (cols, rows)
			r, c := i/cols, i%cols
			dst[c*rows+r] = v
		} else {
			dst[i] = v
		}
	}
	return nil
}

// halfToFloat converts an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac · 2^-24
		v := float32(frac) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// checkpoint is every tensor of a checkpoint, one file or many shards.
type checkpoint struct {
	path    string // what the user named
	files   []*stFile
	tensors map[string]*stFile // tensor name → the file holding it
}

// openCheckpoint opens the weights at path: a .safetensors file; a
// model.safetensors.index.json with its shards; or a folder holding the
// index (preferred), model.safetensors, or a single .safetensors file.
func openCheckpoint(path string) (*checkpoint, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("decoder: weights file: %w", err)
	}
	if info.IsDir() {
		if path, err = checkpointInFolder(path); err != nil {
			return nil, err
		}
	}
	if strings.HasSuffix(path, ".json") {
		return openIndex(path)
	}
	st, err := openSafetensors(path)
	if err != nil {
		return nil, err
	}
	ck := &checkpoint{path: path, files: []*stFile{st}, tensors: map[string]*stFile{}}
	for name := range st.entries {
		ck.tensors[name] = st
	}
	return ck, nil
}

// checkpointInFolder picks the file a folder's checkpoint starts from.
func checkpointInFolder(dir string) (string, error) {
	for _, name := range []string{indexFile, singleFile} {
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	found, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if len(found) == 1 {
		return found[0], nil
	}
	what := "no .safetensors file"
	if len(found) > 1 {
		what = fmt.Sprintf("%d .safetensors files but no %s to say how they fit together", len(found), indexFile)
	}
	return "", fmt.Errorf("decoder: weights folder %s holds %s; give a folder with %s or %s, or the file itself", dir, what, singleFile, indexFile)
}

// openIndex opens a sharded checkpoint: the index maps every tensor to a
// shard in the same folder, and each shard must hold what it is given.
func openIndex(path string) (*checkpoint, error) {
	if err := checkRegular(path); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("decoder: %s is not a valid safetensors index: %s", path, fmt.Sprintf(format, args...))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("decoder: weights index: %w", err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxIndexBytes+1))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("decoder: weights index: %w", err)
	}
	if len(data) > maxIndexBytes {
		return nil, bad("larger than %d bytes", maxIndexBytes)
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, bad("%v", err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, bad(`no "weight_map" naming the shard of each tensor`)
	}
	ck := &checkpoint{path: path, tensors: map[string]*stFile{}}
	shards := map[string]*stFile{}
	dir := filepath.Dir(path)
	names := make([]string, 0, len(idx.WeightMap))
	for name := range idx.WeightMap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shard := idx.WeightMap[name]
		st, ok := shards[shard]
		if !ok {
			if shard == "" || shard != filepath.Base(shard) || shard == "." || shard == ".." || strings.ContainsAny(shard, `/\`) {
				ck.close()
				return nil, bad("tensor %q maps to %q; shards must be files beside the index", name, shard)
			}
			if len(shards) == maxShards {
				ck.close()
				return nil, bad("more than %d shards", maxShards)
			}
			if st, err = openSafetensors(filepath.Join(dir, shard)); err != nil {
				ck.close()
				return nil, fmt.Errorf("decoder: %s: shard %s: %w", path, shard, err)
			}
			shards[shard] = st
			ck.files = append(ck.files, st)
		}
		if _, ok := st.entries[name]; !ok {
			ck.close()
			return nil, bad("it maps tensor %q to %s, which does not hold it", name, shard)
		}
		ck.tensors[name] = st
	}
	return ck, nil
}

func (ck *checkpoint) close() {
	for _, st := range ck.files {
		st.f.Close()
	}
}

func (ck *checkpoint) has(name string) bool { _, ok := ck.tensors[name]; return ok }

func (ck *checkpoint) shape(name string) []int { return ck.tensors[name].entries[name].Shape }

func (ck *checkpoint) read(name string, dst []float32, transpose bool) error {
	return ck.tensors[name].read(name, dst, transpose)
}

// names lists the checkpoint's tensors, sorted.
func (ck *checkpoint) names() []string {
	names := make([]string, 0, len(ck.tensors))
	for k := range ck.tensors {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// sample renders up to n names for a message, with how many more there are.
func sample(names []string, n int) string {
	if len(names) == 0 {
		return "no tensors"
	}
	if len(names) > n {
		return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
	}
	return strings.Join(names, ", ")
}
