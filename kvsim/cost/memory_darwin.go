package cost

import (
	"encoding/binary"
	"fmt"
	"syscall"
)

// physicalMemory reads the machine's RAM from the hw.memsize sysctl.
func physicalMemory() (int64, error) {
	s, err := syscall.Sysctl("hw.memsize")
	if err != nil {
		return 0, fmt.Errorf("cost: reading this machine's memory size: %w", err)
	}
	var buf [8]byte
	copy(buf[:], s) // Sysctl trims a trailing zero byte; the value is little-endian
	return int64(binary.LittleEndian.Uint64(buf[:])), nil
}
