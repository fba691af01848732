package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// matVecGo is the hand-written yardstick: a plain Go matrix-vector product
// with eight independent accumulators (the Go compiler does not vectorise).
func matVecGo(out, w, x []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		row := w[r*cols : r*cols+cols]
		xx := x[:cols]
		var s0, s1, s2, s3, s4, s5, s6, s7 float32
		c := 0
		for ; c+8 <= cols; c += 8 {
			a, b := row[c:c+8:c+8], xx[c:c+8:c+8]
			s0 += a[0] * b[0]
			s1 += a[1] * b[1]
			s2 += a[2] * b[2]
			s3 += a[3] * b[3]
			s4 += a[4] * b[4]
			s5 += a[5] * b[5]
			s6 += a[6] * b[6]
			s7 += a[7] * b[7]
		}
		for ; c < cols; c++ {
			s0 += row[c] * xx[c]
		}
		out[r] = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
	}
}

// BenchmarkMatVec compares the kernels, one thread each, on the llama-110m
// shapes (attention 768x768, MLP 2048x768, LM head 32000x768), the matrix
// on huge pages (PreferHugePages) or not (4k); the figures are in the
// package doc:
//
//	go test -run '^$' -bench MatVec ./kvsim/kernels
func BenchmarkMatVec(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	one, _ := NewPool(1)
	defer one.Close()
	for _, sh := range []struct{ rows, cols int }{{768, 768}, {2048, 768}, {32000, 768}} {
		x := randomSlice(r, sh.cols)
		out := Aligned(sh.rows)
		for _, pages := range []string{"4k", "huge"} {
			w := randomSlice(r, sh.rows*sh.cols)
			if pages == "huge" && !PreferHugePages(w) {
				continue
			}
			name := fmt.Sprintf("%dx%d/%s", sh.rows, sh.cols, pages)
			kernels := []struct {
				name string
				run  func()
			}{
				{"go", func() { matVecGo(out, w, x, sh.rows, sh.cols) }},
				{"gonum", func() {
					gonum.Implementation{}.Sgemv(blas.NoTrans, sh.rows, sh.cols, 1, w, sh.cols, x, 1, 0, out, 1)
				}},
			}
			if hasAVX2 {
				kernels = append(kernels,
					struct {
						name string
						run  func()
					}{"avx2-4rows", func() { dotRowsAVX2(out, w, sh.cols, x) }},
					struct {
						name string
						run  func()
					}{"avx2-stream", func() { one.MatMul(out, sh.rows, w, sh.rows, sh.cols, x, sh.cols, 1) }})
			}
			for _, k := range kernels {
				b.Run(k.name+"/"+name, func(b *testing.B) {
					b.SetBytes(int64(4 * sh.rows * sh.cols))
					for b.Loop() {
						k.run()
					}
				})
			}
		}
	}
}

// BenchmarkMatMulThreads shows what the second core buys on a decode step's
// matrix-vector product and on a 64-token batch.
func BenchmarkMatMulThreads(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	const rows, cols = 2048, 768
	w := randomSlice(r, rows*cols)
	for _, n := range []int{1, 64} {
		x := randomSlice(r, n*cols)
		out := Aligned(n * rows)
		for _, threads := range []int{1, 2} {
			p, _ := NewPool(threads)
			b.Run(fmt.Sprintf("n=%d/threads=%d", n, threads), func(b *testing.B) {
				for b.Loop() {
					p.MatMul(out, rows, w, rows, cols, x, cols, n)
				}
				b.ReportMetric(2*float64(n*rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			p.Close()
		}
	}
}

// BenchmarkMatMulBatch compares the batched kernels on one thread: a
// 64-token batch through the llama-110m MLP shape (2048x768), with the
// AVX2 four-row kernel or the AVX-512 tile (the same bits):
//
//	go test -run '^$' -bench MatMulBatch ./kvsim/kernels
func BenchmarkMatMulBatch(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	const rows, cols, n = 2048, 768, 64
	w := randomSlice(r, rows*cols)
	x := randomSlice(r, n*cols)
	out := Aligned(n * rows)
	p, _ := NewPool(1)
	defer p.Close()
	for _, avx512 := range []bool{false, true} {
		if avx512 && !hasAVX512 || !hasAVX2 {
			continue
		}
		name := "avx2-4rows"
		if avx512 {
			name = "avx512-tile"
		}
		b.Run(name, func(b *testing.B) {
			p.avx512 = avx512
			for b.Loop() {
				p.MatMul(out, rows, w, rows, cols, x, cols, n)
			}
			b.ReportMetric(2*float64(n*rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
