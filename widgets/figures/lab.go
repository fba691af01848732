package figures

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
	"kvcache/kvsim/report"
	"kvcache/kvsim/workload"
	"kvcache/widgets"
)

// Settings are the reader's picks: every section reads them.
type Settings struct {
	SmallModel   string `json:"small_model"`          // runs on this CPU (sections 2, 3, 6)
	BigModel     string `json:"big_model"`            // predicted on Hardware (sections 3, 8)
	ServingModel string `json:"serving_model"`        // its KV fills the prefix cache (section 5)
	Hardware     string `json:"hardware"`             // a cost preset (kvsim hardware)
	Workload     string `json:"workload"`             // a synthetic workload (kvsim/workload)
	Trace        string `json:"trace,omitempty"`      // a Mooncake JSONL trace instead of Workload
	ModelFile    string `json:"model_file,omitempty"` // extra model specs (JSON), as --model-file
	Seed         uint64 `json:"seed"`                 // weights, prompts and synthetic workloads
}

// DefaultSettings are the notebook's defaults.
func DefaultSettings() Settings {
	return Settings{SmallModel: "gpt-tiny", BigModel: "gpt3-175b", ServingModel: "llama3-70b",
		Hardware: "h100-sxm", Workload: "multi-turn", Seed: 1}
}

// Lab runs the studies behind the figures for one set of Settings and keeps
// each result as JSON under Dir/data, so that later notebook cells (each a
// separate process in GoNB) and the report read what earlier ones computed.
type Lab struct {
	Settings   Settings
	Catalog    *model.Catalog
	Small      model.Spec
	Big        model.Spec
	Serving    model.Spec
	Hardware   cost.Hardware
	Calibrator *cost.Calibrator // this-cpu, timed once with the decoder's own code, as kvsim predict does
	Dir        string           // the reports folder
	Log        io.Writer        // one line per study with its wall time (default: standard output, a cell's output); nil: silent
	Live       bool             // draw decoder runs as they go (default true; the CLI turns it off)
	Sizes      Sizes            // how big each study is (default DefaultSizes)
}

// Sizes set how much work each study does. Zero fields take DefaultSizes.
type Sizes struct {
	Prompt, New         int   // section 2: the measured generation
	LongPrompt, LongNew int   // section 6: the long generation
	CacheTokens         []int // section 6: the bounded cache's capacities, in tokens
	Capacities          int   // section 5: slider positions
	SeriesPoints        int   // section 5: points of each time series
	ContextPoints       int   // section 3: contexts per latency curve
}

// DefaultSizes run the notebook top to bottom in well under a minute on
// two cores: a 16-token prompt + 176 new tokens (section 2), 8 + 184 tokens
// with caches of 16 to 160 tokens (section 6), 40 capacities of 120 points
// (section 5), 24 contexts per curve (section 3).
func DefaultSizes() Sizes {
	return Sizes{Prompt: 16, New: 176, LongPrompt: 8, LongNew: 184, CacheTokens: []int{16, 32, 64, 96, 128, 160},
		Capacities: 40, SeriesPoints: 120, ContextPoints: 24}
}

func (s Sizes) withDefaults() Sizes {
	d := DefaultSizes()
	s.Prompt, s.New = defaultInt(s.Prompt, d.Prompt), defaultInt(s.New, d.New)
	s.LongPrompt, s.LongNew = defaultInt(s.LongPrompt, d.LongPrompt), defaultInt(s.LongNew, d.LongNew)
	if len(s.CacheTokens) == 0 {
		s.CacheTokens = d.CacheTokens
	}
	s.Capacities = defaultInt(s.Capacities, d.Capacities)
	s.SeriesPoints = defaultInt(s.SeriesPoints, d.SeriesPoints)
	s.ContextPoints = defaultInt(s.ContextPoints, d.ContextPoints)
	return s
}

// NewLab checks the settings (every name, the trace file) and returns a
// lab writing to dir ("" finds the repository's reports folder, see
// ReportsDir).
func NewLab(s Settings, dir string) (*Lab, error) {
	cat := model.NewCatalog()
	if s.ModelFile != "" {
		if err := cat.LoadFile(s.ModelFile); err != nil {
			return nil, fmt.Errorf("figures: %w", err)
		}
	}
	l := &Lab{Settings: s, Catalog: cat, Calibrator: cost.NewCalibrator(nil), Dir: dir, Log: os.Stdout, Live: true, Sizes: DefaultSizes()}
	var err error
	for _, m := range []struct {
		field, name string
		spec        *model.Spec
	}{{"small model", s.SmallModel, &l.Small}, {"big model", s.BigModel, &l.Big}, {"serving model", s.ServingModel, &l.Serving}} {
		if *m.spec, err = cat.Lookup(m.name); err != nil {
			return nil, fmt.Errorf("figures: %s: %w", m.field, err)
		}
	}
	if l.Hardware, err = cost.LookupHardware(s.Hardware, l.Calibrator); err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	if s.Trace != "" {
		if info, err := os.Stat(s.Trace); err != nil {
			return nil, fmt.Errorf("figures: trace: %w (give the path of a Mooncake JSONL trace, or leave it empty for the synthetic workload)", err)
		} else if info.IsDir() {
			return nil, fmt.Errorf("figures: trace %s is a folder; give the path of a Mooncake JSONL trace file", s.Trace)
		}
	} else if _, err := workload.Default(s.Workload); err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	if l.Dir == "" {
		if l.Dir, err = ReportsDir(); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// ReportsDir is the repository's reports folder: $KVCACHE_ROOT/reports, or
// $GONB_DIR/../reports in a notebook, or ./reports.
func ReportsDir() (string, error) {
	root := os.Getenv("KVCACHE_ROOT")
	if root == "" && os.Getenv("GONB_DIR") != "" {
		root = filepath.Join(os.Getenv("GONB_DIR"), "..")
	}
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("figures: finding the reports folder: %w", err)
		}
		root = wd
	}
	return filepath.Abs(filepath.Join(root, "reports"))
}

