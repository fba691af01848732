package kernels

import (
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Alignment is the byte alignment Aligned gives and Stride preserves. Gonum's
// dot kernel peels leading elements until the vector x is 16-byte aligned, so
// the summation order, and the last bits of a result, depend on x's address
// modulo 16; keeping every activation row aligned makes results independent
// of where a row lives.
const Alignment = 64

// Aligned returns a zeroed slice of n float32 whose first element sits at a
// multiple of Alignment bytes.
func Aligned(n int) []float32 {
	const pad = Alignment / 4
	buf := make([]float32, n+pad)
	off := 0
	if rem := uintptr(unsafe.Pointer(&buf[0])) % Alignment; rem != 0 {
		off = int((Alignment - rem) / 4)
	}
	return buf[off : off+n : off+n]
}

// Stride rounds a row length up so that consecutive rows of an Aligned
// buffer stay aligned.
func Stride(cols int) int {
	const per = Alignment / 4
	return (cols + per - 1) / per * per
}

// IsAligned reports whether x starts at a multiple of Alignment bytes.
func IsAligned(x []float32) bool {
	return len(x) == 0 || uintptr(unsafe.Pointer(&x[0]))%Alignment == 0
}

// MatMul sets out[t*outStride+r] = Σ_c w[r*cols+c] · x[t*xStride+c] for
// t < n and r < rows:
//
//	out (n, rows) = x (n, cols) · Wᵀ,   W (rows, cols) row-major
//
// The rows of W are split among the pool's goroutines; each block of rows is
// multiplied with every x_t while it is hot in cache, so W is read from
// memory once whatever n is. Slices too short for the shapes panic (a
// programming error).
func (p *Pool) MatMul(out []float32, outStride int, w []float32, rows, cols int, x []float32, xStride int, n int) {
	if n <= 0 || rows <= 0 {
		return
	}
	_ = w[rows*cols-1]
	_ = x[(n-1)*xStride+cols-1]
	_ = out[(n-1)*outStride+rows-1]
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mm = matMulTask{out: out, outStride: outStride, w: w, rows: rows, cols: cols, x: x, xStride: xStride, n: n, avx2: p.avx2, avx512: p.avx512}
	p.runLocked(rows, rowChunk(rows, cols, n, p.threads), &p.mm)
	p.mm = matMulTask{} // drop references to the caller's buffers
}

// rowChunk picks how many rows one claim takes: a block of W small enough to
// stay in L2 while it meets every x_t (n > 1), and enough blocks that a slow
// core does not hold up the others.
func rowChunk(rows, cols, n, threads int) int {
	const l2Block = 128 << 10 // bytes of W per block when n > 1
	chunk := rows / (8 * threads)
	if n > 1 {
		chunk = min(chunk, max(1, l2Block/(4*cols)))
	}
	return max(chunk, min(rows, 16))
}

type matMulTask struct {
	out        []float32
	outStride  int
	w          []float32
	rows, cols int
	x          []float32
	xStride, n int
	avx2       bool
	avx512     bool
}

// Tile sizes of tile4x6AVX512.
const tileRows, tileTokens = 4, 6

// tiles computes rows [lo, hi) for the first tokens in groups of
// tileTokens, with the AVX-512 tile where four rows remain and dotAVX2
// for the rest of the rows (the same bits either way), and returns the
// first token it left.
func (m *matMulTask) tiles(lo, hi int) int {
	cols := m.cols
	t := 0
	for ; t+tileTokens <= m.n; t += tileTokens {
		x := m.x[t*m.xStride : (t+tileTokens-1)*m.xStride+cols]
		r := lo
		for ; r+tileRows <= hi; r += tileRows {
			tile4x6AVX512(m.w[r*cols:(r+tileRows)*cols], cols, x, m.xStride, m.out[t*m.outStride+r:(t+tileTokens-1)*m.outStride+r+tileRows], m.outStride)
		}
		for ; r < hi; r++ {
			for k := t; k < t+tileTokens; k++ {
				m.out[k*m.outStride+r] = dotAVX2(m.w[r*cols:(r+1)*cols], m.x[k*m.xStride:k*m.xStride+cols])
			}
		}
	}
	return t
}

func (m *matMulTask) Run(_, lo, hi int) {
	block := m.w[lo*m.cols : hi*m.cols]
	if m.avx2 && m.n == 1 {
		// W is far larger than the caches: read it front to back in one
		// stream, which the prefetcher follows better than the four
		// interleaved rows of dot4AVX2 (BenchmarkMatVec). Same bits.
		streamRowsAVX2(m.out[lo:hi], block, m.cols, m.x[:m.cols])
		return
	}
	t := 0
	if m.avx2 && m.avx512 && m.cols%16 == 0 {
		t = m.tiles(lo, hi)
	}
	for ; t < m.n; t++ {
		xt := m.x[t*m.xStride : t*m.xStride+m.cols]
		out := m.out[t*m.outStride+lo : t*m.outStride+hi]
		if m.avx2 {
			dotRowsAVX2(out, block, m.cols, xt)
			continue
		}
		gonum.Implementation{}.Sgemv(blas.NoTrans, hi-lo, m.cols, 1, block, m.cols, xt, 1, 0, out, 1)
	}
}

// Dot is Σ a[i]·b[i] over len(a) elements (b must be at least as long),
// through the same kernel as MatMul.
func Dot(a, b []float32) float32 {
	if hasAVX2 {
		return dotAVX2(a, b[:len(a)])
	}
	return gonum.Implementation{}.Sdot(len(a), a, 1, b[:len(a)], 1)
}

// DotRows sets out[r] = Σ_i w[r·stride+i]·x[i] for r < len(out) and
// i < len(x): the scores of one query against len(out) keys stored stride
// apart. Each value equals Dot(w[r·stride:], x) to the bit.
func DotRows(out, w []float32, stride int, x []float32) {
	if len(out) == 0 {
		return
	}
	_ = w[(len(out)-1)*stride+len(x)-1]
	if hasAVX2 {
		dotRowsAVX2(out, w, stride, x)
		return
	}
	for r := range out {
		out[r] = Dot(w[r*stride:r*stride+len(x)], x)
	}
}

// dotRowsAVX2 runs four rows at a time (each load of x serves four rows),
// then the rest one by one; both kernels sum a row identically.
func dotRowsAVX2(out, w []float32, stride int, x []float32) {
	n := len(x)
	r := 0
	var four [4]float32
	for ; r+4 <= len(out); r += 4 {
		dot4AVX2(w[r*stride:(r+3)*stride+n], stride, x, &four)
		copy(out[r:r+4], four[:])
	}
	for ; r < len(out); r++ {
		out[r] = dotAVX2(w[r*stride:r*stride+n], x)
	}
}

// Axpy sets y[i] += alpha·x[i] over len(x) elements (one rounding per
// element where the CPU has FMA).
func Axpy(alpha float32, x, y []float32) {
	if hasAVX2 {
		axpyAVX2(alpha, x, y[:len(x)])
		return
	}
	gonum.Implementation{}.Saxpy(len(x), alpha, x, 1, y[:len(x)], 1)
}

// AxpyRows sets y[i] += Σ_t alpha[t]·x[t·stride+i] for i < len(y), adding
// the terms in order t = 0, 1, ...: the weighted sum of len(alpha) rows
// stored stride apart (attention's o = Σ_t p_t v_t). Each value equals, to
// the bit, what len(alpha) calls of Axpy(alpha[t], x[t·stride:], y) leave.
func AxpyRows(y, alpha, x []float32, stride int) {
	if len(alpha) == 0 || len(y) == 0 {
		return
	}
	_ = x[(len(alpha)-1)*stride+len(y)-1]
	if hasAVX2 {
		axpyRowsAVX2(y, alpha, x, stride)
		return
	}
	for t, a := range alpha {
		Axpy(a, x[t*stride:t*stride+len(y)], y)
	}
}
