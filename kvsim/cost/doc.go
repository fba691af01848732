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
// written once, no score matrix in memory.
//
// Launches: every operation is one or more kernels. The kernels run through
// two queues. The host spends LaunchSeconds issuing each kernel in eager
// mode (once per step in graph mode) and may run ahead; a kernel starts when
// it has been issued and the previous one has finished, and takes its share
// of its operation's roofline time plus KernelGapSeconds. Step time is when
// the last kernel ends; launch_overhead in the breakdown is that time less
// the operations' roofline times. A step is bound by whichever of compute,
// memory, overhead or communication takes the most time.
//
// Kernels per layer in eager mode follow HF transformers with SDPA attention:
// RMSNorm 8 (fp32 cast, pow, mean, add, rsqrt, mul, cast, scale) or LayerNorm
// 1, two residual adds, separate q/k/v projections for LLaMA-style layers (one
// fused for GPT and Falcon), RoPE 10, K/V cache append 2, attention 2 (SDPA
// and the transpose copy), o_proj 1, SwiGLU MLP 5 or GELU MLP 3; a LLaMA layer
// is 41 launches, a GPT layer 13. Graph mode follows vLLM's fused kernels:
// fused add+norm, one QKV GEMM, rotary, cache write, attention, o_proj,
// gate_up, act_and_mul, down: 10 per LLaMA layer. MoE layers: HF's loop
// over the experts hit (7 + 9 per expert) in eager mode, vLLM's fused MoE
// (7) in graph mode; routed-expert weights read per step are those of the
// experts the batch hits, E x (1 - (1 - k/E)^rows) under uniform routing.
//
// Tensor parallelism over T devices (Megatron-style, as vLLM does it)
// divides weights, heads and FLOPs by T, splits K/V heads (replicating them
// when there are fewer K/V heads than devices; MLA's latent is replicated),
// and adds two all-reduces of rows x d_model activations per layer (one for
// Falcon's parallel block), each costing
//
//	AllReduceLatency + 2 (T-1)/T x bytes / (LinkBandwidth x LinkEfficiency)
//
// (ring all-reduce). T must divide the heads and fit in one node (MaxTP).
//
// Memory per device: weights / T, the KV cache held after the step, and
// activations for at most PrefillChunk rows (model.ActivationBytes, not
// divided by T: an upper bound) plus fp32 logits. A step fits when that is
// at most MemoryFraction (0.9, vLLM's default) of the device's memory; one
// that does not fit gets no time. Capacity reports the tokens the cache can
// hold after weights and a chunk's activations and the maximum concurrency
// at a context, as vLLM prints at start-up. ChooseTP picks the smallest T
// that fits.
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
//
// Memory sizes take the datasheet's GB as binary (80 GB = 80 GiB; drivers
// show a little less, e.g. 81,559 MiB on an H100 SXM), which the 0.9
// memory fraction absorbs. Links are per direction: NVLink 3 600 GB/s total
// = 300 GB/s each way, NVLink 4 900 = 450, PCIe Gen4 x16 64 = 32. MaxTP is 8
// (one 8-GPU server) for the GPUs, 1 for the M2 Max and this-cpu.
//
// Efficiencies and fixed costs for the GPU presets (assumptions, stated):
//
//	ComputeEfficiency   0.70   FlashAttention-2 reaches 50-73% of the A100's peak (Dao 2023,
//	                           abstract); large cuBLAS bf16 GEMMs 70-80%.
//	BandwidthEfficiency 0.80   streaming kernels reach 80-90% of datasheet bandwidth; end to end,
//	                           torchao reports LLaMA-2-7B bf16 decode on an A100-80GB at 107 tok/s and
//	                           1,419 GB/s (70%, launches and small kernels included).
//	LaunchSeconds       25 µs  host cost of one eager PyTorch op (Python, dispatcher, launch).
//	                           Derived from gpt-fast (pytorch.org/blog/accelerating-generative-ai-2):
//	                           its eager LLaMA-7B runs at 25.5 tok/s (39 ms/token) on an A100 where
//	                           the compiled graph runs at about 107 tok/s; 39 ms over the ~1,600
//	                           launches of its 32 layers (about 50 each, counted from its model.py)
//	                           is about 25 µs. This figure is fitted, not an independent check.
//	KernelGapSeconds    2 µs   gap between dependent kernels on a stream or in a CUDA graph (1-3 µs).
//	LinkEfficiency      0.80   nccl-tests bus bandwidth relative to the per-direction link figure.
//	AllReduceLatency    10 µs  one small all-reduce inside an NVLink node.
//
// # this-cpu
//
// this-cpu is measured, not looked up: a Calibrator runs a MeasureFunc once
// per process and caches the result (no package state; tests make their
// own). MeasureGoKernels times plain Go float32 kernels parallel over
// GOMAXPROCS goroutines, the kind the kvsim decoder runs: a blocked matmul
// (128 x 512 by 512 x 512, the prefill and uncached rate), a matrix-vector
// product over 32 MiB of weights (the cached decode rate), a triad over
// 3 x 16 MiB (bandwidth) and an empty fork-join (the per-kernel cost). It
// takes about a quarter of a second. Measured rates are achievable rates,
// so both efficiencies are 1; a kernel whose weights are reused by M rows
// runs at min(matmul rate, M x matvec rate). Any other MeasureFunc can
// fill Calibration instead: MeasureDecoderKernels times the same shapes with
// the decoder's own kernels (kvsim/kernels, SIMD dot products), which run
// several times faster than these plain loops; predictions held against
// `kvsim bench` should use it (the notebook does).
//
// Expected agreement with `kvsim bench` on the tiny models: within about 25%
// when the decoder's kernels are those calibrated here. Plain Go does not
// vectorise, so the matvec is compute-bound (about as fast as the matmul),
// both phases show as compute-bound, and what the prediction misses is the
// decoder's element-wise work and allocation, which this model prices as
// memory traffic only.
//
// # Serving
//
// Predictor.Serving returns the two methods the KV-cache simulator calls:
// PrefillSeconds(newTokens, cachedTokens) and DecodeSeconds(batch,
// totalContext). Sweeps for the notebook: ContextSweep (per-token latency
// against context), Generate (N tokens after a prompt of P, with and without
// a cache), FamilySweep (the same across model sizes).
package cost
