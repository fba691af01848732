package e2e

import (
	"context"
	"testing"
)

// checkControls asserts that the page's charts rendered and that moving its
// controls changes their data. Filled in once the widgets land.
func checkControls(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	var tables int
	eval(t, ctx, `document.querySelectorAll('.kvsim-table table').length`, &tables)
	if tables == 0 {
		t.Errorf("%s: no kvsim table rendered", where)
	}
}
