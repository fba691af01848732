// Package report turns kvsim results into tables and files: aligned text for
// the terminal, Markdown, CSV, JSON and HTML for notebooks and pages.
//
// A Table is columns (a name, a unit, and for HTML an alignment and
// optional colours per cell value) and rows of preformatted cells; each
// output format renders the same Table, so the CLI, the notebook and the
// files written to reports/ always agree. Table.HTML is the one HTML table
// renderer: widgets and pages show tables through it.
//
// The tables of the engine's results live here, one file per subject:
//
//	models.go    ModelTable, ModelDetail, ModelRecord (kvsim models, section 1)
//	hardware.go  HardwareTable, HardwareDetail (kvsim hardware)
//	predict.go   PredictionTable, WritePrediction, StepBreakdown (kvsim predict)
//	bench.go     BenchTable, DecodeComparisonTable (kvsim bench)
//	replay.go    ReplayTable, ServeTable, BlockSizeTable, WriteBlockSizes (kvsim replay)
//	requests.go  WriteRequestsCSV (kvsim replay --timed --requests-csv)
//	progress.go  Progress: a bar on a terminal, a line per stage elsewhere
//
// Numbers are formatted by kvsim/units.
package report
