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
//	BlockPool   (pool.go)      slots, capacity in blocks, reference counts (pins), reserved blocks
//	PrefixIndex (index.go)     hash -> slot
//	Policy      (policy.go)    the eviction interface; LRU, FIFO, LFU, SIEVE, S3FIFO, Belady
//	Cache       (cache.go)     ties them: Access, Pin/Unpin, Reserve, Resize, Stats, OnEvict
//	TierSpec    (tierspec.go)  a tier's medium, capacity and link; ParseTiers
//	Link        (link.go)      a path into GPU memory: bandwidth and latency presets
//	Tier        (tier.go)      a Cache in a hierarchy: demotion through the eviction funnel
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
// # Tiers
//
// A KV block that leaves GPU memory need not be lost: engines that offload
// (vLLM's offloading connector, LMCache, Mooncake Store, SGLang HiCache)
// keep it in host memory, on local SSD or in another machine's store. A
// Tier is one Cache in such a hierarchy, fastest first:
//
//	hbm     GPU memory; attention reads it in place
//	dram    host memory, over PCIe
//	ssd     local NVMe flash
//	remote  another machine's memory or flash, over RDMA
//
// Every block a tier's cache evicts passes through the one eviction funnel,
// whose OnEvict hook demotes it to the next tier (Tier.DemoteTo): copied if
// the next tier lacks it, refreshed if it holds it already (blocks are
// immutable, so a copy below stays valid). The last tier drops what it
// evicts. ParseTiers reads a hierarchy, TierSpec.CapacityBlocks sizes each
// tier:
//
//	hbm:20GiB,dram:256GiB,ssd:2TiB            capacities in bytes (need the model's block bytes)
//	hbm:4000blocks,dram:3e6tokens@pcie4       or in blocks or tokens, with a link
//	hbm:20GiB,remote:unbounded@4xrdma400      four 400 Gb/s NICs at once
//
// # Links
//
// A Link is the path a tier's blocks take into GPU memory: moving n bytes
// takes Latency + n / Bandwidth. Bandwidths are peaks from specifications
// and datasheets, so load times are lower bounds (kvsim/sim's
// ComparePublished sets them against measured rates: Mooncake's transfer
// engine reaches 87% of 4 x 200 Gb/s, vLLM's CPU offload about 79% of
// PCIe 5.0 x16 in one direction).
//
//	link     bandwidth each way                       latency   source
//	pcie4    16 x 16 GT/s x 128/130 / 8 = 31.5 GB/s   5 us      PCI-SIG PCIe 4.0 base specification
//	pcie5    16 x 32 GT/s x 128/130 / 8 = 63.0 GB/s   5 us      PCI-SIG PCIe 5.0 base specification (128 GB/s both ways)
//	nvme4    6.5 GB/s sequential read                 85 us     Samsung PM9A3 (PCIe 4.0 x4) announcement, 2020
//	nvme5    13.0 GB/s sequential read                85 us     Samsung PM1743 (PCIe 5.0 x4) announcement, 2021
//	rdma200  200 Gb/s = 25 GB/s                       0.6 us    NVIDIA ConnectX-6 user manual (sub-600 ns)
//	rdma400  400 Gb/s = 50 GB/s                       0.6 us    NVIDIA ConnectX-7 user manual (NDR); ConnectX-6's latency
//
// The PCIe latency is the per-call overhead of cudaMemcpyAsync, 5-7 us as
// measured in DualPath (Wu et al., arXiv:2602.21548, sec. 5.2); the SSD
// latency is the random read access latency of the Intel SSD DC P4500
// (Lenovo product guide), an older drive: no figure was found for the
// drives above. An SSD's read bandwidth, not PCIe, limits its loads, and
// GPUDirect Storage reads straight into GPU memory, so ssd's link is the
// drive alone. "Nx" in front of a name uses N links at once (NICs, or one
// PCIe link per tensor-parallel GPU).
//
// # Belady
//
// Belady's MIN, the offline optimum, evicts the block whose next use is
// furthest away, and caches nothing that would be needed later than every
// resident block (bypass). It needs the whole access sequence in advance
// (NewFuture) and is the upper bound any online policy can reach at the same
// capacity.
package cache
