package decoder

import (
	"math"
	"time"

	"kvcache/kvsim/kernels"
)

// pass is one forward pass over a batch of rows (tokens). Rows [0, prefix)
// recompute evicted positions 0..prefix-1 (recompute policy); the tail rows
// [prefix, n) are the tokens being run, at positions tailPos, tailPos+1, ...
// A tail row attends, in position order, to the prefix rows, to the cache's
// held positions before tailPos, then to the tail rows up to itself; a
// prefix row attends to prefix rows up to itself.
type pass struct {
	tokens  []int    // token of each row
	prefix  int      // recomputed rows
	tailPos int      // position of row prefix
	cache   *kvCache // nil: no cached positions
	store   bool     // write the tail rows' K/V that the cache keeps
	keepN   int      // with store: positions stored once the pass is done
}

func (p pass) pos(row int) int {
	if row < p.prefix {
		return row
	}
	return p.tailPos + row - p.prefix
}

// forward runs the pass and leaves the last row's logits in st.logits.
// Per layer l, for every row x (formulas for the sequential block):
//
//	a = norm₁(x);  [q k v] = a·W_qkvᵀ (+ b);  q, k ← RoPE(q, k, pos)
//	o_h = Σ_t softmax_t(q_h·k_{g(h),t} / √hd) · v_{g(h),t}   over attended t
//	x ← x + o·W_outᵀ (+ b)
//	m = norm₂(x);  x ← x + W_down·act(W_up·m) (+ biases)
//
// with g(h) = h / (heads/kv_heads) the K/V head query head h reads (GQA/MQA)
// and act = gelu, or silu(gate) ⊙ up for SwiGLU. A parallel block (Falcon)
// feeds norm₁(x) to both branches: x ← x + attn(a) + mlp(a). Then
// logits = norm_f(x_last)·W_headᵀ.
func (s *Session) forward(p pass, st *Step) {
	h, w, rs := s.h, s.d.w, s.st
	n := len(p.tokens)
	d := h.dim

	// x_i = E[token_i] (+ P[pos_i])
	for i, tok := range p.tokens {
		x := rs.x[i*h.dimStride : i*h.dimStride+d]
		copy(x, w.TokenEmbedding[tok*d:(tok+1)*d])
		if h.learned {
			pe := w.PositionEmbedding[p.pos(i)*d:]
			for j := range x {
				x[j] += pe[j]
			}
		}
	}

	for l := 0; l < h.layers; l++ {
		// a = norm₁(x)
		s.eachRow(p, opAttnNorm, l, n)

		// [q k v] = a·W_qkvᵀ + b
		wqkv := w.QKV[l*h.qkvDim*d : (l+1)*h.qkvDim*d]
		s.matmul(p, rs.qkv, h.qkvStride, wqkv, h.qkvDim, d, rs.xn, h.dimStride, n, st)
		s.eachRow(p, opQKVBiasRoPE, l, n)

		// o = attention(q, K, V), then the tail rows' K/V enter the cache
		s.attention(p, l, n, st)
		if p.store {
			t0 := time.Now()
			for i := p.prefix; i < n; i++ {
				if pos := p.pos(i); p.cache.keeps(pos, p.keepN) {
					row := rs.qkv[i*h.qkvStride:]
					p.cache.store(l, pos, row[h.qDim:], row[h.qDim+h.kvDim:])
					st.KVWriteBytes += h.kvBytesPerPosition()
				}
			}
			st.KVIO += time.Since(t0)
		}

		// x ← x + o·W_outᵀ + b
		wo := w.Out[l*d*h.qDim : (l+1)*d*h.qDim]
		s.matmul(p, rs.proj, h.dimStride, wo, d, h.qDim, rs.att, h.qStride, n, st)
		s.eachRow(p, opOutResidual, l, n)

		// m = norm₂(x) (a parallel block reuses a)
		if !h.parallel {
			s.eachRow(p, opMLPNorm, l, n)
		}
		// u = W_up·m + b;  u ← act(u);  x ← x + W_down·u + b
		wu := w.Up[l*h.upRows*d : (l+1)*h.upRows*d]
		s.matmul(p, rs.up, h.upStride, wu, h.upRows, d, rs.xn, h.dimStride, n, st)
		s.eachRow(p, opActivate, l, n)
		wd := w.Down[l*d*h.ffn : (l+1)*d*h.ffn]
		s.matmul(p, rs.proj, h.dimStride, wd, d, h.ffn, rs.up, h.upStride, n, st)
		s.eachRow(p, opDownResidual, l, n)
	}

	// logits = norm_f(x_last)·W_headᵀ
	last := (n - 1) * h.dimStride
	if h.layerNorm {
		LayerNorm(rs.xn[last:last+d], rs.x[last:last+d], w.FinalNormGain, w.FinalNormBias)
	} else {
		RMSNorm(rs.xn[last:last+d], rs.x[last:last+d], w.FinalNormGain)
	}
	t0 := time.Now()
	s.d.pool.MatMul(rs.logits, h.vocab, w.LMHead, h.vocab, d, rs.xn[last:], h.dimStride, 1)
	st.Matmul += time.Since(t0)
	st.FLOPs += 2 * float64(h.vocab) * float64(d)
}

