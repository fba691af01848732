// Package study holds the notebook's studies as plain functions over the
// engine rooms (model, decoder, cost, cache, workload, sim). The notebook
// (notebooks/kvcache.ipynb), `kvsim report` and `kvsim replay` call the same
// functions, and widgets/figures only draws their results.
//
// # A study
//
// A study is a function from its settings to its result:
//
//	func X(ctx context.Context, s XSettings) (XResult, error)
//
// The settings are a plain struct a notebook cell can print or edit; the
// function keeps no state, writes no file and reports progress only
// through an optional callback in its settings. Its result implements
// Result: it names its study (Study), carries its Provenance (when, how
// long, on which Machine; its inputs are its own fields) and a one-line
// Summary. Measured numbers carry their Spread.
//
//	study            settings           result           section  saved as
//	Measure          MeasureSettings    Measured         2        data/measured.json
//	MeasureSpeedups  SpeedupSettings    SpeedupStudy     2        data/speedup.json
//	Predict          PredictSettings    Predictions      3        data/predictions.json
//	Sparse           SparseSettings     SparseStudy      3        data/sparse.json
//	Trust            TrustSettings      TrustStudy       3        data/trust.json
//	CompareCPU       CompareSettings    CPUComparison    3        data/cpu.json
//	KV               KVSettings         KVStudy          4        data/kv.json
//	Cache            CacheSettings      CacheStudy       5        data/cache.json
//	Tiers            TiersSettings      TiersStudy       5b       data/tiers.json
//	Latency          LatencySettings    LatencyStudy     5c       data/latency.json
//	Bounded          BoundedSettings    BoundedStudy     6        data/bounded.json
//	Replay           ReplaySettings     ReplayResult     kvsim replay
//	BlockSizes       BlockSizeSettings  BlockSizeResult  kvsim replay --block-sizes
//	Validate         TierReferenceSettings  Validation   kvsim validate
//
// Replay with ReplaySettings.Tiered set is one replay over cache tiers and
// serving instances (kvsim replay --tiers); Validate adds the tiers'
// published comparison (CompareTiersPublished) to the cost model's.
//
// Tiers replays the workload over N serving instances, each with GPU
// memory (hbm) above host memory and an SSD, private or one store shared
// by all, behind a router (sim.ReplayTiered): one run per combination of
// the notebook's pickers, precomputed for the page (8 hbm capacities x 3
// hierarchies x 4 instance counts x 2 routers x 2 stores = 384
// combinations, 264 distinct replays: about 6 s of CPU on the synthetic
// workload, about 33 s on the conversation trace). Latency serves the
// workload's first requests in time (sim.Serve) at several cache sizes
// under each scheduler and keeps the distributions of TTFT, TPOT and
// end-to-end latency (CDF).
//
// Findings checks six common claims against Results (section 8), one
// function per claim in Checks (a new claim is a new file and a line
// there); Metrics are the report's headline numbers (section 7); Report
// writes both as CSV, JSON and Markdown through kvsim/report.
//
// # Predictions and their bands
//
// Predict prices every model on every hardware preset under each engine
// of PredictedEngines (hf-generate, pytorch-eager, pytorch-compile, vllm,
// tensorrt-llm, llama.cpp), and carries each engine's bands (EngineBands:
// cost.Validation.Band for a cached decode step, a prefill, a whole
// generation). A predicted time t suggests a measured one from
// t/Band.High to t/Band.Low (WithBand writes "21.9 ms, likely measured
// 23.1 ms - 43.1 ms", kvsim predict's words); a speedup, a ratio of two
// predicted times, takes both bands at opposite ends (SpeedupRange).
// Trust is the validation itself, case by case, for the "How far to trust
// these predictions" chart; Sparse is a sliding-window model against
// dense ones at long context, for the sixth claim.
//
// A finding about speed is checked under each engine (Finding.ByEngine,
// with a measurement on this CPU as kvsim-decoder where one ran); when the
// engines disagree its verdict is DependsOnEngine and Engine says under
// which it holds. "Bigger models gain more" also takes the size sweep
// measured on this CPU when it ran (Results.Speedup; nil reads as not
// measured in this run). Where a model is placed (what fits, the KV
// room left: the KV table, the cache study, the GQA finding) the engine's
// memory fraction applies, or Picks.MemoryFraction (kvsim report
// --memory-fraction).
//
// # The lab
//
// Lab is the notebook's session: it resolves the reader's Picks once
// (models, hardware, this-cpu), builds each study's settings from them
// (Lab.MeasureSettings, ...), and saves results for later cells, since GoNB
// runs every cell as a new process:
//
//	lab, _ := study.NewLab(study.DefaultPicks(), "")          // reports/ of the repository
//	kv, _ := study.Run(ctx, lab, study.KV, lab.KVSettings())  // run, log, save data/kv.json
//	r, _ := lab.Results()                                     // every saved result, for the report
//
// A saved result counts only for the picks and sizes it was computed with;
// Load returns ErrNotRun otherwise, so a folder never mixes two runs.
// Lab.RunAll runs every study in section order (kvsim report), after
// Lab.Check has refused, before any work, what would fail late.
//
// # Files and the folder lock
//
// Every file a lab writes (data/*.json, the report's CSV, JSON and
// Markdown) is written whole or not at all (kvsim/atomicfile): a kill or a
// full disk leaves the previous file. Lab.Lock takes the folder's lock
// (flock on DIR/.kvsim.lock) for a whole run, as kvsim report does; a Save
// outside such a run takes it for its own write. Another process writing
// the same folder meanwhile is refused, naming the holder: two runs never
// interleave their files.
//
// # Limits and progress
//
// A replay is refused before it starts when it would cost more than the
// limits of limits.go (capacities a sweep, tokens a block, prompt blocks a
// workload, block visits a study), with its numbers and what to change.
// Replay and Cache report their runs through Progress callbacks in their
// settings; Lab.Progress hears of each study of RunAll.
//
// # One answer per question
//
//   - How many devices a model runs on: Devices (cost.ChooseTP for one
//     request at the model's full context window), for the KV table, the
//     cache study and kvsim replay; the latency curves ask ChooseTP the same
//     question at their longest context, kvsim predict at the context given.
//   - What the cost model's error is: cost.Predictor.CompareDecode, used by
//     CompareCPU and kvsim bench --predict.
//   - What a total time is: the decoder's own total (PathTiming.TotalS), less
//     the time a caller's OnToken took, the median of its runs; kvsim bench
//     prints the same.
//   - When two measured paths differ: timing.Rank (Ranking), beyond the
//     noise of their runs, or within noise, or an impossible ordering
//     flagged as noise; the figures and the metrics say which.
//   - Which requests a cache study replays: Source (a Mooncake trace, else a
//     synthetic workload), for the notebook, kvsim report and kvsim replay.
//   - Which capacities a sweep visits: SliderCapacities.
//
// Names: the decoder's bounded-cache policies (recompute, window) belong to
// Bounded; the cache's eviction policies (lru, s3fifo, ...) to Cache and
// Replay, which call them evictions.
//
// # Adding a study
//
// A new study is a new file here: XSettings, a result type with Study,
// Summary and an embedded Provenance, the function X, a Lab.XSettings if
// the notebook runs it, and a figure in widgets/figures.
package study
