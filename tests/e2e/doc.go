// Package e2e proves the user's workflow in a real browser: JupyterLab with
// the GoNB kernel runs notebooks/kvcache.ipynb, the controls redraw the
// charts, and the notebook exported to HTML renders offline.
//
// The tests run only when KVCACHE_E2E=1 (make test sets it after installing
// JupyterLab, the kernel and the chart library); Chromium comes from
// Debian's chromium package (CHROMIUM overrides the path). Screenshots land
// in screenshots/ at the repository root.
package e2e
