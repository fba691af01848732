package widgets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Charter is any go-echarts chart: *charts.Line, *charts.Bar, *charts.Scatter, ...
type Charter interface {
	// Validate fills go-echarts' defaults (series colours, axis data).
	Validate()
	// JSON is the ECharts option as a map.
	JSON() map[string]any
}

// Default chart size: the width follows the output area.
const (
	DefaultWidth  = "100%"
	DefaultHeight = "400px"
)

// funcMarker is how go-echarts marks JavaScript functions (types.FuncStr)
// inside option strings; they cannot travel as JSON data.
var funcMarker = []byte("__f__")

// chartOption encodes a go-echarts chart as ECharts option JSON.
func chartOption(c Charter) (json.RawMessage, error) {
	if c == nil {
		return nil, errors.New("widgets: chart is nil")
	}
	if e, ok := c.(interface{ Err() error }); ok && e.Err() != nil {
		return nil, e.Err()
	}
	c.Validate()
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("widgets: encoding chart option: %w", err)
	}
	if bytes.Contains(b, funcMarker) {
		return nil, errors.New("widgets: chart option holds a JavaScript function (go-echarts types.FuncStr / opts.FuncOpts); " +
			"use an ECharts string template instead, e.g. axisLabel formatter \"{value} GiB\"")
	}
	return compactData(b)
}

// compactData writes each series point that go-echarts wraps as
// {"value": v} as plain v, which ECharts reads the same: a line of [x, y]
// pairs takes a third of the bytes, and a notebook carries every state.
func compactData(b []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var opt map[string]any
	if err := dec.Decode(&opt); err != nil {
		return nil, fmt.Errorf("widgets: reading chart option: %w", err)
	}
	series, _ := opt["series"].([]any)
	for _, s := range series {
		m, ok := s.(map[string]any)
		if !ok {
			continue
		}
		data, _ := m["data"].([]any)
		for i, d := range data {
			if point, ok := d.(map[string]any); ok && len(point) == 1 {
				if v, ok := point["value"]; ok {
					data[i] = v
				}
			}
		}
	}
	if t, ok := opt["toolbox"].(map[string]any); ok && len(t) == 0 {
		delete(opt, "toolbox") // go-echarts writes an empty one; the runtime adds the toolbox
	}
	out, err := json.Marshal(opt)
	if err != nil {
		return nil, fmt.Errorf("widgets: encoding chart option: %w", err)
	}
	return out, nil
}

// Chart shows one go-echarts chart, drawn offline by the ECharts that
// Setup put on the page.
//
//	notebook.Display(widgets.NewChart(line).Height("320px"))
type Chart struct {
	chart         Charter
	width, height string
	caption, note string
}

// NewChart wraps a go-echarts chart.
func NewChart(c Charter) *Chart {
	return &Chart{chart: c, width: DefaultWidth, height: DefaultHeight}
}

// Width sets the CSS width (default "100%": the output area's width).
func (w *Chart) Width(css string) *Chart { w.width = css; return w }

// Height sets the CSS height (default "400px").
func (w *Chart) Height(css string) *Chart { w.height = css; return w }

// Caption puts a line of text above the chart.
func (w *Chart) Caption(text string) *Chart { w.caption = text; return w }

// Note puts a line of small text under the chart (a source, a caveat).
func (w *Chart) Note(text string) *Chart { w.note = text; return w }

func (w *Chart) panel() (*panel, error) {
	if err := checkSize(w.width, w.height); err != nil {
		return nil, err
	}
	opt, err := chartOption(w.chart)
	if err != nil {
		return nil, err
	}
	return &panel{
		kind: "chart", caption: w.caption, note: w.note,
		views:   []panelView{{Type: "chart", MarkX: -1, MarkY: -1, Width: w.width, Height: w.height}},
		options: []json.RawMessage{opt},
		states:  [][]int{{0}},
	}, nil
}

// HTML returns the chart's HTML fragment, or the error that prevents it.
func (w *Chart) HTML() (string, error) { return dropID(w.renderWithID("")) }

// Render returns the chart's HTML fragment; on error, a visible error box.
func (w *Chart) Render() string { return orError(w.HTML()) }

func (w *Chart) renderWithID(id string) (string, string, error) { return renderPanel(w.panel, id) }

// renderPanel builds a panel and renders it with the given id ("" = content id).
func renderPanel(build func() (*panel, error), id string) (string, string, error) {
	p, err := build()
	if err != nil {
		return "", "", err
	}
	return p.render(id)
}

func dropID(html, _ string, err error) (string, error) { return html, err }

func orError(html string, err error) string {
	if err != nil {
		return errorHTML(err)
	}
	return html
}

// checkSize refuses CSS sizes that would draw nothing or break the style attribute.
func checkSize(width, height string) error {
	for _, s := range []struct{ name, v string }{{"width", width}, {"height", height}} {
		if s.v == "" {
			return fmt.Errorf("widgets: chart %s is empty; give a CSS length such as %q", s.name, DefaultHeight)
		}
		for _, r := range s.v {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r == '.' || r == '%') {
				return fmt.Errorf("widgets: chart %s %q is not a CSS length (use e.g. \"400px\", \"100%%\", \"40vh\")", s.name, s.v)
			}
		}
	}
	return nil
}

// firstError keeps the first mistake a builder saw; builders chain, so
// they report it at Render time (and through Err) instead of returning it.
type firstError struct{ err error }

// Err reports the first mistake made while building, if any.
func (f *firstError) Err() error { return f.err }

func (f *firstError) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}
