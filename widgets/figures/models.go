package figures

import (
	"fmt"

	"kvcache/kvsim/report"
	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// ModelTable is the table of section 1: the chosen models, their roles and
// their derived sizes.
func ModelTable(c study.Chosen) *widgets.Table {
	t := report.ModelTable(c.Models)
	t.Title = "The chosen models"
	t.Columns = append([]report.Column{{Name: "role", Align: report.Left}}, t.Columns...)
	for i := range t.Rows {
		t.Rows[i] = append([]string{c.Roles[i]}, t.Rows[i]...)
	}
	return widgets.NewTable(t).Note(fmt.Sprintf("Hardware %s (%s); workload %s; seed %d. KV/token at fp16; params exact for the architecture.",
		c.Hardware, c.Device, c.Picks.Source().Label(), c.Picks.Seed))
}
