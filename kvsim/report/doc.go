// Package report turns kvsim results into tables and files: aligned text for
// the terminal, Markdown, CSV, JSON and HTML for notebooks and pages.
//
// A Table is columns (a name and a unit each) and rows of preformatted
// cells; each output format renders the same Table, so the CLI, the notebook
// and the files written to reports/ always agree.
package report
