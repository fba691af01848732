package study

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// stored is what a data file holds: the picks a result was computed with,
// when, how long it took, and the result.
type stored struct {
	Settings Picks           `json:"settings"`
	Computed time.Time       `json:"computed"`
	Seconds  float64         `json:"seconds"`
	Data     json.RawMessage `json:"data"`
}

// ErrNotRun says a study's result is missing: its section must run first.
var ErrNotRun = errors.New("not computed yet")

// DataPath is where a lab keeps the result of the named study.
func (l *Lab) DataPath(study string) string { return filepath.Join(l.Dir, "data", study+".json") }

// Save writes r to DataPath(r.Study()) with the lab's picks.
func (l *Lab) Save(r Result) error {
	name := r.Study()
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("study: encoding %s: %w", name, err)
	}
	o := r.Origin()
	b, err := json.MarshalIndent(stored{Settings: l.Picks, Computed: o.Computed, Seconds: o.Took, Data: data}, "", " ")
	if err != nil {
		return fmt.Errorf("study: encoding %s: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(l.DataPath(name)), 0o755); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	if err := os.WriteFile(l.DataPath(name), b, 0o644); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	return nil
}

// Load reads the result of study R that an earlier cell saved. It fails
// with ErrNotRun when the file is missing, and when it was computed with
// other picks (its section must run again).
func Load[R Result](l *Lab) (R, error) {
	var r R
	_, err := load(l, &r)
	return r, err
}

func load[R Result](l *Lab, r *R) (stored, error) {
	name := (*r).Study()
	b, err := os.ReadFile(l.DataPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return stored{}, fmt.Errorf("study: %s: %w (run its section first)", name, ErrNotRun)
	}
	if err != nil {
		return stored{}, fmt.Errorf("study: %w", err)
	}
	var st stored
	if err := json.Unmarshal(b, &st); err != nil {
		return stored{}, fmt.Errorf("study: %s: %w", l.DataPath(name), err)
	}
	if st.Settings != l.Picks {
		return stored{}, fmt.Errorf("study: %s was computed with other picks (%+v); run its section again: %w", name, st.Settings, ErrNotRun)
	}
	if err := json.Unmarshal(st.Data, r); err != nil {
		return stored{}, fmt.Errorf("study: %s: %w", l.DataPath(name), err)
	}
	return st, nil
}
