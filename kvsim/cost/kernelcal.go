package cost

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/kernels"
	noise "kvcache/kvsim/timing" // cost has its own timing type
)

// MeasureDecoderKernels is the default MeasureFunc: it times the code the
// kvsim decoder runs, one class of work at a time, on a kernels.Pool of
// GOMAXPROCS threads, and fills Calibration.Ops (CPUOps; doc.go lists every
// probe). Each probe, the pool's fork-join and the stream triad included,
// is timed in five rounds a few milliseconds long (the median run of each,
// at least calMinRuns runs); a cost is the median of the rounds, and
// Ops.Spread says how far the rounds typically disagreed. Calibration.Noise
// gives each headline figure's range over the rounds and how busy other
// processes kept the machine meanwhile. It takes about 2 s and holds
// 256 MiB while it runs.
func MeasureDecoderKernels() (Calibration, error) {
	return measureDecoderKernels(runtime.GOMAXPROCS(0))
}

// MeasureDecoderKernelsOn is MeasureDecoderKernels on a pool of threads
// goroutines, for a decoder run with Options.Threads = threads; threads <= 0
// means GOMAXPROCS.
func MeasureDecoderKernelsOn(threads int) MeasureFunc {
	return func() (Calibration, error) {
		n := threads
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		return measureDecoderKernels(n)
	}
}

func measureDecoderKernels(workers int) (Calibration, error) {
	start := time.Now()
	load := noise.StartLoad()
	mem, err := physicalMemory()
	if err != nil {
		return Calibration{}, err
	}
	pool, err := kernels.NewPool(workers)
	if err != nil {
		return Calibration{}, err
	}
	defer pool.Close()
	c := Calibration{Threads: pool.Threads(), MemoryBytes: mem,
		Method: "kvsim/kernels and kvsim/decoder, the decoder's own code: Pool.MatMul, attention, element-wise steps, Pool.Run"}
	ops := &CPUOps{Threads: pool.Threads()}

	var idle emptyTask
	pool.Run(workers, 1, idle) // wake the helpers
	b := newCalBench(pool)
	// The fork-join is the median of many short runs, not a mean over one
	// long one: on a busy machine a helper thread waits for a core now and
	// then, and a mean charges that wait to every fork-join.
	forkJoin := &calProbe{name: "fork-join", run: func() {
		for range calForkJoins {
			pool.Run(workers, 1, idle)
		}
	}}
	// The triad streams 48 MiB: steady state first, like the matrix-vector
	// ladder, then rounds of several runs (one run of a few milliseconds,
	// as it once was, is one sample of whatever else the machine did).
	triad := &calProbe{name: "triad", stream: true, run: func() { pool.Run(calStreamLen, 0, b.triad) }}
	probes := append(append([]*calProbe{forkJoin}, b.probes()...), triad)
	for _, p := range probes {
		if p.stream { // steady state first, then the rounds back to back
			p.warmUp(calStreamWarmUpRuns, calStreamWarmUp)
			for range calRounds {
				p.rounds = append(p.rounds, medianSeconds(p.time))
			}
		}
	}
	for range calRounds {
		for _, p := range probes {
			if !p.stream {
				p.warmUp(calWarmUpRuns, calWindow)
				p.rounds = append(p.rounds, medianSeconds(p.time))
			}
		}
	}
	sec := map[string]float64{}
	var spreads []float64
	for _, p := range probes {
		s := p.seconds()
		sec[p.name] = s
		d := p.spread(s)
		spreads = append(spreads, d)
		if d > ops.MaxSpread {
			ops.MaxSpread, ops.MaxSpreadProbe = d, p.name
		}
	}
	ops.Spread = median(spreads)
	c.ForkJoinSeconds = sec["fork-join"] / calForkJoins
	b.derive(sec, &c, ops)
	c.StreamBandwidth = triadBytes / sec["triad"]
	c.Ops = ops
	c.Noise = calibrationNoise(probes, c.ForkJoinSeconds)
	if busy, ok := load.OthersBusy(); ok {
		c.Noise.OthersBusy = &busy
	}
	c.Took = time.Since(start).Seconds()
	if check := b.sink(); check == 0 || math.IsNaN(float64(check)) {
		return c, errors.New("cost: calibration kernels produced zeros or NaN")
	}
	return c, nil
}

