package widgets

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"regexp"
	"strings"
)

// dist holds the chart library that `make assets` copies from npm. The
// folder always has its README, so the package builds before `make assets`;
// the library itself is checked when it is needed.
//
//go:embed assets/dist
var dist embed.FS

//go:embed assets/package.json assets/runtime.js assets/boot.js assets/widgets.css assets/*.tmpl
var assets embed.FS

const libraryPath = "assets/dist/echarts.min.js"

// errNoLibrary says what to run when the build has no chart library.
var errNoLibrary = errors.New("widgets: the ECharts library is missing from widgets/assets/dist " +
	"(run `make assets`, or `make setup`, then rebuild)")

// LibraryVersion is the ECharts version pinned in widgets/assets/package.json.
func LibraryVersion() string {
	data, err := assets.ReadFile("assets/package.json")
	if err != nil {
		return ""
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if json.Unmarshal(data, &pkg) != nil {
		return ""
	}
	return pkg.Dependencies["echarts"]
}

// LibraryNotice credits the chart library a page embeds, as its Apache-2.0
// license asks (the repository's NOTICE).
func LibraryNotice() string {
	return "Charts drawn with Apache ECharts " + LibraryVersion() + ", embedded in this page: Copyright The Apache Software Foundation, " +
		"licensed under the Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0). " +
		"This product includes software developed at The Apache Software Foundation (https://www.apache.org/)."
}

// scriptBreak finds what would end an inline <script> element early, or
// end the HTML comment that wraps its code (inlineScript).
var scriptBreak = regexp.MustCompile(`(?i)</script|<!--|-->`)

// inlineScript wraps JavaScript for an inline <script> element inside an
// HTML comment, the pattern browsers have always run (JavaScript reads
// "<!--" and "-->" lines as comments): nbconvert's sanitizer strips HTML
// comments, so a sanitized export keeps none of the code as text, where
// it would otherwise tokenise the code as HTML (a "</div>" in a string
// would close elements of the page).
func inlineScript(name, code string) (template.JS, error) {
	if scriptBreak.MatchString(code) {
		return "", fmt.Errorf("widgets: %s contains </script, <!-- or -->, so it cannot be inlined; reinstall it with `make assets`", name)
	}
	return template.JS("<!--\n" + code + "\n//-->"), nil
}

// library returns the ECharts source, ready to sit inside a <script>
// element: it sets window.echarts even on pages that load an AMD loader
// (nbconvert's HTML template includes require.js), and it runs only once
// per page even when the setup output is shown twice.
func library() (template.JS, error) {
	src, err := fs.ReadFile(dist, libraryPath)
	if err != nil {
		return "", errNoLibrary
	}
	version := LibraryVersion()
	var b strings.Builder
	b.Grow(len(src) + 256)
	fmt.Fprintf(&b, "if(!(window.echarts&&window.echarts.version===%q)){(function(define,exports,module){\n", version)
	b.Write(src)
	b.WriteString("\n}).call(window);}")
	return inlineScript(libraryPath, b.String())
}

// runtime returns the widget runtime: it mounts every widget on the page.
func runtime() template.JS { return mustScript("assets/runtime.js") }

// boot returns the few lines each widget carries to wait for the runtime.
func boot() template.JS { return mustScript("assets/boot.js") }

// styles returns the CSS shared by all widgets.
func styles() template.CSS { return template.CSS(mustAsset("assets/widgets.css")) }

// mustScript is an embedded script, wrapped for inlining; a script of this
// package that cannot be inlined fails every test.
func mustScript(name string) template.JS {
	js, err := inlineScript(name, mustAsset(name))
	if err != nil {
		panic(err.Error())
	}
	return js
}

// mustAsset reads a file compiled into the package; it cannot fail unless
// the //go:embed list above is wrong, which every test would show.
func mustAsset(name string) string {
	data, err := assets.ReadFile(name)
	if err != nil {
		panic("widgets: embedded asset missing: " + name)
	}
	return string(data)
}
