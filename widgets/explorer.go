package widgets

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"reflect"
	"strconv"
	"strings"

	"kvcache/kvsim/report"
)

// MaxStates bounds the combinations of control positions an Explorer
// precomputes (the product of every control's length): each one is built
// in Go and carried in the page.
const MaxStates = 20000

// Explorer is controls (sliders, selects) over charts and tables whose
// every state the Go cell computes in advance. Moving a control swaps
// precomputed states in the browser: no kernel round trip, no new output,
// and it works the same in JupyterLab, headless runs and exported HTML.
//
//	widgets.NewExplorer().
//		Slider("cap", "Cache capacity", gib, func(v float64) string { return fmt.Sprintf("%g GiB", v) }).
//		Select("model", "Model", names).
//		Chart(func(at widgets.At) widgets.Charter { return hitRate(at.Index("model")) }, widgets.MarkX("cap")).
//		Table(func(at widgets.At) report.Table { return summary(at.Index("model"), at.Index("cap")) }).
//		Render()
//
// Charts and fragments that come out identical for several states are
// stored once, so a chart that depends on the model only costs one option
// per model, however many capacities the slider has.
type Explorer struct {
	caption, note string
	controls      []panelControl
	texts         map[string]func(At) string // per-state labels of controls, by key
	views         []explorerView
	firstError
}

type explorerView struct {
	chart         func(At) Charter
	html          func(At) string
	table         bool // html is a report.Table: its shared <style> is hoisted
	markX, markY  string
	markAt        func(At) float64 // where the MarkX line stands, when not at the control's value
	width, height string
}

// NewExplorer starts an explorer with no controls and no views.
func NewExplorer() *Explorer { return &Explorer{} }

// Caption puts a line of text above the controls.
func (e *Explorer) Caption(text string) *Explorer { e.caption = text; return e }

// Note puts a line of small text under the views.
func (e *Explorer) Note(text string) *Explorer { e.note = text; return e }

// Slider adds a range slider over values (one position per value), labelled
// by format (nil: %g). Views read the position with At.Index and the value
// with At.Value; MarkX/MarkY draw a line at the value.
func (e *Explorer) Slider(key, label string, values []float64, format func(float64) string) *Explorer {
	if format == nil {
		format = func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	}
	labels := make([]string, len(values))
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			e.fail(fmt.Errorf("widgets: slider %q value %d is %v; slider values must be finite numbers", key, i, v))
			return e
		}
		labels[i] = format(v)
	}
	return e.addControl(panelControl{Type: "slider", Key: key, Label: label, Values: append([]float64(nil), values...), Labels: labels})
}

// LabelAt sets the text shown beside control key in each state, for a
// label that depends on other controls (a capacity slider whose blocks
// weigh more GiB for a bigger model). Without it the control shows its own
// position's label.
func (e *Explorer) LabelAt(key string, text func(At) string) *Explorer {
	switch {
	case text == nil:
		e.fail(fmt.Errorf("widgets: LabelAt(%q): text function is nil", key))
	case e.controlIndex(key) < 0:
		e.fail(fmt.Errorf("widgets: LabelAt(%q): no control has that key (declare the control first)", key))
	default:
		if e.texts == nil {
			e.texts = map[string]func(At) string{}
		}
		e.texts[key] = text
	}
	return e
}

// Select adds a drop-down list of options. Views read the choice with
// At.Index or At.Label.
func (e *Explorer) Select(key, label string, options []string) *Explorer {
	return e.addControl(panelControl{Type: "select", Key: key, Label: label, Labels: append([]string(nil), options...)})
}

func (e *Explorer) addControl(c panelControl) *Explorer {
	switch {
	case c.Key == "":
		e.fail(fmt.Errorf("widgets: %s %q has an empty key; give each control a short unique key", c.Type, c.Label))
	case e.controlIndex(c.Key) >= 0:
		e.fail(fmt.Errorf("widgets: two controls use the key %q; keys must be unique", c.Key))
	case len(c.Labels) == 0:
		e.fail(fmt.Errorf("widgets: %s %q has no values; give it at least one", c.Type, c.Key))
	default:
		e.controls = append(e.controls, c)
	}
	return e
}

// Start sets where a control starts (position index, default 0).
func (e *Explorer) Start(key string, index int) *Explorer {
	i := e.controlIndex(key)
	switch {
	case i < 0:
		e.fail(fmt.Errorf("widgets: Start(%q): no control has that key (declare the control first)", key))
	case index < 0 || index >= len(e.controls[i].Labels):
		e.fail(fmt.Errorf("widgets: Start(%q, %d): position out of range [0, %d)", key, index, len(e.controls[i].Labels)))
	default:
		e.controls[i].Start = index
	}
	return e
}

