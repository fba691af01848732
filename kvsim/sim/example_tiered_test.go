package sim_test

import (
	"fmt"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// toyTimer prices a prefill at 50 us per new token plus 0.1 us per cached
// one, 2 ms at least: a stand-in for the cost model's Serving().
type toyTimer struct{}

func (toyTimer) PrefillSeconds(newTokens, cachedTokens int) float64 {
	return 2e-3 + 50e-6*float64(newTokens) + 0.1e-6*float64(cachedTokens)
}
func (toyTimer) DecodeSeconds(batch, totalContext int) float64 { return 10e-3 }

// Four instances serve a seeded chat workload, each with 200 blocks of GPU
// memory above host memory and an SSD, private or as one shared store: how
// much reuse the GPU tier alone keeps, what the tiers below add, and what
// it does to the time to first token. The CLI and the notebook build the
// same TieredConfig from --tiers, --instances and --router.
func ExampleReplayTiered() {
	w, err := workload.Generate("multi-turn", 1, 512)
	if err != nil {
		panic(err)
	}
	tiers, err := cache.ParseTiers("hbm:200blocks,dram:800blocks,ssd:4000blocks")
	if err != nil {
		panic(err)
	}
	for _, shared := range []bool{false, true} {
		r, err := sim.ReplayTiered(w, sim.TieredConfig{Tiers: tiers, Instances: 4, Router: sim.CacheAware, Shared: shared,
			BytesPerBlock: 512 * 131072, Timer: toyTimer{}}) // llama3-8b: 128 KiB per token
		if err != nil {
			panic(err)
		}
		fmt.Printf("shared=%v: reused %.1f%% of prompt blocks (gpu alone %.1f%%)\n", shared,
			100*r.Summary.BlockHitRate, 100*float64(r.Offload.GPUHitBlocks)/float64(r.Summary.PromptBlocks))
		for _, t := range r.PerTier {
			fmt.Printf("  %-4s hit %5.1f%%  used %5.1f%%  loaded %6.1f GiB\n", t.Medium, 100*t.HitRate, 100*t.UsedRate, float64(t.LoadedBytes)/(1<<30))
		}
		fmt.Printf("  TTFT p50 %.3f s, p99 %.3f s; no offload p50 %.3f s, p99 %.3f s\n",
			r.TTFT.Tiered.P50, r.TTFT.Tiered.P99, r.TTFT.NoOffload.P50, r.TTFT.NoOffload.P99)
	}
	fmt.Println("routers:", sim.RouterNames())
	// Output:
	// shared=false: reused 74.6% of prompt blocks (gpu alone 38.0%)
	//   hbm  hit  38.8%  used  38.8%  loaded    0.0 GiB
	//   dram hit  34.8%  used  34.8%  loaded 1147.7 GiB
	//   ssd  hit   1.0%  used   1.0%  loaded   32.6 GiB
	//   TTFT p50 0.046 s, p99 0.163 s; no offload p50 0.069 s, p99 0.851 s
	// shared=true: reused 74.6% of prompt blocks (gpu alone 38.2%)
	//   hbm  hit  38.8%  used  38.8%  loaded    0.0 GiB
	//   dram hit  34.9%  used  34.9%  loaded 1151.1 GiB
	//   ssd  hit   1.0%  used   1.0%  loaded   31.7 GiB
	//   TTFT p50 0.046 s, p99 0.158 s; no offload p50 0.069 s, p99 0.737 s
	// routers: [round-robin least-loaded cache-aware min-ttft random]
}
