package decoder_test

import (
	"fmt"

	"kvcache/kvsim/decoder"
	"kvcache/kvsim/model"
)

// Generate 6 tokens after an 8-token prompt with and without a cache, on
// random weights: the same tokens, and the work each step did.
func ExampleRun() {
	spec, _ := model.NewCatalog().Lookup("gpt-tiny")
	res, err := decoder.Run(spec, decoder.BenchOptions{Prompt: 8, New: 6, Cache: decoder.CacheBoth, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same tokens:", res.SameTokens, "hit rate:", res.HitRate, "KV bytes:", res.KVBytesPeak)
	for i := range res.New {
		fmt.Printf("step %d: cached %.3g FLOPs, uncached %.3g\n", i, res.Cached.PerTokenFLOPs[i], res.Uncached.PerTokenFLOPs[i])
	}
	// Output:
	// same tokens: true hit rate: 1 KV bytes: 159744
	// step 0: cached 7.78e+07 FLOPs, uncached 7.78e+07
	// step 1: cached 1.16e+07 FLOPs, uncached 8.73e+07
	// step 2: cached 1.16e+07 FLOPs, uncached 9.68e+07
	// step 3: cached 1.16e+07 FLOPs, uncached 1.06e+08
	// step 4: cached 1.16e+07 FLOPs, uncached 1.16e+08
	// step 5: cached 1.16e+07 FLOPs, uncached 1.25e+08
}

// A cache of 4 tokens under the exact recompute policy: evicted positions
// are recomputed at each step, and the hit rate at position L is 4/L.
func ExampleDecoder_Generate() {
	spec, _ := model.NewCatalog().Lookup("llama-tiny")
	d, err := decoder.New(spec, decoder.Options{Seed: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	g, err := d.Generate(decoder.GenerateOptions{
		Prompt: []int{5, 17, 3, 99, 42, 7}, NewTokens: 4,
		Cache: decoder.CacheConfig{Enabled: true, Capacity: 4, Policy: decoder.Recompute},
		OnToken: func(ev decoder.TokenEvent) {
			fmt.Printf("position %d: recomputed %d, hit rate so far %.3f\n", ev.Position, ev.Step.Recomputed, ev.HitRate)
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("KV bytes peak:", g.KVBytesPeak, "of", g.KVBytesAllocated, "allocated")
	// Output:
	// position 5: recomputed 0, hit rate so far 0.000
	// position 6: recomputed 2, hit rate so far 0.667
	// position 7: recomputed 3, hit rate so far 0.615
	// position 8: recomputed 4, hit rate so far 0.571
	// KV bytes peak: 12288 of 12288 allocated
}