// ViewOption adjusts one chart view of an Explorer.
type ViewOption func(*explorerView)

// MarkX draws a dashed vertical line at the current value of the control
// key (its value for a slider, its label for a select on a category axis);
// the line moves with the control.
func MarkX(key string) ViewOption { return func(v *explorerView) { v.markX = key } }

// MarkY draws a dashed horizontal line at the current value of control key.
func MarkY(key string) ViewOption { return func(v *explorerView) { v.markY = key } }

// MarkXAt draws the dashed vertical line of control key at x(at) instead
// of at the control's value: a capacity slider whose positions mean other
// GiB for each model, say. NaN draws no line. The line is labelled like
// the control (LabelAt's text when set).
func MarkXAt(key string, x func(At) float64) ViewOption {
	return func(v *explorerView) { v.markX, v.markAt = key, x }
}

// Size sets a chart view's CSS width and height (default "100%", "400px";
// "49%" puts two charts side by side).
func Size(width, height string) ViewOption {
	return func(v *explorerView) { v.width, v.height = width, height }
}

// Chart adds a chart view: build returns the go-echarts chart for a state.
// A build that returns the same chart (pointer) for several states, say a
// figure that caches charts by the controls they depend on, has it encoded
// once; such a chart must not change after it is returned.
func (e *Explorer) Chart(build func(At) Charter, opts ...ViewOption) *Explorer {
	if build == nil {
		e.fail(errors.New("widgets: Explorer.Chart: build function is nil"))
		return e
	}
	v := explorerView{chart: build, width: DefaultWidth, height: DefaultHeight}
	for _, o := range opts {
		o(&v)
	}
	e.views = append(e.views, v)
	return e
}

// Table adds a table view (kvsim/report tables, with units in the headings).
// It takes the whole width unless Size gives it one ("40%": beside a
// chart of "58%"; its height follows its rows).
func (e *Explorer) Table(build func(At) report.Table, opts ...ViewOption) *Explorer {
	if build == nil {
		e.fail(errors.New("widgets: Explorer.Table: build function is nil"))
		return e
	}
	v := explorerView{html: func(at At) string { return build(at).HTML() }, table: true}
	for _, o := range opts {
		o(&v)
	}
	e.views = append(e.views, v)
	return e
}

// Fragment adds a view of raw HTML fragments (a sentence with the sweet
// spot, say). The fragment is inserted as is: escape any text you put in
// it (html.EscapeString).
func (e *Explorer) Fragment(build func(At) string) *Explorer {
	if build == nil {
		e.fail(errors.New("widgets: Explorer.Fragment: build function is nil"))
		return e
	}
	e.views = append(e.views, explorerView{html: build})
	return e
}

