package cost

import (
	"fmt"
	"math"
	"strings"
)

// KernelPlan says which operations of a forward pass become kernels: the
// code a framework runs, counted from its source (see doc.go, "Engines").
type KernelPlan string

// Kernel plans.
const (
	// HFPlan is Hugging Face transformers' modules run op by op
	// (LlamaDecoderLayer, GPT2Block, MixtralSparseMoeBlock with SDPA).
	HFPlan KernelPlan = "hf"
	// PlainPlan is a plain PyTorch model run op by op: gpt-fast's model.py
	// without torch.compile (one fused QKV projection, math-SDPA decode).
	PlainPlan KernelPlan = "plain"
	// CompiledPlan is the same model after torch.compile's Inductor fuses
	// the element-wise work around the matrix products.
	CompiledPlan KernelPlan = "compiled"
	// FusedPlan is a serving engine's hand-fused kernels (vLLM, SGLang,
	// TensorRT-LLM, FasterTransformer): fused add+norm, one QKV GEMM,
	// rotary, cache write, paged attention, gate_up, act_and_mul, down.
	FusedPlan KernelPlan = "fused"
	// GGMLPlan is llama.cpp's ggml graph: one kernel per graph node.
	GGMLPlan KernelPlan = "ggml"
	// DecoderPlan is kvsim's own decoder on this CPU (priced by its
	// measured operation costs, not by kernels).
	DecoderPlan KernelPlan = "decoder"
)

// Execution is how one kind of pass (decode steps, or prefills) runs.
type Execution struct {
	Exec ExecMode   `json:"exec"` // eager: the host issues every kernel; graph: one replay per pass
	Plan KernelPlan `json:"plan"`
}

// Engine is an execution profile: how one serving stack turns a forward
// pass into kernels and host work, and how much memory it lets itself use.
// Every constant carries its source in Sources and in doc.go.
type Engine struct {
	Name    string   `json:"name"`
	Title   string   `json:"title"`
	Aliases []string `json:"aliases,omitempty"`

	Decode  Execution `json:"decode"`  // cached decode steps
	Prefill Execution `json:"prefill"` // prompts, and uncached steps (a prefill of the whole prefix)

	// LaunchSeconds is the host time to issue one kernel from the
	// framework in eager execution (dispatch and driver launch).
	LaunchSeconds float64 `json:"launch_s"`
	// HostOpSeconds is the host time of a framework call that launches
	// nothing (a view, a reshape, an index, a module call).
	HostOpSeconds float64 `json:"host_op_s"`
	// ReplaySeconds is the host time to replay a captured graph.
	ReplaySeconds float64 `json:"replay_s"`
	// StepSeconds is host work every step does outside the forward pass:
	// the generation loop, scheduler, input preparation, output handling.
	StepSeconds float64 `json:"step_s"`
	// SyncPerStep: the host waits for each step's tokens before it prepares
	// the next, so host work adds to device time. Without it the host runs
	// ahead and a step takes the larger of the two.
	SyncPerStep bool `json:"sync_per_step"`
	// SamplerKernels run after the LM head each step (greedy or top-k/p
	// sampling, stopping checks), each over the step's fp32 logits.
	SamplerKernels int `json:"sampler_kernels"`
	// AllReduceSeconds is the latency of one small tensor-parallel
	// all-reduce in this engine; 0 takes the latency of its AllReduce kind.
	AllReduceSeconds float64 `json:"all_reduce_s,omitempty"`
	// AllReduce is the collective the engine runs under tensor parallelism:
	// NCCL's ring (NCCLAllReduce), or a one-shot kernel over NVLink peer
	// memory (CustomAllReduce), which falls back to NCCL on more than two
	// PCIe-only devices.
	AllReduce string `json:"all_reduce"`
	// ReplicatedLMHead: tensor parallelism shards the layers only; every
	// device reads the whole LM head (gpt-fast's apply_tp).
	ReplicatedLMHead bool `json:"replicated_lm_head,omitempty"`
	// TopP, when set, is the engine's measured cost of top-p sampling over
	// its top-k sampling: a sort of the vocabulary every step.
	TopP *TopPCost `json:"top_p,omitempty"`
	// FlashAttention: attention never writes its score matrix to memory.
	// Without it every score moves ScoreBytes bytes through memory.
	FlashAttention bool `json:"flash_attention"`
	// ScoreBytes is the memory traffic per attention score when the score
	// matrix is materialised (FlashAttention false), counted from the
	// engine's kernels.
	ScoreBytes float64 `json:"score_bytes,omitempty"`
	// KVReadsPerQueryHead: decode attention has no GQA-aware kernel and reads
	// each K/V head once for every query head that shares it
	// (TensorRT-LLM before its XQA kernel).
	KVReadsPerQueryHead bool `json:"kv_reads_per_query_head,omitempty"`
	// ExpandKV: grouped K/V heads are first copied out to every query head
	// (transformers' repeat_kv, gpt-fast's repeat_interleave): the cache is
	// read once, the copy written and read again by attention.
	ExpandKV bool `json:"expand_kv,omitempty"`
	// MLAAbsorbed: multi-head latent attention decodes with the key and
	// value up-projections absorbed into the query and the output, so
	// attention runs over the cached latent directly.
	MLAAbsorbed bool `json:"mla_absorbed"`
	// FP16Accumulate: fp16 matrix products accumulate in fp16, at the
	// hardware's FP16AccumulateFLOPS where it has one.
	FP16Accumulate bool `json:"fp16_accumulate,omitempty"`
	// PrefillChunk is the tokens one prefill pass takes at most (llama.cpp's
	// n_ubatch); 0: the whole prompt in one pass.
	PrefillChunk int `json:"prefill_chunk,omitempty"`

	// MemoryFraction is the share of device memory the engine lets itself
	// use (vLLM's gpu_memory_utilization); with MemoryOfFree it is the
	// share of what is left after weights and activations that goes to the
	// KV cache (TensorRT-LLM's kv_cache_free_gpu_mem_fraction).
	MemoryFraction float64 `json:"memory_fraction"`
	MemoryOfFree   bool    `json:"memory_of_free,omitempty"`
	// MemoryFractionByTP overrides MemoryFraction from a tensor-parallel
	// degree up (SGLang lowers mem_fraction_static as TP grows).
	MemoryFractionByTP map[int]float64 `json:"memory_fraction_by_tp,omitempty"`

	Sources []string `json:"sources"`
}

