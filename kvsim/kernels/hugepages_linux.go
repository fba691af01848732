package kernels

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugePage is the size of a transparent huge page on x86-64 and most arm64
// kernels.
const hugePage = 2 << 20

// PreferHugePages asks Linux to back the whole 2 MiB pages inside s with
// transparent huge pages: MADV_HUGEPAGE, then MADV_COLLAPSE (Linux 6.1+),
// which moves the pages already written into huge pages at once. Streaming
// a matrix far larger than the caches then takes one TLB entry per 2 MiB
// instead of per 4 KiB (BenchmarkMatVecHugePages). It is advice: on an older
// kernel, with THP disabled or no free huge page, s stays as it is and
// PreferHugePages reports false. The data is unchanged either way.
func PreferHugePages(s []float32) bool {
	if len(s) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(&s[0]))
	end := start + uintptr(len(s))*4
	lo := (start + hugePage - 1) &^ (hugePage - 1)
	hi := end &^ (hugePage - 1)
	if hi <= lo {
		return false
	}
	mem := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&s[0]), lo-start)), hi-lo)
	if unix.Madvise(mem, unix.MADV_HUGEPAGE) != nil {
		return false
	}
	return unix.Madvise(mem, unix.MADV_COLLAPSE) == nil
}
