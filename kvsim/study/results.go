package study

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"kvcache/kvsim/atomicfile"
	"kvcache/kvsim/cost"
	"kvcache/kvsim/report"
	"kvcache/kvsim/timing"
	"kvcache/kvsim/units"
)

// Results is everything the sections computed; a nil study did not run
// (Missing says why).
type Results struct {
	Settings    Picks          `json:"settings"`
	Sizes       Sizes          `json:"sizes"`
	Environment Environment    `json:"environment"`
	Measured    *Measured      `json:"measured,omitempty"`
	CPU         *CPUComparison `json:"cpu_comparison,omitempty"`
	Predictions *Predictions   `json:"-"` // large: its own data file
	KV          *KVStudy       `json:"-"`
	Cache       *CacheStudy    `json:"-"`
	Tiers       *TiersStudy    `json:"-"`
	Latency     *LatencyStudy  `json:"-"`
	Bounded     *BoundedStudy  `json:"-"`
	Trust       *TrustStudy    `json:"-"`                 // section 3: the cost model against published measurements
	Sparse      *SparseStudy   `json:"-"`                 // section 3: a sliding window against dense models
	Speedup     *SpeedupStudy  `json:"speedup,omitempty"` // section 2's sweep across model sizes
	Chosen      Chosen         `json:"-"`                 // section 1
	Missing     []string       `json:"missing,omitempty"`
	Timings     []Timing       `json:"timings"` // wall time of each study, as it was computed
}

// Timing is one study's wall time.
type Timing struct {
	Study    string    `json:"study"`
	Seconds  float64   `json:"seconds"`
	Computed time.Time `json:"computed"`
}

// Results loads what the sections saved for the lab's picks and describes
// this machine. A study that is missing or was computed with other picks
// is left nil and named in Missing. The this-cpu calibration is the one the
// CPU comparison used, when it ran; otherwise it is measured.
func (l *Lab) Results() (Results, error) {
	r := Results{Settings: l.Picks, Sizes: l.Sizes.withDefaults(), Chosen: l.Chosen()}
	r.Measured = loadInto[Measured](l, &r)
	r.Predictions = loadInto[Predictions](l, &r)
	r.CPU = loadInto[CPUComparison](l, &r)
	r.KV = loadInto[KVStudy](l, &r)
	r.Cache = loadInto[CacheStudy](l, &r)
	r.Tiers = loadInto[TiersStudy](l, &r)
	r.Latency = loadInto[LatencyStudy](l, &r)
	r.Bounded = loadInto[BoundedStudy](l, &r)
	r.Trust = loadInto[TrustStudy](l, &r)
	r.Sparse = loadInto[SparseStudy](l, &r)
	r.Speedup = loadInto[SpeedupStudy](l, &r)
	if r.CPU != nil && r.CPU.Calibration.Validate() == nil {
		r.Environment = environmentWith(r.CPU.Calibration)
		return r, nil
	}
	env, err := NewEnvironment(l.Calibrator)
	if err != nil {
		return Results{}, fmt.Errorf("study: %w", err)
	}
	r.Environment = env
	return r, nil
}

// loadInto reads one saved study, or records in r why it is missing and
// returns nil.
func loadInto[R Result](l *Lab, r *Results) *R {
	var v R
	st, err := load(l, &v)
	if err != nil {
		r.Missing = append(r.Missing, err.Error())
		return nil
	}
	r.Timings = append(r.Timings, Timing{Study: v.Study(), Seconds: st.Seconds, Computed: st.Computed})
	return &v
}

