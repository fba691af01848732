package kernels

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

func randomSlice(r *rand.Rand, n int) []float32 {
	s := Aligned(n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// countTask counts how often each index is visited.
type countTask struct{ hits []atomic.Int32 }

func (c *countTask) Run(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		c.hits[i].Add(1)
	}
}

func TestPoolVisitsEveryIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p, err := NewPool(threads)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 7, 64, 1000} {
			for _, chunk := range []int{0, 1, 3, 64, 5000} {
				c := &countTask{hits: make([]atomic.Int32, n)}
				p.Run(n, chunk, c)
				for i := range c.hits {
					if got := c.hits[i].Load(); got != 1 {
						t.Fatalf("threads %d n %d chunk %d: index %d visited %d times", threads, n, chunk, i, got)
					}
				}
			}
		}
		p.Close()
		p.Close() // idempotent
	}
}

func TestNewPoolRejectsAbsurdThreads(t *testing.T) {
	if _, err := NewPool(5000); err == nil {
		t.Fatal("5000 threads accepted")
	}
}

func TestMatMulMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p, _ := NewPool(2)
	defer p.Close()
	for _, sh := range []struct{ rows, cols, n int }{{1, 1, 1}, {5, 3, 2}, {64, 48, 1}, {100, 37, 9}, {300, 256, 4}, {45, 96, 14}} {
		w := randomSlice(r, sh.rows*sh.cols)
		xs := Stride(sh.cols)
		x := randomSlice(r, sh.n*xs)
		out := Aligned(sh.n * sh.rows)
		p.MatMul(out, sh.rows, w, sh.rows, sh.cols, x, xs, sh.n)
		for tk := 0; tk < sh.n; tk++ {
			for row := 0; row < sh.rows; row++ {
				var want float64
				for c := 0; c < sh.cols; c++ {
					want += float64(w[row*sh.cols+c]) * float64(x[tk*xs+c])
				}
				if got := float64(out[tk*sh.rows+row]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
					t.Fatalf("%v: out[%d][%d] = %g, want %g", sh, tk, row, got, want)
				}
			}
		}
	}
}

// A token's result must not depend on the batch it rides in nor on the
// thread count: the decoder's cached and uncached paths rely on it.
// Shapes: a row length with a tail (300) takes the four-row AVX2 kernel in
// a batch, multiples of 16 take the AVX-512 tile where the CPU has it, with
// rows and tokens left over on both sides of the tiles.
func TestMatMulBitIdenticalAcrossBatchAndThreads(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range []struct{ rows, cols, n int }{{200, 300, 7}, {37, 64, 13}, {103, 768, 20}} {
		rows, cols, n := sh.rows, sh.cols, sh.n
		w := randomSlice(r, rows*cols)
		xs := Stride(cols)
		x := randomSlice(r, n*xs)
		batch := Aligned(n * rows)
		p2, _ := NewPool(2)
		p2.MatMul(batch, rows, w, rows, cols, x, xs, n)
		p2.Close()
		for _, threads := range []int{1, 2, 5} {
			p, _ := NewPool(threads)
			for tk := 0; tk < n; tk++ {
				one := Aligned(rows)
				xt := Aligned(xs)
				copy(xt, x[tk*xs:(tk+1)*xs])
				p.MatMul(one, rows, w, rows, cols, xt, xs, 1)
				for row := range one {
					if one[row] != batch[tk*rows+row] {
						t.Fatalf("%v threads %d token %d row %d: alone %g, in batch %g", sh, threads, tk, row, one[row], batch[tk*rows+row])
					}
				}
			}
			p.Close()
		}
	}
}

func TestMatMulAllocatesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p, _ := NewPool(2)
	defer p.Close()
	w := randomSlice(r, 512*256)
	x := randomSlice(r, 256)
	out := Aligned(512)
	if a := testing.AllocsPerRun(20, func() { p.MatMul(out, 512, w, 512, 256, x, 256, 1) }); a != 0 {
		t.Errorf("MatMul allocates %v times per call", a)
	}
}

func TestAlignedAndStride(t *testing.T) {
	for n := 1; n < 100; n += 7 {
		if s := Aligned(n); len(s) != n || !IsAligned(s) {
			t.Fatalf("Aligned(%d): len %d aligned %v", n, len(s), IsAligned(s))
		}
	}
	for _, c := range []struct{ in, want int }{{1, 16}, {16, 16}, {17, 32}, {768, 768}, {770, 784}} {
		if got := Stride(c.in); got != c.want {
			t.Errorf("Stride(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestDotAndAxpy(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5}
	b := []float32{2, 2, 2, 2, 2, 9}
	if got := Dot(a, b); got != 30 {
		t.Errorf("Dot = %g, want 30", got)
	}
	y := []float32{1, 1, 1, 1, 1}
	Axpy(2, a, y)
	if y[4] != 11 || y[0] != 3 {
		t.Errorf("Axpy: %v", y)
	}
}

func TestDotRowsMatchesDot(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	for _, rows := range []int{1, 3, 4, 9} {
		const n, stride = 37, 50
		w := randomSlice(r, (rows-1)*stride+n)
		x := randomSlice(r, n)
		out := make([]float32, rows)
		DotRows(out, w, stride, x)
		for i := range out {
			if want := Dot(w[i*stride:i*stride+n], x); out[i] != want {
				t.Fatalf("rows %d: row %d = %g, Dot says %g", rows, i, out[i], want)
			}
		}
	}
}

// Concurrent callers take turns: results stay exact (run with -race).
func TestMatMulConcurrentCallers(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	p, _ := NewPool(2)
	defer p.Close()
	const rows, cols = 64, 40
	w := randomSlice(r, rows*cols)
	x := randomSlice(r, cols)
	want := Aligned(rows)
	p.MatMul(want, rows, w, rows, cols, x, cols, 1)
	done := make(chan []float32)
	for g := 0; g < 4; g++ {
		go func() {
			out := Aligned(rows)
			for i := 0; i < 50; i++ {
				p.MatMul(out, rows, w, rows, cols, x, cols, 1)
			}
			done <- out
		}()
	}
	for g := 0; g < 4; g++ {
		out := <-done
		for i := range out {
			if out[i] != want[i] {
				t.Fatalf("concurrent MatMul row %d: %g, want %g", i, out[i], want[i])
			}
		}
	}
}