// All-reduce kinds (Engine.AllReduce).
const (
	NCCLAllReduce   = "nccl"
	CustomAllReduce = "custom"
)

// TopPCost is a published per-step time of top-p over top-k sampling at a
// few batch sizes, for a vocabulary of Vocab: interpolated in log(batch)
// between the points (held flat beyond them) and scaled by vocab/Vocab (a
// radix sort's work grows with the keys it sorts).
type TopPCost struct {
	Vocab   int       `json:"vocab"`
	Batches []int     `json:"batches"`
	Seconds []float64 `json:"seconds"`
}

// StepSeconds is the cost at batch requests over vocab logits.
func (c TopPCost) StepSeconds(batch, vocab int) float64 {
	n := len(c.Batches)
	if n == 0 || n != len(c.Seconds) || c.Vocab <= 0 {
		return 0
	}
	scale := float64(vocab) / float64(c.Vocab)
	b := float64(batch)
	switch {
	case b <= float64(c.Batches[0]):
		return c.Seconds[0] * scale
	case b >= float64(c.Batches[n-1]):
		return c.Seconds[n-1] * scale
	}
	for i := 1; i < n; i++ {
		lo, hi := float64(c.Batches[i-1]), float64(c.Batches[i])
		if b <= hi {
			f := math.Log(b/lo) / math.Log(hi/lo)
			return (c.Seconds[i-1] + f*(c.Seconds[i]-c.Seconds[i-1])) * scale
		}
	}
	return c.Seconds[n-1] * scale
}

// Fraction is the engine's default memory fraction at tensor parallelism tp.
func (e Engine) Fraction(tp int) float64 {
	f, from := e.MemoryFraction, 0
	for t, v := range e.MemoryFractionByTP {
		if tp >= t && t > from {
			f, from = v, t
		}
	}
	return f
}