// Metric is one number of the report, with its unit and conditions. A
// measured one carries the range of its runs (Low to High over Runs runs;
// Runs 0: a count or a prediction, no spread); a predicted one carries the
// range a measurement would likely show (its validated band), in the same
// unit.
type Metric struct {
	Section    string  `json:"section"`
	Name       string  `json:"name"`
	Value      float64 `json:"value"`
	Low        float64 `json:"low,omitempty"`
	High       float64 `json:"high,omitempty"`
	Runs       int     `json:"runs,omitempty"`
	Unit       string  `json:"unit"`
	Conditions string  `json:"conditions"`
	LikelyLow  float64 `json:"likely_measured_low,omitempty"`
	LikelyHigh float64 `json:"likely_measured_high,omitempty"`
	Band       string  `json:"band,omitempty"` // where the range comes from (cost.Band)
}

// Range is the metric's spread in words: "a to b over n runs", or "".
func (m Metric) Range() string {
	if m.Runs == 0 {
		return ""
	}
	return fmt.Sprintf("%s to %s (%d runs)", FormatValue(m.Low), FormatValue(m.High), m.Runs)
}

// Metrics are the headline numbers of every section that ran.
func (r Results) Metrics() []Metric {
	var out []Metric
	add := func(section, name string, v float64, unit, cond string) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		out = append(out, Metric{Section: section, Name: name, Value: v, Unit: unit, Conditions: cond})
	}
	// addBand adds a predicted time with the measured range its band suggests.
	addBand := func(section, name string, v float64, unit, cond string, b cost.Band) {
		add(section, name, v, unit, cond)
		if lo, hi := b.Range(v); hi > 0 && len(out) > 0 {
			m := &out[len(out)-1]
			m.LikelyLow, m.LikelyHigh, m.Band = lo, hi, b.String()
		}
	}
	// addSpeedup adds a predicted speedup with its likely measured range (SpeedupRange).
	addSpeedup := func(section, name string, v float64, cond string, cached, uncached cost.Band) {
		add(section, name, v, "x", cond)
		if lo, hi := SpeedupRange(v, cached, uncached); hi > 0 && len(out) > 0 {
			m := &out[len(out)-1]
			m.LikelyLow, m.LikelyHigh = lo, hi
			m.Band = fmt.Sprintf("with cache %s; without %s", cached, uncached)
		}
	}
	// spread adds a measured metric: the median (k: the unit's scale) with
	// the range of its runs.
	spread := func(section, name string, s Spread, k float64, unit, cond string) {
		if s.N == 0 || math.IsNaN(s.Median) || math.IsInf(s.Median, 0) {
			return
		}
		out = append(out, Metric{Section: section, Name: name, Value: k * s.Median, Low: k * s.Min, High: k * s.Max, Runs: s.N, Unit: unit, Conditions: cond})
	}
	e := r.Environment
	cpu := fmt.Sprintf("this CPU, %d threads", e.GOMAXPROCS)
	const how = "the decoder's own code (kvsim/cost this-cpu)"
	if n := e.ThisCPU.Noise; n != nil {
		cal := how + calibrationBusy(n)
		spread("environment", "this-cpu matmul rate", n.MatmulFLOPS, 1e-9, "GFLOP/s", "float32, 128 rows, median of rounds, "+cal)
		spread("environment", "this-cpu matrix-vector rate", n.MatvecFLOPS, 1e-9, "GFLOP/s", "float32, 32 MiB of weights, median of rounds, "+cal)
		spread("environment", "this-cpu stream bandwidth", n.StreamBandwidth, 1e-9, "GB/s", "triad, median of rounds, "+cal)
		spread("environment", "this-cpu fork-join", n.ForkJoinSeconds, 1e6, "µs", "empty parallel-for over all threads, median of rounds, "+cal)
	} else {
		add("environment", "this-cpu matmul rate", e.ThisCPU.MatmulFLOPS/1e9, "GFLOP/s", "float32, 128 rows, "+how)
		add("environment", "this-cpu matrix-vector rate", e.ThisCPU.MatvecFLOPS/1e9, "GFLOP/s", "float32, 32 MiB of weights, "+how)
		add("environment", "this-cpu stream bandwidth", e.ThisCPU.StreamBandwidth/1e9, "GB/s", "triad, "+how)
		add("environment", "this-cpu fork-join", e.ThisCPU.ForkJoinSeconds*1e6, "µs", "empty parallel-for over all threads, "+how)
	}
	if m := r.Measured; m != nil {
		cond := fmt.Sprintf("%s, %d+%d tokens, %s, median of %d runs%s", m.Model, m.Prompt, m.New, cpu, m.Repeat, busyNote(m.OthersBusy))
		spread("2 measured", "decode step with cache (mean)", meanDecodeStep(m.Cached), 1e3, "ms", cond)
		spread("2 measured", "decode step without cache (mean)", meanDecodeStep(m.Uncached), 1e3, "ms", cond)
		spread("2 measured", "last decode step with cache", lastStep(m.Cached), 1e3, "ms", cond)
		spread("2 measured", "last decode step without cache", lastStep(m.Uncached), 1e3, "ms", cond)
		spread("2 measured", "generation with cache", m.Cached.Total, 1e3, "ms", cond)
		spread("2 measured", "generation without cache", m.Uncached.Total, 1e3, "ms", cond)
		spread("2 measured", "generation speedup", m.SpeedupSpread, 1, "x", cond+"; "+m.Ranking.Verdict)
		add("2 measured", "max relative logit difference, cached vs uncached", m.MaxRelLogitDiff, "", cond)
		tot := sum(m.Cached.PerTokenS)
		add("2 measured", "cached: share in matmuls", 100*sum(m.Cached.MatmulS)/tot, "%", cond)
		add("2 measured", "cached: share in attention", 100*sum(m.Cached.AttentionS)/tot, "%", cond)
		add("2 measured", "cached: share in KV writes", 100*sum(m.Cached.KVIOS)/tot, "%", cond)
	}
	if sp := r.Speedup; sp != nil {
		for _, p := range sp.Points {
			cond := fmt.Sprintf("%s (%s params), %d+%d tokens, %s, median of %d runs; %s", p.Model, units.Count(float64(p.Params)), sp.Prompt, sp.New, cpu, p.Speedup.N, p.Ranking.Verdict)
			spread("2 measured across sizes", p.Model+": generation speedup", p.Speedup, 1, "x", cond)
		}
	}
	if c := r.CPU; c != nil {
		cond := fmt.Sprintf("%s, decode steps, cost model on this-cpu (decoder kernels) vs measurement", c.Model)
		errorBand := func(name string, e float64, band [2]float64) {
			if band == [2]float64{} {
				add("3 model vs measurement", name, 100*e, "%", cond)
				return
			}
			out = append(out, Metric{Section: "3 model vs measurement", Name: name, Value: 100 * e, Low: 100 * band[0], High: 100 * band[1],
				Runs: c.Repeat, Unit: "%", Conditions: cond + "; range: against the fastest and slowest run of each step"})
		}
		errorBand("total error with cache", c.TotalErrorCached, c.TotalErrorCachedBand)
		errorBand("total error without cache", c.TotalErrorUncached, c.TotalErrorUncachedBand)
		add("3 model vs measurement", "median step error with cache", 100*c.MedianAbsErrorCached, "%", cond)
		add("3 model vs measurement", "median step error without cache", 100*c.MedianAbsErrorUncached, "%", cond)
		add("3 model vs measurement", "speedup predicted", c.PredictedSpeedup, "x", cond)
		add("3 model vs measurement", "speedup measured", c.MeasuredSpeedup, "x", cond)
	}
	if p := r.Predictions; p != nil {
		h := slices.Index(p.Hardware, r.Settings.Hardware)
		for e := range p.Engines {
			pt, ok := p.SizeFor(r.Settings.BigModel, r.Settings.Hardware, p.Engines[e])
			if !ok || !pt.Fits || h < 0 || !slices.Contains(p.Columns(h), e) {
				continue
			}
			b := p.Band(h, e)
			cond := fmt.Sprintf("%s on %d× %s, %s, bf16, batch %d, %d+%d tokens", r.Settings.BigModel, pt.TP, r.Settings.Hardware, p.EngineAt(h, e), p.Batch, p.Prompt, p.New)
			g := pt.Generation
			addBand("3 predicted", "generation with cache", g.CachedSeconds, "s", cond, b.EndToEnd)
			addBand("3 predicted", "generation without cache", g.UncachedSeconds, "s", cond, b.Prefill)
			addSpeedup("3 predicted", "generation speedup", g.Speedup, cond, b.EndToEnd, b.Prefill)
			addSpeedup("3 predicted", fmt.Sprintf("decode step speedup at context %d", p.Prompt+p.New-2), pt.DecodeSpeedup, cond, b.DecodeCached, b.Prefill)
		}
	}
	if t := r.Trust; t != nil {
		cond := fmt.Sprintf("%d published measurements (kvsim validate); %d more not covered", t.Scored(), len(t.Unsupported))
		add("3 validation", "median predicted / measured time", t.Overall.Median, "x", cond)
		add("3 validation", "cases within ±25%", 100*t.Overall.Within, "%", cond)
	}
	if k := r.KV; k != nil {
		for _, f := range k.Fits {
			if f.Model != r.Settings.BigModel && f.Model != r.Settings.ServingModel {
				continue
			}
			cond := fmt.Sprintf("%s (%s) at %s", f.Model, f.Attention, f.DType)
			add("4 KV memory", f.Model+": KV per token", float64(f.KVBytesPerToken)/1024, "KiB", cond)
			if f.Fits {
				add("4 KV memory", f.Model+": tokens that fit on its devices", float64(f.NodeKVTokens), "tokens", cond+fmt.Sprintf(", %d× %s", f.TP, f.Hardware))
			}
		}
	}
	if st := r.Cache; st != nil {
		cond := fmt.Sprintf("%s, %s blocks of %d tokens, LRU", st.Workload, st.Model, st.Stats.BlockTokens)
		add("5 cache size", "unbounded token hit rate", 100*st.Sweep.Unbounded.TokenHitRate, "%", cond)
		if lru, ok := st.LRU(); ok && st.SweetSpot >= 0 {
			sp := lru.Points[st.SweetSpot]
			add("5 cache size", "sweet spot capacity", float64(sp.CapacityBlocks), "blocks", cond)
			add("5 cache size", "sweet spot memory", units.GiB(float64(sp.CapacityBlocks)*float64(st.BytesPerBlock)), "GiB", cond)
			add("5 cache size", "token hit rate at the sweet spot", 100*sp.TokenHitRate, "%", cond)
			addBand("5 cache size", "TTFT saved per request at the sweet spot", 1e3*sp.MeanTTFTSavedSeconds, "ms", cond+fmt.Sprintf(", %d× %s, %s", st.TP, st.Hardware, st.Engine), st.PrefillBand)
		}
		for _, b := range st.Budget {
			if b.Error == "" {
				add("5 cache size", b.Model+": hit rate at the KV budget", 100*b.TokenHitRate, "%",
					fmt.Sprintf("%s, %s of KV (%d blocks)", st.Workload, units.GiBLabel(units.GiB(float64(st.BudgetBytes))), b.Blocks))
			}
		}
	}
	out = append(out, r.tiersMetrics()...)
	out = append(out, r.latencyMetrics()...)
	if b := r.Bounded; b != nil {
		for i, c := range b.Capacities {
			cond := fmt.Sprintf("%s, %d+%d tokens, cache of %d tokens, median of %d runs", b.Model, b.Prompt, b.New, c, b.Repeat)
			spread("6 bounded cache", fmt.Sprintf("recompute: time vs full cache at %d tokens", c), b.RatioSpread(b.Recompute[i]), 1, "x", cond+"; "+rankOf(b.RecomputeRank, i))
			spread("6 bounded cache", fmt.Sprintf("window: time vs full cache at %d tokens", c), b.RatioSpread(b.Window[i]), 1, "x", cond+"; "+rankOf(b.WindowRank, i))
			add("6 bounded cache", fmt.Sprintf("window: top-1 agreement at %d tokens", c), 100*b.WindowTop1[i], "%", cond)
			add("6 bounded cache", fmt.Sprintf("window: mean KL at %d tokens", c), b.WindowMeanKL[i], "nats", cond)
		}
	}
	return out
}

