package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// PreferHugePages is advice: whatever the kernel does with it, the values
// stay as they were, and a slice with no whole huge page inside is left
// alone.
func TestPreferHugePagesKeepsData(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 14))
	for _, n := range []int{0, 1, 1000, 3 << 20} {
		s := randomSlice(r, n)
		want := slices.Clone(s)
		got := PreferHugePages(s)
		if !slices.Equal(s, want) {
			t.Fatalf("%d floats: values changed (advice reported %v)", n, got)
		}
		if n*4 < hugePage && got {
			t.Errorf("%d floats: reported huge pages inside a slice with no whole one", n)
		}
		t.Logf("%d floats: huge pages %v", n, got)
	}
}
