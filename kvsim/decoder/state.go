package decoder

import "kvcache/kvsim/kernels"

// runState holds the activations of one forward pass over up to rows
// tokens, allocated once per session. Row i of every buffer belongs to the
// i-th token of the batch; strides are padded (shape.*Stride) so every row
// starts aligned.
type runState struct {
	rows      int       // batch rows
	positions int       // longest attention span: every position of the session
	x         []float32 // (rows, dimStride) residual stream
	xn        []float32 // (rows, dimStride) normalised input of a sublayer
	qkv       []float32 // (rows, qkvStride) [q (qDim) | k (kvDim) | v (kvDim)]
	att       []float32 // (rows, qStride) attention output, heads side by side
	proj      []float32 // (rows, dimStride) output of the Out or Down projection
	up        []float32 // (rows, upStride) MLP hidden; SwiGLU: [gate (ffn) | up (ffn)]
	scores    []float32 // (threads, positions) one attention score row per worker
	logits    []float32 // (vocab)

	ropeCos, ropeSin []float32 // (positions, hd/2) RoPE cos θ, sin θ of each position
	segs             []segment // scratch for the attention's K/V segments
}

// buffers lists every activation with its shape, for the shape test and
// the memory estimate.
func (s *runState) buffers(h *shape, threads int) []tensor {
	t := []tensor{
		{"x", &s.x, []int{s.rows, h.dimStride}},
		{"xn", &s.xn, []int{s.rows, h.dimStride}},
		{"qkv", &s.qkv, []int{s.rows, h.qkvStride}},
		{"att", &s.att, []int{s.rows, h.qStride}},
		{"proj", &s.proj, []int{s.rows, h.dimStride}},
		{"up", &s.up, []int{s.rows, h.upStride}},
		{"scores", &s.scores, []int{threads, s.positions}},
		{"logits", &s.logits, []int{h.vocab}},
	}
	if h.rope {
		t = append(t, tensor{"rope_cos", &s.ropeCos, []int{s.positions, h.headDim / 2}},
			tensor{"rope_sin", &s.ropeSin, []int{s.positions, h.headDim / 2}})
	}
	return t
}

func newRunState(h *shape, rows, positions, threads int, ropeBase float64) *runState {
	s := &runState{rows: rows, positions: positions, segs: make([]segment, 0, 8)}
	for _, b := range s.buffers(h, threads) {
		*b.data = kernels.Aligned(numel(b.shape))
	}
	if h.rope {
		fillRopeTable(s.ropeCos, s.ropeSin, h.headDim, ropeBase)
	}
	return s
}

// runStateBytes is the memory newRunState allocates.
func runStateBytes(h *shape, rows, positions, threads int) int64 {
	s := runState{rows: rows, positions: positions}
	var n int64
	for _, b := range s.buffers(h, threads) {
		n += int64(numel(b.shape)) * 4
	}
	return n
}