// meanDecodeStep is the mean decode step of the runs' medians, with the
// means of their fastest and slowest runs as its range.
func meanDecodeStep(t PathTiming) Spread {
	n := len(t.PerTokenS)
	if n < 2 || len(t.PerTokenMinS) < n || len(t.PerTokenMaxS) < n {
		return Spread{}
	}
	return Spread{N: t.Repeats, Median: mean(t.PerTokenS[1:]), Min: mean(t.PerTokenMinS[1:]), Max: mean(t.PerTokenMaxS[1:])}
}

// lastStep spreads a path's last token over the runs.
func lastStep(t PathTiming) Spread {
	n := len(t.PerTokenS)
	if n == 0 || len(t.PerTokenMinS) < n || len(t.PerTokenMaxS) < n {
		return Spread{}
	}
	return Spread{N: t.Repeats, Median: t.PerTokenS[n-1], Min: t.PerTokenMinS[n-1], Max: t.PerTokenMaxS[n-1]}
}

// rankOf is ranking i's verdict, "" when there is none.
func rankOf(rs []timing.Ranking, i int) string {
	if i >= len(rs) {
		return ""
	}
	return rs[i].Verdict
}

// calibrationBusy says how busy other processes kept the machine during a
// calibration, when known.
func calibrationBusy(n *cost.CalibrationNoise) string {
	if n.OthersBusy == nil {
		return ""
	}
	return fmt.Sprintf(", other processes kept %.2f cores busy", *n.OthersBusy)
}

