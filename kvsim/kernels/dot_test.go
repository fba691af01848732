package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestDotAVX2MatchesReferenceAndIgnoresAlignment(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2/FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 768, 1001} {
		buf := randomSlice(r, n+16)
		ybuf := randomSlice(r, n+16)
		var first float32
		for off := 0; off < 8; off++ { // every alignment of x
			x, y := buf[off:off+n], ybuf[:n]
			if off > 0 {
				copy(buf[off:off+n], buf[off-1:off-1+n])
			}
			got := dotAVX2(x, y)
			var want float64
			for i := range x {
				want += float64(x[i]) * float64(y[i])
			}
			if math.Abs(float64(got)-want) > 1e-4*(1+math.Abs(want)) {
				t.Fatalf("n %d: %g, want %g", n, got, want)
			}
			if off == 0 {
				first = got
			} else if got != first {
				t.Fatalf("n %d: result depends on alignment (%g at offset %d, %g at 0)", n, got, off, first)
			}
		}
	}
}

// A row's dot product is the same bits whether dot4AVX2 computes it with
// three others or dotAVX2 alone, so MatMul's row grouping cannot matter.
func TestDot4AVX2MatchesDotAVX2Bitwise(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2/FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(10, 10))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 24, 33, 768, 1001} {
		stride := n + 3
		w := randomSlice(r, 4*stride)
		x := randomSlice(r, n)
		var four [4]float32
		dot4AVX2(w[:3*stride+n], stride, x, &four)
		for row := 0; row < 4; row++ {
			if one := dotAVX2(w[row*stride:row*stride+n], x); one != four[row] {
				t.Fatalf("n %d row %d: dot4 %g, dot %g", n, row, four[row], one)
			}
		}
	}
}

// streamRowsAVX2 sums each row exactly as dotAVX2 does, on odd row lengths
// (every tail) and with W and x at every float offset from alignment.
func TestStreamRowsAVX2MatchesDotAVX2Bitwise(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2/FMA on this CPU")
	}
	r := rand.New(rand.NewPCG(13, 13))
	for _, cols := range []int{1, 7, 8, 9, 15, 16, 17, 24, 33, 768, 1001} {
		for _, rows := range []int{1, 2, 5} {
			for off := 0; off < 3; off++ {
				w := randomSlice(r, rows*cols+off)[off:]
				x := randomSlice(r, cols+off)[off:]
				out := make([]float32, rows)
				streamRowsAVX2(out, w, cols, x)
				for row := range out {
					if one := dotAVX2(w[row*cols:(row+1)*cols], x); one != out[row] {
						t.Fatalf("cols %d rows %d offset %d row %d: stream %g, dot %g", cols, rows, off, row, out[row], one)
					}
				}
			}
		}
	}
}

// AxpyRows leaves the same bits as one Axpy per row, on every column tail
// (64-, 8- and 1-wide blocks) and at every offset.
func TestAxpyRowsMatchesAxpyBitwise(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 15))
	for _, cols := range []int{1, 7, 8, 9, 16, 63, 64, 65, 72, 128, 131} {
		for _, rows := range []int{0, 1, 3, 10} {
			for off := 0; off < 3; off++ {
				stride := cols + 5
				x := randomSlice(r, rows*stride+off)[off:]
				alpha := randomSlice(r, rows)
				got := randomSlice(r, cols+off)[off:]
				want := slices.Clone(got)
				AxpyRows(got, alpha, x, stride)
				for row, a := range alpha {
					Axpy(a, x[row*stride:row*stride+cols], want)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("cols %d rows %d offset %d: AxpyRows %v, Axpy %v", cols, rows, off, got, want)
				}
			}
		}
	}
}

// The AVX-512 tile gives every output dotAVX2's bits, at every offset.
func TestTile4x6AVX512MatchesDotAVX2Bitwise(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512 (F, DQ, VL) on this CPU")
	}
	r := rand.New(rand.NewPCG(16, 16))
	for _, cols := range []int{16, 32, 48, 64, 768, 2048} {
		for off := 0; off < 3; off++ {
			xStride, outStride := cols+off+5, 4+off
			w := randomSlice(r, 4*cols+off)[off:]
			x := randomSlice(r, 6*xStride+off)[off:]
			out := make([]float32, 6*outStride)
			tile4x6AVX512(w, cols, x, xStride, out, outStride)
			for tk := 0; tk < 6; tk++ {
				for row := 0; row < 4; row++ {
					want := dotAVX2(w[row*cols:(row+1)*cols], x[tk*xStride:tk*xStride+cols])
					if got := out[tk*outStride+row]; got != want {
						t.Fatalf("cols %d offset %d token %d row %d: tile %g, dot %g", cols, off, tk, row, got, want)
					}
				}
			}
		}
	}
}
