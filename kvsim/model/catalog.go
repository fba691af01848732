package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Catalog is an ordered set of model specs looked up by name. Names match
// loosely: case, spaces, dashes and underscores are ignored, so "GPT-3 175B"
// finds gpt3-175b. A Catalog is not safe for concurrent mutation.
type Catalog struct {
	specs []Spec
	index map[string]int // lookup key -> position in specs
}

// NewCatalog returns a catalog holding the presets.
func NewCatalog() *Catalog {
	c := &Catalog{index: map[string]int{}}
	for _, s := range Presets() {
		if err := c.Add(s); err != nil {
			panic("model: invalid preset: " + err.Error()) // a programming error, caught by tests
		}
	}
	return c
}

// LoadCatalog returns a catalog of the presets plus the models of file
// (LoadFile), if file is not "".
func LoadCatalog(file string) (*Catalog, error) {
	c := NewCatalog()
	if file != "" {
		if err := c.LoadFile(file); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Specs returns every model in catalog order.
func (c *Catalog) Specs() []Spec { return append([]Spec(nil), c.specs...) }

// Names returns every model name in catalog order.
func (c *Catalog) Names() []string {
	names := make([]string, len(c.specs))
	for i, s := range c.specs {
		names[i] = s.Name
	}
	return names
}

// Add validates a spec (filling file defaults) and adds it. A name already
// in the catalog is refused: names match loosely (see Catalog), so a model
// can never replace another by accident.
func (c *Catalog) Add(s Spec) error {
	if err := s.Normalize(); err != nil {
		return err
	}
	key := lookupKey(s.Name)
	if i, ok := c.index[key]; ok {
		return fmt.Errorf("model: %q has the name of the catalog model %s (names match ignoring case, spaces, dashes and underscores); rename it", s.Name, c.specs[i].Name)
	}
	c.index[key] = len(c.specs)
	c.specs = append(c.specs, s)
	return nil
}

// Lookup finds a model by name. An unknown name gets an error that lists
// the closest names.
func (c *Catalog) Lookup(name string) (Spec, error) {
	if i, ok := c.index[lookupKey(name)]; ok {
		return c.specs[i], nil
	}
	near := c.Closest(name, 5)
	msg := fmt.Sprintf("model: unknown model %q", name)
	if len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, ", ") + "?"
	}
	return Spec{}, errors.New(msg + " (kvsim models lists them all)")
}