// FormatValue writes a metric with 4 significant digits.
func FormatValue(v float64) string {
	if math.Abs(v) >= 1e4 && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(Round4(v), 'g', -1, 64)
}

// Round4 keeps 4 significant digits.
func Round4(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 4, 64), 64)
	if err != nil {
		return x
	}
	return v
}

// EnvironmentTable is the machine and how long each study took.
func (r Results) EnvironmentTable() report.Table {
	e := r.Environment
	t := report.Table{Title: "Environment", Columns: []report.Column{{Name: "property"}, {Name: "value", Align: report.Left}}}
	t.AddRow("CPU", e.CPU)
	t.AddRow("logical CPUs / GOMAXPROCS", fmt.Sprintf("%d / %d", e.Cores, e.GOMAXPROCS))
	t.AddRow("Go", e.GoVersion+" "+e.OS+"/"+e.Arch)
	t.AddRow("date (UTC)", e.Date.Format(time.RFC3339))
	c := e.ThisCPU
	t.AddRow("this-cpu (measured)", fmt.Sprintf("matmul %.3g GFLOP/s, matrix-vector %.3g GFLOP/s, stream %.3g GB/s, fork-join %s (float32, %d threads)",
		c.MatmulFLOPS/1e9, c.MatvecFLOPS/1e9, c.StreamBandwidth/1e9, units.Seconds(c.ForkJoinSeconds), c.Threads))
	if n := c.Noise; n != nil {
		t.AddRow("this-cpu over its rounds", fmt.Sprintf("matmul %.3g-%.3g GFLOP/s, matrix-vector %.3g-%.3g GFLOP/s, stream %.3g-%.3g GB/s, fork-join %s-%s (%d rounds%s)",
			n.MatmulFLOPS.Min/1e9, n.MatmulFLOPS.Max/1e9, n.MatvecFLOPS.Min/1e9, n.MatvecFLOPS.Max/1e9, n.StreamBandwidth.Min/1e9, n.StreamBandwidth.Max/1e9,
			units.Seconds(n.ForkJoinSeconds.Min), units.Seconds(n.ForkJoinSeconds.Max), n.Rounds, calibrationBusy(n)))
	}
	t.AddRow("memory", units.Bytes(float64(e.ThisCPU.MemoryBytes)))
	for _, tm := range r.Timings {
		t.AddRow("section "+tm.Study+" took", fmt.Sprintf("%.1f s (at %s)", tm.Seconds, tm.Computed.Format("15:04:05")))
	}
	return t
}

