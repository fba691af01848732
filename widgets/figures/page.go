package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// Section is one section of the report page: its heading, a sentence of
// introduction, and its figures, drawn from the results. Sections is the
// one list of them (the notebook keeps its own prose, section by section).
type Section struct {
	Title   string
	Intro   string
	Figures func(rep study.Report) []widgets.Widget
}

// Sections are the notebook's sections in order, as the report page shows
// them. A section whose study is missing says so.
func Sections() []Section {
	return []Section{
		{"1. The chosen models", "", func(rep study.Report) []widgets.Widget {
			return []widgets.Widget{ModelTable(rep.Chosen)}
		}},
		{"2. Measured on this CPU", "A real float32 transformer generates tokens with a KV cache and again without one, several runs of each in turn after an untimed warm-up; every token is timed. Then the same for models of growing size.",
			func(rep study.Report) []widgets.Widget {
				return append(figure(rep.Measured, MeasuredLatency), figure(rep.Speedup, SpeedupBySize)...)
			}},
		{"3. Predicted for big models", "A roofline cost model prices each step from FLOPs, bytes and kernel launches on datasheet hardware, as each engine runs it; " +
			"the shading around every predicted curve is what a measurement would likely show. Then a sliding-window model against dense ones at long context, " +
			"how far the predictions are from published measurements, and the same model on this CPU beside the measurement.",
			func(rep study.Report) []widgets.Widget {
				out := figure(rep.Predictions, PredictedLatency)
				out = append(out, figure(rep.Sparse, SlidingWindow)...)
				out = append(out, figure(rep.Trust, HowFarToTrust)...)
				return append(out, figure(rep.CPU, ModelVsMeasurement)...)
			}},
		{"4. KV memory across architectures", "", func(rep study.Report) []widgets.Widget {
			return figure(rep.KV, KVMemory) // its table follows the KV data type picker
		}},
		{"5. Cache size on a serving workload", "The workload replayed through a prefix cache at every capacity of the slider; the curves mark the slider's capacity and the memory the model's devices leave for the cache.",
			func(rep study.Report) []widgets.Widget { return figure(rep.Cache, CacheSize) }},
		{"5b. Beyond one GPU: cache tiers and serving instances", "The same workload over several serving instances, each with GPU memory (the slider) above host memory and an SSD, private or one store shared by all: how much reuse the GPUs alone miss, what the tiers and sharing win back, and the time to first token.",
			func(rep study.Report) []widgets.Widget { return figure(rep.Tiers, CacheTiers) }},
		{"5c. Serving latencies", "The workload's first requests served in time at several cache sizes and under two schedulers: the distributions of time to first token, time per output token and end-to-end latency.",
			func(rep study.Report) []widgets.Widget { return figure(rep.Latency, LatencyCDF) }},
		{"6. A bounded cache on one long generation", "Recompute (exact, slower) against a sliding window with attention sinks (fast, approximate), measured with random weights.",
			func(rep study.Report) []widgets.Widget { return figure(rep.Bounded, BoundedCache) }},
		{"7. Performance data", "", func(rep study.Report) []widgets.Widget {
			return []widgets.Widget{EnvironmentTable(rep.Results), MetricsTable(rep.Results)}
		}},
		{"8. Findings", "", func(rep study.Report) []widgets.Widget { return []widgets.Widget{FindingsTable(rep.Findings)} }},
	}
}

// figure draws a study's figure, or says the study is missing.
func figure[R any, W widgets.Widget](r *R, draw func(R) W) []widgets.Widget {
	if r == nil {
		return []widgets.Widget{missing{}}
	}
	return []widgets.Widget{draw(*r)}
}

// missing stands where a study that did not run would be drawn.
type missing struct{}

func (missing) Render() string {
	return "<p><i>Not computed: its study did not run with these picks (see the missing list under the performance data).</i></p>"
}

// Page lays out every section of the report as one standalone page
// (kvsim report).
func Page(rep study.Report) *widgets.Page {
	p := rep.Settings
	page := widgets.NewPage(fmt.Sprintf("What a KV cache does: %s on %s, %s", p.BigModel, p.Hardware, p.Source().Label())).
		Text("Computed by kvsim (kvsim report); the same figures as notebooks/kvcache.ipynb. Sliders and pickers work in this file, offline.")
	for _, s := range Sections() {
		page.Heading(s.Title)
		if s.Intro != "" {
			page.Text(s.Intro)
		}
		page.Add(s.Figures(rep)...)
	}
	return page.Text(widgets.LibraryNotice())
}
