package widgets

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"html/template"
	"strconv"

	"kvcache/kvsim/atomicfile"
)

var errNoUpdate = errors.New("widgets: live chart has no data yet; call Update first")

// Widget is anything that renders to an HTML fragment: Chart, Table,
// Explorer, LiveChart.
type Widget interface {
	Render() string
}

// idRenderer is a widget of this package: it can render under a given
// element id ("" = its content id), so a Page keeps ids unique even when
// the same widget is added twice.
type idRenderer interface {
	renderWithID(id string) (html, usedID string, err error)
}

// Page is a standalone HTML file: the chart library and the runtime
// inlined once in its head, then headings, paragraphs and widgets. It needs
// no network and no Jupyter (for `kvsim report --out DIR`).
//
//	widgets.NewPage("KV cache report").Heading("Hit rate").Add(explorer).WriteFile("reports/kv.html")
type Page struct {
	title  string
	blocks []pageBlock
}

type pageBlock struct {
	raw    template.HTML // a heading or paragraph
	widget Widget
}

// NewPage starts a page with a title (shown as its <title> and first heading).
func NewPage(title string) *Page { return &Page{title: title} }

// Heading adds a section heading.
func (p *Page) Heading(text string) *Page {
	p.blocks = append(p.blocks, pageBlock{raw: template.HTML("<h2>" + html.EscapeString(text) + "</h2>")})
	return p
}

// Text adds a paragraph of plain text.
func (p *Page) Text(text string) *Page {
	p.blocks = append(p.blocks, pageBlock{raw: template.HTML("<p>" + html.EscapeString(text) + "</p>")})
	return p
}

// Add appends widgets in order.
func (p *Page) Add(ws ...Widget) *Page {
	for _, w := range ws {
		p.blocks = append(p.blocks, pageBlock{widget: w})
	}
	return p
}

// HTML returns the whole page, or the first widget error.
func (p *Page) HTML() (string, error) {
	lib, err := library()
	if err != nil {
		return "", err
	}
	seen := map[string]int{}
	blocks := make([]template.HTML, 0, len(p.blocks))
	for i, b := range p.blocks {
		if b.widget == nil {
			blocks = append(blocks, b.raw)
			continue
		}
		frag, err := renderUnique(b.widget, seen)
		if err != nil {
			return "", fmt.Errorf("%w (page block %d)", err, i)
		}
		blocks = append(blocks, template.HTML(frag))
	}
	var out bytes.Buffer
	err = templates.ExecuteTemplate(&out, "page", map[string]any{
		"Title": p.title, "CSS": styles(), "Library": lib, "Runtime": runtime(), "Blocks": blocks,
	})
	if err != nil {
		return "", fmt.Errorf("widgets: rendering page: %w", err)
	}
	return out.String(), nil
}

// renderUnique renders w under its content id, or under that id with a
// suffix when an identical widget came earlier on the page.
func renderUnique(w Widget, seen map[string]int) (string, error) {
	r, ok := w.(idRenderer)
	if !ok {
		return w.Render(), nil
	}
	frag, id, err := r.renderWithID("")
	if err != nil {
		return "", err
	}
	seen[id]++
	if n := seen[id]; n > 1 {
		return dropID(r.renderWithID(id + "-" + strconv.Itoa(n)))
	}
	return frag, nil
}

// Render returns the page; on error, a page that shows the error.
func (p *Page) Render() string {
	s, err := p.HTML()
	if err != nil {
		return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(p.title) +
			"</title></head><body>" + errorHTML(err) + "</body></html>"
	}
	return s
}

// WriteFile writes the page to path (0644), whole or not at all: a kill
// or a full disk leaves the previous page (kvsim/atomicfile).
func (p *Page) WriteFile(path string) error {
	s, err := p.HTML()
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, []byte(s)); err != nil {
		return fmt.Errorf("widgets: writing page: %w", err)
	}
	return nil
}