func (e *Explorer) controlIndex(key string) int {
	for i, c := range e.controls {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// At is one state of an Explorer: a position for every control.
type At struct {
	e   *Explorer
	pos []int
	bad *error
}

func (a At) control(key string) (int, bool) {
	i := a.e.controlIndex(key)
	if i < 0 && *a.bad == nil {
		*a.bad = fmt.Errorf("widgets: a view asked for control %q, which does not exist", key)
	}
	return i, i >= 0
}

// Index is the position of control key (0 for an unknown key, which Render reports).
func (a At) Index(key string) int {
	if i, ok := a.control(key); ok {
		return a.pos[i]
	}
	return 0
}

// Value is the slider value of control key (the index for a select).
func (a At) Value(key string) float64 {
	i, ok := a.control(key)
	if !ok {
		return 0
	}
	if c := a.e.controls[i]; c.Values != nil {
		return c.Values[a.pos[i]]
	}
	return float64(a.pos[i])
}

// Label is the text shown for control key's position.
func (a At) Label(key string) string {
	if i, ok := a.control(key); ok {
		return a.e.controls[i].Labels[a.pos[i]]
	}
	return ""
}

// States is how many combinations of control positions the explorer has.
func (e *Explorer) States() int {
	n := 1
	for _, c := range e.controls {
		n *= len(c.Labels)
		if n > MaxStates {
			return n
		}
	}
	return n
}

func (e *Explorer) panel() (*panel, error) {
	if e.err != nil {
		return nil, e.err
	}
	if len(e.views) == 0 {
		return nil, errors.New("widgets: explorer has no views; add a Chart, Table or Fragment view")
	}
	n := e.States()
	if n > MaxStates {
		return nil, fmt.Errorf("widgets: explorer has more than %d states (the product of the controls' lengths); use fewer positions", MaxStates)
	}
	p := &panel{kind: "explorer", caption: e.caption, note: e.note}
	p.controls = make([]panelControl, len(e.controls))
	copy(p.controls, e.controls)
	for j, v := range e.views {
		pv := panelView{Type: "html", MarkX: -1, MarkY: -1}
		if v.chart == nil && v.width != "" {
			if err := checkSize(v.width, "auto"); err != nil {
				return nil, fmt.Errorf("%w (view %d)", err, j)
			}
			pv.Width = v.width
		}
		if v.chart != nil {
			if err := checkSize(v.width, v.height); err != nil {
				return nil, fmt.Errorf("%w (view %d)", err, j)
			}
			pv = panelView{Type: "chart", MarkX: e.controlIndex(v.markX), MarkY: e.controlIndex(v.markY), Width: v.width, Height: v.height}
			for _, key := range []string{v.markX, v.markY} {
				if key != "" && e.controlIndex(key) < 0 {
					return nil, fmt.Errorf("widgets: view %d marks control %q, which does not exist", j, key)
				}
			}
		}
		p.views = append(p.views, pv)
	}
	var options interner[json.RawMessage]
	var fragments, texts interner[string]
	// A builder that returns the same chart (pointer) for several states
	// (a figure memoizing what depends on some controls only) is encoded once.
	encoded := map[Charter]int{}
	pos := make([]int, len(e.controls))
	for s := 0; s < n; s++ {
		rest := s
		for i := len(e.controls) - 1; i >= 0; i-- {
			pos[i] = rest % len(e.controls[i].Labels)
			rest /= len(e.controls[i].Labels)
		}
		var bad error
		at := At{e: e, pos: pos, bad: &bad}
		row := make([]int, len(e.views))
		for j, v := range e.views {
			if v.chart != nil {
				c := v.chart(at)
				ptr, known, i := isPointer(c), false, 0
				if ptr {
					i, known = encoded[c]
				}
				if known {
					row[j] = i
				} else {
					opt, err := chartOption(c)
					if err != nil {
						return nil, fmt.Errorf("%w (view %d, state %s)", err, j, e.describe(pos))
					}
					row[j] = options.add(string(opt), opt)
					if ptr {
						encoded[c] = row[j]
					}
				}
				if v.markAt != nil {
					var x *float64
					if m := v.markAt(at); !math.IsNaN(m) && !math.IsInf(m, 0) {
						x = &m
					}
					p.views[j].MarkAt = append(p.views[j].MarkAt, x)
				}
			} else {
				frag := v.html(at)
				if v.table {
					if css, rest, ok := splitTableStyle(frag); ok {
						frag, p.css = rest, css
					}
				}
				row[j] = fragments.add(frag, frag)
			}
			if bad != nil {
				return nil, fmt.Errorf("%w (view %d)", bad, j)
			}
		}
		for i, c := range e.controls {
			if text := e.texts[c.Key]; text != nil {
				t := text(at)
				p.controls[i].StateText = append(p.controls[i].StateText, texts.add(t, t))
			}
		}
		if bad != nil {
			return nil, bad
		}
		p.states = append(p.states, row)
	}
	p.options, p.html, p.texts = options.values, fragments.values, texts.values
	return p, nil
}

// isPointer reports whether c is a pointer (its identity names one chart),
// so that it can key the encoded charts; a chart held by value is not.
func isPointer(c Charter) bool { return c != nil && reflect.ValueOf(c).Kind() == reflect.Pointer }

// splitTableStyle takes the <style> element that report.Table.HTML puts in
// every table out of frag, so an explorer carries it once, not once per state.
func splitTableStyle(frag string) (css template.HTML, rest string, ok bool) {
	i := strings.Index(frag, "<style>")
	j := strings.Index(frag, "</style>")
	if i < 0 || j < i {
		return "", frag, false
	}
	j += len("</style>")
	return template.HTML(frag[i:j]), frag[:i] + frag[j:], true
}

// describe names a state for error messages: key=label, ...
func (e *Explorer) describe(pos []int) string {
	s := ""
	for i, c := range e.controls {
		if i > 0 {
			s += ", "
		}
		s += c.Key + "=" + c.Labels[pos[i]]
	}
	if s == "" {
		return "(no controls)"
	}
	return s
}

// HTML returns the explorer's HTML fragment, or the error that prevents it.
func (e *Explorer) HTML() (string, error) { return dropID(e.renderWithID("")) }

// Render returns the explorer's HTML fragment; on error, a visible error box.
func (e *Explorer) Render() string { return orError(e.HTML()) }

func (e *Explorer) renderWithID(id string) (string, string, error) { return renderPanel(e.panel, id) }