// triadBytes is what one triad moves: a, b and c, float32 each.
const triadBytes = 3 * 4 * calStreamLen

// Sizes of the decoder-kernel calibration.
const (
	calRounds     = 5
	calWarmUpRuns = 4
	calMinRuns    = 3 // timed runs per round at least, however long the window

	// A working set near the last-level cache's size runs at DRAM speed on
	// the first pass and reaches its steady rate only after 5 to 30 passes
	// (the cache learns to keep re-used lines; 64 to 128 MiB here), as it
	// does over a decode's steps. Matrix-vector probes warm up that long.
	calStreamWarmUpRuns = 30
	calStreamWarmUp     = 150 * time.Millisecond
	calWindow           = 8 * time.Millisecond // per probe and round
	calMaxRuns          = 500
	calBatch            = 128     // rows of the batched products
	calMatFloats        = 1 << 18 // floats of every probe matrix: 1 MiB
	calSquare           = 512     // the working-set matrices: 512 x 512
	calNarrow           = 256     // the two row-rate shapes: 1024 x 256 and 256 x 1024
	calWide             = 1024
	calAttnRows         = 4   // query rows of the attention probe
	calAttnHeads        = 8   // heads (as many K/V heads: MHA)
	calAttnShort        = 16  // positions of the short attention probe
	calAttnLong         = 256 // and of the long ones
	calAttnHD           = 32  // head_dim of two of them
	calAttnWideHD       = 128 // and of the third
	calRowLen           = 768 // values per row of the element-wise probes
	calRows             = 32  // rows per element-wise probe run
	calRoPEHD           = 64  // head vectors the RoPE probe rotates
	calMiB              = 1 << 20

	calSourceWindows = 8 // distinct inputs the activation probes cycle through
)

// calWorkingSets are the working sets of the matrix-vector ladder, in MiB:
// inside L2, in L3 and beyond on common CPUs.
func calWorkingSets() []int { return []int{1, 4, 16, 32, 64, 96, 128, 256} }

// calMatvecMiB is the working set whose rate Calibration.MatvecFLOPS reports.
const calMatvecMiB = 32

// calProbe is one timed piece of decoder work, run after an untimed
// prepare (nil: none).
type calProbe struct {
	name    string
	prepare func()
	run     func()
	stream  bool      // streams a working set: long warm-up, rounds back to back
	rounds  []float64 // median seconds of each round
}

// warmUp runs the probe untimed, runs times or for d, whichever is
// shorter (at least once): its data comes back where the decoder's steady
// state keeps it.
func (p *calProbe) warmUp(runs int, d time.Duration) {
	deadline := time.Now().Add(d)
	for i := 0; i < runs && (i == 0 || time.Now().Before(deadline)); i++ {
		p.time()
	}
}

// time prepares and times one run.
func (p *calProbe) time() float64 {
	if p.prepare != nil {
		p.prepare()
	}
	t := time.Now()
	p.run()
	return time.Since(t).Seconds()
}

func (p *calProbe) seconds() float64 {
	r := slices.Clone(p.rounds)
	slices.Sort(r)
	return r[len(r)/2]
}

// spread is (slowest - fastest round) / median.
func (p *calProbe) spread(median float64) float64 {
	return (slices.Max(p.rounds) - slices.Min(p.rounds)) / median
}

// calBench holds the probes' buffers.
type calBench struct {
	pool    *kernels.Pool
	threads int

	narrow, wide, ladder []float32 // matrices
	x, y                 []float32 // inputs and outputs of the products
	attn                 map[string]*attentionProbe
	src, buf, fresh      []float32 // element-wise: source windows, work rows, rows the pool just wrote
	next                 int       // the source window the next run reads
	gain, bias, cos, sin []float32
	write                *copyTask // the pool writes fresh from a source window
	triad                *triadTask
}

