package cost

import (
	"math"
	"strings"
	"testing"
)

// TestHugeSizesAreRefusedNotWrapped: issue 14's inputs. A batch or context
// whose sizes cannot be represented is refused with the reason; one that is
// merely too big does not fit; nothing wraps to a negative size.
func TestHugeSizesAreRefusedNotWrapped(t *testing.T) {
	p := mustPredictor(t, "gpt3-175b", "h100-sxm", Options{TP: 8})
	// On 8 devices each holds 2.6e18 bytes of the cache: representable, no fit.
	st, err := p.Decode(2147483647, 2047, true)
	s := mustSpec(t, "gpt3-175b")
	want := 2147483647 * 2048 * float64(s.KVBytesPerToken("bf16")) / 8
	if err != nil || st.Fits || !near(float64(st.Memory.KVBytes), want, 1e-9) {
		t.Errorf("batch 2^31-1 at context 2047 on 8 devices: KV %d, want %g; fits %v, %v", st.Memory.KVBytes, want, st.Fits, err)
	}
	// On one device, or summed over all of them, it cannot be represented.
	one := mustPredictor(t, "gpt3-175b", "h100-sxm", Options{TP: 1})
	if _, err := one.Decode(2147483647, 2047, true); err == nil || !strings.Contains(err.Error(), "represent") {
		t.Errorf("batch 2^31-1 at context 2047 on one device: %v", err)
	}
	if _, err := Predict(s, mustHardware(t, "h100-sxm"), Options{TP: 8}, 2047, 2147483647); err == nil || !strings.Contains(err.Error(), "represent") {
		t.Errorf("Predict of a 2e19-byte cache: %v", err)
	}
	// 405B on one H200: a big batch does not fit, and says so with sane sizes.
	big := mustPredictor(t, "llama3.1-405b", "h200", Options{TP: 1})
	st, err = big.Decode(200000, 1000, true)
	if err != nil || st.Fits || st.Memory.KVBytes <= 0 || st.Memory.TotalBytes <= st.Memory.UsableBytes {
		t.Errorf("405B, batch 200000 on one H200: %+v, %v", st.Memory, err)
	}
	pr, err := Predict(mustSpec(t, "llama3.1-405b"), mustHardware(t, "h200"), Options{TP: 8}, 1000, 1<<20)
	if err != nil || pr.Fits || pr.KVBytes <= 0 {
		t.Errorf("405B, batch 2^20 on 8 H200: fits %v, KV %d, %v", pr.Fits, pr.KVBytes, err)
	}
	for _, ctx := range []int{math.MaxInt64, MaxContextTokens} {
		_, err := p.Decode(1, ctx, true)
		if err == nil || !strings.Contains(err.Error(), "beyond what kvsim can size") || strings.Contains(err.Error(), "-92") {
			t.Errorf("context %d: %v", ctx, err)
		}
		if _, err := p.Capacity(ctx + 1); ctx == MaxContextTokens && err == nil {
			t.Errorf("capacity at context %d accepted", ctx+1)
		}
	}
	if _, err := p.Decode(math.MaxInt64, 10, true); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("batch MaxInt64: %v", err)
	}
	if _, err := p.PrefillAfter(1, math.MaxInt64, 0); err == nil || !strings.Contains(err.Error(), "prompt") {
		t.Errorf("prompt MaxInt64: %v", err)
	}
	if _, err := p.Generate(1, 10, math.MaxInt64); err == nil {
		t.Error("generation of MaxInt64 tokens accepted")
	}
}
