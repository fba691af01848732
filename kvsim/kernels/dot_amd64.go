package kernels

import "golang.org/x/sys/cpu"

// hasAVX2 selects the AVX2/FMA dot products (dot_amd64.s) where the CPU
// has them; it is read-only after package initialisation.
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX2(x, y []float32) float32

//go:noescape
func dot4AVX2(w []float32, stride int, x []float32, out *[4]float32)

//go:noescape
func streamRowsAVX2(out, w []float32, cols int, x []float32)

//go:noescape
func axpyAVX2(alpha float32, x, y []float32)

//go:noescape
func axpyRowsAVX2(y, alpha, x []float32, stride int)

// hasAVX512 selects the AVX-512 tile of batched products (tile_amd64.s).
var hasAVX512 = hasAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL

//go:noescape
func tile4x6AVX512(w []float32, cols int, x []float32, xStride int, out []float32, outStride int)
