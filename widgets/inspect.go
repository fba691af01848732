package widgets

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
)

var dataBlockRE = regexp.MustCompile(`(?s)<script type="(application/json|application/x-kvw-gzip)" class="kvw-data">(.*?)</script>`)

// DataBlocks returns the JSON data block of every chart and explorer in
// html (a fragment, a page, an exported notebook), inflated when it travels
// gzipped: what the runtime reads (controls, views, options, states). It is
// for tests and tools that check what a page carries without a browser.
func DataBlocks(html string) ([][]byte, error) {
	var out [][]byte
	for i, m := range dataBlockRE.FindAllStringSubmatch(html, -1) {
		if m[1] == "application/json" {
			out = append(out, []byte(m[2]))
			continue
		}
		z, err := base64.StdEncoding.DecodeString(m[2])
		if err != nil {
			return nil, fmt.Errorf("widgets: data block %d is not base64: %w", i, err)
		}
		r, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			return nil, fmt.Errorf("widgets: data block %d: %w", i, err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("widgets: data block %d: %w", i, err)
		}
		out = append(out, data)
	}
	return out, nil
}
