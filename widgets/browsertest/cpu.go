package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// clockTick is the unit of /proc/PID/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// CPUTime is the processor time Chromium's processes (the browser and all
// its children: renderers, GPU, utility) have used so far, read from
// /proc in 10 ms ticks. Differences over many actions measure their cost
// in CPU, which other work on a busy machine inflates far less than wall
// time (it still adds cache misses). Linux only.
func (b *Browser) CPUTime() (time.Duration, error) {
	c := chromedp.FromContext(b.ctx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0, fmt.Errorf("browsertest: no browser process")
	}
	root := c.Browser.Process().Pid
	children := map[int][]int{}
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(dirs) == 0 {
		return 0, fmt.Errorf("browsertest: reading /proc: %v", err)
	}
	ticks := map[int]int64{}
	for _, p := range dirs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // the process ended
		}
		// pid (comm) state ppid ... utime(14) stime(15): comm may hold spaces.
		s := string(data)
		end := strings.LastIndexByte(s, ')')
		if end < 0 {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 13 {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(s)[0])
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		children[ppid] = append(children[ppid], pid)
		ticks[pid] = ut + st
	}
	var total int64
	for stack := []int{root}; len(stack) > 0; {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		total += ticks[p]
		stack = append(stack, children[p]...)
	}
	return time.Duration(total) * clockTick, nil
}
