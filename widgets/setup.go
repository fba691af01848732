package widgets

import (
	"bytes"
	"fmt"
)

// SetupHTML returns the block that puts ECharts and the widget runtime on a
// page: the whole library (about 1 MB) inlined, so charts draw with no
// network, in JupyterLab and in a notebook exported to HTML alike. Show it
// once, near the top; every widget waits for it (up to 15 s) and says
// what to do when it never comes.
func SetupHTML() (string, error) {
	lib, err := library()
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = templates.ExecuteTemplate(&b, "setup", map[string]any{
		"CSS": styles(), "Library": lib, "Runtime": runtime(), "Version": LibraryVersion(), "Fallback": setupFallback,
	})
	if err != nil {
		return "", fmt.Errorf("widgets: rendering setup: %w", err)
	}
	return b.String(), nil
}

// setupFallback is the line the setup shows until its script runs (the
// runtime then says which ECharts drew the page): it stays in an HTML
// export sanitized by nbconvert, which turns every script into hidden text.
const setupFallback = "The interactive charts of this notebook are drawn by scripts that did not run here: " +
	"an HTML export with \u201cSanitize HTML output\u201d ticked removes them, and an untrusted notebook does not run them. " +
	"Export with " + ExportMenu + ", or trust the notebook in JupyterLab and run it."

// Setup is SetupHTML as a widget (an error shows as a red box); show it
// once, near the top: notebook.Setup() does.
func Setup() Widget { return setupWidget{} }

type setupWidget struct{}

func (setupWidget) Render() string { return orError(SetupHTML()) }