func newCalBench(pool *kernels.Pool) *calBench {
	b := &calBench{pool: pool, threads: pool.Threads(),
		narrow: alignedFilled(calMatFloats, 1), wide: alignedFilled(calMatFloats, 2),
		x: alignedFilled(calBatch*calWide, 3), y: kernels.Aligned(calBatch * calWide),
		attn: map[string]*attentionProbe{}}
	largest := slices.Max(calWorkingSets())
	b.ladder = kernels.Aligned(largest * calMatFloats)
	copy(b.ladder, filled(calMatFloats, 4))
	for n := calMatFloats; n < len(b.ladder); n *= 2 {
		copy(b.ladder[n:], b.ladder[:n])
	}
	kernels.PreferHugePages(b.ladder) // as the decoder's weights

	n := 2 * calRows * calRowLen // SwiGLU rows hold gate and up
	b.src, b.buf, b.fresh = normals(calSourceWindows*n, 5), kernels.Aligned(n), kernels.Aligned(n)
	b.gain, b.bias = normals(calRowLen, 6), normals(calRowLen, 7)
	half := calRoPEHD / 2
	b.cos, b.sin = make([]float32, half), make([]float32, half)
	for i := range b.cos { // a true rotation: repeated runs keep the values' size
		s, c := math.Sincos(0.1 * float64(i+1))
		b.cos[i], b.sin[i] = float32(c), float32(s)
	}
	b.write = &copyTask{dst: b.fresh}
	b.triad = &triadTask{a: make([]float32, calStreamLen), b: filled(calStreamLen, 8), c: filled(calStreamLen, 9), s: 0.5}
	return b
}

// probes lists every timed piece of work; derive turns their medians into
// rates.
func (b *calBench) probes() []*calProbe {
	var ps []*calProbe
	add := func(name string, run func()) { ps = append(ps, &calProbe{name: name, run: run}) }
	after := func(name string, prepare, run func()) {
		ps = append(ps, &calProbe{name: name, prepare: prepare, run: run})
	}
	matmul := func(w []float32, rows, cols, n int) func() {
		return func() { b.pool.MatMul(b.y, rows, w, rows, cols, b.x, cols, n) }
	}
	add("matmul narrow batch", matmul(b.narrow, calWide, calNarrow, calBatch))
	add("matmul narrow row", matmul(b.narrow, calWide, calNarrow, 1))
	add("matmul wide batch", matmul(b.wide, calNarrow, calWide, calBatch))
	add("matmul wide row", matmul(b.wide, calNarrow, calWide, 1))
	for _, mib := range calWorkingSets() {
		ps = append(ps, &calProbe{name: fmt.Sprintf("matvec %d MiB", mib), stream: true, run: func() {
			for m := range mib {
				b.pool.MatMul(b.y, calSquare, b.ladder[m*calMatFloats:], calSquare, calSquare, b.x, calSquare, 1)
			}
		}})
	}
	for _, shape := range [][2]int{{calAttnHD, calAttnShort}, {calAttnHD, calAttnLong}, {calAttnWideHD, calAttnLong}} {
		a := newAttentionProbe(shape[0], shape[1], b.threads)
		name := fmt.Sprintf("attention hd %d, %d positions", shape[0], shape[1])
		b.attn[name] = a
		items := calAttnRows * calAttnHeads
		// q, K and V fresh from the pool, as the projections leave them
		write := func() { b.pool.Run(len(a.qkv), max(16, len(a.qkv)/(8*b.threads)), a.write) }
		after(name, write, func() { b.pool.Run(items, max(1, items/(4*b.threads)), a) })
	}

	// Element-wise steps on one thread, over calRows rows. Those that read
	// a matmul's output in the decoder read rows the pool has just written
	// (fresh); the activations work in place, so their input is restored
	// first (untimed).
	rows := func(width int, f func(lo, hi int)) func() {
		return func() {
			for r := range calRows {
				f(r*width, (r+1)*width)
			}
		}
	}
	one, two := calRows*calRowLen, 2*calRows*calRowLen
	fresh := func(n int) func() {
		return func() {
			b.write.src = b.window()
			b.pool.Run(n, max(16, calRowLen/(8*b.threads)), b.write)
		}
	}
	add("copy", rows(calRowLen, func(lo, hi int) { copy(b.buf[lo:hi], b.src[lo:hi]) }))
	add("add", rows(calRowLen, func(lo, hi int) { decoder.AddTo(b.buf[lo:hi], b.bias) }))
	add("layernorm", rows(calRowLen, func(lo, hi int) { decoder.LayerNorm(b.buf[lo:hi], b.src[lo:hi], b.gain, b.bias) }))
	add("rmsnorm", rows(calRowLen, func(lo, hi int) { decoder.RMSNorm(b.buf[lo:hi], b.src[lo:hi], b.gain) }))
	after("gelu", func() { copy(b.buf, b.window()) }, rows(calRowLen, func(lo, hi int) { decoder.GELU(b.buf[lo:hi]) }))
	after("fresh add", fresh(one), rows(calRowLen, func(lo, hi int) { decoder.AddTo(b.fresh[lo:hi], b.bias) }))
	after("fresh rope", fresh(one), rows(calRowLen, func(lo, hi int) {
		for h := lo; h < hi; h += calRoPEHD {
			decoder.RoPE(b.fresh[h:h+calRoPEHD], b.cos, b.sin)
		}
	}))
	after("fresh swiglu", fresh(two), rows(2*calRowLen, func(lo, hi int) {
		mid := (lo + hi) / 2
		decoder.SwiGLU(b.fresh[lo:mid], b.fresh[mid:hi])
	}))
	return ps
}

