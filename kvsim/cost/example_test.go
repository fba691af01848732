package cost_test

import (
	"fmt"

	"kvcache/kvsim/cost"
	"kvcache/kvsim/model"
)

// LLaMA-3-8B on one H100 at batch 1: with a cache a step reads the weights
// once and barely notices the context; without one it reruns the prefix.
func Example() {
	spec, _ := model.NewCatalog().Lookup("llama3-8b")
	hw, _ := cost.LookupHardware("h100-sxm", nil)
	p, _ := cost.New(spec, hw, cost.Options{}) // bf16, the vllm engine, one GPU
	for _, l := range []int{512, 4096} {
		c, _ := p.Decode(1, l, true)
		u, _ := p.Decode(1, l, false)
		fmt.Printf("L=%d: cached %.2f ms (%s), uncached %.1f ms (%s), %.1fx\n",
			l, c.Seconds*1e3, c.Bound, u.Seconds*1e3, u.Bound, u.Seconds/c.Seconds)
	}
	capacity, _ := p.Capacity(8192)
	fmt.Printf("KV cache: %d tokens, %d requests of 8192\n", capacity.KVCacheTokens, capacity.MaxConcurrency)
	// Output:
	// L=512: cached 7.33 ms (memory), uncached 13.1 ms (compute), 1.8x
	// L=4096: cached 7.51 ms (memory), uncached 96.0 ms (compute), 12.8x
	// KV cache: 459889 tokens, 56 requests of 8192
}

// The serving interface the KV-cache simulator consumes.
func ExampleServing() {
	spec, _ := model.NewCatalog().Lookup("llama3-8b")
	hw, _ := cost.LookupHardware("h100-sxm", nil)
	p, _ := cost.New(spec, hw, cost.Options{})
	sv := p.Serving()
	fmt.Printf("prefill 2000 new: %.1f ms\n", sv.PrefillSeconds(2000, 0)*1e3)
	fmt.Printf("prefill 500 new after 1500 cached: %.1f ms\n", sv.PrefillSeconds(500, 1500)*1e3)
	fmt.Printf("decode 1 x 2000: %.2f ms; 32 x 2000: %.2f ms\n", sv.DecodeSeconds(1, 2000)*1e3, sv.DecodeSeconds(32, 32*2000)*1e3)
	// Output:
	// prefill 2000 new: 46.6 ms
	// prefill 500 new after 1500 cached: 13.5 ms
	// decode 1 x 2000: 7.40 ms; 32 x 2000: 10.69 ms
}
