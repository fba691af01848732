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
type Pool struct {
	threads int
	mu      sync.Mutex
	wake    []chan job    // one per helper goroutine
	done    chan struct{} // a helper reports the end of its share
	next    atomic.Int64  // next unclaimed index of the running job
	closed  bool
	mm      matMulTask // reused by MatMul so that a call allocates nothing
	avx2    bool       // MatMul uses the AVX2/FMA dot product, else gonum's Sgemv
}

type job struct {
	task     Task
	n, chunk int
}

// NewPool starts a pool of threads goroutines (the caller counts as one);
// threads <= 0 means runtime.GOMAXPROCS(0).
func NewPool(threads int) (*Pool, error) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads > 1024 {
		return nil, fmt.Errorf("kernels: %d threads is absurd; use at most 1024 (0 means one per core)", threads)
	}
	p := &Pool{threads: threads, done: make(chan struct{}, threads), avx2: hasAVX2}
	for w := 1; w < threads; w++ {
		ch := make(chan job, 1)
		p.wake = append(p.wake, ch)
		go p.helper(w, ch)
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
	for _, ch := range p.wake {
		close(ch)
	}
}

func (p *Pool) helper(worker int, wake chan job) {
	for j := range wake {
		p.drain(worker, j)
		p.done <- struct{}{}
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
	if chunk <= 0 {
		chunk = (n + p.threads - 1) / p.threads
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		panic("kernels: Run on a closed Pool")
	}
	helpers := min(len(p.wake), (n+chunk-1)/chunk-1)
	if helpers <= 0 {
		t.Run(0, 0, n)
		return
	}
	p.next.Store(0)
	j := job{task: t, n: n, chunk: chunk}
	for w := 0; w < helpers; w++ {
		p.wake[w] <- j
	}
	p.drain(0, j)
	for w := 0; w < helpers; w++ {
		<-p.done
	}
}
