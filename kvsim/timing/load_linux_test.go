//go:build linux

package timing

import (
	"math"
	"runtime"
	"testing"
	"time"
)

// The sampler reads the fields it means: the machine's busy time over an
// interval includes this process's own. The spin is bounded by this
// process's CPU time, not the clock, so a busy machine only makes it longer.
func TestSampleCountsThisProcess(t *testing.T) {
	s := sample()
	if !s.ok {
		t.Skip("no /proc/stat or rusage here")
	}
	const spin = 0.2 // seconds of this process's CPU time
	deadline := time.Now().Add(30 * time.Second)
	x, now := 1.0, s
	for now.me-s.me < spin {
		if time.Now().After(deadline) {
			t.Skipf("this process got %.3f s of CPU in 30 s: the machine is too busy to check the sampler", now.me-s.me)
		}
		for range 100_000 {
			x = math.Sqrt(x + 1)
		}
		now = sample()
	}
	me, machine := now.me-s.me, now.machine-s.machine
	slack := float64(runtime.NumCPU()+1) / clockTicks // /proc/stat counts whole ticks per core
	if machine < me-slack {
		t.Errorf("after %.3f s of this process's CPU (x=%.3f), the machine counted only %.3f s busy", me, x, machine)
	}
}
