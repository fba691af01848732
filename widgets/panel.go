package widgets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
)

var templates = template.Must(template.ParseFS(assets, "assets/*.tmpl"))

// ExportMenu is where JupyterLab offers the export that keeps the charts:
// the kvcache_html exporter of tools/kvcache_export, which `make setup`
// installs into the project's venv.
const ExportMenu = "File › Save and Export Notebook As › Kvcache_html"

// fallback is the one line a widget shows until its script runs. It stays
// when scripts never run: an HTML export with "Sanitize HTML output" ticked
// (nbconvert escapes every script), or a notebook opened untrusted.
const fallback = "interactive chart removed by sanitizing, or its script has not run. " +
	"Export with " + ExportMenu + " (or untick \u201cSanitize HTML output\u201d); " +
	"in JupyterLab, trust the notebook and run the cell."

// compressAbove is the size of panel data, in bytes, from which it travels
// gzipped (base64) and the runtime inflates it (DecompressionStream): chart
// data compress about fourfold, and a notebook carries every state.
const compressAbove = 48 << 10

// panel is the one shape every widget renders to: controls, views and the
// precomputed states that the runtime (assets/runtime.js) switches between.
// A plain chart is a panel with no controls, one view and one state.
//
// The HTML is a root holding one line of text (what the reader sees when
// scripts never run) and, in an element JupyterLab's CSS hides (Lumino's
// lm-mod-hidden, in every JupyterLab page and nbconvert's lab template),
// the data and the script; the runtime builds the controls and views from
// the data. A sanitized export escapes the scripts into text, which stays
// hidden, so the page shows the line and no code.
type panel struct {
	kind     string // "chart", "explorer", "live"
	caption  string
	note     string
	css      template.HTML // a <style> element the views share
	controls []panelControl
	views    []panelView
	options  []json.RawMessage // unique chart options
	html     []string          // unique HTML fragments
	texts    []string          // unique per-state labels
	states   [][]int           // states[s][v]: index into options or html
}

type panelControl struct {
	Type   string    `json:"type"` // "slider" or "select"
	Key    string    `json:"key"`
	Label  string    `json:"label"`
	Values []float64 `json:"values,omitempty"` // slider positions, for markers
	Labels []string  `json:"labels"`
	Start  int       `json:"start"`
	// StateText, when set, is the text shown beside the control in each
	// state (an index into texts), for labels that depend on other controls.
	StateText []int `json:"stateText,omitempty"`
}

type panelView struct {
	Type  string `json:"type"` // "chart" or "html"
	MarkX int    `json:"markX"`
	MarkY int    `json:"markY"`
	// MarkAt, when set, is where the MarkX line stands in each state
	// (null: no line) instead of the control's value.
	MarkAt []*float64 `json:"markAt,omitempty"`
	Width  string     `json:"width,omitempty"`
	Height string     `json:"height,omitempty"`
}

// panelData is the JSON the runtime reads.
type panelData struct {
	Caption  string            `json:"caption,omitempty"`
	Note     string            `json:"note,omitempty"`
	Controls []panelControl    `json:"controls"`
	Views    []panelView       `json:"views"`
	Options  []json.RawMessage `json:"options"`
	HTML     []string          `json:"html"`
	Texts    []string          `json:"texts,omitempty"`
	States   [][]int           `json:"states"`
}

// data encodes the panel for the runtime. encoding/json escapes <, > and &,
// so the text cannot close its <script> element.
func (p *panel) data() ([]byte, error) {
	d := panelData{Caption: p.caption, Note: p.note, Controls: p.controls, Views: p.views, Options: p.options,
		HTML: p.html, Texts: p.texts, States: p.states}
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
	dataType, block := "application/json", data
	if len(data) > compressAbove {
		if block, err = gzipBase64(data); err != nil {
			return "", "", err
		}
		dataType = "application/x-kvw-gzip"
	}
	var b bytes.Buffer
	err = templates.ExecuteTemplate(&b, "panel", map[string]any{
		"ID": id, "Kind": p.kind, "Name": p.name(), "CSS": p.css, "Fallback": fallback,
		"DataType": dataType, "Data": template.JS(block), "Boot": boot(),
	})
	if err != nil {
		return "", "", fmt.Errorf("widgets: rendering %s: %w", p.kind, err)
	}
	return b.String(), id, nil
}

// name is what the fallback line calls the widget: its caption, else the
// title of its first chart.
func (p *panel) name() string {
	if p.caption != "" {
		return p.caption
	}
	for _, o := range p.options {
		var t struct {
			Title json.RawMessage `json:"title"`
		}
		if json.Unmarshal(o, &t) != nil {
			continue
		}
		var one struct {
			Text string `json:"text"`
		}
		var many []struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(t.Title, &one) == nil && one.Text != "" {
			return strings.ReplaceAll(one.Text, "\n", " ")
		}
		if json.Unmarshal(t.Title, &many) == nil && len(many) > 0 && many[0].Text != "" {
			return strings.ReplaceAll(many[0].Text, "\n", " ")
		}
	}
	return ""
}

// gzipBase64 compresses data for a kvw-data block of type application/x-kvw-gzip.
func gzipBase64(data []byte) ([]byte, error) {
	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("widgets: compressing panel data: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("widgets: compressing panel data: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("widgets: compressing panel data: %w", err)
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(z.Len()))
	base64.StdEncoding.Encode(out, z.Bytes())
	return out, nil
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
