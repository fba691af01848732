package decoder

import (
	"slices"
	"testing"
)

var full = CacheConfig{Enabled: true}

// The cached and uncached paths must pick the same tokens with bit-identical
// logits, for every block type and attention kind: a token's sums run in the
// same order whether it rides alone (a cached step streams the weights row
// by row) or in a batch (an uncached step), and attention reads the same
// keys and values in the same order from the cache as from the batch.
func TestCachedMatchesUncached(t *testing.T) {
	specs := append(testSpecs(), catalogSpec(t, "gpt-tiny"), catalogSpec(t, "llama-tiny"))
	for _, spec := range specs {
		t.Run(spec.Name, func(t *testing.T) {
			d := newTestDecoder(t, spec, 2)
			prompt := randomPrompt(spec.Vocab, 9, 1)
			cached := generate(t, d, prompt, 12, full)
			uncached := generate(t, d, prompt, 12, CacheConfig{})
			if !slices.Equal(cached.Tokens, uncached.Tokens) {
				t.Fatalf("tokens differ:\ncached   %v\nuncached %v", cached.Tokens, uncached.Tokens)
			}
			for i := range cached.Logits {
				if !slices.Equal(cached.Logits[i], uncached.Logits[i]) {
					t.Errorf("step %d: logits differ (max %.3g)", i, first(logitDiff(cached.Logits[i], uncached.Logits[i])))
				}
			}
		})
	}
}
