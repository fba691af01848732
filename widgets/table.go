package widgets

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"strings"

	"kvcache/kvsim/report"
)

// Table shows a kvsim/report table (units in the headings) as HTML. It
// needs no script, so it reads the same in an untrusted notebook, and its
// markup survives an export sanitized by nbconvert (its <style> sits in an
// element JupyterLab's CSS hides, so the sanitized page shows no CSS text).
//
//	notebook.Display(widgets.NewTable(report.ModelTable(specs)).Note("KV at fp16"))
type Table struct {
	table report.Table
	note  string
}

// NewTable wraps a report table.
func NewTable(t report.Table) *Table { return &Table{table: t} }

// Note puts a line of small text under the table.
func (w *Table) Note(text string) *Table { w.note = text; return w }

// HTML returns the table's HTML fragment, or why it cannot be drawn.
func (w *Table) HTML() (string, error) { return dropID(w.renderWithID("")) }

// Render returns the table's HTML fragment; on error, a visible error box.
func (w *Table) Render() string { return orError(w.HTML()) }

func (w *Table) renderWithID(id string) (string, string, error) {
	if len(w.table.Columns) == 0 {
		return "", "", fmt.Errorf("widgets: table %q has no columns", w.table.Title)
	}
	for i, r := range w.table.Rows {
		if len(r) != len(w.table.Columns) {
			return "", "", fmt.Errorf("widgets: table %q row %d has %d cells for %d columns", w.table.Title, i, len(r), len(w.table.Columns))
		}
	}
	body := w.table.HTML()
	if id == "" {
		sum := sha256.Sum256([]byte(body + "\x00" + w.note))
		id = "kvw-table-" + hex.EncodeToString(sum[:6])
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="kvw-table" id="%s">`, html.EscapeString(id))
	if css, rest, ok := splitTableStyle(body); ok {
		fmt.Fprintf(&b, `<div class="lm-Widget lm-mod-hidden kvw-code">%s</div>`, css)
		body = rest
	}
	b.WriteString(body)
	if w.note != "" {
		fmt.Fprintf(&b, `<div class="kvw-note">%s</div>`, html.EscapeString(w.note))
	}
	b.WriteString("</div>")
	return b.String(), id, nil
}
