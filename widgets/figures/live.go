package figures

import "kvcache/widgets"

// Replace puts w, the figure of the finished run (MeasuredLatency), in the
// live chart's place once the measurement is done: the notebook shows one
// chart of the run, not the live one and then the same data again.
//
//	live.Replace(figures.MeasuredLatency(must(study.Run(ctx, lab, study.Measure, s))))
func (l *LiveLatency) Replace(w widgets.Widget) error { return l.chart.Replace(w) }
