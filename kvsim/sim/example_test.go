package sim_test

import (
	"fmt"

	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// The sweet spot: hit rate against capacity for a seeded chat workload.
func Example() {
	w, err := workload.Generate("multi-turn", 1, 512)
	if err != nil {
		panic(err)
	}
	p, err := sim.Prepare(w)
	if err != nil {
		panic(err)
	}
	sweep, err := p.SweepCapacity(sim.SweepConfig{Capacities: []int{300, 1000, 3000, 10000}, Belady: true})
	if err != nil {
		panic(err)
	}
	for _, c := range sweep.Curves {
		fmt.Printf("%-7s", c.Policy)
		for _, pt := range c.Points {
			fmt.Printf(" %5.1f%%", 100*pt.BlockHitRate)
		}
		fmt.Println()
	}
	fmt.Printf("max     %5.1f%% of %d prompt blocks\n", 100*sweep.Unbounded.BlockHitRate, sweep.Unbounded.PromptBlocks)
	// Output:
	// lru      21.0%  45.3%  72.2%  74.7%
	// belady   46.9%  68.9%  74.7%  74.7%
	// max      74.7% of 52764 prompt blocks
}

// stepTimer is a stand-in for the cost model (kvsim/cost): 10 µs per
// prefilled token, 6 ms per decode step plus 20 ns per token of context.
type stepTimer struct{}

func (stepTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	return 10e-6 * float64(newTokens)
}
func (stepTimer) DecodeSeconds(batch, totalContext int) float64 {
	return 6e-3 + 20e-9*float64(totalContext)
}

// Serving latencies of one workload under both schedulers, and the data of
// a TTFT CDF.
func ExamplePrepared_Serve() {
	w, err := workload.Generate("multi-turn", 1, 512)
	if err != nil {
		panic(err)
	}
	p, err := sim.Prepare(w)
	if err != nil {
		panic(err)
	}
	for _, sched := range sim.SchedulerNames() {
		r, err := p.Serve(sim.ServeConfig{Config: sim.Config{CapacityBlocks: 3000, Timer: stepTimer{}}, Scheduler: sched})
		if err != nil {
			panic(err)
		}
		s := r.Serving
		fmt.Printf("%-15s TTFT p50 %5.1f ms p99 %6.1f ms, TPOT p50 %4.1f ms, ITL p99 %5.1f ms\n",
			sched, 1e3*s.P50TTFTSeconds, 1e3*s.P99TTFTSeconds, 1e3*s.P50TPOTSeconds, 1e3*s.P99ITLSeconds)
		if sched == sim.PrefillFirst {
			ttft := r.Latencies().TTFT // sorted: the x values of the CDF
			p := sim.CDF(ttft)         // P(TTFT <= ttft[i])
			fmt.Printf("%d requests; %.0f%% within %.1f ms\n", len(ttft), 100*p[len(p)/2], 1e3*ttft[len(ttft)/2])
		}
	}
	// Output:
	// prefill-first   TTFT p50  12.0 ms p99   61.7 ms, TPOT p50  7.6 ms, ITL p99  18.1 ms
	// 5922 requests; 50% within 12.0 ms
	// chunked-prefill TTFT p50  27.6 ms p99  167.0 ms, TPOT p50  7.6 ms, ITL p99  13.2 ms
}
