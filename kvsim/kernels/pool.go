package kernels

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// Task is work over an index range; Run processes indices [lo, hi) on the
// goroutine numbered worker (0 <= worker < Pool.Threads()), so a task can
// keep one scratch buffer per worker.
type Task interface {
	Run(worker, lo, hi int)
}

// Pool runs tasks on a fixed set of goroutines. It is safe for concurrent
// use: Run calls are serialised.
//
// A decode step hands the pool a few dozen small jobs back to back, so
// waking a parked goroutine for each (a few to tens of µs through the
// scheduler) would cost more than the second core gains. Helpers therefore
// spin on a job counter for a short while after each job and only then
// park on a channel.
type Pool struct {
	threads int
	mu      sync.Mutex
	closed  bool

	seq     atomic.Uint64 // job generation; helpers run a job when it moves
	job     job           // the job of generation seq (written before seq moves)
	next    atomic.Int64  // next unclaimed index of the running job
	pending atomic.Int32  // helpers still on the running job
	parked  []atomic.Bool // helper w is (about to be) blocked on wake[w]
	wake    []chan struct{}
	quit    atomic.Bool

	mm     matMulTask // reused by MatMul so that a call allocates nothing
	avx2   bool       // MatMul uses the AVX2/FMA dot products, else gonum's Sgemv
	avx512 bool       // batched MatMul uses the AVX-512 tile (with avx2)
}

type job struct {
	task     Task
	n, chunk int
}

// spinChecks is how many times an idle helper polls for a job before it
// parks: about 50 µs here, longer than the gap between a decode step's
// matmuls and short enough not to hog a core between steps.
const spinChecks = 20000

// NewPool starts a pool of threads goroutines (the caller counts as one);
// threads <= 0 means runtime.GOMAXPROCS(0).
func NewPool(threads int) (*Pool, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads > 1024 {
		return nil, fmt.Errorf("kernels: %d threads is absurd; use at most 1024 (0 means one per core)", threads)
	}
	p := &Pool{threads: threads, avx2: hasAVX2, avx512: hasAVX512, parked: make([]atomic.Bool, threads)}
	for w := 1; w < threads; w++ {
		p.wake = append(p.wake, make(chan struct{}, 1))
	}
	for w := 1; w < threads; w++ {
		go p.helper(w)
	}
	return p, nil
}

// Threads is the number of goroutines that share each task.
func (p *Pool) Threads() int { return p.threads }

// Close stops the helper goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.quit.Store(true)
	p.seq.Add(1)
	p.wakeParked()
}

// helper w waits for each new generation, works on its job, reports done.
func (p *Pool) helper(w int) {
	var seen uint64
	for {
		seen = p.await(w, seen)
		if p.quit.Load() {
			return
		}
		p.drain(w, p.job)
		p.pending.Add(-1)
	}
}

// await spins, then parks, until the generation moves past seen.
func (p *Pool) await(w int, seen uint64) uint64 {
	for i := 0; i < spinChecks; i++ {
		if s := p.seq.Load(); s != seen {
			return s
		}
		if i%64 == 63 {
			runtime.Gosched() // let the caller's goroutine run if it shares our P
		}
	}
	for {
		p.parked[w].Store(true)
		if s := p.seq.Load(); s != seen {
			if !p.parked[w].CompareAndSwap(true, false) {
				<-p.wake[w-1] // the dispatcher un-parked us and sent a token: take it
			}
			return s
		}
		<-p.wake[w-1]
	}
}

// wakeParked un-parks every helper that parked.
func (p *Pool) wakeParked() {
	for w := 1; w < p.threads; w++ {
		if p.parked[w].CompareAndSwap(true, false) {
			p.wake[w-1] <- struct{}{}
		}
	}
}

// drain claims chunks of the job until none is left.
func (p *Pool) drain(worker int, j job) {
	for {
		lo := int(p.next.Add(int64(j.chunk))) - j.chunk
		if lo >= j.n {
			return
		}
		j.task.Run(worker, lo, min(lo+j.chunk, j.n))
	}
}

// Run calls t.Run over [0, n) in chunks of chunk indices (chunk <= 0: an
// even split), spread over the pool's goroutines, and returns when all are
// done. It panics if the pool is closed: that is a programming error.
func (p *Pool) Run(n, chunk int, t Task) {
	if n <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runLocked(n, chunk, t)
}

// runLocked is Run with p.mu held.
func (p *Pool) runLocked(n, chunk int, t Task) {
	if chunk <= 0 {
		chunk = (n + p.threads - 1) / p.threads
	}
	if p.closed {
		panic("kernels: Run on a closed Pool")
	}
	j := job{task: t, n: n, chunk: chunk}
	if p.threads == 1 || n <= chunk {
		for lo := 0; lo < n; lo += chunk {
			t.Run(0, lo, min(lo+chunk, n))
		}
		return
	}
	p.job = j
	p.next.Store(0)
	p.pending.Store(int32(p.threads - 1))
	p.seq.Add(1)
	p.wakeParked()
	p.drain(0, j)
	for i := 0; p.pending.Load() != 0; i++ {
		if i%64 == 63 {
			runtime.Gosched()
		}
	}
	p.job = job{}
}