// Closest returns up to n catalog names nearest to name by edit distance,
// names containing it first.
func (c *Catalog) Closest(name string, n int) []string {
	key := lookupKey(name)
	type cand struct {
		name string
		dist int
	}
	var cands []cand
	for _, s := range c.specs {
		k := lookupKey(s.Name)
		d := editDistance(key, k)
		if key != "" && (strings.Contains(k, key) || strings.Contains(key, k)) {
			d = 0
		}
		if d <= max(3, len(key)/2) {
			cands = append(cands, cand{s.Name, d})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	var out []string
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// LoadFile adds the models of a file: a kvsim spec object, a Hugging Face
// config.json (detected by its "architectures" field), or an array of
// either. A folder holding config.json (a Hugging Face model folder) reads
// that. Every model of the file is added or none is: a file with a second
// JSON value or trailing text, a spec with an unknown field, two models of
// one name, or a name the catalog already has is refused. Special files
// (devices, pipes) and files beyond 16 MiB are refused before reading.
func (c *Catalog) LoadFile(path string) error {
	data, file, err := readModelFile(path)
	if err != nil {
		return err
	}
	specs, err := parseSpecs(data, hfDefaultName(file), file)
	if err != nil {
		return fmt.Errorf("model: %s: %w", file, err)
	}
	staged := &Catalog{index: map[string]int{}}
	for _, s := range specs {
		key := lookupKey(s.Name)
		if i, ok := c.index[key]; ok {
			return fmt.Errorf("model: %s: model %q has the name of the catalog model %s; rename it (the \"name\" field, or \"_name_or_path\" of a Hugging Face config)", file, s.Name, c.specs[i].Name)
		}
		if i, ok := staged.index[key]; ok {
			return fmt.Errorf("model: %s: two models are named %q and %q (names match ignoring case, spaces, dashes and underscores); rename one", file, staged.specs[i].Name, s.Name)
		}
		staged.index[key] = len(staged.specs)
		staged.specs = append(staged.specs, s)
	}
	for _, s := range staged.specs {
		if err := c.Add(s); err != nil {
			return fmt.Errorf("model: %s: %w", file, err)
		}
	}
	return nil
}

// MaxModelFileBytes bounds a model file; a spec or a config.json is a few
// kilobytes.
const MaxModelFileBytes = 16 << 20

// readModelFile reads a model file, or the config.json of a folder, after
// checking that it is a regular file of sensible size. It returns the
// data and the path it read.
func readModelFile(path string) ([]byte, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, path, fmt.Errorf("model: reading model file: %w", err)
	}
	if info.IsDir() {
		cfg := filepath.Join(path, "config.json")
		if ci, err := os.Stat(cfg); err != nil || ci.IsDir() {
			return nil, path, fmt.Errorf("model: %s is a folder without config.json; give a model JSON file, or a Hugging Face model folder", path)
		}
		path = cfg
		if info, err = os.Stat(path); err != nil {
			return nil, path, fmt.Errorf("model: reading model file: %w", err)
		}
	}
	if !info.Mode().IsRegular() {
		return nil, path, fmt.Errorf("model: %s is not a regular file but a device, pipe or socket; give a model JSON file", path)
	}
	if info.Size() > MaxModelFileBytes {
		return nil, path, fmt.Errorf("model: %s has %d bytes, beyond the %d a model file may have; a spec or a config.json is a few kilobytes", path, info.Size(), MaxModelFileBytes)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, fmt.Errorf("model: reading model file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxModelFileBytes+1))
	if err != nil {
		return nil, path, fmt.Errorf("model: reading model file %s: %w", path, err)
	}
	if len(data) > MaxModelFileBytes {
		return nil, path, fmt.Errorf("model: %s grew beyond the %d bytes a model file may have while being read", path, MaxModelFileBytes)
	}
	return data, path, nil
}

// hfDefaultName names a Hugging Face config that has no "_name_or_path":
// after its folder for a config.json ("org/name" for a Hugging Face cache
// folder models--org--name/snapshots/HASH), else after the file.
func hfDefaultName(file string) string {
	base := filepath.Base(file)
	if base != "config.json" {
		return strings.TrimSuffix(base, filepath.Ext(base))
	}
	dir := filepath.Dir(file)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if b := filepath.Base(d); strings.HasPrefix(b, "models--") {
			if org, name, ok := strings.Cut(strings.TrimPrefix(b, "models--"), "--"); ok {
				return org + "/" + name
			}
		}
	}
	return filepath.Base(dir)
}

// ParseSpecs decodes and validates one model or an array of them: kvsim
// spec objects, decoded strictly, or Hugging Face configs. A Hugging Face
// config without "_name_or_path" needs LoadFile, which names it after its
// folder.
func ParseSpecs(data []byte) ([]Spec, error) { return parseSpecs(data, "", "") }

func parseSpecs(data []byte, name, origin string) ([]Spec, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty model file: want a JSON object or an array of objects")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var top json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return nil, jsonError(trimmed, err)
	}
	if rest := bytes.TrimSpace(trimmed[dec.InputOffset():]); len(rest) > 0 {
		at := int(dec.InputOffset()) + bytes.Index(trimmed[dec.InputOffset():], rest[:1])
		line, col := lineCol(trimmed, at)
		if rest[0] == '{' || rest[0] == '[' {
			return nil, fmt.Errorf("a second JSON value starts at line %d, column %d: a model file holds one model object or one array of models; put every model in one array", line, col)
		}
		return nil, fmt.Errorf("unexpected text after the JSON value at line %d, column %d: %q", line, col, truncate(rest, 20))
	}
	var items []json.RawMessage
	if top[0] == '[' {
		if err := json.Unmarshal(top, &items); err != nil {
			return nil, jsonError(top, err)
		}
		if len(items) == 0 {
			return nil, errors.New("the model array is empty")
		}
		name = "" // a folder names one model, not each of an array
	} else {
		items = []json.RawMessage{top}
	}
	specs := make([]Spec, 0, len(items))
	for i, item := range items {
		s, err := parseSpec(item, name, origin)
		if err == nil {
			err = s.Normalize()
		}
		if err != nil {
			if len(items) > 1 {
				return nil, fmt.Errorf("model %d of %d: %w", i+1, len(items), err)
			}
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// parseSpec decodes one object: a Hugging Face config or a kvsim spec.
func parseSpec(item json.RawMessage, name, origin string) (Spec, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(item, &obj); err != nil || obj == nil {
		return Spec{}, fmt.Errorf("want a JSON object describing a model, got %s", truncate(item, 20))
	}
	if isHFConfig(obj) {
		return parseHFConfig(obj, name, origin)
	}
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("invalid model JSON: %w", err)
	}
	return s, nil
}

// jsonError adds the line and column to a JSON syntax error.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(data, int(syn.Offset))
		return fmt.Errorf("invalid model JSON at line %d, column %d: %w", line, col, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid model JSON: the file ends inside a value")
	}
	return fmt.Errorf("invalid model JSON: %w", err)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	return line, off - bytes.LastIndexByte(data[:off], '\n')
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// lookupKey folds a name for matching: lower case, letters, digits and dots.
func lookupKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
