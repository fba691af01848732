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
		"CSS": styles(), "Library": lib, "Runtime": runtime(), "Version": LibraryVersion(),
	})
	if err != nil {
		return "", fmt.Errorf("widgets: rendering setup: %w", err)
	}
	return b.String(), nil
}

// Setup is SetupHTML as a widget (an error shows as a red box); show it
// once, near the top: notebook.Setup() does.
func Setup() Widget { return setupWidget{} }

type setupWidget struct{}

func (setupWidget) Render() string { return orError(SetupHTML()) }
