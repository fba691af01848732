// Package kernels holds the float32 matrix kernels of kvsim's decoder and the
// worker pool that runs them on every core, so that anything that wants to
// time "a matmul on this CPU" (the cost model's calibration) times exactly the
// code the decoder runs.
//
// # Matrix products
//
// Weights are row-major (rows, cols): row r is the r-th output's weights, as
// in PyTorch's nn.Linear. For n input vectors x_t stored at a row stride,
//
//	out[t][r] = Σ_c W[r][c] · x_t[c]      t < n, r < rows
//
// MatMul computes it; n = 1 is the matrix-vector product of one decode step.
// Each output is one dot product, so a value does not depend on n, on the
// thread count or on how rows are split: a token's logits are bit-identical
// whether it runs alone or inside a batch. DotRows (a query against keys
// stored at a stride) and Dot use the same summation, Axpy is y += αx.
//
// # Which kernel
//
// Three were measured (BenchmarkMatVec, one thread, llama-110m shapes, on the
// 2-core Xeon this was written on, GB/s of weights streamed):
//
//	                     768x768   2048x768   32000x768 (out of cache)
//	hand-written Go        15.2      15.1        5.6    (8 scalar accumulators)
//	gonum BLAS Sgemv       37.5      28.4       10.7    (SSE)
//	AVX2/FMA (this pkg)    54.5      30.0       20.5    (4 rows per load of x)
//
// so MatMul uses the AVX2/FMA assembly (dot_amd64.s) where the CPU has AVX2
// and FMA, and gonum's Sgemv elsewhere; the Go loop stays in the benchmark as
// the yardstick. The assembly sums every row in one fixed order with
// unaligned loads, so results do not depend on alignment (gonum's Sdot peels
// to align one operand, which is why Aligned and Stride exist: they keep the
// fallback's order fixed too).
//
// # Worker pool
//
// A Pool keeps threads-1 helper goroutines; Pool.Run hands out chunks of a
// range [0, n) through an atomic counter and the caller works too. Helpers
// spin for about 50 µs after a job before parking, because a decode step
// issues dozens of small jobs back to back and a scheduler wake-up per job
// cost more than the second core gained (BenchmarkMatMulThreads). Nothing is
// allocated per call. A Pool serves one Run at a time (calls are serialised
// by a mutex) and must be closed.
package kernels
