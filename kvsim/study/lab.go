package study

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"kvcache/kvsim/atomicfile"
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
	Progress   func(Progress)   // optional: RunAll reports each study as it starts, and the cache study each replay

	lock *atomicfile.Lock // the folder's lock, while held (Lock)
}

// NewLab checks the picks (every name, the trace file) and the folder
// (it can be written: a folder, or one that can be made) and returns a lab
// saving into dir ("" finds the repository's reports folder, ReportsDir).
func NewLab(p Picks, dir string) (*Lab, error) {
	if p.MemoryFraction != 0 && !(p.MemoryFraction > 0 && p.MemoryFraction <= 1) {
		return nil, badSettings("memory fraction %g: give a share of device memory in (0, 1], or 0 for each engine's own", p.MemoryFraction)
	}
	if dir == "" {
		var err error
		if dir, err = ReportsDir(); err != nil {
			return nil, err
		}
	}
	if err := atomicfile.CheckDir(filepath.Join(dir, "data")); err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	cat, err := model.LoadCatalog(p.ModelFile)
	if err != nil {
		return nil, fmt.Errorf("study: %w", err)
	}
	l := &Lab{Picks: p, Catalog: cat, Calibrator: cost.NewCalibrator(nil), Dir: dir, Log: os.Stdout, Sizes: LabSizes()}
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
	return l, nil
}