// matmul runs out = in·Wᵀ for the batch: the recomputed prefix rows and the
// tail rows separately, so each is timed and counted under its own heading
// (a row's result does not depend on its batch; see kernels.MatMul).
func (s *Session) matmul(p pass, out []float32, outStride int, w []float32, rows, cols int, in []float32, inStride, n int, st *Step) {
	flops := 2 * float64(rows) * float64(cols)
	if p.prefix > 0 {
		t0 := time.Now()
		s.d.pool.MatMul(out, outStride, w, rows, cols, in, inStride, p.prefix)
		st.Recompute += time.Since(t0)
		st.RecomputeFLOPs += flops * float64(p.prefix)
	}
	t0 := time.Now()
	tail := n - p.prefix
	s.d.pool.MatMul(out[p.prefix*outStride:], outStride, w, rows, cols, in[p.prefix*inStride:], inStride, tail)
	st.Matmul += time.Since(t0)
	st.FLOPs += flops * float64(tail)
}

// rowOp is an element-wise step applied to each row of the batch.
type rowOp int

const (
	opAttnNorm     rowOp = iota // a = norm₁(x)
	opQKVBiasRoPE               // [q k v] += b; q, k ← RoPE(q, k, pos)
	opOutResidual               // x ← x + proj (+ b_out)
	opMLPNorm                   // m = norm₂(x)
	opActivate                  // u ← act(u)
	opDownResidual              // x ← x + proj (+ b_down)
)

// rowTask applies one rowOp to a range of rows.
type rowTask struct {
	s  *Session
	p  pass
	op rowOp
	l  int
}

func (t *rowTask) Run(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		t.s.rowStep(t.p, t.op, t.l, i)
	}
}

// eachRow applies op to the n rows of the batch, spread over the pool when
// there is more than one (a row's result does not depend on the split).
func (s *Session) eachRow(p pass, op rowOp, l, n int) {
	if n == 1 {
		s.rowStep(p, op, l, 0)
		return
	}
	s.rows = rowTask{s: s, p: p, op: op, l: l}
	s.d.pool.Run(n, max(1, n/(4*s.d.pool.Threads())), &s.rows)
	s.rows = rowTask{}
}

// rowStep applies op to row i in layer l.
func (s *Session) rowStep(p pass, op rowOp, l, i int) {
	h, w, rs := s.h, s.d.w, s.st
	d := h.dim
	x := rs.x[i*h.dimStride : i*h.dimStride+d]
	switch op {
	case opAttnNorm:
		s.norm(rs.xn[i*h.dimStride:], x, w.AttnNormGain, w.AttnNormBias, l)
	case opMLPNorm:
		s.norm(rs.xn[i*h.dimStride:], x, w.MLPNormGain, w.MLPNormBias, l)
	case opQKVBiasRoPE:
		row := rs.qkv[i*h.qkvStride : i*h.qkvStride+h.qkvDim]
		if h.bias {
			AddTo(row, w.QKVBias[l*h.qkvDim:])
		}
		if h.rope {
			s.applyRoPE(row, p.pos(i))
		}
	case opOutResidual, opDownResidual:
		y := rs.proj[i*h.dimStride : i*h.dimStride+d]
		bias := w.OutBias
		if op == opDownResidual {
			bias = w.DownBias
		}
		if bias != nil {
			AddTo(y, bias[l*d:(l+1)*d])
		}
		AddTo(x, y)
	case opActivate:
		s.activate(rs.up[i*h.upStride:], l)
	}
}

// norm sets y = norm(x) with layer l's gain (and bias).
func (s *Session) norm(y, x, gain, bias []float32, l int) {
	d := s.h.dim
	if s.h.layerNorm {
		LayerNorm(y[:d], x, gain[l*d:(l+1)*d], bias[l*d:(l+1)*d])
		return
	}
	RMSNorm(y[:d], x, gain[l*d:(l+1)*d])
}

// activate applies the MLP non-linearity to one row of up in place:
// GELU: u ← gelu(u + b); SwiGLU: u[:ffn] ← silu(gate) ⊙ up, which
// PyTorch writes w2(F.silu(w1(x)) * w3(x)).
func (s *Session) activate(u []float32, l int) {
	h := s.h
	if h.swiGLU {
		SwiGLU(u[:h.ffn], u[h.ffn:2*h.ffn])
		return
	}
	u = u[:h.ffn]
	if h.mlpBias() {
		AddTo(u, s.d.w.UpBias[l*h.ffn:])
	}
	GELU(u)
}

// applyRoPE rotates every query head and every key head of one qkv row.
func (s *Session) applyRoPE(row []float32, pos int) {
	h := s.h
	half := h.headDim / 2
	cos := s.st.ropeCos[pos*half : (pos+1)*half]
	sin := s.st.ropeSin[pos*half : (pos+1)*half]
	for hd := 0; hd < h.heads+h.kvHeads; hd++ { // q heads, then k heads
		RoPE(row[hd*h.headDim:(hd+1)*h.headDim], cos, sin)
	}
}

