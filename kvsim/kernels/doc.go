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
// stored at a stride) and Dot use the same summation, Axpy is y += αx and
// AxpyRows a weighted sum of rows (attention's Σ_t p_t v_t) with the same
// roundings as one Axpy per row.
//
// # Which kernel
//
// One token's product (a decode step) reads each weight once, and a model's
// weights are far larger than the caches, so the kernel's speed is the rate
// at which it streams W from memory. MatMul then runs streamRowsAVX2: row
// after row, W read front to back in one stream, which the hardware
// prefetcher follows better than the four interleaved rows of dot4AVX2; and
// the decoder puts its weights on transparent huge pages (PreferHugePages),
// one TLB entry per 2 MiB instead of per 4 KiB. BenchmarkMatVec, one thread,
// llama-110m shapes, GB/s of weights streamed, median (min-max) of 5 runs
// (`go test -run '^$' -bench MatVec -count 5 -cpu 1`; 2-core AMD EPYC Zen 4
// KVM guest, 32 MiB L3, otherwise idle):
//
//	                       768x768       2048x768      32000x768     32000x768
//	                       (cached)      (cached)      4 KiB pages   huge pages
//	hand-written Go         9.8 (9.7-10)  9.7 (9.1-9.8) 9.8 (9.7-9.9) 9.6 (9.4-9.7)
//	gonum BLAS Sgemv       40 (40-41)    40 (39-40)    24 (23-25)    30 (29-30)
//	AVX2, 4 rows at once   77 (75-80)    76 (71-76)    15 (14-15)    17 (17-18)
//	AVX2, row after row    64 (61-73)    69 (59-73)    21 (21-22)    30 (29-32)
//
// (4 KiB pages in the first two columns; the two smaller matrices stay in
// cache from one pass to the next; a decode step's do not, since the whole
// model passes through between them). At the decode shape the stream only
// ties gonum's Sgemv; it stays for the fixed summation order below.
// A batch of tokens (prefill, an uncached step, recompute) is compute-bound
// instead: each block of W, while it sits in L2, meets every token, four
// rows at a time (dot4AVX2) or, where the CPU has AVX-512, in a tile of 4
// rows x 6 tokens held in 24 of its 32 vector registers (tile4x6AVX512),
// which loads each block of W once for six tokens: BenchmarkMatMulBatch
// (2048x768 by 64 tokens, one thread, the machine above, 5 runs) gave
// 46 (43-48) GFLOP/s with dot4AVX2 and 76 (75-79) with the tile. A 16-lane
// version of the one-token stream was tried and streamed no faster there
// than the 8-lane one, so the stream stays AVX2. CPUs without AVX2 and FMA get
// gonum's Sgemv; the Go loop stays in the benchmark as the yardstick.
//
// The assembly sums every row in one fixed order with unaligned loads
// (dot_amd64.s): a value does not depend on the kernel that computed it, on
// n, on the thread count or on alignment (tested bit for bit on odd sizes
// and unaligned tails). Gonum's Sdot peels to align one operand, which is
// why Aligned and Stride exist: they keep the fallback's order fixed too.
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