// Validate checks that the profile can price a pass.
func (e Engine) Validate() error {
	if strings.TrimSpace(e.Name) == "" {
		return fmt.Errorf("cost: engine has no name")
	}
	for _, x := range []Execution{e.Decode, e.Prefill} {
		if _, err := ParseExecMode(string(x.Exec)); err != nil {
			return fmt.Errorf("cost: engine %s: %w", e.Name, err)
		}
		if _, ok := planKernels[x.Plan]; !ok && x.Plan != DecoderPlan {
			return fmt.Errorf("cost: engine %s: unknown kernel plan %q", e.Name, x.Plan)
		}
	}
	for name, v := range map[string]float64{"launch_s": e.LaunchSeconds, "host_op_s": e.HostOpSeconds,
		"replay_s": e.ReplaySeconds, "step_s": e.StepSeconds, "all_reduce_s": e.AllReduceSeconds} {
		if !(v >= 0) || v > 1 {
			return fmt.Errorf("cost: engine %s: %s is %g; it must be between 0 and 1 s", e.Name, name, v)
		}
	}
	if !(e.MemoryFraction > 0 && e.MemoryFraction <= 1) {
		return fmt.Errorf("cost: engine %s: memory fraction %g must be in (0, 1]", e.Name, e.MemoryFraction)
	}
	if !e.FlashAttention && !(e.ScoreBytes > 0) && e.Decode.Plan != DecoderPlan {
		return fmt.Errorf("cost: engine %s: without FlashAttention it needs score_bytes, the traffic per attention score", e.Name)
	}
	if e.SamplerKernels < 0 || e.PrefillChunk < 0 {
		return fmt.Errorf("cost: engine %s: sampler kernels and prefill chunk cannot be negative", e.Name)
	}
	if e.AllReduce != NCCLAllReduce && e.AllReduce != CustomAllReduce {
		return fmt.Errorf("cost: engine %s: all_reduce %q: use %s or %s", e.Name, e.AllReduce, NCCLAllReduce, CustomAllReduce)
	}
	if c := e.TopP; c != nil {
		if c.Vocab <= 0 || len(c.Batches) == 0 || len(c.Batches) != len(c.Seconds) || !increasing(c.Batches) || c.Batches[0] < 1 {
			return fmt.Errorf("cost: engine %s: top_p needs a vocabulary and sorted batches of 1 or more, one time each", e.Name)
		}
		for _, v := range c.Seconds {
			if !(v >= 0) || v > 1 {
				return fmt.Errorf("cost: engine %s: top_p time %g must be between 0 and 1 s", e.Name, v)
			}
		}
	}
	return nil
}

func increasing(xs []int) bool {
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			return false
		}
	}
	return true
}

// Engine names.
const (
	HFGenerate        = "hf-generate"
	PyTorchEager      = "pytorch-eager"
	PyTorchCompile    = "pytorch-compile"
	VLLM              = "vllm"
	SGLang            = "sglang"
	TensorRTLLM       = "tensorrt-llm"
	TensorRTLLM05     = "tensorrt-llm-0.5"
	FasterTransformer = "fastertransformer"
	LlamaCpp          = "llama.cpp"
	ThisCPUEngine     = "kvsim-decoder"
)

// Host costs shared by several profiles; doc.go gives each source.
const (
	pythonLaunchSeconds = 8e-6   // PyTorch's CUDA path, one op from Python (Torch-FL PR #27, A100: 8 µs/op submitted back to back)
	pythonHostOpSeconds = 2e-6   // a framework call that launches nothing (pytorch/pytorch#41383: about 2 µs, half of it Python)
	cppLaunchSeconds    = 4.9e-6 // cudaLaunchKernel from compiled C (CUDAdrv.jl PR #15: 4.90 µs, mostly in libcuda)
	// FasterTransformer on an A100 host: its Decoding op (6 layers, d 512,
	// FP16, batch 1, top-k 4) makes 1,367 tokens/s (docs/decoder_guide.md,
	// "Sampling performance on A100 and TensorFlow"), 0.73 ms a token for
	// about 83 kernels (13 a layer, then embedding, norm, logits, sampling)
	// and one blocking copy of the finished flags: 8.8 µs a kernel, its
	// cuBLAS calls included, where the kernels themselves are a few µs.
	ftLaunchSeconds = 8.8e-6
)

