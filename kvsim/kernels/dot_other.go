//go:build !amd64

package kernels

const hasAVX2 = false

func dotAVX2(x, y []float32) float32 { panic("kernels: dotAVX2 without amd64") }

func dot4AVX2(w []float32, stride int, x []float32, out *[4]float32) {
	panic("kernels: dot4AVX2 without amd64")
}

func streamRowsAVX2(out, w []float32, cols int, x []float32) {
	panic("kernels: streamRowsAVX2 without amd64")
}

func axpyAVX2(alpha float32, x, y []float32) { panic("kernels: axpyAVX2 without amd64") }

func axpyRowsAVX2(y, alpha, x []float32, stride int) {
	panic("kernels: axpyRowsAVX2 without amd64")
}

const hasAVX512 = false

func tile4x6AVX512(w []float32, cols int, x []float32, xStride int, out []float32, outStride int) {
	panic("kernels: tile4x6AVX512 without amd64")
}