// attention computes o for every row and head: the prefix rows (timed as
// recompute) then the tail rows (timed as attention), spread over the pool
// by (row, head) pairs.
func (s *Session) attention(p pass, l, n int, st *Step) {
	h, rs := s.h, s.st
	a := &s.attn
	a.s, a.layer = s, l
	a.scale = float32(1 / math.Sqrt(float64(h.headDim)))
	a.prefix = p.prefix
	if p.prefix > 0 {
		a.rowBase, a.shared = 0, rs.segs[:0]
		t0 := time.Now()
		s.d.pool.Run(p.prefix*h.heads, attnChunk(p.prefix*h.heads, s.d.pool.Threads()), a)
		st.Recompute += time.Since(t0)
		st.RecomputeFLOPs += a.flops(0, p.prefix, 0)
	}
	// shared: prefix rows, then the cache's held positions before tailPos
	segs := rs.segs[:0]
	if p.prefix > 0 {
		segs = append(segs, rs.qkvSegment(h, 0, p.prefix))
	}
	cached := 0
	if p.cache != nil {
		before := len(segs)
		segs = p.cache.segments(segs, l)
		for _, g := range segs[before:] {
			cached += g.n
		}
	}
	rs.segs = segs
	a.rowBase, a.shared = p.prefix, segs
	tail := n - p.prefix
	t0 := time.Now()
	s.d.pool.Run(tail*h.heads, attnChunk(tail*h.heads, s.d.pool.Threads()), a)
	st.Attention += time.Since(t0)
	st.FLOPs += a.flops(p.prefix, n, p.prefix+cached)
	// every tail row reads the cached positions once per K/V head
	st.KVReadBytes += int64(tail) * int64(cached) * h.kvBytesPerPosition()
	a.shared = nil
}

func attnChunk(items, threads int) int { return max(1, items/(4*threads)) }

// qkvSegment is the K/V of batch rows [r0, r1) as a segment.
func (rs *runState) qkvSegment(h *shape, r0, r1 int) segment {
	off := r0 * h.qkvStride
	return segment{k: rs.qkv[off+h.qDim:], v: rs.qkv[off+h.qDim+h.kvDim:], stride: h.qkvStride, headStride: h.headDim, n: r1 - r0}
}

// attentionTask computes attention for items (row, head) = (rowBase +
// i/heads, i%heads).
type attentionTask struct {
	s       *Session
	layer   int
	scale   float32
	prefix  int       // rows < prefix attend to rows [0, row] only
	rowBase int       // row of item 0
	shared  []segment // what a tail row attends to before the tail rows
}

// flops counts 4·hd per head and attended position (score and weighted
// sum) for rows [r0, r1), each attending to before positions plus the
// batch rows from its group's first row up to itself.
func (a *attentionTask) flops(r0, r1, before int) float64 {
	h := a.s.h
	var positions float64
	for r := r0; r < r1; r++ {
		positions += float64(before + r - r0 + 1)
	}
	return 4 * float64(h.heads) * float64(h.headDim) * positions
}

func (a *attentionTask) Run(worker, lo, hi int) {
	h, rs := a.s.h, a.s.st
	hd := h.headDim
	scores := rs.scores[worker*rs.positions : (worker+1)*rs.positions]
	for item := lo; item < hi; item++ {
		row, head := a.rowBase+item/h.heads, item%h.heads
		g := head / h.groups // the K/V head this query head reads
		q := rs.qkv[row*h.qkvStride+head*hd : row*h.qkvStride+(head+1)*hd]
		shared, own := a.shared, rs.qkvSegment(h, a.prefix, row+1)
		if row < a.prefix {
			shared, own = nil, rs.qkvSegment(h, 0, row+1)
		}
		// s_t = q·k_t / √hd over shared segments then own rows
		n := 0
		for _, seg := range shared {
			n = a.score(scores, n, q, g, seg)
		}
		n = a.score(scores, n, q, g, own)
		// p = softmax(s);  o = Σ_t p_t v_t
		Softmax(scores[:n])
		o := rs.att[row*h.qStride+head*hd : row*h.qStride+(head+1)*hd]
		clear(o)
		n = 0
		for _, seg := range shared {
			n = a.weigh(o, scores, n, g, seg)
		}
		a.weigh(o, scores, n, g, own)
	}
}

// score writes q·k_t·scale for the positions of seg from scores[n] on and
// returns the next free index.
func (a *attentionTask) score(scores []float32, n int, q []float32, g int, seg segment) int {
	if seg.n == 0 {
		return n
	}
	out := scores[n : n+seg.n]
	kernels.DotRows(out, seg.k[g*seg.headStride:], seg.stride, q)
	for j := range out {
		out[j] *= a.scale
	}
	return n + seg.n
}

// weigh adds p_t·v_t for the positions of seg, p_t read from scores[n] on,
// and returns the next index.
func (a *attentionTask) weigh(o, scores []float32, n, g int, seg segment) int {
	if seg.n == 0 {
		return n
	}
	kernels.AxpyRows(o, scores[n:n+seg.n], seg.v[g*seg.headStride:], seg.stride)
	return n + seg.n
}
