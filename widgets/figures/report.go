package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// EnvironmentTable is the first table of section 7: the machine, and how
// long each study took.
func EnvironmentTable(r study.Results) *widgets.Table {
	return widgets.NewTable(r.EnvironmentTable()).Note("this-cpu: " + r.Environment.ThisCPU.Method + " (what kvsim predict --hardware this-cpu uses).")
}

// MetricsTable is the second table of section 7: every headline number.
func MetricsTable(r study.Results) *widgets.Table {
	w := widgets.NewTable(study.MetricsTable(r.Metrics()))
	if len(r.Missing) > 0 {
		w.Note(fmt.Sprintf("Missing: %v", r.Missing))
	}
	return w
}

// FindingsTable is the table of section 8: each claim, its verdict
// (coloured) and the evidence.
func FindingsTable(fs []study.Finding) *widgets.Table {
	return widgets.NewTable(study.FindingsTable(fs)).
		Note("Every verdict is computed from the numbers above; rerun with other picks and it may change. " +
			"A claim about speed is checked under each engine of section 3 (and on this CPU where it was measured): " +
			"\"depends on the engine\" says under which it holds.")
}