// Check says, before any work, whether RunAll can run with the lab's picks
// and sizes: the small model holds both generations, the serving model's KV
// cache fits on the hardware, and the workload loads and can be replayed at
// every capacity within the work limits (MaxBlockVisits). It loads the
// workload (a trace is read in full).
func (l *Lab) Check() error {
	sz := l.Sizes.withDefaults()
	for _, g := range []struct {
		what          string
		prompt, added int
	}{{"section 2's generation (Sizes.Prompt, Sizes.New)", sz.Prompt, sz.New}, {"section 6's generation (Sizes.LongPrompt, Sizes.LongNew)", sz.LongPrompt, sz.LongNew}} {
		if g.prompt < 1 || g.added < 2 || g.prompt > l.Small.MaxContext-g.added {
			return badSettings("%s of %d + %d tokens: give a prompt of at least 1 token and at least 2 new ones, together within the small model %s's context of %d",
				g.what, g.prompt, g.added, l.Small.Name, l.Small.MaxContext)
		}
	}
	if sz.Repeat < 1 || sz.Repeat > MaxRepeat {
		return badSettings("%d timed runs of each path (Sizes.Repeat): give 1 to %d", sz.Repeat, MaxRepeat)
	}
	for _, name := range sz.SweepModels {
		if _, err := l.Catalog.Lookup(name); err != nil {
			return badSettings("the speedup sweep (Sizes.SweepModels): %v", err)
		}
	}
	if sz.SweepPrompt < 1 || sz.SweepNew < 2 {
		return badSettings("the speedup sweep's %d + %d tokens (Sizes.SweepPrompt, Sizes.SweepNew): give a prompt of at least 1 token and at least 2 new ones", sz.SweepPrompt, sz.SweepNew)
	}
	if n := len(sz.CacheTokens); n > MaxBoundedCapacities {
		return badSettings("%d bounded-cache capacities (Sizes.CacheTokens): at most %d (each is a generation of section 6)", n, MaxBoundedCapacities)
	}
	if _, err := boundedCapacities(sz.CacheTokens, sz.LongPrompt+sz.LongNew-1); err != nil {
		return err
	}
	if fit := kvFit(l.Serving, l.Hardware, cost.Options{DType: model.FP16, MemoryFraction: l.Picks.MemoryFraction}); fit.Error != "" || fit.NodeKVTokens < 1 {
		return badSettings("the serving model %s (section 5 fills a prefix cache with its fp16 KV blocks) has no room for a KV cache on %s%s; pick other hardware (kvsim hardware) or a smaller serving model (Picks.ServingModel, kvsim report --serving-model)",
			l.Serving.Name, l.Hardware.Name, parenthesised(fit.Error))
	}
	w, err := l.Picks.Source().Load()
	if err != nil {
		return err
	}
	s := l.CacheSettings()
	caps, err := SliderCapacities(w.Stats().DistinctBlocks, s.CapacityPoints)
	if err != nil {
		return err
	}
	if err := checkVisits(w, w.Stats().PromptBlocks, cacheRuns(len(caps), len(defaultCachePolicies()), len(s.Compare))); err != nil {
		return err
	}
	return l.checkTiers(w)
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
// Check runs first, so a pick or size that cannot work fails before any
// study; Lab.Progress hears of each study as it starts. A study missing
// afterwards (another process overwrote it) is an error.
func (l *Lab) RunAll(ctx context.Context) (Results, error) {
	if err := l.Check(); err != nil {
		return Results{}, err
	}
	stage := func(name string) {
		if l.Progress != nil {
			l.Progress(Progress{Study: name, Stage: "running"})
		}
	}
	stage(Measured{}.Study())
	if _, err := Run(ctx, l, Measure, l.MeasureSettings()); err != nil {
		return Results{}, err
	}
	stage(SpeedupStudy{}.Study())
	if _, err := Run(ctx, l, MeasureSpeedups, l.SpeedupSettings()); err != nil {
		return Results{}, err
	}
	stage(Predictions{}.Study())
	if _, err := Run(ctx, l, Predict, l.PredictSettings()); err != nil {
		return Results{}, err
	}
	stage(SparseStudy{}.Study())
	if _, err := Run(ctx, l, Sparse, l.SparseSettings()); err != nil {
		return Results{}, err
	}
	stage(TrustStudy{}.Study())
	if _, err := Run(ctx, l, Trust, l.TrustSettings()); err != nil {
		return Results{}, err
	}
	stage(CPUComparison{}.Study())
	cs, err := l.CompareSettings()
	if err != nil {
		return Results{}, err
	}
	if _, err := Run(ctx, l, CompareCPU, cs); err != nil {
		return Results{}, err
	}
	stage(KVStudy{}.Study())
	if _, err := Run(ctx, l, KV, l.KVSettings()); err != nil {
		return Results{}, err
	}
	stage(CacheStudy{}.Study())
	if _, err := Run(ctx, l, Cache, l.CacheSettings()); err != nil {
		return Results{}, err
	}
	stage(TiersStudy{}.Study())
	if _, err := Run(ctx, l, Tiers, l.TiersSettings()); err != nil {
		return Results{}, err
	}
	stage(LatencyStudy{}.Study())
	if _, err := Run(ctx, l, Latency, l.LatencySettings()); err != nil {
		return Results{}, err
	}
	stage(BoundedStudy{}.Study())
	if _, err := Run(ctx, l, Bounded, l.BoundedSettings()); err != nil {
		return Results{}, err
	}
	r, err := l.Results()
	if err == nil && len(r.Missing) > 0 {
		err = fmt.Errorf("study: results missing right after computing them (did another process write %s?): %s", l.Dir, strings.Join(r.Missing, "; "))
	}
	return r, err
}

// MeasureSettings: the small model, Sizes.Prompt + Sizes.New tokens,
// Sizes.Repeat runs of each path in turn.
func (l *Lab) MeasureSettings() MeasureSettings {
	sz := l.Sizes.withDefaults()
	return MeasureSettings{Model: l.Small, Prompt: sz.Prompt, New: sz.New, Repeat: sz.Repeat, Seed: l.Picks.Seed}
}

// SpeedupSettings: Sizes.SweepModels (with the small model), each
// generating Sizes.SweepNew tokens after Sizes.SweepPrompt, Sizes.Repeat
// runs of each path, within Sizes.SweepBudget.
func (l *Lab) SpeedupSettings() SpeedupSettings {
	sz := l.Sizes.withDefaults()
	return SpeedupSettings{Models: l.chosen(append(sz.SweepModels, l.Small.Name)...), Prompt: sz.SweepPrompt, New: sz.SweepNew,
		Repeat: sz.Repeat, Budget: sz.SweepBudget, Seed: l.Picks.Seed}
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

// PredictSettings: PredictedModels and the big model on PredictedHardware
// and the lab's hardware, under PredictedEngines, the pickers starting at
// the lab's picks and vllm.
func (l *Lab) PredictSettings() PredictSettings {
	hw := l.presets(PredictedHardware())
	if !slices.ContainsFunc(hw, func(h cost.Hardware) bool { return h.Name == l.Hardware.Name }) {
		hw = append(hw, l.Hardware)
	}
	return PredictSettings{Models: l.chosen(append(PredictedModels(), l.Big.Name)...), Hardware: hw, Engines: PredictedEngines(),
		MemoryFraction: l.Picks.MemoryFraction, Points: l.Sizes.withDefaults().ContextPoints,
		StartModel: l.Big.Name, StartHardware: l.Hardware.Name, StartEngine: cost.VLLM}
}

// presets returns the hardware presets named, skipping unknown names.
func (l *Lab) presets(names []string) []cost.Hardware {
	var out []cost.Hardware
	for _, n := range names {
		if h, err := cost.LookupHardware(n, nil); err == nil {
			out = append(out, h)
		}
	}
	return out
}

// SparseSettings: mistral-7b (a 4,096-token window on every layer)
// against llama2-7b and llama3-8b on the lab's hardware, under
// PredictedEngines, at SparseContexts.
func (l *Lab) SparseSettings() SparseSettings {
	s := SparseSettings{Hardware: l.Hardware, Engines: PredictedEngines(), Contexts: SparseContexts(), MemoryFraction: l.Picks.MemoryFraction}
	if m := l.chosen("mistral-7b"); len(m) == 1 {
		s.Sparse = m[0]
	}
	s.Dense = l.chosen("llama2-7b", "llama3-8b")
	if l.Hardware.CPU != nil { // a CPU runs kvsim's decoder only
		s.Engines = []string{cost.ThisCPUEngine}
	}
	return s
}

// TrustSettings: the published measurements shipped with kvsim.
func (l *Lab) TrustSettings() TrustSettings { return TrustSettings{} }

// KVSettings: KVArchitectures plus the big and serving models on the
// lab's hardware.
func (l *Lab) KVSettings() KVSettings {
	return KVSettings{Models: l.chosen(append(KVArchitectures(), l.Big.Name, l.Serving.Name)...), Hardware: l.Hardware, MemoryFraction: l.Picks.MemoryFraction}
}

// CacheSettings: the picked workload or trace through a cache of the
// serving model's KV blocks, compared with the big model and two others at
// one budget, and the grid of section 5's pickers (CacheGrid).
func (l *Lab) CacheSettings() CacheSettings {
	sz := l.Sizes.withDefaults()
	return CacheSettings{Workload: l.Picks.Source(), Model: l.Serving, Hardware: l.Hardware, Grid: l.CacheGrid(),
		CapacityPoints: sz.CapacityPoints, SeriesPoints: sz.SeriesPoints,
		Compare: l.chosen(l.Big.Name, l.Serving.Name, "llama2-70b", "llama-65b"), MemoryFraction: l.Picks.MemoryFraction, Progress: l.Progress}
}

// BoundedSettings: the small model, Sizes.LongPrompt + Sizes.LongNew
// tokens, bounded at each of Sizes.CacheTokens, Sizes.Repeat runs of every
// path in turn.
func (l *Lab) BoundedSettings() BoundedSettings {
	sz := l.Sizes.withDefaults()
	return BoundedSettings{Model: l.Small, Prompt: sz.LongPrompt, New: sz.LongNew, CacheTokens: sz.CacheTokens, Repeat: sz.Repeat, Seed: l.Picks.Seed}
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
