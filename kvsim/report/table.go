package report

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"strings"
	"text/tabwriter"
)

// Column is a table heading with its unit ("" when unitless). Align and
// Colors only shape the HTML form.
type Column struct {
	Name   string
	Unit   string
	Align  Align             // "": the first column left, the others right
	Colors map[string]string // cell text -> CSS colour, e.g. a verdict column
}

// Align is where a column's cells sit in HTML.
type Align string

// Alignments.
const (
	Left  Align = "left"
	Right Align = "right"
)

// align is the column's alignment, with the default filled in.
func (t Table) align(i int) Align {
	if a := t.Columns[i].Align; a != "" {
		return a
	}
	if i == 0 {
		return Left
	}
	return Right
}

// Heading is the column name with its unit in brackets.
func (c Column) Heading() string {
	if c.Unit == "" {
		return c.Name
	}
	return c.Name + " (" + c.Unit + ")"
}

// Table is a titled grid of formatted cells.
type Table struct {
	Title   string
	Columns []Column
	Rows    [][]string
}

// AddRow appends one row; it must have one cell per column.
func (t *Table) AddRow(cells ...string) {
	t.Rows = append(t.Rows, cells)
}

func (t Table) headings() []string {
	h := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		h[i] = c.Heading()
	}
	return h
}

// WriteText writes the table as aligned plain text.
func (t Table) WriteText(w io.Writer) error {
	if t.Title != "" {
		if _, err := fmt.Fprintf(w, "%s\n\n", t.Title); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.headings(), "\t"))
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// WriteMarkdown writes the table as a GitHub-flavoured Markdown table.
func (t Table) WriteMarkdown(w io.Writer) error {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", t.Title)
	}
	h := t.headings()
	for i := range h {
		h[i] = esc(h[i])
	}
	fmt.Fprintf(&b, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat(" --- |", len(h)))
	for _, r := range t.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = esc(c)
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes the headings and rows as CSV.
func (t Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.headings()); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	return cw.Error()
}

// HTML renders the table as a self-contained, styled HTML fragment: the
// one table renderer of kvsim (widgets and pages show tables through it).
// Alignment is written on every cell, since JupyterLab's own styles would
// otherwise decide it.
//
// The table is laid out by CSS (display: table) over div and span, with
// ARIA roles, rather than <table>: an HTML export sanitized by nbconvert
// escapes <th>, <thead>, <caption> and the <tbody> every HTML parser adds
// to a <table>, and shows them as text. Sanitized, the <style> is gone and
// each row reads as one line, its cells separated by " | " (hidden by the
// style otherwise).
func (t Table) HTML() string {
	var b strings.Builder
	b.WriteString(`<div class="kvsim-table"><style>` +
		`.kvsim-table .kvsim-grid{display:table;border-collapse:collapse;font:13px system-ui,sans-serif}` +
		`.kvsim-table .kvsim-row{display:table-row}` +
		`.kvsim-table .kvsim-cell{display:table-cell;padding:3px 10px;border-bottom:1px solid #ddd;vertical-align:top}` +
		`.kvsim-table .kvsim-head .kvsim-cell{background:#f3f4f6}.kvsim-table .kvsim-sep{display:none}` +
		`.kvsim-table .kvsim-caption{font:600 13px system-ui,sans-serif;padding:4px 0}` +
		`</style>`)
	if t.Title != "" {
		fmt.Fprintf(&b, `<div class="kvsim-caption"><b>%s</b></div>`, html.EscapeString(t.Title))
	}
	b.WriteString(`<div class="kvsim-grid" role="table"><div class="kvsim-row kvsim-head" role="row">`)
	for i, h := range t.headings() {
		if i > 0 {
			b.WriteString(`<span class="kvsim-sep"> | </span>`)
		}
		fmt.Fprintf(&b, `<span class="kvsim-cell" role="columnheader" style="text-align:%s"><b>%s</b></span>`, t.align(i), html.EscapeString(h))
	}
	b.WriteString("</div>")
	for _, r := range t.Rows {
		b.WriteString(`<div class="kvsim-row" role="row">`)
		for i, c := range r {
			style := "text-align:" + string(Right)
			if i < len(t.Columns) {
				style = "text-align:" + string(t.align(i))
				if color := t.Columns[i].Colors[c]; color != "" {
					style += ";color:" + color + ";font-weight:600"
				}
			}
			if i > 0 {
				b.WriteString(`<span class="kvsim-sep"> | </span>`)
			}
			fmt.Fprintf(&b, `<span class="kvsim-cell" role="cell" style="%s">%s</span>`, html.EscapeString(style), html.EscapeString(c))
		}
		b.WriteString("</div>")
	}
	b.WriteString("</div></div>")
	return b.String()
}
