// Package cache is a paged prefix cache for transformer KV blocks, the kind
// vLLM (automatic prefix caching) and SGLang (RadixAttention) keep on a GPU.
//
// # Blocks and prefix hashes
//
// A prompt of P tokens is cut into ceil(P/B) blocks of B tokens (the last one
// possibly partial). Block i is named by a prefix hash h_i, which depends on
// the tokens of blocks 0..i (BlockHasher). Two prompts that share their first
// k hashes share their first k x B tokens, so a request reuses the KV cache of
// its longest cached prefix:
//
//	cached prefix k = max { k : h_0 .. h_(k-1) all resident }
//
// A shared prefix shorter than one block never hits: block 0 then also holds
// tokens that differ, so its hash differs.
//
// # Pieces, one file each
//
//	BlockPool     (pool.go)    slots, capacity in blocks, reference counts (pins), reserved blocks
//	PrefixIndex   (index.go)   hash -> slot
//	Policy        (policy.go)  the eviction interface; LRU, FIFO, LFU, SIEVE, S3FIFO, Belady
//	Cache         (cache.go)   ties them: Access, Pin/Unpin, Reserve, Resize, Stats
//
// Capacity is in blocks; BlocksForBudget turns a memory budget into blocks:
//
//	capacity = floor(budget / (B x KVBytesPerToken(dtype)))
//
// e.g. 80 GiB of LLaMA-3-70B fp16 KV (320 KiB/token) in 16-token blocks is
// 16,384 blocks (262,144 tokens).
//
// # Rules
//
// Reads that change the policy's state are named apart from those that do
// not: Access changes it; Contains, CachedPrefix, Len and Stats do not.
// Mutators report outcomes: Access returns an Outcome, Resize and Reserve the
// number of blocks they evicted. Every eviction passes through one private
// funnel that counts evictions and bytes, so Stats always holds
//
//	Hits + Misses = Lookups,  Misses = Inserts + Bypassed + Refused.
//
// A pinned block (a running request reads it) is never evicted; when every
// block is pinned a miss is refused with ErrPinnedFull. Constructors and
// Resize validate their arguments. A Cache is not safe for concurrent use.
//
// # Belady
//
// Belady's MIN, the offline optimum, evicts the block whose next use is
// furthest away, and caches nothing that would be needed later than every
// resident block (bypass). It needs the whole access sequence in advance
// (NewFuture) and is the upper bound any online policy can reach at the same
// capacity.
package cache
