package sim

import (
	"math"
	"testing"

	"kvcache/kvsim/cache"
	"kvcache/kvsim/workload/workloadtest"
)

// TestMooncakeCacheRatio replays both Mooncake traces with an unbounded
// cache and compares the reuse with the paper's Table 2 cache ratios (about
// 40% for conversation, 66% for synthetic). Measured here: conversation
// 36.6% of blocks, 37.4% of tokens; synthetic 64.0% and 65.1%. The paper
// does not define its ratio precisely: a mean of per-request ratios gives
// 40.9% for conversation but 43% for synthetic, so no single definition
// reproduces both numbers from the released traces. We report the block and
// token ratios (defined in doc.go) and accept the paper's figures within 4
// percentage points.
func TestMooncakeCacheRatio(t *testing.T) {
	for _, tc := range []struct {
		file  string
		paper float64
	}{
		{workloadtest.Conversation, 0.40},
		{workloadtest.Synthetic, 0.66},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p := loadTrace(t, tc.file)
			s := mustReplay(t, p, cache.LRUName, cache.Unbounded)
			t.Logf("%s unbounded: block hit rate %.4f, token hit rate %.4f, mean per-request %.4f; paper about %.2f",
				tc.file, s.BlockHitRate, s.TokenHitRate, s.MeanRequestTokenHitRate, tc.paper)
			if s.HitBlocks != theoreticalMax(p.w) {
				t.Errorf("unbounded replay %d hit blocks, theoretical maximum %d", s.HitBlocks, theoreticalMax(p.w))
			}
			if math.Abs(s.TokenHitRate-tc.paper) > 0.04 {
				t.Errorf("token hit rate %.4f, paper %.2f", s.TokenHitRate, tc.paper)
			}
		})
	}
}