// ftTopP is FasterTransformer's top-p sampling (a segmented radix sort of
// the vocabulary) over its top-k sampling, from the same table: FP16 on
// an A100, vocabulary 32,001, top-p 0.75 against top-k 4 at batch 1, 8
// and 128: 1,152 against 1,367 tokens/s, 4,902 against 6,165, 35,418
// against 44,960.
func ftTopP() *TopPCost {
	return &TopPCost{Vocab: 32001, Batches: []int{1, 8, 128},
		Seconds: []float64{1/1152. - 1/1367., 8/4902. - 8/6165., 128/35418. - 128/44960.}}
}

// Engines returns the execution profiles, a fresh copy on each call.
func Engines() []Engine {
	return []Engine{
		{
			Name: HFGenerate, Title: "Hugging Face transformers generate(), eager, SDPA attention",
			Aliases: []string{"hf", "transformers"},
			Decode:  Execution{Eager, HFPlan}, Prefill: Execution{Eager, HFPlan},
			LaunchSeconds: pythonLaunchSeconds, HostOpSeconds: pythonHostOpSeconds,
			StepSeconds: hfStepHostOps * pythonHostOpSeconds, SyncPerStep: true, SamplerKernels: 11,
			FlashAttention: true, ExpandKV: true, MemoryFraction: 1, AllReduce: NCCLAllReduce,
			Sources: []string{
				"kernels per layer counted from transformers' LlamaDecoderLayer, GPT2Block and MixtralSparseMoeBlock (SDPA attention)",
				"GQA: repeat_kv copies the cache out to every query head before attention",
				"launch 8 µs: Torch-FL PR #27 (github.com/flagos-ai/Torch-FL/pull/27), PyTorch's CUDA path on an A100 host, add submitted back to back",
				"host op 2 µs: pytorch/pytorch#41383, a small op from Python costs about 2 µs, half of it Python",
				"generate() loop: about 40 host calls and 11 kernels per step (logits slice, argmax, padding mask, cat of ids and mask, stopping criteria); unfinished_sequences.max() waits for the device every step",
				"memory: no pre-allocation; the caching allocator may use all of device memory",
				"tensor parallelism: torch.distributed (NCCL); all-reduce latency by NCCL's tuning model (src/graph/tuning.cc: 6.6 µs + 0.6 µs a ring step on NVLink, 1.0 on PCIe)",
			},
		},
		{
			Name: PyTorchEager, Title: "plain PyTorch, eager (gpt-fast's model.py without torch.compile)",
			Aliases: []string{"eager", "pytorch"},
			Decode:  Execution{Eager, PlainPlan}, Prefill: Execution{Eager, PlainPlan},
			LaunchSeconds: pythonLaunchSeconds, HostOpSeconds: pythonHostOpSeconds,
			StepSeconds: plainStepHostOps * pythonHostOpSeconds, SamplerKernels: 13,
			FlashAttention: true, ExpandKV: true, MemoryFraction: 1, AllReduce: NCCLAllReduce, ReplicatedLMHead: true,
			Sources: []string{
				"kernels and host calls per layer counted from gpt-fast model.py (pytorch-labs/gpt-fast@32971d3): RMSNorm 8, fused wqkv, RoPE 9 per tensor, index_put cache writes, math SDPA in decode",
				"GQA: k.repeat_interleave and v.repeat_interleave copy the cache out to every query head before attention",
				"launch 8 µs, host op 2 µs: as hf-generate",
				"no sync per step: gpt-fast samples with multinomial_sample_one_no_sync, so the host runs ahead of the device",
				"memory: no pre-allocation",
				"tensor parallelism: gpt-fast tp.py shards only each layer's attention and feed_forward (apply_tp), so every device reads the whole LM head; all-reduces are torch.distributed functional collectives over NCCL (latency by NCCL's tuning model)",
			},
		},
		{
			Name: PyTorchCompile, Title: "PyTorch with torch.compile(mode=\"reduce-overhead\") and CUDA graphs (gpt-fast)",
			Aliases: []string{"gpt-fast", "torch.compile", "compile", "cuda-graphs"},
			Decode:  Execution{Graph, CompiledPlan}, Prefill: Execution{Eager, PlainPlan},
			LaunchSeconds: pythonLaunchSeconds, HostOpSeconds: pythonHostOpSeconds, ReplaySeconds: 30e-6,
			StepSeconds: plainStepHostOps * pythonHostOpSeconds, SamplerKernels: 4,
			FlashAttention: true, ExpandKV: true, MemoryFraction: 1, AllReduce: NCCLAllReduce, ReplicatedLMHead: true,
			Sources: []string{
				"decode: decode_one_token compiled with mode=\"reduce-overhead\", fullgraph=True (gpt-fast generate.py): one CUDA graph per step, sampling inside it",
				"prefill: compiled only with --compile_prefill; by default it runs eager (generate.py)",
				"kernels per layer: the five matrix products of model.py plus Inductor's fused element-wise groups (norm, rotary and cache write, attention in two, silu*mul)",
				"replay 30 µs: assumption (hidden: the host runs ahead, no sync per step)",
				"tensor parallelism: as pytorch-eager (tp.py: the LM head whole on every device; NCCL all-reduces captured in the graph)",
			},
		},
		{
			Name: VLLM, Title: "vLLM (CUDA graphs for decode, fused kernels, PagedAttention)",
			Aliases: []string{"graph", "fused"},
			Decode:  Execution{Graph, FusedPlan}, Prefill: Execution{Eager, FusedPlan},
			LaunchSeconds: pythonLaunchSeconds, HostOpSeconds: pythonHostOpSeconds, ReplaySeconds: 30e-6,
			StepSeconds: 1e-3, SyncPerStep: true, SamplerKernels: 10,
			FlashAttention: true, MLAAbsorbed: true, MemoryFraction: 0.9, AllReduce: CustomAllReduce,
			Sources: []string{
				"kernels per layer after vLLM's model code: fused_add_rms_norm, qkv_proj, rotary_embedding, reshape_and_cache, paged attention, o_proj, gate_up_proj, silu_and_mul, down_proj; fused_moe for experts",
				"decode replays a CUDA graph (vllm-project/vllm PR #1926); prefill runs the same kernels eagerly",
				"CPU share: vLLM's v0.6.0 performance post (blog.vllm.ai, 2024-09-05) found, for Llama 3 8B on one H100 under load with v0.5.3, the API server at 33% and scheduling, input preparation and output processing at 29% of the time, the GPU busy 38%: a share under load, not a step time at small batch, so the 1 ms below stays an assumption",
				"step 1 ms: assumption; vLLM RFC #6854 measured 4-13 ms GPU bubbles per step under load (scheduler, input preparation, output processing), RFC #6913 0.2 ms of output processing at batch 1; the token transfer synchronises every step (RFC #6854)",
				"all-reduce: vLLM's custom all-reduce, 9-10 µs for small messages at TP 2-8 on H100 (sgl-project/sglang PR #2904); on more than two PCIe-only GPUs it is off and NCCL runs (vllm/distributed/device_communicators/custom_all_reduce.py: 'not supported on more than two PCIe-only GPUs')",
				"memory: gpu_memory_utilization defaults to 0.9 of total device memory (vLLM engine arguments)",
			},
		},
		{
			Name: SGLang, Title: "SGLang (CUDA graphs, fused kernels, overlap scheduler)",
			Decode: Execution{Graph, FusedPlan}, Prefill: Execution{Eager, FusedPlan},
			LaunchSeconds: pythonLaunchSeconds, HostOpSeconds: pythonHostOpSeconds, ReplaySeconds: 30e-6,
			StepSeconds: 1e-3, SamplerKernels: 10,
			FlashAttention: true, MLAAbsorbed: true, AllReduce: CustomAllReduce,
			MemoryFraction: 0.88, MemoryFractionByTP: map[int]float64{2: 0.87, 4: 0.85, 8: 0.81, 16: 0.79},
			Sources: []string{
				"kernels as vLLM (SGLang runs the same fused kernel families)",
				"the overlap scheduler (v0.4) prepares the next batch while the GPU runs the current one: no sync per step",
				"step 1 ms: the vLLM assumption, hidden when the device is busier",
				"memory: mem_fraction_static 0.88 at TP 1, 0.87 at 2, 0.85 at 4, 0.81 at 8, 0.79 at 16 (sglang server_args.py)",
			},
		},
		{
			Name: TensorRTLLM, Title: "TensorRT-LLM (C++ runtime, fused kernels; also NVIDIA NIM's optimised profiles)",
			Aliases: []string{"trt-llm", "trtllm", "nim"},
			Decode:  Execution{Eager, FusedPlan}, Prefill: Execution{Eager, FusedPlan},
			LaunchSeconds: cppLaunchSeconds, StepSeconds: 50e-6, SyncPerStep: true, SamplerKernels: 3,
			FlashAttention: true, MLAAbsorbed: true, AllReduce: CustomAllReduce,
			MemoryFraction: 0.9, MemoryOfFree: true,
			Sources: []string{
				"kernels: fused attention and GEMM plugins, as FusedPlan; the XQA kernel (v0.8 on) reads each K/V head once for its group of query heads",
				"launch 4.9 µs: a kernel launch from compiled C (JuliaGPU/CUDAdrv.jl PR #15)",
				"step 50 µs: assumption for the C++ runtime's per-step bookkeeping",
				"memory: kv_cache_free_gpu_mem_fraction 0.90 of the memory left after the engine loads (TensorRT-LLM docs/source/performance/perf-overview.md)",
				"all-reduce: its one-shot and two-shot kernels over NVLink (AllReduceStrategy AUTO, kernels/customAllReduceKernels.h), taken at vLLM's measured 9-10 µs",
			},
		},
		{
			Name: TensorRTLLM05, Title: "TensorRT-LLM before v0.8 (no XQA: GQA decode attention reads K/V per query head)",
			Aliases: []string{"trt-llm-0.5"},
			Decode:  Execution{Eager, FusedPlan}, Prefill: Execution{Eager, FusedPlan},
			LaunchSeconds: cppLaunchSeconds, StepSeconds: 50e-6, SyncPerStep: true, SamplerKernels: 3,
			FlashAttention: true, KVReadsPerQueryHead: true, AllReduce: NCCLAllReduce,
			MemoryFraction: 1,
			Sources: []string{
				"as tensorrt-llm, but its generation-phase attention predates the XQA kernel, which 'reduces data loading' for MQA/GQA and raised Llama-70B throughput 1.9-2.4x on H200 (TensorRT-LLM docs/source/blogs/XQA-kernel.md, v0.8)",
				"all-reduce: NCCL (assumed: the custom AllReduceStrategy kernels are not known to be in v0.5), latency by NCCL's tuning model",
				"memory: static-batch runs (gptSessionBenchmark) build LLaMA engines without --paged_kv_cache (docs/source/performance.md, 'Benchmarking per Model'), so the KV cache is one buffer sized for the batch, not a fraction of the free memory: all of the device",
			},
		},
		{
			Name: FasterTransformer, Title: "NVIDIA FasterTransformer (C++, fused kernels, no CUDA graphs)",
			Aliases: []string{"ft"},
			Decode:  Execution{Eager, FusedPlan}, Prefill: Execution{Eager, FusedPlan},
			LaunchSeconds: ftLaunchSeconds, StepSeconds: 50e-6, SyncPerStep: true, SamplerKernels: 3,
			FlashAttention: true, MemoryFraction: 1, AllReduce: NCCLAllReduce, TopP: ftTopP(),
			Sources: []string{
				"kernels: FasterTransformer's GPT layer (layernorm, QKV GEMM, fused masked multi-head attention, output GEMM, add-bias-residual-layernorm, FFN GEMMs with fused bias+GeLU)",
				"launch 8.8 µs a kernel: its Decoding op on an A100 makes 1,367 tokens/s at batch 1 (FP16, 6 layers, d 512, top-k 4; docs/decoder_guide.md 'Sampling performance on A100'), 0.73 ms for about 83 kernels and a blocking copy of the finished flags every step (ParallelGpt.cc: cudaD2Hcpy of h_finished_buf_)",
				"top-p: a radix sort of the vocabulary every step, priced from the same table (top-p 0.75 against top-k 4 at batch 1, 8, 128: 0.14, 0.33, 0.77 ms at vocabulary 32,001); the GPT guide's runs use top_p 0.9",
				"step 50 µs: assumption",
				"all-reduce: ftNcclAllReduceSum (NCCL); its custom all-reduce needs TP 8 and an opt-in (README, February 2022); latency by NCCL's tuning model",
				"memory: buffers sized for the batch; no fraction",
			},
		},
		{
			Name: LlamaCpp, Title: "llama.cpp (ggml CUDA or Metal backend)",
			Aliases: []string{"llamacpp", "ggml"},
			Decode:  Execution{Eager, GGMLPlan}, Prefill: Execution{Eager, GGMLPlan},
			LaunchSeconds: cppLaunchSeconds, StepSeconds: 100e-6, SyncPerStep: true,
			PrefillChunk: 512, FP16Accumulate: true, MemoryFraction: 1, AllReduce: NCCLAllReduce,
			ScoreBytes: llamaCppScoreBytes,
			Sources: []string{
				"kernels per layer: the ggml graph of llm_build_llama (rms_norm, mul, three mul_mat, two rope, two cpy into the cache, mul_mat KQ, soft_max_ext, mul_mat KQV, cont, output mul_mat, add, the FFN's five nodes, add)",
				"attention without -fa (llama-bench's default) materialises KQ over all n_kv cached cells for every new token, the causal mask applied by the softmax (llm_build_kqv: mul_mat(k, q), soft_max_ext(kq, kq_mask), mul_mat(v, kq))",
				"24 bytes per score: the batched cuBLAS product writes KQ in F16 (2) and converts it to F32 (read 2, write 4); soft_max_ext reads and writes F32 (8; its F32 mask, shared by every head, is taken from the L2); the product with V converts KQ to F16 (read 4, write 2) and reads it (2) (ggml-cuda.cu @ 57684331f, May 2024: ggml_cuda_mul_mat_batched_cublas, CUBLAS_COMPUTE_16F, to_fp16 / to_fp32)",
				"F16 matrix products call cublasGemmEx with CUBLAS_COMPUTE_16F (ggml-cuda.cu, ggml_cuda_op_mul_mat_cublas): fp16 accumulate",
				"prompts are processed in micro-batches of n_ubatch = 512 tokens (llama.cpp default)",
				"launch 4.9 µs: compiled C (CUDAdrv.jl PR #15); step 100 µs: assumption (graph build, logits copied to the host every token)",
			},
		},
		{
			Name: ThisCPUEngine, Title: "kvsim's decoder on this CPU (measured operation costs)",
			Aliases: []string{"this-cpu", "decoder"},
			Decode:  Execution{Eager, DecoderPlan}, Prefill: Execution{Eager, DecoderPlan},
			FlashAttention: true, MemoryFraction: 1, AllReduce: NCCLAllReduce,
			Sources: []string{"priced by MeasureDecoderKernels (see doc.go, this-cpu); the only engine this-cpu runs"},
		},
	}
}

