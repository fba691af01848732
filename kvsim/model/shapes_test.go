package model

import (
	"math"
	"testing"
)

func TestMatmulWeightsSumToMatmulParams(t *testing.T) {
	for _, s := range NewCatalog().Specs() {
		w := s.MatmulWeights()
		sum := int64(s.Layers)*(w.AttentionIn+w.AttentionOut) + int64(s.DenseLayers())*w.DenseMLP + w.LMHead
		if m := s.MoE; m != nil {
			sum += int64(s.MoELayers()) * (int64(m.ActiveExperts+m.SharedExperts)*w.Expert + w.Router)
		}
		if sum != s.MatmulParams() {
			t.Errorf("%s: breakdown sums to %d, MatmulParams is %d", s.Name, sum, s.MatmulParams())
		}
		if w.AttentionIn <= 0 || w.AttentionOut <= 0 || w.LMHead <= 0 {
			t.Errorf("%s: non-positive projection in %+v", s.Name, w)
		}
	}
}

func TestMatmulWeightsByHand(t *testing.T) {
	s := mustLookup(t, "llama3-8b") // d 4096, 32 heads, 8 KV heads of 128, ffn 14336
	w := s.MatmulWeights()
	if want := int64(4096 * (32*128 + 2*8*128)); w.AttentionIn != want {
		t.Errorf("AttentionIn = %d, want Q + K + V = %d", w.AttentionIn, want)
	}
	if want := int64(32 * 128 * 4096); w.AttentionOut != want {
		t.Errorf("AttentionOut = %d, want %d", w.AttentionOut, want)
	}
	if want := int64(3 * 4096 * 14336); w.DenseMLP != want {
		t.Errorf("DenseMLP = %d, want %d", w.DenseMLP, want)
	}
	if w.Expert != 0 || w.Router != 0 {
		t.Errorf("dense model has expert %d, router %d", w.Expert, w.Router)
	}
}

// TestAttendedPositionsMatchesBruteForce checks the closed form against the
// sum it stands for, with and without a window.
func TestAttendedPositionsMatchesBruteForce(t *testing.T) {
	for _, window := range []int{0, 1, 7, 64} {
		s := mustLookup(t, "llama-tiny")
		s.SlidingWindow = window
		for _, cached := range []int{0, 1, 5, 63, 64, 200} {
			for _, n := range []int{0, 1, 2, 9, 64, 130} {
				want := 0.0
				for i := 1; i <= n; i++ {
					span := cached + i
					if window > 0 {
						span = min(span, window)
					}
					want += float64(span)
				}
				if got := s.AttendedPositions(cached, n); got != want {
					t.Errorf("window %d: AttendedPositions(%d, %d) = %v, want %v", window, cached, n, got, want)
				}
			}
		}
	}
}

func TestAttendedPositionsAgreesWithPrefillFLOPs(t *testing.T) {
	for _, name := range []string{"gpt-tiny", "mistral-7b"} {
		s := mustLookup(t, name)
		for _, p := range []int{1, 100, 5000} {
			w := s.MatmulWeights()
			matmul := 2*float64(s.MatmulParams()-w.LMHead)*float64(p) + 2*float64(w.LMHead)
			want := matmul + s.AttentionFLOPsPerPosition()*s.AttendedPositions(0, p)
			if got := s.PrefillFLOPs(p); math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s p=%d: PrefillFLOPs %v, rebuilt from AttendedPositions %v", name, p, got, want)
			}
		}
	}
}

func TestActivationBytes(t *testing.T) {
	s := mustLookup(t, "llama3-8b")
	// 2 x 4096 stream + max(attention 32x128 + 8x256 + 32x128 = 10240, MLP 3 x 14336 = 43008).
	if got, want := s.ActivationValuesPerToken(), int64(2*4096+43008); got != want {
		t.Errorf("ActivationValuesPerToken = %d, want %d", got, want)
	}
	if got, want := s.ActivationBytes(10, BF16), int64(10*(2*4096+43008)*2); got != want {
		t.Errorf("ActivationBytes(10, bf16) = %d, want %d", got, want)
	}
	if s.ActivationBytes(0, BF16) != 0 || s.LogitsBytes(0, FP32) != 0 {
		t.Error("zero tokens should take no memory")
	}
	if got, want := s.LogitsBytes(3, FP32), int64(3*128256*4); got != want {
		t.Errorf("LogitsBytes(3, fp32) = %d, want %d", got, want)
	}
	moe := mustLookup(t, "mixtral-8x7b") // 2 active experts of 14336: the MLP dominates
	if got, want := moe.ActivationValuesPerToken(), int64(2*4096+3*2*14336+8); got != want {
		t.Errorf("mixtral ActivationValuesPerToken = %d, want %d", got, want)
	}
	for _, sp := range NewCatalog().Specs() {
		if v := sp.ActivationValuesPerToken(); v <= 2*int64(sp.DModel) {
			t.Errorf("%s: %d activation values per token, want more than the residual stream", sp.Name, v)
		}
	}
}
