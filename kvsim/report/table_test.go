package report

import (
	"bytes"
	"strings"
	"testing"

	"kvcache/kvsim/model"
)

func sample() Table {
	t := Table{Title: "T", Columns: []Column{{Name: "model"}, {Name: "latency", Unit: "ms"}}}
	t.AddRow("a|b", "1.5")
	t.AddRow("<c>", "2")
	return t
}

func TestTableFormats(t *testing.T) {
	tb := sample()
	var text, md, csv bytes.Buffer
	if err := tb.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := tb.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "latency (ms)") {
		t.Errorf("text lacks unit heading:\n%s", text.String())
	}
	if !strings.Contains(md.String(), `| a\|b | 1.5 |`) {
		t.Errorf("markdown does not escape pipes:\n%s", md.String())
	}
	if got, want := csv.String(), "model,latency (ms)\na|b,1.5\n<c>,2\n"; got != want {
		t.Errorf("csv = %q, want %q", got, want)
	}
	if h := tb.HTML(); !strings.Contains(h, "&lt;c&gt;") || strings.Contains(h, "<c>") {
		t.Errorf("html does not escape cells: %s", h)
	}
}

func TestModelTableHasEveryModel(t *testing.T) {
	specs := model.NewCatalog().Specs()
	tb := ModelTable(specs)
	if len(tb.Rows) != len(specs) {
		t.Fatalf("%d rows for %d models", len(tb.Rows), len(specs))
	}
	for i, r := range tb.Rows {
		if len(r) != len(tb.Columns) {
			t.Errorf("row %d has %d cells for %d columns", i, len(r), len(tb.Columns))
		}
	}
}

func TestHTMLAlignsAndColours(t *testing.T) {
	tb := Table{Columns: []Column{{Name: "claim"}, {Name: "verdict", Align: Left, Colors: map[string]string{"holds": "#047857"}}, {Name: "n"}}}
	tb.AddRow("a", "holds", "1")
	tb.AddRow("b", "does not hold", "2")
	h := tb.HTML()
	for _, want := range []string{
		`<span class="kvsim-cell" role="cell" style="text-align:left">a</span>`,
		`<span class="kvsim-cell" role="cell" style="text-align:left;color:#047857;font-weight:600">holds</span>`,
		`<span class="kvsim-cell" role="cell" style="text-align:left">does not hold</span>`,
		`<span class="kvsim-cell" role="cell" style="text-align:right">2</span>`,
		`<span class="kvsim-cell" role="columnheader" style="text-align:right"><b>n</b></span>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %s:\n%s", want, h)
		}
	}
}
