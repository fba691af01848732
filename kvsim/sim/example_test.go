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
