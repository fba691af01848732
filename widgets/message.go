package widgets

// MessageChart stands where a chart cannot be drawn (a model that does not
// fit the hardware, a combination that does not exist) and says why, in
// the chart's place and at its size: a title and a sentence in the middle,
// no axes, so an empty plot is never mistaken for a result.
//
//	widgets.NewMessageChart("llama3.1-405b on l4", "Does not fit: 810 GB of weights on 8 × 24 GB.")
type MessageChart struct {
	title, text string
}

// NewMessageChart makes a chart that shows text under title.
func NewMessageChart(title, text string) *MessageChart {
	return &MessageChart{title: title, text: text}
}

// Validate makes a MessageChart a Charter; there is nothing to fill in.
func (m *MessageChart) Validate() {}

// JSON is the ECharts option: the title and one text element, which the
// runtime wraps to the chart's width.
func (m *MessageChart) JSON() map[string]any {
	return map[string]any{
		"animation": false,
		"title":     map[string]any{"text": m.title},
		"graphic": []any{map[string]any{
			"type": "text", "left": "center", "top": "middle", "kvwMessage": true,
			"style": map[string]any{"text": m.text, "fontSize": 14, "fill": "#8a5300", "textAlign": "center"},
		}},
	}
}
