package study

import "kvcache/kvsim/workload"

// Work limits. A replay that would cost more is refused before it starts,
// with its numbers and what to change, instead of running for minutes and
// filling memory. The figures behind them were measured on this project's
// 2-core machine while it was busy: about 2.5 million block visits a second
// over both cores (kvsim replay --workload multi-turn --block-tokens 16
// --sweep 20 --eviction lru,s3fifo --belady: 97M visits in 39 s), and
// about 120 bytes of memory per prompt block while a workload is replayed
// (rag at 1-token blocks: 14.6M blocks, 1.7 GB).
const (
	// MaxCapacityPoints bounds one sweep's capacities: the positions of
	// the cache-size slider (kvsim report --capacities), kvsim replay
	// --sweep and --capacity-blocks.
	MaxCapacityPoints = 256
	// MaxBoundedCapacities bounds the bounded cache's capacities of
	// section 6 (kvsim report --cache-tokens): each is a generation.
	MaxBoundedCapacities = 32
	// MaxBlockTokens bounds the tokens of one block.
	MaxBlockTokens = 1 << 16
	// MaxPromptBlocks bounds one workload's prompt blocks (about 0.5 GB
	// while replayed).
	MaxPromptBlocks = 4_000_000
	// MaxBlockVisits bounds a study's prompt blocks times its runs (each
	// capacity under each policy replays every prompt block once): about
	// two minutes here.
	MaxBlockVisits = 300_000_000
)

// checkVisits refuses runs replays of a workload of promptBlocks blocks
// beyond MaxBlockVisits.
func checkVisits(w workload.Workload, promptBlocks int64, runs int) error {
	if v := promptBlocks * int64(runs); v > MaxBlockVisits {
		return badSettings("replaying %s in %d runs (capacities × policies) of %d prompt blocks each is %.3g block visits, above the limit of %.3g (about two minutes on two cores); use fewer capacities or policies, or larger blocks",
			w.Name, runs, promptBlocks, float64(v), float64(MaxBlockVisits))
	}
	return nil
}

// promptBlocksAt counts w's prompt blocks once cut into blockTokens-token blocks.
func promptBlocksAt(w workload.Workload, blockTokens int) int64 {
	var n int64
	for _, r := range w.Requests {
		n += int64(workload.BlocksFor(r.InputTokens, blockTokens))
	}
	return n
}

// checkPromptBlocks refuses a synthetic workload that would hold more
// than MaxPromptBlocks prompt blocks at blockTokens tokens a block, naming
// the smallest block size that fits. w is the workload at any block size.
func checkPromptBlocks(w workload.Workload, blockTokens int) error {
	n := promptBlocksAt(w, blockTokens)
	if n <= MaxPromptBlocks {
		return nil
	}
	fit := blockTokens + 1
	for promptBlocksAt(w, fit) > MaxPromptBlocks {
		fit *= 2
	}
	lo := fit/2 + 1
	for lo < fit { // the smallest size that fits, between the last failing doubling and fit
		mid := (lo + fit) / 2
		if promptBlocksAt(w, mid) > MaxPromptBlocks {
			lo = mid + 1
		} else {
			fit = mid
		}
	}
	return badSettings("%s at %d-token blocks has %d prompt blocks, above the limit of %d (about 0.5 GB to replay); use blocks of at least %d tokens",
		w.Name, blockTokens, n, MaxPromptBlocks, max(fit, blockTokens+1))
}
