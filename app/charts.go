package app

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// Charts are drawn on the server as inline SVG: readable without JavaScript, with a
// title and description for screen readers, and always shown beside their numbers.

// sparkline draws values as a small line chart; label names it and alt lists the
// values in words.
func sparkline(id, label string, values []int, alt string) template.HTML {
	const w, h, pad = 160.0, 32.0, 2.0
	peak := 1
	for _, v := range values {
		peak = max(peak, v)
	}
	var pts []string
	step := 0.0
	if len(values) > 1 {
		step = (w - 2*pad) / float64(len(values)-1)
	}
	for i, v := range values {
		x := pad + float64(i)*step
		y := h - pad - (h-2*pad)*float64(v)/float64(peak)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart sparkline" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t %s-d" focusable="false">`,
		w, h, w, h, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(label), id, html.EscapeString(alt))
	fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%.0f" y2="%.1f" class="chart-axis" stroke="currentColor" stroke-opacity="0.25"/>`, h-pad, w, h-pad)
	if len(pts) == 1 {
		pts = append(pts, fmt.Sprintf("%.1f,%s", w-pad, strings.Split(pts[0], ",")[1]))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="currentColor" stroke-width="1.5" class="chart-line"/>`, strings.Join(pts, " "))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// bar is one labelled value of a bar chart.
type bar struct {
	Label string
	Value int
	// Warn marks a bar to draw in the warning colour (e.g. overdue items).
	Warn bool
}

// barChart draws horizontal bars, each labelled with its name and number in the
// SVG itself, so that the chart reads the same with or without colour.
func barChart(id, label string, bars []bar) template.HTML {
	const w, rowH, labelW, numW = 360.0, 20.0, 120.0, 44.0
	peak := 1
	var alt []string
	for _, b := range bars {
		peak = max(peak, b.Value)
		alt = append(alt, fmt.Sprintf("%s %d", b.Label, b.Value))
	}
	h := rowH * float64(max(len(bars), 1))
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart bars" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="%s-t %s-d" focusable="false">`,
		w, h, w, h, id, id)
	fmt.Fprintf(&s, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(label), id,
		html.EscapeString(strings.Join(alt, ", ")))
	for i, b := range bars {
		y := float64(i) * rowH
		bw := (w - labelW - numW) * float64(b.Value) / float64(peak)
		cls := "chart-bar"
		if b.Warn {
			cls += " chart-bar-warn"
		}
		fmt.Fprintf(&s, `<text x="0" y="%.1f" class="chart-label" fill="currentColor" font-size="12">%s</text>`, y+14, html.EscapeString(b.Label))
		fmt.Fprintf(&s, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" class="%s" fill="currentColor" fill-opacity="0.55"/>`, labelW, y+4, bw, rowH-8, cls)
		fmt.Fprintf(&s, `<text x="%.1f" y="%.1f" class="chart-value" fill="currentColor" font-size="12">%d</text>`, labelW+bw+4, y+14, b.Value)
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}
