package study

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"kvcache/kvsim/atomicfile"
)

// stored is what a data file holds: the picks and sizes a result was
// computed with, when, how long it took, and the result.
type stored struct {
	Settings Picks           `json:"settings"`
	Sizes    Sizes           `json:"sizes"`
	Computed time.Time       `json:"computed"`
	Seconds  float64         `json:"seconds"`
	Data     json.RawMessage `json:"data"`
}

// ErrNotRun says a study's result is missing, or was computed with other
// picks or sizes: its section must run first.
var ErrNotRun = errors.New("not computed yet")

// DataPath is where a lab keeps the result of the named study.
func (l *Lab) DataPath(study string) string { return filepath.Join(l.Dir, "data", study+".json") }

// Save writes r to DataPath(r.Study()) with the lab's picks and sizes,
// whole or not at all (atomicfile), under the folder's lock (Lock): a
// Save while another process writes the folder fails and says who.
func (l *Lab) Save(r Result) error {
	name := r.Study()
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("study: encoding %s: %w", name, err)
	}
	o := r.Origin()
	b, err := json.MarshalIndent(stored{Settings: l.Picks, Sizes: l.Sizes.withDefaults(), Computed: o.Computed, Seconds: o.Took, Data: data}, "", " ")
	if err != nil {
		return fmt.Errorf("study: encoding %s: %w", name, err)
	}
	unlock, err := l.Lock("a kvcache lab saving " + name)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.MkdirAll(filepath.Dir(l.DataPath(name)), 0o755); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	if err := atomicfile.Write(l.DataPath(name), b); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	return nil
}

// Lock takes the lab folder's lock for what (a few words: "kvsim report")
// until unlock is called, and removes the temporary files a killed writer
// left. While the lab holds it, its own Saves write freely; another process
// that tries to write the folder is refused, naming what holds it. A lab
// that holds the lock already gets a no-op unlock.
func (l *Lab) Lock(what string) (unlock func(), err error) {
	if l.lock != nil {
		return func() {}, nil
	}
	if err := atomicfile.CheckDir(l.Dir); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	lk, err := atomicfile.LockDir(l.Dir, what)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	atomicfile.RemoveStale(l.Dir)
	atomicfile.RemoveStale(filepath.Join(l.Dir, "data"))
	l.lock = lk
	return func() { lk.Unlock(); l.lock = nil }, nil
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
	if want := l.Sizes.withDefaults(); !st.Sizes.withDefaults().equal(want) {
		return stored{}, fmt.Errorf("study: %s was computed with other sizes (%+v, not %+v); run its section again: %w", name, st.Sizes, want, ErrNotRun)
	}
	if err := json.Unmarshal(st.Data, r); err != nil {
		return stored{}, fmt.Errorf("study: %s: %w", l.DataPath(name), err)
	}
	return st, nil
}
