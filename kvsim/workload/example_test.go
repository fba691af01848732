package workload_test

import (
	"fmt"

	"kvcache/kvsim/workload"
)

// A seeded synthetic workload: the same seed gives the same requests.
func Example() {
	w, err := workload.Generate("system-prompt", 1, 512)
	if err != nil {
		panic(err)
	}
	s := w.Stats()
	fmt.Printf("%s: %d requests, %.0f s, avg input %.0f tokens, %d prompt blocks, %d distinct\n",
		w.Name, s.Requests, s.DurationSeconds, s.AvgInputTokens, s.PromptBlocks, s.DistinctBlocks)
	// Output:
	// system-prompt: 4000 requests, 398 s, avg input 4035 tokens, 33557 prompt blocks, 8658 distinct
}
