//go:build linux

package timing

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sample reads the CPU time every core spent busy (/proc/stat: all but idle
// and iowait; guest time is inside user) and this process's own.
func sample() Load {
	l := Load{at: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return l
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return l
	}
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue
		}
		ticks, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return l
		}
		l.machine += ticks / clockTicks
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return l
	}
	l.me = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	l.ok = true
	return l
}

// clockTicks is USER_HZ, the unit of /proc/stat (100 on every Linux
// architecture Go supports).
const clockTicks = 100
