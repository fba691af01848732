package figures

import (
	"fmt"

	"kvcache/kvsim/study"
	"kvcache/widgets"
)

// noFitMessage stands in for both context charts of section 3 when the
// picked model has nothing to draw on the picked hardware (the cost model
// refuses it, or not one context of the chart fits): one message, the same
// in both places, instead of two empty plots whose titles disagree.
func noFitMessage(p study.Predictions, m, h, e int) (widgets.Charter, bool) {
	c := p.Curves[m][h][e]
	for _, pt := range c.Points {
		if pt.CachedFits || pt.UncachedFits {
			return nil, false
		}
	}
	where := p.Hardware[h]
	if c.TP > 1 {
		where = fmt.Sprintf("%d× %s", c.TP, p.Hardware[h])
	}
	title := fmt.Sprintf("%s on %s: nothing to draw", p.Models[m], where)
	text := fmt.Sprintf("%s does not fit on %s at any context of this chart, with or without a KV cache: "+
		"its weights and one request's activations need more memory than the devices hold. Pick larger hardware, more memory per device, or a smaller model.",
		p.Models[m], where)
	if c.Error != "" {
		title = fmt.Sprintf("%s on %s: cannot be priced", p.Models[m], p.Hardware[h])
		text = fmt.Sprintf("The cost model cannot price %s on %s: %s", p.Models[m], p.Hardware[h], c.Error)
	}
	return widgets.NewMessageChart(title, text), true
}
