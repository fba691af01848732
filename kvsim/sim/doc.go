// Package sim replays a workload through a prefix cache and reports what the
// cache did: hit rates, evictions, recomputed tokens, memory, and with a
// StepTimer the prefill time saved.
//
// # Replays
//
// Prepare checks a workload once; the result is read-only and shared by any
// number of replays, in parallel.
//
//	Replay         sequential, as in the Mooncake paper's capacity analysis:
//	               requests in order, no time, nothing pinned.
//	Serve          timed: arrivals, a FCFS queue, continuous batching with
//	               prefill and decode steps from a StepTimer; running requests
//	               pin their blocks, so capacity can run out (requests queue).
//	               Two schedulers and two decode memory modes (below);
//	               latencies per request and in percentiles (Serving,
//	               RequestRecord).
//	SweepCapacity  one Replay per (policy, capacity) in parallel, plus the
//	               unbounded run: the sweet-spot curve.
//	SweepBlockSize waste and reuse against block size (synthetic workloads).
//	SweetSpot      on a Sweep: the smallest capacity whose hit rate reaches
//	               a share of the unbounded one.
//	ReplayTiered   sequential over cache tiers (hbm, dram, ssd, remote) and
//	               N instances behind a router: load-or-recompute, per-tier
//	               and per-instance results, TTFT in prefill queues.
//	ComparePublished  the tier model against published numbers.
//
// Every run is deterministic: same workload and config, same result.
//
// # Glossary
//
// For request r: P_r prompt tokens, n_r = ceil(P_r / B) blocks of B tokens
// (the last one partial), and k_r the cached prefix: the largest k such that
// blocks 0..k-1 of r were all resident when r arrived. Sums run over requests.
//
//	block hit rate      H_b = sum k_r / sum n_r
//	hit tokens          C_r = min(k_r x B, P_r)
//	token hit rate      H_t = sum C_r / sum P_r
//	recomputed tokens   R   = sum (P_r - C_r): prompt tokens prefilled because
//	                          their blocks were missing
//
// H_t differs from H_b only through partial last blocks: a hit on a last
// block of P mod B tokens is worth fewer tokens than a full one. Partial
// blocks are cached and can hit (an identical prompt), as Mooncake's
// hash_ids count them; vLLM caches full blocks only and would compute those
// tokens again.
//
// Cumulative rates (Summary, Series.BlockHitRate) sum over every request so
// far; windowed rates (Series.WindowBlockHitRate) sum over the requests
// since the previous series point only, so they show the rate at that time
// instead of the history (points are ceil(N / MaxPoints) requests apart).
//
// Blocks used are resident + reserved blocks, sampled after each request;
// PeakBlocks is their maximum and MeanBlocks their mean over requests. Bytes
// are blocks x BytesPerBlock. Evictions count blocks the policy removed.
//
// TTFT saved (needs a StepTimer T; without one the fields stay 0 and a note
// says so): the prefill time a request no longer spends,
//
//	saved_r = T.PrefillSeconds(P_r, 0) - T.PrefillSeconds(P_r - c_r, c_r),
//	c_r     = min(C_r, P_r - 1),
//
// since the last prompt token is always computed again for the first
// output token's logits. In a timed replay, TTFT itself also includes
// queueing and the batch's prefill (Serving).
//
// The mean request token hit rate, mean_r (C_r / P_r), weighs every request
// alike instead of every token; long prompts dominate H_t but not it.
//
// # Serving metrics (timed replay)
//
// In a timed replay k_r is counted when r is admitted (the first time, if
// it is preempted later). For request r with arrival a_r, O_r output tokens
// emitted at times
// t_r,1 <= ... <= t_r,O (t_r,1 is the end of its prefill: for O_r = 0, the
// prefill's end stands in), admission s_r (the first, if it was preempted):
//
//	queue time   W_r    = s_r - a_r
//	TTFT         TTFT_r = t_r,1 - a_r                       time to first token
//	E2E          E2E_r  = t_r,O - a_r                       end-to-end latency
//	TPOT         TPOT_r = (t_r,O - t_r,1) / (O_r - 1)       time per output token, O_r >= 2
//	ITL          t_r,i+1 - t_r,i, i = 1..O_r-1              inter-token latency: every gap
//
// TPOT is one value per request (its mean gap); ITL pools every gap of every
// request, so a long stall of one request (a prefill step run in between, a
// preemption) shows in ITL's tail but is averaged away in TPOT, as in vLLM's
// benchmark. Mean, p50, p90 and p99 run over the completed requests (ITL
// over all gaps); pXX is the nearest-rank quantile, the smallest value with
// at least XX% of the values at or below it (gonum's stat.Empirical: Quantile).
// With makespan T, the time the last request finished:
//
//	requests/s   completed / T
//	output/s     sum O_r / T                                completed requests
//	tokens/s     sum (P_r + O_r) / T                        completed requests
//
// A preemption (DecodeMemory on-demand only) releases a running request's
// blocks so an earlier one can grow; readmitted, the request prefills its
// prompt and its g_r generated tokens again, less its cached prefix c'_r:
//
//	recomputed after preemption   sum over readmissions (P_r + g_r - c'_r)
//
// Serving.Preemptions counts preemptions, PreemptedRequests the requests
// preempted at least once. With DecodeMemory reserve a request's whole
// output is reserved at admission, so nothing is ever preempted (a request
// waits instead: capacity stalls).
//
// ServeResult.Requests has one RequestRecord per request (a_r, s_r, t_r,1,
// t_r,O, P_r, k_r, c_r, P_r - c_r, O_r, preemptions, recomputed tokens);
// ServeResult.Latencies sorts TTFT, TPOT and E2E for a CDF, and CDF gives its
// probabilities.
//
// # Schedulers
//
// Both run continuous batching with the same admission (FCFS, at most
// MaxBatch running, blocks pinned while a request runs); they differ in what
// one step holds. With D the running requests that have finished their
// prefill, ctx their contexts summed, and T the StepTimer:
//
//	prefill-first    (vLLM without chunked prefill, the default) a step either
//	                 prefills every request just admitted, whole, lasting
//	                 sum T.PrefillSeconds(P_r - c_r, c_r), or, when none was
//	                 admitted, decodes all of D, lasting T.DecodeSeconds(|D|, ctx).
//	                 A long prompt stalls every decode behind it: ITL's tail.
//	chunked-prefill  (Sarathi-Serve's stall-free batching, vLLM's chunked
//	                 prefill) a step spends a budget of N tokens (ChunkTokens,
//	                 default 512): one per request of D, then chunks of the
//	                 prompts being prefilled in admission order, then of
//	                 newly admitted requests. It lasts
//	                 T.DecodeSeconds(|D|, ctx) + sum T.PrefillSeconds(n_j, d_j)
//	                 for chunks of n_j tokens after d_j computed ones. Decodes
//	                 are never stalled by more than N - |D| prefill tokens, at
//	                 the price of a longer TTFT for long prompts.
//
// A step's time is the sum of its parts, as prefill-first's batched prefill
// always was: an upper bound, since a fused step reads the weights once.
// Under chunked-prefill a block counts as cached only once the step that
// computes its tokens has ended (a request admitted in the same step
// computes it again, as vLLM does); under prefill-first the blocks of a
// prefill step's requests count from their admission, so requests admitted
// together share them (as the timed replay always did).
//
// The cache shows in both latencies: every hit token is a token less to
// prefill, so TTFT and the queue fall with the hit rate; fewer prefill
// tokens also leave more of each step to the decodes, so TPOT falls. Under
// prefill-first shorter prefill steps stall the decodes less, so ITL's tail
// falls too; under chunked-prefill the budget already bounds every stall.
// README shows both on one workload.
//
// An unbounded cache never evicts, so k_r is the longest prefix r shares
// with any earlier request: the theoretical maximum. Belady's offline
// optimum is the best any policy can do at a given capacity.
//
// # Tiers and instances (ReplayTiered)
//
// N data-parallel instances replay one workload in arrival order. Each has
// the tiers of TieredConfig.Tiers (cache.ParseTiers), fastest first: its
// own hbm, and below it either private tiers or, with Shared, one store
// for all instances that pools N times each tier's size (as Mooncake pools
// every node's DRAM and SSD). What a tier evicts is demoted to the next one
// (cache.Tier); with WriteThrough every block placed in hbm is also stored
// in the second tier at once, as LMCache and Mooncake store what a prefill
// computed.
//
// For request r routed to instance i, with blocks located in the fastest
// of i's tiers holding them:
//
//	u_r   reusable prefix: leading blocks found in some tier of i
//	g_r   GPU prefix: leading blocks found in hbm ("no offload" uses g_r)
//	m_r   used prefix, g_r <= m_r <= u_r: blocks below hbm up to m_r are
//	      loaded, blocks m_r..u_r-1 are computed again
//
// Load or recompute: m_r minimises the request's prefill work
//
//	T(m) = sum over tiers t of link_t.Seconds(blocks of t before m x bytes per block)
//	       + PrefillSeconds(P_r - c(m), c(m)),   c(m) = min(hit tokens of m blocks, P_r - 1)
//
// with one transfer per tier, one after another, without overlapping the
// prefill (layer-wise pipelining, as Mooncake and LMCache do, would hide
// part of it). T is evaluated where the next block's tier or path changes
// and at u_r: within a run each block adds the same transfer time while the
// prefill it saves grows with its position, so T is concave there and its
// minimum lies at a run's end (a test checks this against trying every m).
// Without a StepTimer every reusable block is loaded. Blocks in a shared
// store placed by another instance cross TieredConfig.Fabric too
// (cache.Link.Through); a zero Fabric means all instances share one host.
//
// Every prompt block is then accessed in hbm in prompt order, exactly as in
// Replay, so hbm sees the same sequence with or without tiers below it: one
// hbm tier and one instance give Replay's Summary and Series bit for bit,
// and g_r is what the GPU alone would have found.
//
// Per tier (TierResult), over prompt blocks: hit rate = blocks of reusable
// prefixes found first there; used rate = of those, blocks used (hbm) or
// loaded (below); recomputed = found but computed again. Summed over tiers
// the hits give sum u_r and the used give sum m_r = Summary.HitBlocks.
// Loaded bytes moved up, stored bytes moved down (demotions and
// write-through copies); peaks are the fullest store's most blocks used,
// never above its capacity (checked after every request).
//
// TTFT (with a StepTimer): each instance is a prefill queue, first come
// first served, one prefill at a time, as a Mooncake prefill instance
// (decode runs elsewhere). Request r starts at max(arrival, end of the
// previous prefill) and its TTFT is its wait plus T(m_r). The same queues
// are kept, for the same routing, with hbm alone (no offload: T with m =
// g_r and no loads) and with no cache (m = 0), so every TTFT percentile is
// at most its no-offload one, which is at most its no-cache one.
// Offload.TTFTSavedSeconds sums the prefill work saved against no offload,
// waits excluded. ServeEach also runs each instance's requests through
// Serve (continuous batching, prefill and decode together, hbm only) as a
// black box.
//
// Routers (RouterNames):
//
//	round-robin   request r to instance r mod N
//	random        seeded uniform choice (the Mooncake paper's baseline)
//	least-loaded  least prefill seconds queued, then fewest requests (timer)
//	cache-aware   SGLang's and vLLM's router: if the busiest instance has
//	              more than 64 requests in flight over the idlest and 1.5 x
//	              as many, the least loaded; else the longest cached prefix
//	              (any tier, then hbm) if it covers more than 30% of the
//	              prompt's tokens; else the instance with the fewest
//	              blocks in hbm. In flight: queued or prefilling (timer),
//	              else routed so far.
//	min-ttft      least estimated TTFT = queue + T(m) for the instance's
//	              own tiers: the Mooncake paper's Conductor (Algorithm 1)
//	              without its cross-instance cache moves (timer)
//
// Load balance: max / mean and stddev / mean over instances of requests
// and of work (prefill seconds with a timer, else prompt tokens computed).
// A merged Summary adds the instances' counts and recomputes the rates;
// its PeakBlocks adds peaks of different moments (an upper bound).
//
// # Published references (ComparePublished)
//
// PublishedNumbers records numbers printed in the Mooncake paper (FAST '25),
// vLLM's offloading-connector post and LMCache's README, each with its URL,
// table or figure and setup; ComparePublished computes kvsim's counterpart
// and applies a band stated with it. With both traces and the cost model
// (go test ./kvsim/sim -run ComparePublished -v prints them all), as of
// this writing:
//
//	transfer rates (5)   every measured rate is below the model's peak: the
//	                     model's loads are 1.15x (Mooncake, 4 x 200 Gb/s) to
//	                     2.1x (8 x 400 Gb/s) faster than measured
//	KV sizes (5)         320 KiB/token, 40 GiB per 128k tokens of LLaMA3-70B;
//	                     2 MiB per 16-token block of Llama-3.1-8B, Mistral-7B
//	Figure 9             hit rate at 3M tokens, share of the maximum: 37% vs
//	                     41% (conversation), 48% vs 46% (synthetic)
//	Equation 2           break-even loading bandwidth at an 8192-token
//	                     prefix: 3.0 vs 6 GB/s (8 x A800), 7.5 vs 19 (H800)
//	Figure 5             mean TTFT: random > least-loaded > min-ttft >
//	                     min-ttft over a shared store, the paper's order
//	vLLM CPU loads       TTFT gain 2.8x at 1K tokens (published 2x-22x)
//
// Known disagreements (kept, not tuned away):
//
//	Figure 10            shared / private hit rate with 10 instances of 3M
//	                     tokens: 1.02 (conversation) and 1.00 (synthetic)
//	                     with cache-aware routing, against 2.22 and 2.36.
//	                     Routing blind to load keeps each conversation on one
//	                     instance, so private caches lose little; with
//	                     round-robin the ratios are 3.4 and 3.8, so the
//	                     paper's scheduler sits between full affinity and
//	                     none (it trades affinity for queueing).
//	vLLM CPU loads       at 90K tokens the model's gain is 25x, above the
//	                     22x measured: peak PCIe and no engine overheads.
//
// # Why a short shared prefix never hits
//
// A block's hash covers its own tokens and every token before it. If two
// prompts share only their first s < B tokens, block 0 of each holds the
// shared s tokens plus B - s tokens that differ, so the two block-0 hashes
// differ and nothing is reused: with B = 512, a 300-token system prompt
// never hits by itself. Sharing pays only in whole blocks: floor(s / B) of
// them. Smaller blocks keep more of the shared prefix (SweepBlockSize shows
// the reuse lost) but cost more metadata per token.
package sim
