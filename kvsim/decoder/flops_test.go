package decoder

import "testing"

// The FLOPs the decoder counts as it runs are model.DecodeFLOPs: flat (but
// for attention) with a cache, growing with the prefix without one, and
// the prompt's prefill is PrefillFLOPs in both.
func TestStepFLOPsMatchModel(t *testing.T) {
	for _, spec := range append(testSpecs(), catalogSpec(t, "gpt-tiny")) {
		d := newTestDecoder(t, spec, 2)
		const promptLen, newTokens = 7, 9
		prompt := randomPrompt(spec.Vocab, promptLen, 1)
		for _, cached := range []bool{true, false} {
			g := generate(t, d, prompt, newTokens, CacheConfig{Enabled: cached})
			for i, st := range g.Steps {
				want := spec.PrefillFLOPs(promptLen)
				if i > 0 {
					want = spec.DecodeFLOPs(st.Position, cached)
				}
				if st.FLOPs != want {
					t.Errorf("%s cached=%v step %d: %g FLOPs, model says %g", spec.Name, cached, i, st.FLOPs, want)
				}
				wantRows := 1
				if !cached {
					wantRows = st.Position + 1
				}
				perPos := spec.KVBytesPerToken("fp32") // all layers, K and V
				var wantRead, wantWrite int64
				if cached {
					wantRead, wantWrite = int64(st.Position)*perPos, perPos
					if i == 0 {
						wantRead, wantWrite = 0, int64(promptLen)*perPos
					}
				}
				if st.KVReadBytes != wantRead || st.KVWriteBytes != wantWrite {
					t.Errorf("%s cached=%v step %d: read %d wrote %d KV bytes, want %d and %d", spec.Name, cached, i, st.KVReadBytes, st.KVWriteBytes, wantRead, wantWrite)
				}
				if i > 0 && st.Rows != wantRows {
					t.Errorf("%s cached=%v step %d: ran %d rows, want %d", spec.Name, cached, i, st.Rows, wantRows)
				}
			}
		}
	}
}
