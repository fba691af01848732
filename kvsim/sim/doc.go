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
//	SweepCapacity  one Replay per (policy, capacity) in parallel, plus the
//	               unbounded run: the sweet-spot curve.
//	SweepBlockSize waste and reuse against block size (synthetic workloads).
//	SweetSpot      on a Sweep: the smallest capacity whose hit rate reaches
//	               a share of the unbounded one.
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
// An unbounded cache never evicts, so k_r is the longest prefix r shares
// with any earlier request: the theoretical maximum. Belady's offline
// optimum is the best any policy can do at a given capacity.
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