// window returns the next of the source windows of normal values. Each
// run of an activation sees values it has not just seen, like the
// decoder's: the exponential's rounding branches on its argument, and a
// branch predictor that learns a repeated input would flatter it.
func (b *calBench) window() []float32 {
	n := len(b.src) / calSourceWindows
	b.next = (b.next + 1) % calSourceWindows
	return b.src[b.next*n : (b.next+1)*n]
}

// derive turns the probes' median seconds into the calibration's rates.
func (b *calBench) derive(sec map[string]float64, c *Calibration, ops *CPUOps) {
	// Products: a further row of a (rows, cols) matrix costs
	// rows x (output + cols / rate x 2).
	perRow := func(batch, row string) float64 {
		return math.Max(sec[batch]-sec[row], sec[batch]/calBatch) / (calBatch - 1)
	}
	narrow, wide := perRow("matmul narrow batch", "matmul narrow row"), perRow("matmul wide batch", "matmul wide row")
	// narrow = 1024 (o + 256 m), wide = 256 (o + 1024 m): solve for o and m.
	perMAC := math.Max(wide/calNarrow-narrow/calWide, 0) / (calWide - calNarrow)
	ops.MatmulOutputSeconds = math.Max(narrow/calWide-calNarrow*perMAC, 0)
	ops.MatmulRowFLOPS = 2 / math.Max(perMAC, 1e-15)
	c.MatmulFLOPS = 2 * calBatch * calMatFloats / sec["matmul wide batch"]

	for _, mib := range calWorkingSets() {
		s := sec[fmt.Sprintf("matvec %d MiB", mib)] - float64(mib)*c.ForkJoinSeconds // the predictor adds fork-joins
		rate := 2 * float64(mib) * calMatFloats / math.Max(s, 1e-9)
		ops.Matvec = append(ops.Matvec, WorkingSetRate{Bytes: int64(mib) * calMiB, FLOPS: rate})
		if mib == calMatvecMiB {
			c.MatvecFLOPS = rate
		}
	}

	// Attention: thread-seconds per item = item + P (position + hd dim).
	items := float64(calAttnRows * calAttnHeads)
	perItem := func(hd, positions int) float64 {
		s := sec[fmt.Sprintf("attention hd %d, %d positions", hd, positions)]
		return math.Max(s-c.ForkJoinSeconds, 0) * min(float64(b.threads), items) / items
	}
	short, long, wideHD := perItem(calAttnHD, calAttnShort), perItem(calAttnHD, calAttnLong), perItem(calAttnWideHD, calAttnLong)
	ops.AttentionDimSeconds = math.Max(wideHD-long, 0) / (calAttnLong * (calAttnWideHD - calAttnHD))
	perPosition := math.Max(long-short, 0) / (calAttnLong - calAttnShort)
	ops.AttentionPositionSeconds = math.Max(perPosition-calAttnHD*ops.AttentionDimSeconds, 0)
	ops.AttentionItemSeconds = math.Max(short-calAttnShort*perPosition, 0)

	values := float64(calRows * calRowLen)
	per := func(name string) float64 { return sec[name] / values }
	ops.CopySeconds = per("copy")
	ops.AddSeconds = per("add")
	ops.LayerNormSeconds = per("layernorm")
	ops.RMSNormSeconds = per("rmsnorm")
	ops.GELUSeconds = per("gelu")
	ops.AddFreshSeconds = per("fresh add")
	ops.RoPESeconds = per("fresh rope")
	ops.SwiGLUSeconds = per("fresh swiglu")

}

