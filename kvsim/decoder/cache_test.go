package decoder

import (
	"slices"
	"testing"
)

// The recompute policy is exact: with a cache far smaller than the run,
// tokens and logits are bit-identical to a full cache's, and the evicted
// positions' recomputation is counted.
func TestRecomputePolicyIsExact(t *testing.T) {
	for _, spec := range testSpecs() {
		t.Run(spec.Name, func(t *testing.T) {
			d := newTestDecoder(t, spec, 2)
			prompt := randomPrompt(spec.Vocab, 10, 4)
			ref := generate(t, d, prompt, 20, full)
			for _, capacity := range []int{1, 5, 12} {
				got := generate(t, d, prompt, 20, CacheConfig{Enabled: true, Capacity: capacity, Policy: Recompute})
				if !slices.Equal(got.Tokens, ref.Tokens) {
					t.Fatalf("capacity %d: tokens %v, full cache %v", capacity, got.Tokens, ref.Tokens)
				}
				for i := range got.Logits {
					if !slices.Equal(got.Logits[i], ref.Logits[i]) {
						t.Fatalf("capacity %d step %d: logits differ from the full cache (max %.3g)", capacity, i, first(logitDiff(got.Logits[i], ref.Logits[i])))
					}
				}
				for i, st := range got.Steps[1:] {
					pos := st.Position
					if want := max(0, pos-capacity); st.Recomputed != want {
						t.Errorf("capacity %d step %d: recomputed %d positions, want %d", capacity, i+1, st.Recomputed, want)
					}
					if st.Recomputed > 0 && (st.Recompute <= 0 || st.RecomputeFLOPs <= 0) {
						t.Errorf("capacity %d step %d: recomputation not timed or counted", capacity, i+1)
					}
					if want := int64(min(pos, capacity)) * int64(spec.Layers); st.KVHits != want || st.KVReads != int64(pos*spec.Layers) {
						t.Errorf("capacity %d pos %d: hits %d of %d reads, want %d of %d", capacity, pos, st.KVHits, st.KVReads, want, pos*spec.Layers)
					}
					if st.KVBytesHeld > int64(capacity)*spec.KVBytesPerToken("fp32") {
						t.Errorf("capacity %d: %d bytes held exceed the capacity", capacity, st.KVBytesHeld)
					}
				}
			}
		})
	}
}

// The window policy matches a full cache while everything fits, then
// diverges; Divergence measures that against the full cache on the same
// tokens (teacher forcing).
func TestWindowPolicyDivergence(t *testing.T) {
	spec := testSpecs()[1]
	d := newTestDecoder(t, spec, 2)
	prompt := randomPrompt(spec.Vocab, 6, 5)
	ref := generate(t, d, prompt, 30, full)
	const capacity = 8
	win, err := d.Generate(GenerateOptions{Prompt: prompt, NewTokens: 30, KeepLogits: true, Force: ref.Tokens,
		Cache: CacheConfig{Enabled: true, Capacity: capacity, Policy: Window, Sinks: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range win.Steps {
		same := slices.Equal(win.Logits[i], ref.Logits[i])
		if st.Position <= capacity && !same {
			t.Errorf("step %d (position %d): differs while everything fits", i, st.Position)
		}
		if st.Position > capacity+1 && same {
			t.Errorf("step %d (position %d): identical though positions were dropped", i, st.Position)
		}
		if i > 0 && st.Recomputed != 0 {
			t.Errorf("window recomputed %d positions", st.Recomputed)
		}
	}
	div := Divergence(ref.Logits, win.Logits)
	if div.MeanKL <= 0 || div.Top1Agreement <= 0 || div.Top1Agreement > 1 || len(div.PerTokenKL) != 30 {
		t.Errorf("divergence %+v", div)
	}
	if self := Divergence(ref.Logits, ref.Logits); self.MeanKL != 0 || self.Top1Agreement != 1 {
		t.Errorf("a run against itself: %+v", self)
	}
	// hit rate = held / needed: capacity positions of pos once full
	last := win.Steps[len(win.Steps)-1]
	if want := int64(capacity * spec.Layers); last.KVHits != want {
		t.Errorf("window hits %d, want %d", last.KVHits, want)
	}
}

// Property: after any number of stores, the cache's segments list exactly
// the held positions, in order, each from the slot holding it.
func TestCacheSegmentsListHeldPositionsInOrder(t *testing.T) {
	h, err := newShape(testSpecs()[0])
	if err != nil {
		t.Fatal(err)
	}
	// two K/V heads of one value: position p stores K (p, -p), V (-p, p)
	h.kvHeads, h.headDim, h.kvDim = 2, 1, 2
	for _, c := range []struct{ capacity, sinks int }{{10, 0}, {3, 0}, {1, 0}, {6, 2}, {5, 4}} {
		cache := newKVCache(&h, c.capacity, c.sinks, Recompute)
		for n := 0; n < 40; n++ {
			var got []float32
			for _, s := range cache.segments(nil, 1) {
				for j := 0; j < s.n; j++ {
					k0, k1 := s.k[j*s.stride], s.k[s.headStride+j*s.stride]
					v0, v1 := s.v[j*s.stride], s.v[s.headStride+j*s.stride]
					if k1 != -k0 || v0 != -k0 || v1 != k0 {
						t.Fatalf("capacity %d sinks %d after %d: position %g reads K (%g, %g), V (%g, %g)", c.capacity, c.sinks, n, k0, k0, k1, v0, v1)
					}
					got = append(got, k0)
				}
			}
			var want []float32
			for p := 0; p < n; p++ {
				if p < c.sinks || p >= max(c.sinks, n-(c.capacity-c.sinks)) {
					want = append(want, float32(p))
				}
			}
			if !slices.Equal(got, want) || len(want) != cache.held(n) {
				t.Fatalf("capacity %d sinks %d after %d: segments %v, want %v", c.capacity, c.sinks, n, got, want)
			}
			k, v := []float32{float32(n), -float32(n)}, []float32{-float32(n), float32(n)}
			for l := 0; l < h.layers; l++ {
				cache.store(l, n, k, v)
			}
			cache.n = n + 1
		}
	}
}

func TestParsePolicy(t *testing.T) {
	for _, in := range []string{"recompute", " Window "} {
		if _, err := ParsePolicy(in); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	if _, err := ParsePolicy("lru"); err == nil {
		t.Error("lru accepted")
	}
}
