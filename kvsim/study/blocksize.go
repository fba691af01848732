package study

import (
	"context"
	"fmt"

	"kvcache/kvsim/sim"
	"kvcache/kvsim/workload"
)

// BlockSizeSettings set up kvsim replay --block-sizes: a synthetic
// workload cut into blocks of each size, through an unbounded cache.
type BlockSizeSettings struct {
	Workload Source // synthetic: a trace fixes its blocks at 512 tokens
	Sizes    []int  // tokens per block
}

// BlockSizeResult is last-block waste and reuse at each block size.
type BlockSizeResult struct {
	Workload string               `json:"workload"`
	Points   []sim.BlockSizePoint `json:"points"`
}

// BlockSizes sweeps the block size (sim.SweepBlockSize), refusing sizes
// beyond the work limits (MaxPromptBlocks at the smallest size,
// MaxBlockVisits over all of them) before it starts.
func BlockSizes(ctx context.Context, s BlockSizeSettings) (BlockSizeResult, error) {
	if s.Workload.Trace != "" {
		return BlockSizeResult{}, badSettings("a block-size sweep needs a synthetic workload: a trace fixes its blocks at %d tokens", workload.MooncakeBlockTokens)
	}
	if len(s.Sizes) == 0 {
		return BlockSizeResult{}, badSettings("a block-size sweep needs at least one block size")
	}
	w, err := s.Workload.Load()
	if err != nil {
		return BlockSizeResult{}, err
	}
	var visits int64
	for _, b := range s.Sizes {
		if b < 1 || b > MaxBlockTokens {
			return BlockSizeResult{}, badSettings("%d-token blocks: give from 1 to %d tokens", b, MaxBlockTokens)
		}
		if err := checkPromptBlocks(w, b); err != nil {
			return BlockSizeResult{}, err
		}
		visits += promptBlocksAt(w, b)
	}
	if err := checkVisits(w, visits, 1); err != nil {
		return BlockSizeResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return BlockSizeResult{}, err
	}
	pts, err := sim.SweepBlockSize(w, sim.BlockSizeConfig{Sizes: s.Sizes})
	if err != nil {
		return BlockSizeResult{}, fmt.Errorf("study: %w", err)
	}
	return BlockSizeResult{Workload: w.Name, Points: pts}, nil
}
