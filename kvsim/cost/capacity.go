package cost

import (
	"fmt"
	"math"
)

// Capacity is what is left for the KV cache on one device once weights and
// activations are placed, as vLLM reports at start-up ("GPU KV cache size:
// N tokens", "Maximum concurrency for L tokens per request: C x").
type Capacity struct {
	UsableBytes     int64   `json:"usable_bytes"`       // what the engine may use: device memory x memory fraction (see Engine.MemoryOfFree)
	WeightBytes     int64   `json:"weight_bytes"`       // per device
	ActivationBytes int64   `json:"activation_bytes"`   // one chunk's activations and 256 rows of logits
	KVBytesPerToken float64 `json:"kv_bytes_per_token"` // per device
	KVCacheBytes    int64   `json:"kv_cache_bytes"`     // what is left for the cache
	KVCacheTokens   int64   `json:"kv_cache_tokens"`
	ContextTokens   int     `json:"context_tokens"`  // per request
	MaxConcurrency  int64   `json:"max_concurrency"` // requests of ContextTokens the cache holds at once
	Fits            bool    `json:"fits"`            // room for at least one request
}

// Capacity sizes the KV cache and the number of requests of contextTokens
// (each caching min(contextTokens, window) tokens) it holds at once:
//
//	cache bytes = memory x fraction - weights / TP - activations(chunk) - logits(256 rows)
//	tokens      = cache bytes / KV bytes per token per device
//	concurrency = tokens / min(contextTokens, window)
func (p *Predictor) Capacity(contextTokens int) (Capacity, error) {
	if contextTokens <= 0 {
		return Capacity{}, fmt.Errorf("cost: capacity needs a context of 1 token or more, got %d", contextTokens)
	}
	if err := checkRange("context", contextTokens, MaxContextTokens); err != nil {
		return Capacity{}, err
	}
	c := Capacity{
		UsableBytes:     p.usableBytes(),
		WeightBytes:     p.weightsPerDevice(),
		ActivationBytes: p.activationBytes(float64(p.opt.PrefillChunk), reservedLogitRows),
		KVBytesPerToken: p.kvBytesDev * float64(p.spec.Layers),
		ContextTokens:   contextTokens,
	}
	c.KVCacheBytes = max(c.UsableBytes-c.WeightBytes-c.ActivationBytes, 0)
	c.KVCacheTokens = int64(math.Floor(float64(c.KVCacheBytes) / c.KVBytesPerToken))
	c.MaxConcurrency = c.KVCacheTokens / int64(p.window(float64(contextTokens)))
	c.Fits = c.MaxConcurrency >= 1
	return c, nil
}
