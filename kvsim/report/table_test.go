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

func TestUnits(t *testing.T) {
	cases := map[string]string{
		Count(174.6e9):         "174.6B",
		Count(5919000):         "5.919M",
		Count(3.2e15):          "3.2P",
		Bytes(327680):          "320 KiB",
		Bytes(512):             "512 B",
		Bytes(1.5 * (1 << 30)): "1.5 GiB",
		Seconds(0.0123):        "12.3 ms",
		Seconds(42e-6):         "42 µs",
		Seconds(2.5):           "2.5 s",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
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
