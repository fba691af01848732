package sim

// Published is one number read in a public source, with where it stands and
// the setup the source states. Only numbers printed in the source are
// recorded (no values read off a plot's axes).
type Published struct {
	ID       string  `json:"id"`
	Quantity string  `json:"quantity"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Source   string  `json:"source"`
	URL      string  `json:"url"`
	Where    string  `json:"where"` // table, figure or section
	Setup    string  `json:"setup"` // hardware, model and workload, as the source gives them
}

const (
	mooncakePaper = "Qin et al., Mooncake: Trading More Storage for Less Computation, USENIX FAST '25"
	mooncakeURL   = "https://github.com/kvcache-ai/Mooncake/blob/main/FAST25-release/Mooncake-FAST25.pdf"
	vllmBlog      = "Ozeri and Harnik (IBM Research), Inside vLLM's New Offloading Connector, vLLM blog"
	vllmURL       = "https://blog.vllm.ai/2026/01/08/kv-offloading-connector.html"
	lmcacheURL    = "https://github.com/LMCache/LMCache"
	gpustackURL   = "https://docs.gpustack.ai/2.0/performance-lab/references/evaluating-lmcache-prefill-acceleration-in-vllm"
)

// PublishedNumbers lists the reference numbers the tier model is held
// against (ComparePublished): the Mooncake paper's transfer rates, cache
// capacities and hit rates, vLLM's CPU-offload measurements, and LMCache's
// reported gains.
func PublishedNumbers() []Published {
	return []Published{
		{ID: "mooncake-transfer-4x200", Quantity: "transfer engine bandwidth, 40 GB between nodes", Value: 87, Unit: "GB/s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 5.4.1, Figure 12", Setup: "4 x 200 Gbps RoCE NICs; 40 GB = LLaMA3-70B KV cache of 128k tokens"},
		{ID: "mooncake-transfer-8x400", Quantity: "transfer engine bandwidth, 40 GB between nodes", Value: 190, Unit: "GB/s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 5.4.1, Figure 12", Setup: "8 x 400 Gbps RoCE NICs"},
		{ID: "mooncake-h2d-8xa800", Quantity: "host-to-device bandwidth of a node (model parameter)", Value: 128, Unit: "GB/s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Table 1 (B_h2d)", Setup: "8 x A800 node"},
		{ID: "mooncake-kv-per-token", Quantity: "KV cache per token, LLaMA3-70B", Value: 320, Unit: "KB",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 5.3.1", Setup: "LLaMA3-70B, BFloat16"},
		{ID: "mooncake-kv-128k", Quantity: "KV cache of 128k tokens, LLaMA3-70B", Value: 40, Unit: "GB",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 5.4.1", Setup: "LLaMA3-70B"},
		{ID: "mooncake-1tb-tokens", Quantity: "tokens of KV cache in about 1 TB of DRAM", Value: 3e6, Unit: "tokens",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 5.3.1", Setup: "LLaMA3-70B, about 1 TB of DRAM reserved per node"},
		{ID: "mooncake-fig9-conversation", Quantity: "hit rate at 3M tokens of cache, share of the maximum", Value: 41, Unit: "%",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 9", Setup: "conversation trace, requests in sequence, no timing"},
		{ID: "mooncake-fig9-synthetic", Quantity: "hit rate at 3M tokens of cache, share of the maximum", Value: 46, Unit: "%",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 9", Setup: "synthetic trace, requests in sequence, no timing"},
		{ID: "mooncake-fig10-conversation", Quantity: "hit rate, global cache / local cache", Value: 2.22, Unit: "x",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 10, sec. 5.3.2", Setup: "10 prefill nodes of 3M tokens each; local: a node reads only its own cache, requests go to higher prefix match; global: shared; conversation trace"},
		{ID: "mooncake-fig10-synthetic", Quantity: "hit rate, global cache / local cache", Value: 2.36, Unit: "x",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 10, sec. 5.3.2", Setup: "as above, synthetic trace"},
		{ID: "mooncake-eq2-a800", Quantity: "least KV loading bandwidth for reuse to beat recompute, prefix 8192", Value: 6, Unit: "GB/s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 2.2, Equation 2", Setup: "LLaMA3-70B on 8 x A800 (8 x 312 TFLOPS)"},
		{ID: "mooncake-eq2-h800", Quantity: "least KV loading bandwidth for reuse to beat recompute, prefix 8192", Value: 19, Unit: "GB/s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "sec. 2.2", Setup: "LLaMA3-70B on 8 x H800"},
		{ID: "mooncake-fig5-random", Quantity: "mean TTFT, random scheduling", Value: 19.65, Unit: "s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 5", Setup: "16 nodes of 8 x A800, conversation trace"},
		{ID: "mooncake-fig5-load-balancing", Quantity: "mean TTFT, load-balancing scheduling", Value: 5.27, Unit: "s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 5", Setup: "as above"},
		{ID: "mooncake-fig5-local-cache-aware", Quantity: "mean TTFT, local cache-aware scheduling", Value: 3.58, Unit: "s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 5", Setup: "as above"},
		{ID: "mooncake-fig5-global-cache-aware", Quantity: "mean TTFT, global cache-aware scheduling", Value: 3.07, Unit: "s",
			Source: mooncakePaper, URL: mooncakeURL, Where: "Figure 5", Setup: "as above"},
		{ID: "vllm-ttft-low", Quantity: "TTFT reduction loading KV from CPU instead of recomputing, smallest", Value: 2, Unit: "x",
			Source: vllmBlog, URL: vllmURL, Where: "Figure 1 and its text (\"X2-X22, depending on the prompt size\")", Setup: "Llama-3.1-8B-Instruct, one H100, single request"},
		{ID: "vllm-ttft-high", Quantity: "TTFT reduction loading KV from CPU instead of recomputing, largest", Value: 22, Unit: "x",
			Source: vllmBlog, URL: vllmURL, Where: "Figure 1 and its text", Setup: "as above"},
		{ID: "vllm-one-direction", Quantity: "GPU-CPU copy throughput, one direction, up to about", Value: 50, Unit: "GB/s",
			Source: vllmBlog, URL: vllmURL, Where: "text after Figures 3-4", Setup: "H100, 1000 blocks per transfer"},
		{ID: "vllm-bidirectional-dma", Quantity: "GPU-CPU copy throughput, both directions, DMA", Value: 83.4, Unit: "GB/s",
			Source: vllmBlog, URL: vllmURL, Where: "text after Figures 3-4", Setup: "H100, 2 MB blocks"},
		{ID: "vllm-block-llama3.1-8b", Quantity: "physical KV block of 16 tokens, new layout", Value: 2, Unit: "MB",
			Source: vllmBlog, URL: vllmURL, Where: "block size table", Setup: "meta-llama/Llama-3.1-8B-Instruct"},
		{ID: "vllm-block-mistral-7b", Quantity: "physical KV block of 16 tokens, new layout", Value: 2, Unit: "MB",
			Source: vllmBlog, URL: vllmURL, Where: "block size table", Setup: "mistralai/Mistral-7B-Instruct-v0.2"},
		{ID: "lmcache-delay-savings-low", Quantity: "delay saving with vLLM, smallest of the stated range", Value: 3, Unit: "x",
			Source: "LMCache README", URL: lmcacheURL, Where: "Summary (\"3-10x delay savings\")", Setup: "multi-round QA and RAG; hardware not stated"},
		{ID: "lmcache-delay-savings-high", Quantity: "delay saving with vLLM, largest of the stated range", Value: 10, Unit: "x",
			Source: "LMCache README", URL: lmcacheURL, Where: "Summary", Setup: "as above"},
		{ID: "gpustack-lmcache-ttft", Quantity: "TTFT reduction with LMCache CPU offload", Value: 58.8, Unit: "%",
			Source: "GPUStack performance lab, Evaluating LMCache Prefill Acceleration in vLLM", URL: gpustackURL, Where: "Conclusions",
			Setup: "Qwen3-8B on one RTX 4090 24GB, vLLM v0.10.1.1, 20K-token multi-turn conversations"},
	}
}

// published returns the number with the given id; it panics on a typo,
// which the tests catch.
func published(id string) Published {
	for _, p := range PublishedNumbers() {
		if p.ID == id {
			return p
		}
	}
	panic("sim: no published number " + id)
}
