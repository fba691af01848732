//go:build !linux && !darwin

package cost

import (
	"fmt"
	"runtime"
)

// physicalMemory is unknown on this OS: say so rather than guess.
func physicalMemory() (int64, error) {
	return 0, fmt.Errorf("cost: cannot read the memory size on %s; measure with your own MeasureFunc and set Calibration.MemoryBytes", runtime.GOOS)
}
