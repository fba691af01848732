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
// Each output is one dot product (gonum's BLAS Sgemv over a block of rows),
// so a value does not depend on n, on the thread count or on how rows are
// split: a token's logits are bit-identical whether it runs alone or inside a
// batch, provided its input vector sits at the same 16-byte alignment (see
// Aligned and Stride).
//
// Gonum's Sgemv was measured against hand-written Go dot products with 4 and
// 8 accumulators and won by about 2x on this CPU (it uses SSE); the hand
// version stays in the benchmarks (BenchmarkMatVec) as the yardstick.
//
// # Worker pool
//
// A Pool keeps threads-1 goroutines parked between calls; Pool.Run hands out
// chunks of a range [0, n) through an atomic counter and the caller works too.
// Nothing is allocated per call. A Pool serves one Run at a time (calls are
// serialised by a mutex) and must be closed.
package kernels
