package decoder

import (
	"slices"
	"testing"
)

var full = CacheConfig{Enabled: true}

// The cached and uncached paths must pick the same tokens with logits
// within 1e-4 relative, for every block type and attention kind.
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
				if _, r := logitDiff(cached.Logits[i], uncached.Logits[i]); r > 1e-4 {
					t.Errorf("step %d: logits differ by %.3g relative", i, r)
				}
			}
		})
	}
}
