package risk

import (
	"fmt"
	"html"
	"strings"
)

// HeatMap draws the register as a 5×5 SVG grid, likelihood up the side and
// impact along the bottom, each cell coloured by its score's band and
// labelled with how many risks sit in it. Every cell carries an accessible
// name, so a screen reader reads the same counts.
func HeatMap(risks []Risk, bands []Band, likelihoods []Likelihood) string {
	const cell, left, top = 64, 120, 10
	counts := map[[2]int]int{}
	for _, r := range risks {
		counts[[2]int{r.Likelihood, r.Impact}]++
	}
	label := map[int]string{}
	for _, l := range likelihoods {
		label[l.Level] = l.Label
	}
	var b strings.Builder
	w, h := left+5*cell+10, top+5*cell+50
	fmt.Fprintf(&b, `<svg class="heatmap" role="img" aria-labelledby="heatmap-title" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="heatmap-title">Risks by likelihood and impact: %d risks</title>`, len(risks))
	for l := 5; l >= 1; l-- {
		y := top + (5-l)*cell
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12">%d %s</text>`, left-6, y+cell/2+4, l, html.EscapeString(label[l]))
		for i := 1; i <= 5; i++ {
			x := left + (i-1)*cell
			score := l * i
			band := BandOf(bands, score)
			n := counts[[2]int{l, i}]
			fmt.Fprintf(&b, `<g role="listitem" aria-label="likelihood %d, impact %d, score %d (%s): %d risks">`, l, i, score, html.EscapeString(band.Name), n)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="%s" stroke="#fff"/>`, x, y, cell, cell,
				html.EscapeString(band.Colour), map[bool]string{true: "1", false: "0.35"}[n > 0])
			if n > 0 {
				fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="18" font-weight="bold" fill="#fff" class="count">%d</text>`, x+cell/2, y+cell/2+6, n)
			}
			b.WriteString(`</g>`)
		}
	}
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">%d</text>`, left+(i-1)*cell+cell/2, top+5*cell+16, i)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">Impact</text>`, left+5*cell/2, top+5*cell+36)
	b.WriteString(`</svg>`)
	return b.String()
}