// llamaCppScoreBytes is the traffic per score of llama.cpp's attention
// without -fa (see the engine's sources): 2 + 6 + 8 + 6 + 2 bytes.
const llamaCppScoreBytes = 24

// Host-only calls counted per generation step outside the layers.
const (
	hfStepHostOps    = 40 // transformers GenerationMixin._sample: prepare inputs, update kwargs, outputs, criteria
	plainStepHostOps = 15 // gpt-fast decode_n_tokens: the Python loop around decode_one_token
)

// LookupEngine finds a profile by name or alias (case, spaces, dots and
// dashes ignored). An unknown name gets an error listing every profile.
func LookupEngine(name string) (Engine, error) {
	key := hardwareKey(name)
	for _, e := range Engines() {
		if hardwareKey(e.Name) == key {
			return e, nil
		}
		for _, a := range e.Aliases {
			if hardwareKey(a) == key {
				return e, nil
			}
		}
	}
	return Engine{}, fmt.Errorf("cost: unknown engine %q; profiles: %s (kvsim engines lists them)", name, strings.Join(EngineNames(), ", "))
}

// EngineNames lists every profile name.
func EngineNames() []string {
	var names []string
	for _, e := range Engines() {
		names = append(names, e.Name)
	}
	return names
}

// EngineForExec is the profile an execution mode stands for: eager is
// plain PyTorch, graph is vLLM.
func EngineForExec(m ExecMode) string {
	if m == Eager {
		return PyTorchEager
	}
	return VLLM
}
