//go:build unix

package cost_test

import (
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuSample is the machine's busy CPU time and this process's, at a time.
type cpuSample struct {
	at          time.Time
	machine, me float64 // seconds
	ok          bool
}

// sampleCPU reads the CPU time every core spent busy (/proc/stat: all but
// idle and iowait; guest time is inside user) and this process's own.
func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		if i == 3 || i == 4 {
			continue
		}
		ticks, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return s
		}
		s.machine += ticks / clockTicks
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return s
	}
	s.me = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	s.ok = true
	return s
}

// clockTicks is USER_HZ, the unit of /proc/stat (100 on every Linux
// architecture Go supports).
const clockTicks = 100

// othersBusy is how many cores, on average since s, other processes kept
// busy (0 where it cannot be read).
func (s cpuSample) othersBusy() float64 {
	now := sampleCPU()
	if !s.ok || !now.ok {
		return 0
	}
	return math.Max(0, (now.machine-s.machine)-(now.me-s.me)) / now.at.Sub(s.at).Seconds()
}
