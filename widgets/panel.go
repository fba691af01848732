package widgets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
)

var templates = template.Must(template.ParseFS(assets, "assets/*.tmpl"))

// fallback is what a panel shows until its script runs; it stays when
// JavaScript never runs (a notebook opened untrusted strips scripts).
const fallback = "Chart not drawn yet: its JavaScript has not run. " +
	"In JupyterLab, trust the notebook (command palette: Trust Notebook) or run the cells again."

// panel is the one shape every widget renders to: controls, views and the
// precomputed states that the runtime (assets/runtime.js) switches between.
// A plain chart is a panel with no controls, one view and one state.
type panel struct {
	kind     string // "chart", "explorer", "live"
	caption  string
	note     string
	css      template.HTML // a <style> element the views share
	controls []panelControl
	views    []panelView
	options  []json.RawMessage // unique chart options
	html     []string          // unique HTML fragments
	states   [][]int           // states[s][v]: index into options or html
}

type panelControl struct {
	Type   string    `json:"type"` // "slider" or "select"
	Key    string    `json:"-"`
	Label  string    `json:"-"`
	Values []float64 `json:"values,omitempty"` // slider positions, for markers
	Labels []string  `json:"labels"`
	Start  int       `json:"start"`
}

func (c panelControl) Max() int           { return len(c.Labels) - 1 }
func (c panelControl) StartLabel() string { return c.Labels[c.Start] }

type panelView struct {
	Type   string `json:"type"` // "chart" or "html"
	MarkX  int    `json:"markX"`
	MarkY  int    `json:"markY"`
	Width  string `json:"-"`
	Height string `json:"-"`
	// Initial is the HTML of the start state, shown even without JavaScript.
	Initial template.HTML `json:"-"`
}

// panelData is the JSON the runtime reads.
type panelData struct {
	Controls []panelControl    `json:"controls"`
	Views    []panelView       `json:"views"`
	Options  []json.RawMessage `json:"options"`
	HTML     []string          `json:"html"`
	States   [][]int           `json:"states"`
}

// data encodes the panel for the runtime. encoding/json escapes <, > and &,
// so the text cannot close its <script> element.
func (p *panel) data() ([]byte, error) {
	d := panelData{Controls: p.controls, Views: p.views, Options: p.options, HTML: p.html, States: p.states}
	if d.Controls == nil {
		d.Controls = []panelControl{}
	}
	if d.Options == nil {
		d.Options = []json.RawMessage{}
	}
	if d.HTML == nil {
		d.HTML = []string{}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("widgets: encoding %s data: %w", p.kind, err)
	}
	return b, nil
}

// contentID names a panel after its content, so the same cell renders the
// same HTML on every run and two different panels never share an id.
func contentID(kind string, data []byte) string {
	sum := sha256.Sum256(append([]byte(kind+"\x00"), data...))
	return "kvw-" + kind + "-" + hex.EncodeToString(sum[:6])
}

// render writes the panel's HTML under element id ("" means the
// content-derived id) and returns the id it used.
func (p *panel) render(id string) (string, string, error) {
	data, err := p.data()
	if err != nil {
		return "", "", err
	}
	if id == "" {
		id = contentID(p.kind, data)
	}
	start := 0
	if len(p.states) > 0 {
		start = p.startState()
	}
	views := append([]panelView(nil), p.views...)
	for j := range views {
		if views[j].Type == "html" && start < len(p.states) {
			views[j].Initial = template.HTML(p.html[p.states[start][j]])
		}
	}
	var b bytes.Buffer
	err = templates.ExecuteTemplate(&b, "panel", map[string]any{
		"ID": id, "Kind": p.kind, "Caption": p.caption, "Note": p.note, "CSS": p.css,
		"Controls": p.controls, "Views": views, "Fallback": fallback,
		"Data": template.JS(data), "Boot": boot(),
	})
	if err != nil {
		return "", "", fmt.Errorf("widgets: rendering %s: %w", p.kind, err)
	}
	return b.String(), id, nil
}

// startState is the mixed-radix index of the controls' start positions,
// first control most significant (as stateIndex in runtime.js).
func (p *panel) startState() int {
	s := 0
	for _, c := range p.controls {
		s = s*len(c.Labels) + c.Start
	}
	return s
}

// errorHTML shows a widget's error where the widget would have been.
func errorHTML(err error) string {
	var b strings.Builder
	if e := templates.ExecuteTemplate(&b, "error", err.Error()); e != nil {
		return "<pre>" + template.HTMLEscapeString(err.Error()) + "</pre>"
	}
	return b.String()
}

// interner stores each distinct value once and hands out its index.
type interner[T any] struct {
	index  map[string]int
	values []T
}

func (in *interner[T]) add(key string, v T) int {
	if in.index == nil {
		in.index = map[string]int{}
	}
	if i, ok := in.index[key]; ok {
		return i
	}
	in.index[key] = len(in.values)
	in.values = append(in.values, v)
	return len(in.values) - 1
}
