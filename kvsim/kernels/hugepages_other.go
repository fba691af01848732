//go:build !linux

package kernels

// PreferHugePages asks the kernel to back s with huge pages; outside Linux
// it does nothing and reports false.
func PreferHugePages(s []float32) bool { return false }

const hugePage = 2 << 20
