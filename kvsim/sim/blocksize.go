package sim

import (
	"fmt"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload"
)

// BlockSizeConfig sets up a block-size sweep.
type BlockSizeConfig struct {
	Sizes        []int  // tokens per block, each >= 1
	Policy       string // for the budget runs; "" means "lru"
	BudgetTokens int    // if > 0, also replay with floor(BudgetTokens / B) blocks
	Workers      int    // 0 means GOMAXPROCS
}

// BlockSizePoint is what one block size B costs and keeps. With P_r the
// prompt lengths:
//
//	AllocatedTokens = sum_r B x ceil(P_r / B)
//	WastedTokens    = AllocatedTokens - sum_r P_r      (empty slots of last blocks)
//	ReuseLost       = IdealTokenHitRate - TokenHitRate
//
// TokenHitRate and BlockHitRate are for an unbounded cache; IdealTokenHitRate
// is prefix reuse at token granularity (the B = 1 limit), which no block size
// exceeds.
type BlockSizePoint struct {
	BlockTokens        int     `json:"block_tokens"`
	PromptBlocks       int64   `json:"prompt_blocks"`
	AllocatedTokens    int64   `json:"allocated_tokens"`
	WastedTokens       int64   `json:"wasted_tokens"`
	LastBlockWaste     float64 `json:"last_block_waste"` // WastedTokens / AllocatedTokens
	BlockHitRate       float64 `json:"block_hit_rate"`
	TokenHitRate       float64 `json:"token_hit_rate"`
	IdealTokenHitRate  float64 `json:"ideal_token_hit_rate"`
	ReuseLost          float64 `json:"reuse_lost"`
	BudgetBlocks       int     `json:"budget_blocks,omitempty"`
	BudgetTokenHitRate float64 `json:"budget_token_hit_rate,omitempty"`
}

// SweepBlockSize cuts a synthetic workload's prompts into blocks of each
// size and measures last-block waste and reuse. Traces cannot be swept: their
// hash ids fix the block at 512 tokens and carry no tokens.
func SweepBlockSize(w workload.Workload, cfg BlockSizeConfig) ([]BlockSizePoint, error) {
	if !w.HasTokens() {
		return nil, fmt.Errorf("sim: block-size sweep of %s: it has no token content (traces fix their blocks at %d tokens): use a synthetic workload", w.Name, w.BlockTokens)
	}
	if len(cfg.Sizes) == 0 {
		return nil, fmt.Errorf("sim: block-size sweep: no sizes given")
	}
	for _, b := range cfg.Sizes {
		if b < 1 {
			return nil, fmt.Errorf("sim: block-size sweep: block size %d tokens: must be at least 1", b)
		}
	}
	if cfg.BudgetTokens < 0 {
		return nil, fmt.Errorf("sim: block-size sweep: budget %d tokens: must be >= 0", cfg.BudgetTokens)
	}
	policy := cfg.Policy
	if policy == "" {
		policy = cache.LRUName
	}
	ideal := idealTokenReuse(w)
	out := make([]BlockSizePoint, len(cfg.Sizes))
	err := parallel(len(cfg.Sizes), cfg.Workers, func(i int) error {
		var err error
		out[i], err = blockSizePoint(w, cfg.Sizes[i], ideal, policy, cfg.BudgetTokens)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func blockSizePoint(w workload.Workload, b int, ideal float64, policy string, budget int) (BlockSizePoint, error) {
	rw, err := w.Reblock(b)
	if err != nil {
		return BlockSizePoint{}, err
	}
	p, err := Prepare(rw)
	if err != nil {
		return BlockSizePoint{}, err
	}
	pt := BlockSizePoint{BlockTokens: b, PromptBlocks: p.promptBlocks, AllocatedTokens: p.promptBlocks * int64(b), IdealTokenHitRate: ideal}
	pt.WastedTokens = pt.AllocatedTokens - p.promptTokens
	pt.LastBlockWaste = ratio(pt.WastedTokens, pt.AllocatedTokens)
	res, err := p.Replay(Config{Policy: cache.LRUName, CapacityBlocks: cache.Unbounded, MaxPoints: 1})
	if err != nil {
		return BlockSizePoint{}, err
	}
	pt.BlockHitRate, pt.TokenHitRate = res.Summary.BlockHitRate, res.Summary.TokenHitRate
	pt.ReuseLost = ideal - pt.TokenHitRate
	if budget > 0 {
		pt.BudgetBlocks = budget / b
		if pt.BudgetBlocks >= 1 {
			res, err := p.Replay(Config{Policy: policy, CapacityBlocks: pt.BudgetBlocks, MaxPoints: 1})
			if err != nil {
				return BlockSizePoint{}, err
			}
			pt.BudgetTokenHitRate = res.Summary.TokenHitRate
		}
	}
	return pt, nil
}

// idealTokenReuse is the fraction of prompt tokens that lie in the longest
// common prefix with some earlier prompt, at token granularity. Distinct
// segments differ at their first token, so it is computed on a trie of
// segment ids.
func idealTokenReuse(w workload.Workload) float64 {
	type edge struct {
		parent int
		id     uint64
	}
	children := map[edge]int{}
	var hit, total int64
	for _, r := range w.Requests {
		node, matching := 0, true
		for _, s := range r.Prompt {
			e := edge{node, s.ID}
			child, ok := children[e]
			if !ok {
				child = len(children) + 1
				children[e] = child
				matching = false
			}
			if matching {
				hit += int64(s.Tokens)
			}
			node = child
		}
		total += int64(r.InputTokens)
	}
	return ratio(hit, total)
}
