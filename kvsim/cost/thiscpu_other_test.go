//go:build !unix

package cost_test

import "time"

// cpuSample cannot be read here: the busy check of the cross-check is off.
type cpuSample struct {
	at          time.Time
	machine, me float64
	ok          bool
}

const clockTicks = 100

func sampleCPU() cpuSample { return cpuSample{at: time.Now()} }

func (s cpuSample) othersBusy() float64 { return 0 }
