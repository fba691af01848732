package cost

import (
	"fmt"
	"syscall"
)

// physicalMemory reads the machine's RAM from sysinfo(2).
func physicalMemory() (int64, error) {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0, fmt.Errorf("cost: reading this machine's memory size: %w", err)
	}
	return int64(info.Totalram) * int64(info.Unit), nil
}
