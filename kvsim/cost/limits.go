package cost

import (
	"fmt"
	"math"
)

// Limits that keep every size the predictor reports representable: token
// counts stay exact in float64 and byte counts fit an int64.
const (
	MaxContextTokens = 1 << 40 // tokens before a new one (about 1.1e12)
	MaxBatch         = 1 << 40 // requests in one step
	maxBytes         = 1 << 62 // the largest byte count a footprint reports (4 EiB)
)

// checkRange refuses a context or batch beyond the limits above, so that
// context+1 and batch x tokens cannot overflow.
func checkRange(what string, n, limit int) error {
	if n > limit {
		return fmt.Errorf("cost: %s %d is beyond what kvsim can size (at most %d); use a smaller %s", what, n, limit, what)
	}
	return nil
}

// checkSizes refuses a pass whose memory cannot be represented: more bytes
// per device than an int64 holds with room to add them up.
func (p *Predictor) checkSizes(ps pass) error {
	kv := ps.kvHeld * float64(p.spec.Layers) * p.kvBytesDev
	act := float64(ps.logitRows) * float64(p.spec.Vocab) * 4
	if kv+act < maxBytes && !math.IsNaN(kv) {
		return nil
	}
	return fmt.Errorf("cost: batch %d at context %.0f needs %.3g bytes of KV cache and logits per device, more than kvsim can represent (%.3g); no device holds that: use a smaller batch or context",
		ps.batch, ps.span(), kv+act, float64(maxBytes))
}

// bytesOf converts a byte count known to be below maxBytes.
func bytesOf(v float64) int64 {
	return int64(math.Ceil(min(v, maxBytes)))
}
