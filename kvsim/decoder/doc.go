// Package decoder is a real decoder-only transformer forward pass in
// float32, run on this CPU with and without a K/V cache and timed per
// generated token, so that what a cache saves is measured, not assumed.
//
// # Model, weights, run state
//
// As in llama2.c's run.c, a model is three things: the configuration (a
// model.Spec; every size derived once in shape), the Weights (one slice per
// tensor, shape comments on each, tested against the allocations and
// against model.Spec.Params), and a run state per Session (preallocated
// activations plus the K/V cache). Two block types are implemented, and
// any mix of their parts a Spec names:
//
//	GPT   (gpt-tiny, GPT-2/3): LayerNorm, GELU MLP, learned positions, MHA, biases
//	LLaMA (llama-*):           RMSNorm, SwiGLU MLP, RoPE, GQA/MQA
//
// plus Falcon-style parallel blocks. MoE, MLA, ALiBi and model-level
// sliding windows are refused with an error. A model whose weights, cache
// and activations do not fit in the memory this process may use (kvsim/sysmem:
// MemAvailable or the cgroup's limit, v1 or v2, less a margin) is refused
// with the bytes it would need and the limit it met. Logits that come out
// NaN or infinite (finite weights so large the forward pass overflows
// float32) stop the run with the token and logit.
//
// Weights are random from a seed (deterministic; N(0, 1/fan_in) block
// matrices, N(0, 0.02²) embeddings, final gain set for logits of std ≈ 2),
// or read from a safetensors checkpoint with Hugging Face GPT-2 (wte,
// h.N.attn.c_attn, ...; Conv1D weights transposed) or LLaMA/Qwen2
// (model.layers.N.self_attn.q_proj, ...) names, in F32, F16 or BF16
// (converted to float32). Options.WeightsFile is a .safetensors file, a
// sharded checkpoint's model.safetensors.index.json, or a folder holding
// either. The checkpoint must match the spec: every tensor it needs, with
// its shape, and no weight without a place (a bias the spec lacks, an extra
// layer); NaN or infinite values are refused with the tensor's name. RoPE uses the Hugging Face
// rotate-half layout with the spec's rope_theta as base (10000 when the spec
// has none; Options.RoPEBase overrides it).
//
// # One layer, per token (pre-norm)
//
//	a = norm₁(x);  [q k v] = W_qkv a (+ b);  q, k ← RoPE(q, k, pos)
//	o_h = Σ_t softmax_t(q_h·k_{g(h),t} / √hd) v_{g(h),t},  g(h) = h / (heads/kv_heads)
//	x ← x + W_o o (+ b);  m = norm₂(x);  x ← x + W_down act(W_up m) (+ b)
//
// with act = gelu, or silu(W_gate m) ⊙ (W_up m) for SwiGLU; logits =
// W_head norm_f(x) for the last position only.
//
// # Two paths
//
// With a cache (CacheConfig.Enabled), the prompt runs as one batch that
// fills the cache, then each new token runs alone: its K/V are written at
// its position and it attends to the cached K/V. Without one, each new
// token reruns the whole prefix as one batch (only the last position's
// logits are computed), so a decode step at context L costs
// model.Spec.DecodeFLOPs(L, false) = PrefillFLOPs(L+1); the FLOPs counted
// while running match model.DecodeFLOPs exactly (tested). Both paths sum
// every value in the same order and agree to the last bit (the tests demand
// the same tokens and bit-identical logits, and check both against a naive
// float64 reference).
//
// # Bounded cache
//
// A cache of Capacity tokens smaller than the run evicts, and a Policy says
// what then happens:
//
//	recompute  exact. The oldest positions are evicted; a step that needs
//	           them reruns the evicted prefix in lockstep with the new token
//	           (one batch per layer), timed as Step.Recompute. Logits are
//	           bit-identical to a full cache's (tested).
//	window     StreamingLLM: keep the first Sinks tokens (attention sinks)
//	           and the most recent Capacity-Sinks; attend only to those.
//	           Approximate; positions keep their original indices, and the
//	           prompt's prefill still attends exactly (the window applies
//	           from the first decode step). Run
//	           reports its divergence from a full cache: top-1 agreement and
//	           KL(P_full ‖ P_window) per step, the window run being fed the
//	           full run's tokens (teacher forcing) so each step compares the
//	           same context.
//
// The token being decoded is always attended to from its own activations,
// so a cache of C tokens serves C of the L positions before it.
//
// # Metrics
//
// Hit rate. At a decode step at position L, exact attention needs the K/V
// of the L earlier positions in each of the model's layers: L·layers
// position-reads. Those the cache holds are hits; the rest are recomputed
// (recompute, or without a cache) or dropped (window):
//
//	hit rate = Σ_steps hits / Σ_steps reads   (decode steps; the prefill reads no cache)
//
// so a full cache has 1, no cache 0, and a bounded one min(C, L)/L at
// step L.
//
// Latency of each step is split into Matmul (projections, MLP, LM head of
// the tokens being run), Attention (scores, softmax, weighted sums; it
// streams the cached K/V, whose bytes are Step.KVReadBytes: at batch 1 the
// reads and the arithmetic are one fused loop and are timed together),
// KVIO (writing new K/V into the cache; a session maps its pages when it
// is made, so no step pays a first-touch page fault),
// Recompute, and Other (embeddings, norms, activations, RoPE); Other is the
// latency less the rest, so the parts add up. Timers cost a few time.Now
// calls per layer.
//
// KV bytes held are positions held × layers × 2·kv_heads·head_dim·4,
// equal to model.Spec.KVBytes at fp32 and to the Go heap's growth when the
// cache is allocated (tested with runtime.ReadMemStats).
//
// # Speed
//
// A decode step reads every weight once, far more bytes than the caches
// hold (438 MB for llama-110m), so its speed is the rate at which the cores
// stream the weights from memory. Matmuls and attention go through
// kvsim/kernels (AVX2/FMA assembly where the CPU has it, gonum's BLAS
// elsewhere; measured against each other and a plain Go loop there), split
// over a persistent worker pool of Options.Threads goroutines; a single
// token's matrix-vector products read W front to back, row after row, and
// New asks the kernel to put the weights on transparent huge pages
// (kernels.PreferHugePages). The cache keeps each K/V head's positions side
// by side, so attention streams a head's keys and values sequentially;
// attention is split over (token, head) pairs and element-wise steps over
// tokens. Decode steps allocate nothing (tested). BenchmarkDecodeLlama110M
// compares with llama2.c's run.c; its doc comment has the figures and how to
// reproduce them.
//
// # Use
//
// Run is what `kvsim bench` and the notebook call: it builds the model,
// generates with and/or without a cache, and returns a BenchResult with the
// per-token arrays, totals, breakdowns, logit differences, hit rate, KV
// bytes and (window) divergence. For finer control: New, then
// Decoder.Generate, or Decoder.NewSession with Session.Prefill and
// Session.Next. GenerateOptions.OnToken and BenchOptions.OnToken report each
// token as it arrives (for a live plot); BenchOptions.Progress is a
// coarser hook for a terminal line.
//
// # Measuring
//
// Run times its paths through Decoder.Bench, as a benchmark should on a
// shared machine (kvsim/timing): one session per path, reused from run to
// run; an untimed warm-up of BenchOptions.WarmUp tokens on each path (the
// worker threads wake, the weights reach the caches); then Repeat runs of
// every path, the paths in turn and the first one rotating each round, so
// that drift in the machine's speed hits all of them alike. Times are
// medians over the runs, token by token and of the totals, with their
// spreads (PathResult.TotalSSpread, PerTokenSMin and PerTokenSMax); the
// speedup is the median of the two paths' ratio round by round, and
// BenchResult.Ranking says whether cached and uncached differ beyond the
// noise. A single cold run once made the first cached token (the prefill,
// the same work as the uncached one's) look 3x slower, only because that
// path ran first. Bench takes any list of BenchPaths: section 6 of the
// notebook runs the full cache and both bounded policies at every capacity
// in one schedule.
package decoder