// MetricsTable is every headline number; a predicted one with the range
// a measurement would likely show (the last column, so the columns before
// it read as they always did).
func MetricsTable(ms []Metric) report.Table {
	t := report.Table{Title: "Performance data", Columns: []report.Column{{Name: "section"}, {Name: "metric", Align: report.Left},
		{Name: "value"}, {Name: "range (min to max)", Align: report.Left}, {Name: "unit", Align: report.Left}, {Name: "conditions", Align: report.Left},
		{Name: "likely measured (predicted values)"}}}
	for _, m := range ms {
		likely := ""
		if m.LikelyHigh > 0 {
			likely = FormatValue(m.LikelyLow) + " - " + FormatValue(m.LikelyHigh)
		}
		t.AddRow(m.Section, m.Name, FormatValue(m.Value), m.Range(), m.Unit, m.Conditions, likely)
	}
	return t
}

// Report is the summary written to the reports folder.
type Report struct {
	Results
	Metrics  []Metric  `json:"metrics"`
	Findings []Finding `json:"findings"`
	Files    []string  `json:"-"` // where it was written
}

// NewReport computes the metrics and findings of r.
func NewReport(r Results) Report {
	return Report{Results: r, Metrics: r.Metrics(), Findings: Findings(r)}
}

// Write writes kvcache-report.csv (the metrics), .json (settings, sizes,
// environment, metrics, findings, the measured run) and .md into dir and
// records their paths in Files. Each file is written whole or not at all
// (atomicfile); the caller holds the folder's lock (Lab.Lock). The studies'
// own data stay in dir/data.
func (rep *Report) Write(dir string) error {
	r := rep.Results
	if err := atomicfile.CheckDir(dir); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	var csv, md bytes.Buffer
	if err := MetricsTable(rep.Metrics).WriteCSV(&csv); err != nil {
		return fmt.Errorf("study: %w", err)
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("study: encoding the report: %w", err)
	}
	fmt.Fprintf(&md, "# kvcache performance report\n\nSettings: small model %s, big model %s, serving model %s, hardware %s, workload %s, seed %d.\n\nSizes: %s.\n\n",
		r.Settings.SmallModel, r.Settings.BigModel, r.Settings.ServingModel, r.Settings.Hardware, r.Settings.Source().Label(), r.Settings.Seed, r.Sizes)
	for _, t := range []report.Table{r.EnvironmentTable(), MetricsTable(rep.Metrics), FindingsTable(rep.Findings)} {
		if err := t.WriteMarkdown(&md); err != nil {
			return fmt.Errorf("study: %w", err)
		}
		md.WriteString("\n")
	}
	rep.Files = nil
	for _, f := range []struct {
		name string
		data []byte
	}{{"kvcache-report.csv", csv.Bytes()}, {"kvcache-report.json", append(js, '\n')}, {"kvcache-report.md", md.Bytes()}} {
		p := filepath.Join(dir, f.name)
		if err := atomicfile.Write(p, f.data); err != nil {
			return fmt.Errorf("study: %w", err)
		}
		rep.Files = append(rep.Files, p)
	}
	return nil
}

// Report loads the results, computes the metrics and findings and writes
// the report files into the lab's folder.
func (l *Lab) Report() (Report, error) {
	unlock, err := l.Lock("a kvcache lab writing its report")
	if err != nil {
		return Report{}, err
	}
	defer unlock()
	r, err := l.Results()
	if err != nil {
		return Report{}, err
	}
	rep := NewReport(r)
	return rep, rep.Write(l.Dir)
}
