package report

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// SVG draws a chart as an SVG image on the server (no script, no outside
// resources): stacked bars, one per label, with the axis, a legend, and a
// title and description that screen readers announce. Each bar segment
// carries its figure as a tooltip. The same figures are always also given as
// a table beside the chart.
func SVG(c *Chart) string {
	const (
		w, h                     = 720.0, 300.0
		left, right, top, bottom = 76.0, 16.0, 28.0, 72.0
		plotW, plotH             = w - left - right, h - top - bottom
	)
	esc := html.EscapeString
	id := c.ID
	if id == "" {
		id = "chart"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-labelledby="%s-title %s-desc">`, w, h, w, h, esc(id), esc(id))
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, esc(id), esc(c.Title), esc(id), esc(c.Desc))
	fmt.Fprintf(&b, `<text x="%g" y="16" font-size="13" font-weight="bold" fill="#000">%s</text>`, left, esc(c.Title))

	totals := make([]int64, len(c.Labels))
	for _, s := range c.Series {
		for i := range totals {
			if i < len(s.Values) {
				totals[i] += s.Values[i]
			}
		}
	}
	var top64 int64
	for _, t := range totals {
		top64 = max(top64, t)
	}
	scale := niceCeiling(top64)
	// Axis and grid.
	for i := 0; i <= 4; i++ {
		v := scale * int64(i) / 4
		y := top + plotH - plotH*float64(i)/4
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#bbb" stroke-width="1"/>`, left, y, left+plotW, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" font-size="11" text-anchor="end" fill="#000">%s</text>`, left-6, y+4, thousands(itoa(v)))
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#000" stroke-width="1"/>`, left, top+plotH, left+plotW, top+plotH)
	// Bars.
	n := max(len(c.Labels), 1)
	band := plotW / float64(n)
	barW := band * 0.62
	for i, label := range c.Labels {
		x := left + band*float64(i) + (band-barW)/2
		y := top + plotH
		for _, s := range c.Series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			hgt := plotH * float64(s.Values[i]) / float64(scale)
			y -= hgt
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`,
				x, y, barW, hgt, esc(s.Colour), esc(label), esc(s.Name), thousands(itoa(s.Values[i])))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="11" text-anchor="middle" fill="#000">%s</text>`, x+barW/2, top+plotH+16, esc(label))
	}
	// Legend.
	lx := left
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%g" width="12" height="12" fill="%s"/>`, lx, h-26, esc(s.Colour))
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" font-size="12" fill="#000">%s</text>`, lx+17, h-16, esc(s.Name))
		lx += 17 + 7.2*float64(len(s.Name)) + 24
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeiling rounds v up to a round number that four grid steps divide
// evenly: 1, 2, 4, 5, 8 or 10 times a power of ten, and at least 4.
func niceCeiling(v int64) int64 {
	if v <= 4 {
		return 4
	}
	p := math.Pow(10, math.Floor(math.Log10(float64(v))))
	for _, m := range []float64{1, 2, 4, 5, 8, 10} {
		if c := int64(m * p); c >= v && c%4 == 0 {
			return c
		}
	}
	return int64(10*p) * 4
}
