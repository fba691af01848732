package study

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// Lab is the notebook's session: the reader's Picks resolved once (models,
// hardware, this-cpu), how big each study is (Sizes), and the folder its
// results are saved in. GoNB runs every cell as a new process, so each
// study's result is saved as Dir/data/<study>.json with the picks it was
// computed with, and later cells and the report read it back; a result
// computed with other picks counts as missing.
//
// The Lab only builds settings and keeps results: the studies are the
// plain functions of this package. A notebook cell reads
//
//	s := lab.KVSettings()                     // settings in plain sight
//	kv := must(study.Run(ctx, lab, study.KV, s)) // run, log, save
type Lab struct {
	Picks      Picks
	Catalog    *model.Catalog
	Small      model.Spec
	Big        model.Spec
	Serving    model.Spec
	Hardware   cost.Hardware
	Calibrator *cost.Calibrator // this-cpu, timed once with the decoder's own code, as kvsim predict does
	Dir        string           // the reports folder
	Sizes      Sizes            // how big each study is (zero fields: DefaultSizes)
	Log        io.Writer        // one line per study (default: standard output, a cell's output); nil: silent
}

// NewLab checks the picks (every name, the trace file) and returns a lab
// saving into dir ("" finds the repository's reports folder, ReportsDir).
func NewLab(p Picks, dir string) (*Lab, error) {
	cat := model.NewCatalog()
	if p.ModelFile != "" {
		if err := cat.LoadFile(p.ModelFile); err != nil {
			return nil, fmt.Errorf("study: %w", err)
		}
	}
	l := &Lab{Picks: p, Catalog: cat, Calibrator: cost.NewCalibrator(nil), Dir: dir, Log: os.Stdout, Sizes: DefaultSizes()}
	var err error
	for _, m := range []struct {
		field, name string
		spec        *model.Spec
	}{{"small model", p.SmallModel, &l.Small}, {"big model", p.BigModel, &l.Big}, {"serving model", p.ServingModel, &l.Serving}} {
		if *m.spec, err = cat.Lookup(m.name); err != nil {
			return nil, fmt.Errorf("study: %s: %w", m.field, err)
		}
	}
	if l.Hardware, err = cost.LookupHardware(p.Hardware, l.Calibrator); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	if err := p.Source().Check(); err != nil {
		return nil, err
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
			return "", fmt.Errorf("study: finding the reports folder: %w", err)
		}
		root = wd
	}
	return filepath.Abs(filepath.Join(root, "reports"))
}

// Run runs one study with settings s, logs its summary and saves its
// result for later cells and the report.
func Run[S any, R Result](ctx context.Context, l *Lab, study func(context.Context, S) (R, error), s S) (R, error) {
	r, err := study(ctx, s)
	if err != nil {
		return r, err
	}
	if l.Log != nil {
		fmt.Fprintln(l.Log, r.Summary())
	}
	return r, l.Save(r)
}

// RunAll runs every study of the notebook in its order with the lab's
// settings, saving each, and returns them as Results (kvsim report).
func (l *Lab) RunAll(ctx context.Context) (Results, error) {
	if _, err := Run(ctx, l, Measure, l.MeasureSettings()); err != nil {
		return Results{}, err
	}
	if _, err := Run(ctx, l, Predict, l.PredictSettings()); err != nil {
		return Results{}, err
	}
	cs, err := l.CompareSettings()
	if err != nil {
		return Results{}, err
	}
	if _, err := Run(ctx, l, CompareCPU, cs); err != nil {
		return Results{}, err
	}
	if _, err := Run(ctx, l, KV, l.KVSettings()); err != nil {
		return Results{}, err
	}
	if _, err := Run(ctx, l, Cache, l.CacheSettings()); err != nil {
		return Results{}, err
	}
	if _, err := Run(ctx, l, Bounded, l.BoundedSettings()); err != nil {
		return Results{}, err
	}
	return l.Results()
}

// MeasureSettings: the small model, Sizes.Prompt + Sizes.New tokens.
func (l *Lab) MeasureSettings() MeasureSettings {
	sz := l.Sizes.withDefaults()
	return MeasureSettings{Model: l.Small, Prompt: sz.Prompt, New: sz.New, Seed: l.Picks.Seed}
}

// CompareSettings: section 2's saved run beside this-cpu (measured here,
// once per lab).
func (l *Lab) CompareSettings() (CompareSettings, error) {
	m, err := Load[Measured](l)
	if err != nil {
		return CompareSettings{}, err
	}
	cal, err := l.Calibrator.Calibration()
	if err != nil {
		return CompareSettings{}, fmt.Errorf("study: %w", err)
	}
	hw, err := cal.Hardware()
	if err != nil {
		return CompareSettings{}, fmt.Errorf("study: %w", err)
	}
	return CompareSettings{Model: l.Small, Measured: m, Hardware: hw, Calibration: cal}, nil
}

// PredictSettings: PredictedModels and the big model on every hardware
// preset (and this-cpu when it is the lab's hardware), the pickers
// starting at the lab's picks.
func (l *Lab) PredictSettings() PredictSettings {
	hw := cost.Presets()
	if !slices.ContainsFunc(hw, func(h cost.Hardware) bool { return h.Name == l.Hardware.Name }) {
		hw = append(hw, l.Hardware)
	}
	return PredictSettings{Models: l.chosen(append(PredictedModels(), l.Big.Name)...), Hardware: hw,
		Points: l.Sizes.withDefaults().ContextPoints, StartModel: l.Big.Name, StartHardware: l.Hardware.Name}
}

// KVSettings: KVArchitectures plus the big and serving models on the
// lab's hardware.
func (l *Lab) KVSettings() KVSettings {
	return KVSettings{Models: l.chosen(append(KVArchitectures(), l.Big.Name, l.Serving.Name)...), Hardware: l.Hardware}
}

// CacheSettings: the picked workload or trace through a cache of the
// serving model's KV blocks, compared with the big model and two others at
// one budget, and the grid of section 5's pickers (CacheGrid).
func (l *Lab) CacheSettings() CacheSettings {
	sz := l.Sizes.withDefaults()
	return CacheSettings{Workload: l.Picks.Source(), Model: l.Serving, Hardware: l.Hardware, Grid: l.CacheGrid(),
		CapacityPoints: sz.CapacityPoints, SeriesPoints: sz.SeriesPoints,
		Compare: l.chosen(l.Big.Name, l.Serving.Name, "llama2-70b", "llama-65b")}
}

// BoundedSettings: the small model, Sizes.LongPrompt + Sizes.LongNew
// tokens, bounded at each of Sizes.CacheTokens.
func (l *Lab) BoundedSettings() BoundedSettings {
	sz := l.Sizes.withDefaults()
	return BoundedSettings{Model: l.Small, Prompt: sz.LongPrompt, New: sz.LongNew, CacheTokens: sz.CacheTokens, Seed: l.Picks.Seed}
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

// Chosen is section 1: the models the picks name, with their roles, on
// which hardware, fed by which workload.
type Chosen struct {
	Picks    Picks
	Models   []model.Spec
	Roles    []string // one per model: "runs here", "predicted", "serves the workload"
	Hardware string
	Device   string
}

// Chosen describes the lab's picks.
func (l *Lab) Chosen() Chosen {
	c := Chosen{Picks: l.Picks, Models: l.chosen(l.Picks.SmallModel, l.Picks.BigModel, l.Picks.ServingModel),
		Hardware: l.Hardware.Name, Device: l.Hardware.Device}
	for _, s := range c.Models {
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
		c.Roles = append(c.Roles, strings.Join(r, ", "))
	}
	return c
}
