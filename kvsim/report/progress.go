package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Progress shows a long command's progress on w (standard error): on a
// terminal one line redrawn in place, with a bar when the stage counts its
// steps; elsewhere (a log file, a CI job) a line when a stage starts and
// one when its counted steps are done. Lines written through it as an
// io.Writer (summaries) go above the bar. Safe for concurrent use; a nil
// Progress shows nothing.
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	start    time.Time
	stage    string
	drawn    bool // a bar is on the terminal's last line
}

// NewProgress shows progress on w, redrawn in place when terminal.
func NewProgress(w io.Writer, terminal bool) *Progress {
	return &Progress{w: w, terminal: terminal, start: time.Now()}
}

// Update says the stage now running has done of total steps (total 0:
// not counted).
func (p *Progress) Update(stage string, done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start).Seconds()
	if p.terminal {
		line := fmt.Sprintf("[%6.1f s] %s", elapsed, stage)
		if total > 0 {
			const width = 24
			n := min(width, width*done/total)
			line += fmt.Sprintf(" [%s%s] %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total)
		}
		fmt.Fprint(p.w, "\r\033[K"+line)
		p.drawn = true
		return
	}
	if stage != p.stage {
		p.stage = stage
		if total > 0 {
			fmt.Fprintf(p.w, "[%6.1f s] %s: %d steps\n", elapsed, stage, total)
		} else {
			fmt.Fprintf(p.w, "[%6.1f s] %s\n", elapsed, stage)
		}
	}
	if total > 0 && done == total {
		fmt.Fprintf(p.w, "[%6.1f s] %s: done\n", elapsed, stage)
	}
}

// Write prints b above the progress line.
func (p *Progress) Write(b []byte) (int, error) {
	if p == nil {
		return len(b), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return p.w.Write(b)
}

// Done clears the progress line from a terminal.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *Progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}
