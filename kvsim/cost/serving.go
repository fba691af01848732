package cost

// Serving prices the steps of a serving simulation; kvsim/sim consumes it
// through an interface of its own with exactly these two methods. It
// checks neither memory (the simulator owns the cache capacity) nor the
// model's window. Non-positive sizes cost nothing.
type Serving struct {
	p *Predictor
}

// Serving returns the predictor's serving interface.
func (p *Predictor) Serving() Serving { return Serving{p: p} }

// PrefillSeconds is the time to prefill newTokens prompt tokens for one
// request whose first cachedTokens come from the cache: only the new tokens
// run through the weights, but their attention still covers the cached ones.
func (s Serving) PrefillSeconds(newTokens, cachedTokens int) float64 {
	if newTokens <= 0 {
		return 0
	}
	return s.p.seconds(s.p.prefillPass(1, newTokens, max(cachedTokens, 0)))
}

// DecodeSeconds is the time of one decode step for batch running requests
// whose contexts sum to totalContext tokens. The weights are read once for
// the whole batch; each request reads its own cached K/V. Contexts are taken
// as equal (totalContext / batch each), which is exact without a sliding
// window and close with one.
func (s Serving) DecodeSeconds(batch, totalContext int) float64 {
	if batch <= 0 {
		return 0
	}
	mean := float64(max(totalContext, 0)) / float64(batch)
	return s.p.seconds(s.p.decodePass(batch, mean, true))
}