// sink folds every output so that no probe can be optimised away.
func (b *calBench) sink() float32 {
	s := sink(b.y) + sink(b.buf) + sink(b.fresh) + sink(b.triad.a)
	for _, a := range b.attn {
		s += sink(a.o)
	}
	return s
}

// attentionProbe is the decoder's attention for rows x heads items, each
// query head against every one of positions cached K/V rows:
// s = q·K/√hd, p = softmax(s), o = Σ p_t v_t.
type attentionProbe struct {
	qkv, q, k, v, o      []float32 // q, k and v are parts of qkv
	scores               []float32
	write                *copyTask // the pool writes qkv
	heads, hd, positions int
	scoreStride          int // floats between workers' score rows: whole cache lines, none shared
	scale                float32
}

func newAttentionProbe(hd, positions, threads int) *attentionProbe {
	width := calAttnHeads * hd
	nq, nkv := calAttnRows*width, positions*width
	qkv := kernels.Aligned(nq + 2*nkv)
	return &attentionProbe{qkv: qkv, q: qkv[:nq], k: qkv[nq : nq+nkv], v: qkv[nq+nkv:],
		write: &copyTask{dst: qkv, src: normals(len(qkv), uint64(hd*positions))}, o: kernels.Aligned(nq),
		scores: kernels.Aligned(threads * kernels.Stride(positions)), heads: calAttnHeads, hd: hd, positions: positions,
		scoreStride: kernels.Stride(positions), scale: float32(1 / math.Sqrt(float64(hd)))}
}

func (a *attentionProbe) Run(worker, lo, hi int) {
	width := a.heads * a.hd
	s := a.scores[worker*a.scoreStride : worker*a.scoreStride+a.positions]
	for item := lo; item < hi; item++ {
		row, head := item/a.heads, item%a.heads
		off := row*width + head*a.hd
		cached := head * a.positions * a.hd // the decoder's cache: a head's positions side by side
		kernels.DotRows(s, a.k[cached:], a.hd, a.q[off:off+a.hd])
		for j := range s {
			s[j] *= a.scale
		}
		decoder.Softmax(s)
		o := a.o[off : off+a.hd]
		clear(o)
		kernels.AxpyRows(o, s, a.v[cached:], a.hd)
	}
}

// medianSeconds times runs for about calWindow (at least calMinRuns times,
// at most calMaxRuns times) and returns the median: what a run costs on
// the machine as it is, without one-off stalls.
func medianSeconds(timed func() float64) float64 {
	var runs []float64
	deadline := time.Now().Add(calWindow)
	for len(runs) < calMinRuns || (len(runs) < calMaxRuns && time.Now().Before(deadline)) {
		runs = append(runs, timed())
	}
	slices.Sort(runs)
	return max(runs[len(runs)/2], 1e-9)
}

func alignedFilled(n int, seed uint32) []float32 {
	v := kernels.Aligned(n)
	copy(v, filled(n, seed))
	return v
}

// normals returns n values drawn from N(0, 1) with a fixed seed: the
// decoder's activations and attention scores are of that size.
func normals(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x63616c)) // "cal"
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// copyTask copies src to dst over the indices it is given.
type copyTask struct{ dst, src []float32 }

func (t *copyTask) Run(_, lo, hi int) { copy(t.dst[lo:hi], t.src[lo:hi]) }

// triadTask computes a = b + s*c over the indices it is given.
type triadTask struct {
	a, b, c []float32
	s       float32
}

func (t *triadTask) Run(_, lo, hi int) {
	a, b, c := t.a[lo:hi], t.b[lo:hi], t.c[lo:hi]
	for i := range a {
		a[i] = b[i] + t.s*c[i]
	}
}

// emptyTask does nothing: timing it times the pool's fork-join.
type emptyTask struct{}

func (emptyTask) Run(_, _, _ int) {}
