// Package figures turns kvsim results into the widgets of the kvcache
// notebook, and runs the studies behind them. The notebook
// (notebooks/kvcache.ipynb) and `kvsim report` call the same functions, so
// a figure looks the same in JupyterLab, in an exported notebook and in
// the standalone page.
//
// # Studies
//
// A Lab holds the reader's Settings (a small model that runs here, a big
// model to predict, a serving model for the prefix cache, a hardware
// preset, a workload or a Mooncake trace) and runs one study per section:
//
//	Measure     decoder.Run on this CPU, with and without a cache (section 2)
//	Predict     cost model: every model x hardware x exec mode (section 3)
//	CompareCPU  the cost model on this-cpu beside Measure's steps (section 3)
//	KV          KV bytes per token and per node (section 4)
//	Cache       sim sweeps and replays at every slider capacity (section 5)
//	Policies    decoder runs with a bounded cache: recompute vs window (section 6)
//	Report      metrics, findings and report files (sections 7 and 8)
//
// GoNB runs every cell as a new process, so each study saves its result as
// JSON in <reports>/data/NAME.json together with the settings it used, and
// Report reads them back; a result computed with other settings counts as
// missing. Sizes sets how much work each study does (DefaultSizes: about a
// minute on two cores).
//
// # Figures
//
// One function per figure or table, each taking a study and returning a
// widget (Render, HTML, Display):
//
//	ModelTable          the chosen models
//	LiveLatency         per-token latency drawn while the decoder runs
//	MeasuredLatency     measured latency + the matmul/attention/KV-write split, path picker
//	PredictedLatency    model, hardware and mode pickers: latency and speedup against
//	                    context, generation speedup against model size
//	ModelVsMeasurement  this-cpu prediction vs measurement, error per step
//	KVMemory, KVTable   KV per token and against context per architecture; what fits on a node
//	CacheSize           capacity slider: hit rate, memory and evictions over time; hit rate
//	                    and TTFT saved against capacity, marked at the slider and the node's memory
//	BoundedCache        capacity slider: recompute vs sliding window, time and quality
//	EnvironmentTable, MetricsTable, FindingsTable
//
// Every control of every explorer changes a chart (the browser test moves
// each one). Chart data keep 4 significant digits, and views that do not
// depend on a control are stored once, so the executed notebook stays a
// few megabytes.
//
// # Definitions
//
// Speedup = time without a cache / time with one, for a decode step or a
// whole generation (prefill included). Token hit rate and TTFT saved are
// those of kvsim/sim's glossary. The sweet spot is the smallest capacity
// whose LRU token hit rate reaches SweetSpotFraction (95%) of the
// unbounded cache's (sim.Sweep.SweetSpot). A cache "gains little" under
// LittleGain (1.5x). The findings state their conditions (hardware, exec
// mode, prompt and new tokens, batch) with every number.
package figures
