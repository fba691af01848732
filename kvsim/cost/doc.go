// Package cost predicts the latency, memory and KV-cache speedup of
// transformer inference on real hardware with a roofline model, and
// measures this machine's CPU for the same model.
//
// # The model
//
// A forward pass is a list of operations per layer (norm_residual, qkv_proj,
// rope, kv_write, attention, o_proj, mlp, all_reduce) plus the embedding and
// the final norm and lm_head. Each operation on one device has
//
//	FLOPs   = 2 x rows x weights / TP   (matmuls; rows = new tokens in the batch)
//	        = 2 x heads/TP x (qk_dim + v_dim) x attended positions   (attention)
//	bytes   = weights / TP x bytes per weight + KV read or written + activations in and out
//	time    = max(FLOPs / (peak x compute efficiency), bytes / (bandwidth x bandwidth efficiency))
//
// and is marked compute- or memory-bound by the larger term. Summed over
// operations, the FLOPs equal model.DecodeFLOPs and model.PrefillFLOPs
// exactly (norms and element-wise work move bytes but count no FLOPs).
// A cached decode step runs one row per request and reads the cached K/V;
// an uncached step at context L is a prefill of L+1 tokens per request.
// Attention is modelled as fused (FlashAttention): Q, K, V read once, O
// written once, no score matrix in memory. The this-cpu preset measured by
// MeasureDecoderKernels keeps the FLOPs and bytes but times each operation
// with the measured cost of the decoder's code for it (see this-cpu).
//
// Engines: how a stack runs the pass decides most of what the roofline
// leaves out. An Engine (Engines, LookupEngine; kvsim engines) says, for
// decode steps and for prefills apart, whether the host issues each kernel
// (eager) or replays a captured graph, and which operations become kernels
// (KernelPlan); then its host costs, whether the host waits for every
// step's tokens, its sampler, its attention kernel and its memory rule.
// Options.Engine picks one; Options.Exec remains an alias (eager:
// pytorch-eager, graph: vllm) and defaults to vllm; this-cpu runs only
// kvsim-decoder.
//
// A step runs its kernels through a host queue and a device queue. Every
// kernel takes its share of its operation's roofline time plus
// KernelGapSeconds on the device. Eager, the host spends LaunchSeconds per
// kernel and HostOpSeconds per call that launches nothing (views, module
// calls) and runs ahead; a kernel starts when it is issued and the
// previous one has finished, so launches hide behind long kernels (a long
// prefill) and show behind short ones (batch-1 decode of a small model).
// Graph, the host replays the pass once (ReplaySeconds). Then
//
//	SyncPerStep (the host waits for the tokens): step = StepSeconds + end of the last kernel
//	otherwise (the host runs ahead):              step = max(StepSeconds + host launches, device work)
//
// launch_overhead in the breakdown is the time beyond the operations'
// roofline times (waiting for launches, kernel gaps); step_overhead is the
// per-step host work that shows. A step is bound by whichever of compute,
// memory, overhead or communication takes the most time.
//
// The profiles and their constants (kvsim engines NAME prints each with
// its sources):
//
//	engine             decode / prefill            host per launch, per step           waits   memory
//	hf-generate        eager hf / eager hf         8 µs, 40 host calls x 2 µs          yes     all of it
//	pytorch-eager      eager plain / eager plain   8 µs, 15 host calls x 2 µs          no      all of it
//	pytorch-compile    graph compiled / eager plain replay 30 µs                       no      all of it
//	vllm               graph fused / eager fused   8 µs, 1 ms                          yes     0.9 of the device
//	sglang             graph fused / eager fused   8 µs, 1 ms                          no      0.88 (0.87 TP2, 0.85 TP4, 0.81 TP8, 0.79 TP16)
//	tensorrt-llm       eager fused (C++)           4.9 µs, 50 µs                       yes     0.9 of what is left after loading
//	tensorrt-llm-0.5   as tensorrt-llm, GQA decode attention reads K/V per query head,     all of it
//	                   NCCL all-reduces, the KV cache sized for the batch
//	fastertransformer  eager fused (C++)           8.8 µs, 50 µs + top-p sort          yes     all of it
//	llama.cpp          eager ggml (C++)            4.9 µs, 100 µs; prompts in 512s     yes     all of it
//	kvsim-decoder      this CPU's measured costs (see this-cpu)
//
// Sources of the host costs:
//
//	8 µs per launch from Python  Torch-FL PR #27 (github.com/flagos-ai/Torch-FL/pull/27): PyTorch's own CUDA
//	                             path submits an add at 8 µs/op on an A100 host, ops issued back to back.
//	2 µs per call without launch pytorch/pytorch#41383 (a PyTorch maintainer): a small op costs about 2 µs
//	                             from Python, half of it Python.
//	4.9 µs per launch from C     JuliaGPU/CUDAdrv.jl PR #15: "statically compiled C has a launch overhead
//	                             of 4.90us (this is mostly spent in libcuda)".
//	vllm 1 ms per step           an assumption: vLLM RFC #6854 measured 4-13 ms GPU bubbles per step under
//	                             load (scheduler, input preparation, output processing) and the token
//	                             transfer synchronising every step; RFC #6913 0.2 ms of output processing
//	                             at batch 1; vLLM's v0.6.0 post (2024-09-05): API server 33%, scheduling and
//	                             input/output processing 29%, GPU 38% of the time (Llama 3 8B, one H100,
//	                             v0.5.3, under load). No batch-1 figure was found; SGLang's overlap scheduler
//	                             (v0.4) hides the same work.
//	8.8 µs per FasterTransformer FasterTransformer's own A100 table (docs/decoder_guide.md, "Sampling
//	kernel                       performance on A100", FT v4): its Decoding op (6 layers, d 512, FP16,
//	                             batch 1, top-k 4) makes 1,367 tokens/s, 0.73 ms a token for about 83
//	                             kernels (13 a layer, then embedding, norm, logits, sampling) and one
//	                             blocking copy of the finished flags a step: its cuBLAS calls included.
//	FT top-p sort                the same table, top-p 0.75 against top-k 4: 0.14, 0.33 and 0.77 ms a step
//	                             at batch 1, 8 and 128 for a vocabulary of 32,001 (TopPCost interpolates
//	                             in log batch and scales by the vocabulary; the GPT guide samples top_p 0.9).
//	C++ per step, replay 30 µs   assumptions (hidden whenever the device is busier).
//
// Kernels per layer (the plans), counted from each framework's code: hf
// (transformers' LlamaDecoderLayer with SDPA: RMSNorm 8, two residual adds,
// separate q/k/v, RoPE 10, two cache appends, SDPA and its copy, o_proj,
// SwiGLU 5; GPT2Block's NewGELU 8; Mixtral's loop of 9 kernels per expert
// hit; 41 per LLaMA layer), plain (gpt-fast's model.py eager: RMSNorm 8,
// fused wqkv, RoPE 9 per tensor, index_put cache writes, math SDPA in
// decode, SwiGLU 5; 53 per layer), compiled (its five matrix products
// plus Inductor's fused element-wise groups: 11), fused (vLLM's
// fused_add_rms_norm, qkv, rotary, reshape_and_cache, paged attention,
// o_proj, gate_up, silu_and_mul, down: 10; fused_moe 7; FasterTransformer's
// GPT layer has the same count), ggml (llm_build_llama's nodes: 24). The
// host-only calls per layer (29 hf, 33 plain, 15 fused) are counted the
// same way. Samplers: generate()'s greedy path and stopping checks 11
// kernels, gpt-fast's top-k sampling 13 eager and 4 compiled, vLLM's
// sampler 10 (eager, outside the graph), TensorRT-LLM's and
// FasterTransformer's 3; each reads and writes the step's fp32 logits.
//
// The mechanisms each have a row in the breakdown:
//
//   - all_reduce: tensor parallelism over T devices (Megatron-style, as vLLM
//     does it) divides weights, heads and FLOPs by T, splits K/V heads
//     (replicating them when there are fewer K/V heads than devices; MLA's
//     latent is replicated), and adds two all-reduces of rows x d_model
//     activations per layer (one for Falcon's parallel block), each a
//     latency + 2 (T-1)/T x bytes / (LinkBandwidth x LinkEfficiency)
//     (ring). The latency depends on the engine's collective
//     (Engine.AllReduce): a custom one-shot kernel over NVLink peer memory
//     (vLLM, SGLang, TensorRT-LLM's AllReduceStrategy kernels) costs
//     AllReduceLatency, 10 µs: vLLM's took 9-10 µs for small messages at TP
//     2, 4 and 8 on H100 (sgl-project/sglang PR #2904); NCCL's ring
//     (torch.distributed in gpt-fast and Hugging Face, FasterTransformer,
//     TensorRT-LLM v0.5) costs what NCCL's own tuning model says,
//     NCCLBaseSeconds 6.6 µs + 2 (T-1) x NCCLHopSeconds, 0.6 µs a step on
//     NVLink and 1.0 µs on PCIe (src/graph/tuning.cc, v2.18-v2.30
//     defaults: baseLatencies[Ring][LL], hwLatencies[NVLINK|PCI][Ring][LL]):
//     7.8 µs at TP 2, 15 µs at TP 8. vLLM turns its custom kernel off on
//     more than two PCIe-only GPUs (custom_all_reduce.py: "not supported on
//     more than two PCIe-only GPUs"), and NCCL runs (Hardware.PCIeOnly).
//     T must divide the heads and fit in one node (MaxTP).
//   - lm_head: sharded by vocabulary over the T devices, except where the
//     engine's tensor parallelism leaves it whole (ReplicatedLMHead):
//     gpt-fast's tp.py (apply_tp) shards only each layer's attention and
//     feed_forward, so every device reads the whole LM head, 1 GB for
//     Llama 3.1's 128,256-token vocabulary at bf16.
//   - moe_router, mlp, moe_all_to_all: a MoE layer's router (d_model x E),
//     and the experts the batch's tokens route to. With E routed experts of
//     which each token uses k, under uniform routing R rows hit
//     E (1 - (1 - k/E)^R) distinct experts, each read whole. Sharded by
//     tensor parallelism every device reads its 1/T of each expert hit;
//     with expert parallelism (Options.ExpertParallel) each holds E/T whole
//     experts, the step waits for the device whose experts are hit most
//     (E[max] of T binomials, taken independent), and two all-to-alls carry
//     the routed tokens there and back.
//   - mla_up_proj: MLA (DeepSeek-V2/V3) decodes, in engines that absorb it
//     (vLLM, SGLang, TensorRT-LLM), with the latent's up-projections folded
//     into the query and the output: per token 2 x kv_lora x heads x
//     (nope + v) FLOPs in their own row, and attention over the cached
//     latent at 2 (2 kv_lora + rope) FLOPs per position and head. Prefills
//     up-project K and V as the model does (model.PrefillFLOPs).
//   - attention: fused kernels (FlashAttention, paged attention) read Q, K, V
//     once and compute the causal triangle; without them (llama.cpp without
//     -fa, llama-bench's default) every new token scores every cached and
//     new position, the mask applied afterwards (the whole new x (cached +
//     new) rectangle, FLOPs included), and each score moves ScoreBytes
//     through memory: 24 B in llama.cpp, counted from ggml-cuda at
//     57684331f (May 2024): the batched cuBLAS product writes KQ in F16 (2)
//     and converts it to F32 (2 + 4), soft_max_ext reads and writes it (8,
//     its mask shared by every head and taken from the L2), the product
//     with V converts it back to F16 (4 + 2) and reads it (2). GQA K/V copied out to every query head (transformers'
//     repeat_kv, gpt-fast's repeat_interleave) is written and read again;
//     a decode kernel without GQA support (TensorRT-LLM before XQA,
//     docs/source/blogs/XQA-kernel.md: "reducing data loading", 1.9-2.4x
//     Llama-70B throughput) reads each K/V head once per query head.
//   - sampler, step_overhead, launch_overhead: as above. An engine's
//     measured top-p sort (TopP) adds its time to the sampler row.
//
// llama.cpp's fp16 products call cublasGemmEx with CUBLAS_COMPUTE_16F
// (ggml-cuda), so on a GPU whose datasheet gives a faster fp16-accumulate
// rate (GeForce: Hardware.FP16AccumulateFLOPS) they run at it.
//
// Memory per device: weights / T, the KV cache held after the step, and
// activations for at most PrefillChunk rows (model.ActivationBytes, not
// divided by T: an upper bound) plus fp32 logits. A step fits when that is
// at most what the engine lets itself use: its MemoryFraction of the device
// (vLLM's gpu_memory_utilization 0.9, SGLang's mem_fraction_static by TP),
// or for TensorRT-LLM the weights and reserved activations plus 0.9 of what
// is left (kv_cache_free_gpu_mem_fraction; a setup that ran under it can be
// refused at a flat 0.9). Options.MemoryFraction (--memory-fraction)
// overrides it. One that does not fit gets no time. Capacity reports the
// tokens the cache can hold and the maximum concurrency at a context, as
// vLLM prints at start-up. ChooseTP picks the smallest T that fits.
//
// Sizes stay representable: a context or batch above 2^40 is refused, and
// so is a pass whose KV cache per device (or, in Predict, over all devices)
// exceeds 2^62 bytes; anything smaller that exceeds the device is "does
// not fit", never a wrapped negative size.
//
// Data types: --dtype sets the weights, the KV cache and the tensor-core
// rate; activations are bf16 (fp32 when the dtype is fp32). A dtype without
// a datasheet figure on the hardware is refused (the A100 has no fp8, the
// M2 Max no bf16, this-cpu only fp32). Weight-only quantisation (W4A16) is
// not modelled, so no preset lists int4.
//
// # Hardware presets and where the constants come from
//
// Peak figures are dense (the datasheets' headline tensor figures assume
// 2:4 sparsity; they are halved here) and are in each preset's Source:
//
//	a100-40gb  A100 SXM4 40GB   312 TFLOP/s bf16, 19.5 fp32, 624 int8;  1,555 GB/s; NVLink 3
//	a100-80gb  A100 SXM4 80GB   same compute;                           2,039 GB/s; NVLink 3
//	h100-sxm   H100 SXM5 80GB   989.4 bf16, 1,978.9 fp8/int8, 67 fp32;  3.35 TB/s;  NVLink 4
//	h200       H200 SXM 141GB   same compute as h100-sxm;               4.8 TB/s;   NVLink 4
//	l4         L4 24GB (PCIe)   121 bf16, 242.5 fp8/int8, 30.3 fp32;    300 GB/s;   PCIe 4
//	rtx-4090   RTX 4090 24GB    165.2 bf16/fp16 (FP32 accumulate), 330.3 fp8, 660.6 int8, 82.6 fp32; 1,008 GB/s
//	m2-max     M2 Max 38-core   13.6 fp32 = fp16 (no tensor rate);      400 GB/s;   96 GB unified
//	b200       B200 180GB       2,250 bf16, 4,500 fp8/int8, 75 fp32;    7.7 TB/s;   NVLink 5
//	mi300x     MI300X 192GB     1,307.4 bf16, 2,614.9 fp8/int8, 163.4 fp32; 5.3 TB/s; Infinity Fabric
//	l40s       L40S 48GB (PCIe) 362.05 bf16, 733 fp8/int8, 91.6 fp32;   864 GB/s;   PCIe 4
//	a10g       A10G 24GB (AWS)  70 bf16, 140 int8, 35 fp32 (no datasheet; see its Source); 600 GB/s
//	t4         T4 16GB (PCIe)   65 fp16 (no bf16), 130 int8, 8.1 fp32;  320 GB/s;   PCIe 3
//
// Your own device: LoadHardwareFile (kvsim --hardware-file) reads the same
// fields from JSON, as kvsim hardware NAME --json prints them.
//
// Memory sizes take the datasheet's GB as binary (80 GB = 80 GiB; drivers
// show a little less, e.g. 81,559 MiB on an H100 SXM), which the 0.9
// memory fraction absorbs. Links are per direction: NVLink 3 600 GB/s total
// = 300 GB/s each way, NVLink 4 900 = 450, NVLink 5 1,800 = 900, PCIe Gen4
// x16 64 = 32, Gen3 32 = 16, MI300X Infinity Fabric 896 = 448. MaxTP is 8
// (one 8-GPU server) for the GPUs, 1 for the M2 Max and this-cpu.
//
// Efficiencies and fixed costs for the GPU presets (assumptions, stated):
//
//	ComputeEfficiency   0.70   FlashAttention-2 reaches 50-73% of the A100's peak (Dao 2023,
//	                           abstract); large cuBLAS bf16 GEMMs 70-80%.
//	BandwidthEfficiency 0.80   streaming kernels reach 80-90% of datasheet bandwidth; end to end,
//	                           torchao reports LLaMA-2-7B bf16 decode on an A100-80GB at 107 tok/s and
//	                           1,419 GB/s (70%, launches and small kernels included).
//	                           gpt-fast's README measured about 1,700 GB/s peak on its power-limited
//	                           A100-80GB (83% of 2,039).
//	KernelGapSeconds    2 µs   gap between dependent kernels on a stream or in a CUDA graph (1-3 µs).
//	LinkEfficiency      0.80   nccl-tests bus bandwidth relative to the per-direction link figure.
//	NCCLHopSeconds      0.6 µs NCCL's latency per ring step on NVLink (1.0 µs on PCIe-only presets), after
//	                           NCCLBaseSeconds 6.6 µs: NCCL's own tuning model (src/graph/tuning.cc). The
//	                           MI300X (RCCL over Infinity Fabric) takes the NVLink figure, assumed.
//	AllReduceLatency    10 µs  one small custom all-reduce inside an NVLink node (vLLM's,
//	                           9-10 µs at TP 2-8 on H100: sgl-project/sglang PR #2904).
//
// Host costs are the engine's, not the hardware's (Hardware.LaunchSeconds
// is no longer read).
//
// # this-cpu
//
// this-cpu is measured, not looked up: a Calibrator runs a MeasureFunc once
// per process and caches the result (no package state; tests make their
// own). The default, MeasureDecoderKernels, times each class of work the
// kvsim decoder does with the decoder's own code (kvsim/kernels' Pool,
// MatMul, DotRows and Axpy; kvsim/decoder's exported element-wise steps) on
// a pool of GOMAXPROCS threads (MeasureDecoderKernelsOn(n) for another
// count), and fills Calibration.Ops (CPUOps). The preset then carries the
// costs (Hardware.CPU) and every operation is priced as the decoder runs it
// instead of by the roofline. It takes about 2 s and holds 256 MiB while
// it runs.
//
// Each probe runs in five rounds; a round first runs it untimed (four
// times or 8 ms) so its data sits where the decoder's steady state keeps
// it, then times it for 8 ms and keeps the median run. A working set near
// the last-level cache's size streams at DRAM speed on its first pass and
// reaches its steady rate only after 5 to 30 passes (here 64 to 128 MiB),
// as it does over a decode's steps, so the matrix-vector probes first run
// 30 passes (at most 150 ms) and then their five rounds back to back. A
// cost is the median of the rounds; Ops.Spread is the median over probes of
// (slowest - fastest round) / median, a measure of how busy the machine
// was. A round times at least three runs, however long a run takes. The
// pool's fork-join (runs of 64 empty Pool.Runs) and the stream triad (3 x
// 16 MiB, warmed up like the matrix-vector probes) are probes like the
// others: each was once a single measurement (a mean over 2000 fork-joins,
// one triad run in an 8 ms window): issue 10 saw them read 4.2 µs and
// 3.45 GB/s in a notebook and 0.375 µs and 24.3 GB/s from the CLI an hour
// later, and here the old triad read 7-8 GB/s against 21 GB/s while other
// processes kept 1.3 of 2 cores busy. Calibration.Noise gives each headline figure's range over
// the rounds and how many cores other processes kept busy meanwhile;
// CompareCalibrations says whether two calibrations agree within the ranges
// they state. Inputs
// of the exponential-based steps are N(0, 1) values the probe has not just
// seen (the decoder's activations are of that size; a branch predictor that
// learns a repeated input flatters exp's rounding).
//
//	rate                      probe                                                    prices
//	Matvec[ws] FLOP/s         Pool.MatMul, 1 row, 512 x 512 matrices cycled over       each matrix's first row: the pass over the
//	                          ws = 1, 4, 16, 32, 64, 96, 128, 256 MiB                   weights, at the step's working set (weights
//	                                                                                    + K/V held), interpolated in log(ws)
//	MatmulRowFLOPS            Pool.MatMul, 128 rows minus 1 row, on 1024 x 256 and     every further row: 2 W / rate
//	MatmulOutputSeconds       256 x 1024 matrices in cache; solved for the per-MAC     + outputs x seconds (short rows cost more)
//	                          rate and the per-output cost
//	AttentionItemSeconds      the attention loop (DotRows, scale, Softmax, Axpy) of    per (query row, head)
//	AttentionPositionSeconds  4 rows x 8 heads over 16 and 256 positions, hd 32 and     per (head, attended position)
//	AttentionDimSeconds       128, q/K/V just written by the pool; thread-seconds      per (head, position, head_dim value)
//	LayerNormSeconds          decoder.LayerNorm over 32 rows of 768, one thread        per value normed (GPT)
//	RMSNormSeconds            decoder.RMSNorm, the same                                per value normed (LLaMA)
//	GELUSeconds               decoder.GELU on values in this core's cache              per hidden value (after the up bias)
//	SwiGLUSeconds             decoder.SwiGLU on gate and up just written by the pool   per hidden value
//	RoPESeconds               decoder.RoPE on rows just written by the pool            per query and key value
//	AddSeconds                decoder.AddTo, both operands in cache                    second add of a biased residual
//	AddFreshSeconds           decoder.AddTo on a row just written by the pool          biases, residuals: the first read of a
//	                                                                                    matmul's output, half of it written by
//	                                                                                    other cores
//	CopySeconds               copy of rows                                             embedding rows, K/V into the cache
//	ForkJoinSeconds           runs of 64 empty Pool.Runs (Calibration,                  every pooled call
//	                          KernelGapSeconds)
//
// A step's time is the sum over its operations (see priceCPU) of
//
//	memory  = 2 W / Matvec(ws) + KV bytes read / (2 Matvec(ws))
//	compute = R (outputs x MatmulOutputSeconds + 2 W / MatmulRowFLOPS)
//	        + (items x item + positions x (position + hd x dim)) / min(threads, items)
//	        + Σ values x seconds per value / min(threads, rows)
//
// with W the weights read, R the rows beyond the first, items = rows x
// heads. Per-row steps run inline on one thread for one row (cached
// decode) and split over the pool by rows for more (uncached); a pooled
// call costs one fork-join: per layer the four projections and the
// attention, plus, with more than one row, the two norms, the two
// residuals, the bias or RoPE step and the activation. Exec mode (eager or
// graph) does not apply. MoE and MLA models, which the decoder does not
// run, are priced as if their matrices ran as dense ones.
//
// Not priced: the first steps after the weights are
// built, while the last-level cache learns to keep a working set near its
// size (up to twice as slow for llama-15m's 61 MB here), and garbage
// collection.
//
// Agreement, TestThisCPUPredictsBench (a timing test, about 12 s; it skips
// when the machine is visibly busy): on the 2-core Xeon this was written on,
// predicted against measured summed decode steps, with a cache and without,
// five runs:
//
//	model       steps (cached, uncached)   cached           uncached
//	gpt-tiny    191, 63                    -13% to -4%      -10% to -2%
//	gpt-mini    95, 31                     0% to +11%       -14% to -8%
//	llama-tiny  191, 63                    -16% to -6%      -8% to -2%
//	llama-15m   191, 63                    -5% to 0%        -12% to -9%
//	llama-110m  15, 15                     -4% to +4%       -3% to +1%
//
//	KVCACHE_CPU_CHECK=1 go test -count=1 -run ThisCPUPredictsBench -v ./kvsim/cost   # make cpucheck: a report (ratios and verdicts), never a failure for timing
//	kvsim bench --model gpt-tiny --predict
//
// Before these costs, this-cpu was a roofline over four rates measured with
// plain Go loops (a blocked matmul 128 x 512 by 512 x 512, a matrix-vector
// product over 32 MiB, a triad over 3 x 16 MiB, an empty fork-join), so a
// kernel reused by M rows ran at min(matmul, M x matvec) and element-wise
// work was memory traffic only. On the same runs it was off by -6% to +157%
// with a cache and +282% to +390% without; the roofline with the decoder's
// kernels' rates by -2% to -49% and -39% to -50%. Those loops are gone: the
// decoder's own code is what this-cpu times.
//
// # Validation and bands
//
// PublishedDataset is the published measurements shipped in
// validation/*.json: each case with its source (URL, table, engine
// version, the setup the source states), its setup (model, hardware,
// dtype, TP, batch, input and output tokens) and what it measured (ITL,
// TTFT, end-to-end latency, throughput, llama-bench rates). Validate
// predicts each in its own metric (promptSeconds, decodeRun,
// requestSeconds) and scores the ratio predicted time / measured time;
// cases the model does not cover (weight-only quantisation, hardware
// without a preset, a batch chosen by the engine's scheduler, llama.cpp's
// layer split, a source that does not state its GPUs or its unit) are
// listed with the reason and not scored. A fixed-batch run generating at
// least DecodeDominated (4) output tokens per prompt token is a decode
// regime whatever its metric (a test holds the data to it). Summaries
// give, per engine, regime (batch-1 decode, batched decode, prefill/TTFT,
// end-to-end), both, and each hold-out half, the 10th percentile, median
// and 90th percentile of the ratios and the share within [0.80, 1.25].
//
//	kvsim validate            # every case, the summaries, the unsupported cases and the sources
//	kvsim validate --json
//
// Hold-out: before any mechanism was revised, the sources were split into
// two halves, alternating in the order they are listed (HoldOutHalves: A
// holds gpt-fast's README, FasterTransformer's GPT guide, TensorRT-LLM's
// H100-vs-A100 post, NIM, SGLang's release and TensorRT-LLM's
// performance.md; B the gpt-fast blog, TensorRT-LLM's H200 post, vLLM's
// Buildkite run, the llama.cpp benchmarks and TensorRT-LLM's perf
// overview). Every constant below came from a source outside the cases it
// is scored on, and each moved a class of cases, not one:
//
//	mechanism (source)                                    cases it moved
//	NCCL's ring latency grows with T (NCCL tuning.cc)     gpt-fast at TP 2-8 (A), FT at TP 8 (A)
//	gpt-fast's LM head whole on every device (tp.py)      gpt-fast at TP 2-8 (A): TP 8 went 0.75-0.90 to 0.97-1.00
//	FT 8.8 µs a kernel, top-p sort (decoder_guide.md)     FasterTransformer (A): median 0.64 to 0.69
//	llama.cpp's score rectangle, 24 B a score (ggml-cuda) llama.cpp prompts (B): 0.64-0.72 to 0.81-0.97
//
// Then 25 cases of a new source, TensorRT-LLM's performance.md (half A),
// were added and predicted without change: static batches of 16 to 1,024
// on H100 FP8, A100 FP16 and L40S FP8 (0.84-1.19) and first-token
// latencies at 128 and 2,048 tokens (0.49-1.01). One of them, an A100 run of 60
// requests of 2,176 tokens, was refused as "does not fit" under the 0.9
// of free memory taken from later TensorRT-LLM; the page's builds have no
// --paged_kv_cache, so tensorrt-llm-0.5 now sizes its cache for the batch.
// Ten runs that are nearly all decode steps were relabelled batched decode
// by the rule above.
//
// The result on the shipped data (kvsim validate --summary): 82 scored
// cases, 13 listed; overall median 0.91, 72% within ±25%; half A (63
// cases) median 0.91, 68% within; half B (19) median 0.88, 84% within.
// Before the revision the same summary read 57 cases, median 0.82, 58%
// within (half A 0.81 and 55%, half B 0.85 and 63%).
//
//	regime            cases  median  within ±25%
//	batch-1 decode    24     0.95    92%
//	batched decode    9      0.90    89%
//	prefill/TTFT      16     0.81    62%
//	end-to-end        33     0.83    58%
//
// Issue 11's target (median within ±10%, 90% of cases within ±25%) is met
// for the median and not for the share; TestValidationSummary holds the
// model at this level as a floor. What misses, and why (23 cases):
//
//   - FasterTransformer end-to-end (13 of 17, 0.48-0.79). Its GPT guide's
//     own tables imply per-step costs the model does not have: the small
//     models' steps (GPT-350M, 1.3B, 6.7B on one A100) exceed the weights'
//     memory time by about 9 µs a kernel, as if its launches added to the
//     GPU's work instead of overlapping it, though its loop waits for the
//     device only once a step (the finished flags) and, at TP above 1,
//     once before sampling; GPT-175B and 89B at TP 8 (FT v4 through
//     Triton, April 2021) run about twice the predicted step. No
//     mechanism for either was found in its code, so none is modelled.
//   - Short prompts (6 cases, 0.49-0.74): TensorRT-LLM v0.5's first-token
//     latency at 128 tokens (and H100 FP8 at 2,048), NIM's TTFT at 500. On
//     A100 those passes take about the sum of their compute and memory
//     time instead of the larger; a 2025 microbenchmark of cuBLAS on H100
//     (vLLM PR #17126, bench_fp8_gemm.py: 308 TFLOP/s at 128 rows and 544
//     at 256 for N 6,144, K 4,096) puts GEMMs at that size near the
//     larger, so the gap is not in the GEMMs alone and is left unmodelled.
//   - TensorRT-LLM v0.5 on H200, Llama-2-13B FP8 at batch 1,024 (128/128)
//     and 128 (128/2,048): 0.74 and 0.77; the 70B rows of the same table
//     are 0.83-0.93.
//   - gpt-fast's eager baseline (0.39): the post's starting point is "an
//     extremely basic and simple implementation" that it does not publish
//     (its first step adds the static KV cache gpt-fast's model.py has),
//     and 25.5 tok/s means about 1.2 ms of host time per LLaMA-7B layer,
//     2.5 times what 8 µs a launch and 2 µs a host call give for
//     model.py's 53 kernels and 33 calls.
//   - gpt-fast Llama 3.1 70B at TP 2 (0.75), where Llama 2 70B at TP 2 is
//     0.98: 72 GB of weights a device on 80 GB A100s; unexplained.
//
// Also not found: the Hugging Face GPT-2 run (4.7x from the cache
// over 1,000 tokens) is in none of the stores this was written from, so
// no hf-generate case is shipped; hf-generate has no validated band of its
// own and takes every case's.
//
// Band (Validation.Band, PublishedBand) is the interval a prediction of an
// engine in a regime carries: the 10th-90th percentile of that cell's
// ratios when it has MinBandCases (5) cases, else the engine's, else every
// case's, and Scope says which. A predicted t suggests a measured time
// from t/High to t/Low (Band.Range). Predict fills Prediction.Bands for the
// cached step, the uncached step (a prefill: its band) and the prefill;
// this-cpu has no published band (kvsim bench --predict checks it).
//
// # Serving
//
// Predictor.Serving returns the two methods the KV-cache simulator calls:
// PrefillSeconds(newTokens, cachedTokens) and DecodeSeconds(batch,
// totalContext). Sweeps for the notebook: ContextSweep (per-token latency
// against context), Generate (N tokens after a prompt of P, with and without
// a cache), FamilySweep (the same across model sizes).
package cost
