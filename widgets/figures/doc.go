// Package figures turns the results of kvsim/study into the widgets of the
// kvcache notebook. The notebook (notebooks/kvcache.ipynb) and `kvsim
// report` draw with the same functions, so a figure looks the same in
// JupyterLab, in an exported notebook and in the standalone page.
//
// A figure is a function of a study's result and nothing else: it runs no
// study, reads no file and imports no engine room (model, decoder, cost,
// cache, workload, sim); the numbers come computed in the result.
//
//	ModelTable          study.Chosen          the chosen models (section 1)
//	LiveLatency         study.Token stream    per-token latency drawn while study.Measure runs
//	MeasuredLatency     study.Measured        latency + the matmul/attention/KV-write split, path picker
//	PredictedLatency    study.Predictions     model, hardware and engine pickers: latency and speedup
//	                                          against context, generation speedup against model size,
//	                                          each predicted curve shaded with its validated band
//	SlidingWindow       study.SparseStudy     engine picker: a sliding-window model against dense ones
//	HowFarToTrust       study.TrustStudy      predicted against published on log axes, the ×1.25 lines,
//	                                          coloured by engine, beside kvsim validate's summary
//	ModelVsMeasurement  study.CPUComparison   this-cpu prediction vs measurement, error per step
//	KVMemory            study.KVStudy         KV dtype picker: KV per token, against context, and the
//	                                          table of what fits on the devices (KVTable: at the fit dtype)
//	CacheSize           study.CacheStudy      capacity slider: hit rate, memory and evictions over time;
//	                                          hit rate and TTFT saved against capacity; with a grid
//	                                          (CacheExplorer) pickers for workload, block size,
//	                                          eviction policy and serving model too
//	CacheTiers          study.TiersStudy      GPU-memory slider, tier, instance, router and store pickers:
//	                                          reuse against capacity, where it comes from, TTFT
//	LatencyCDF          study.LatencyStudy    latency and comparison pickers: CDFs of TTFT, TPOT, E2E
//	                                          by cache size or scheduler, with percentiles
//	BoundedCache        study.BoundedStudy    capacity slider: recompute vs sliding window, time and quality
//	EnvironmentTable, MetricsTable            study.Results
//	FindingsTable       []study.Finding       claim, verdict, the engine it assumes, evidence
//
// Sections lists the notebook's sections with their figures, and Page lays
// them out as `kvsim report`'s page: a section is edited in one place.
//
// A new figure is a new function here over a new study's result, and a
// line in Sections if the report page shows it.
//
// Every control of every explorer changes a chart (the browser test moves
// each one). Chart data keep 4 significant digits, views that do not
// depend on a control are stored once (a figure returns the same chart for
// the states it does not depend on), and large explorers travel gzipped, so
// the executed notebook stays about 2 MB.
//
// Style (style.go) is shared: a colour per meaning (with or without a
// cache, each part of a step, each policy), a palette whose colours are at
// least 25 apart in CIELAB, and, where a model does not fit, one message
// chart in place of empty plots (noFitMessage).
//
// Speedup = time without a cache / time with one, for a decode step or a
// whole generation (prefill included). Token hit rate and TTFT saved are
// those of kvsim/sim's glossary; the sweet spot and the findings' rules
// are kvsim/study's.
package figures
