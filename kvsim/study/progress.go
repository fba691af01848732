package study

import "sync"

// Progress says how far a study is, for a progress line or bar: Stage is
// what runs now; Done of Total its steps (Total 0: one step, not counted).
type Progress struct {
	Study string
	Stage string
	Done  int
	Total int
}

// counter counts one stage's steps and reports each to a Progress
// callback, one call at a time; a counter without a callback counts
// nothing. Safe for concurrent use.
type counter struct {
	mu     sync.Mutex
	p      Progress
	report func(Progress)
}

// newCounter reports the stage at 0 of total steps and returns its counter.
func newCounter(study, stage string, total int, report func(Progress)) *counter {
	c := &counter{p: Progress{Study: study, Stage: stage, Total: total}, report: report}
	if report != nil {
		report(c.p)
	}
	return c
}

// step counts one step done.
func (c *counter) step() {
	if c.report == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.p.Done++
	c.report(c.p)
}

// runDone counts one run of a sim sweep (sim.SweepConfig.Progress).
func (c *counter) runDone(int, int) { c.step() }
