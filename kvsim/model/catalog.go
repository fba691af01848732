package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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

// Add validates a spec (filling file defaults) and adds it. A spec whose
// name matches an existing one replaces it.
func (c *Catalog) Add(s Spec) error {
	if err := s.Normalize(); err != nil {
		return err
	}
	key := lookupKey(s.Name)
	if i, ok := c.index[key]; ok {
		c.specs[i] = s
		return nil
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

// LoadFile adds the models of a JSON file: one spec object or an array of
// them. Unknown fields are refused, so a typo cannot pass silently.
func (c *Catalog) LoadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("model: reading model file: %w", err)
	}
	specs, err := ParseSpecs(data)
	if err != nil {
		return fmt.Errorf("model: %s: %w", path, err)
	}
	for _, s := range specs {
		if err := c.Add(s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// ParseSpecs decodes one spec object or an array of them, strictly.
func ParseSpecs(data []byte) ([]Spec, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty model file: want a JSON object or an array of objects")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	var specs []Spec
	var err error
	if trimmed[0] == '[' {
		err = dec.Decode(&specs)
	} else {
		var s Spec
		err = dec.Decode(&s)
		specs = []Spec{s}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid model JSON: %w", err)
	}
	if len(specs) == 0 {
		return nil, errors.New("the model array is empty")
	}
	return specs, nil
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
