package figures

import (
	"runtime"
	"sync"
)

// parallelDo calls do(0..n-1) over GOMAXPROCS goroutines; each call writes
// only its own results.
func parallelDo(n int, do func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				do(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
