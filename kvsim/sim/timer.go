package sim

// StepTimer predicts how long the engine's steps take. The roofline cost
// model (kvsim/cost) implements it; tests use a linear one.
type StepTimer interface {
	// PrefillSeconds: time to prefill newTokens prompt tokens for one request whose first cachedTokens come from the cache.
	PrefillSeconds(newTokens, cachedTokens int) float64
	// DecodeSeconds: time of one decode step for a batch of `batch` running requests whose contexts sum to totalContext tokens.
	DecodeSeconds(batch, totalContext int) float64
}

// prefillSplit is what a request prefills: all prompt tokens past its cached
// prefix, and at least the last one, whose logits give the first output
// token (vLLM recomputes it too when the whole prompt is cached).
func prefillSplit(promptTokens, hitTokens int) (newTokens, cachedTokens int) {
	cachedTokens = min(hitTokens, promptTokens-1)
	return promptTokens - cachedTokens, cachedTokens
}