// logf writes one progress line.
func (l *Lab) logf(format string, args ...any) {
	if l.Log != nil {
		fmt.Fprintf(l.Log, format+"\n", args...)
	}
}

// stored is what a study file holds: the settings it was computed with, when, and the result.
type stored struct {
	Settings Settings        `json:"settings"`
	Computed time.Time       `json:"computed"`
	Seconds  float64         `json:"seconds"`
	Data     json.RawMessage `json:"data"`
}

func (l *Lab) dataPath(name string) string { return filepath.Join(l.Dir, "data", name+".json") }

// save writes a study's result to Dir/data/name.json.
func (l *Lab) save(name string, v any, seconds float64) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("figures: encoding %s: %w", name, err)
	}
	b, err := json.MarshalIndent(stored{Settings: l.Settings, Computed: time.Now().UTC().Truncate(time.Second), Seconds: seconds, Data: data}, "", " ")
	if err != nil {
		return fmt.Errorf("figures: encoding %s: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(l.dataPath(name)), 0o755); err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	if err := os.WriteFile(l.dataPath(name), b, 0o644); err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	return nil
}

// errNotRun says a section's result is missing.
var errNotRun = errors.New("not computed yet")

// load reads a study saved by an earlier cell. It fails when the file is
// missing or was computed with other settings (its section must run again).
func (l *Lab) load(name string, v any) (stored, error) {
	b, err := os.ReadFile(l.dataPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return stored{}, fmt.Errorf("figures: %s: %w (run its section first)", name, errNotRun)
	}
	if err != nil {
		return stored{}, fmt.Errorf("figures: %w", err)
	}
	var st stored
	if err := json.Unmarshal(b, &st); err != nil {
		return stored{}, fmt.Errorf("figures: %s: %w", l.dataPath(name), err)
	}
	if st.Settings != l.Settings {
		return stored{}, fmt.Errorf("figures: %s was computed with other settings (%+v); run its section again", name, st.Settings)
	}
	if err := json.Unmarshal(st.Data, v); err != nil {
		return stored{}, fmt.Errorf("figures: %s: %w", l.dataPath(name), err)
	}
	return st, nil
}

// chosen returns the specs named, skipping unknown and repeated names.
func (l *Lab) chosen(names ...string) []model.Spec {
	var out []model.Spec
	var seen []string
	for _, n := range names {
		s, err := l.Catalog.Lookup(n)
		if err != nil || slices.Contains(seen, s.Name) {
			continue
		}
		seen = append(seen, s.Name)
		out = append(out, s)
	}
	return out
}

// ModelTable is the table of section 1: the chosen models, with their
// derived sizes.
func ModelTable(l *Lab) *widgets.Table {
	specs := l.chosen(l.Settings.SmallModel, l.Settings.BigModel, l.Settings.ServingModel)
	t := report.ModelTable(specs)
	t.Title = "The chosen models"
	roles := []string{}
	for _, s := range specs {
		var r []string
		if s.Name == l.Small.Name {
			r = append(r, "runs here")
		}
		if s.Name == l.Big.Name {
			r = append(r, "predicted")
		}
		if s.Name == l.Serving.Name {
			r = append(r, "serves the workload")
		}
		roles = append(roles, strings.Join(r, ", "))
	}
	t.Columns = append([]report.Column{{Name: "role"}}, t.Columns...)
	for i := range t.Rows {
		t.Rows[i] = append([]string{roles[i]}, t.Rows[i]...)
	}
	src := l.Settings.Workload + " (synthetic)"
	if l.Settings.Trace != "" {
		src = filepath.Base(l.Settings.Trace) + " (trace)"
	}
	return widgets.NewTable(t).Note(fmt.Sprintf("Hardware %s (%s); workload %s; seed %d. KV/token at fp16; params exact for the architecture.",
		l.Hardware.Name, l.Hardware.Device, src, l.Settings.Seed))
}
