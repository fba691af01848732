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
// Alignment is written on every cell, since JupyterLab's own table style
// right-aligns cells and outranks a class.
func (t Table) HTML() string {
	var b strings.Builder
	b.WriteString(`<div class="kvsim-table"><style>` +
		`.kvsim-table table{border-collapse:collapse;font:13px system-ui,sans-serif}` +
		`.kvsim-table th,.kvsim-table td{padding:3px 10px;border-bottom:1px solid #ddd;vertical-align:top}` +
		`.kvsim-table th{background:#f3f4f6}.kvsim-table caption{font-weight:600;text-align:left;padding:4px 0}` +
		`</style><table>`)
	if t.Title != "" {
		fmt.Fprintf(&b, "<caption>%s</caption>", html.EscapeString(t.Title))
	}
	b.WriteString("<thead><tr>")
	for i, h := range t.headings() {
		fmt.Fprintf(&b, `<th style="text-align:%s">%s</th>`, t.align(i), html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range r {
			style := "text-align:" + string(Right)
			if i < len(t.Columns) {
				style = "text-align:" + string(t.align(i))
				if color := t.Columns[i].Colors[c]; color != "" {
					style += ";color:" + color + ";font-weight:600"
				}
			}
			fmt.Fprintf(&b, `<td style="%s">%s</td>`, html.EscapeString(style), html.EscapeString(c))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table></div>")
	return b.String()
}
