package risk

import (
	"fmt"
	"html"
	"strings"
)

// HeatMap draws the risks as a 5×5 SVG grid (HeatMapCells).
func HeatMap(risks []Risk, bands []Band, likelihoods []Likelihood) string {
	counts := map[[2]int]int{}
	for _, r := range risks {
		counts[[2]int{r.Likelihood, r.Impact}]++
	}
	var cells []Cell
	for k, n := range counts {
		cells = append(cells, Cell{Likelihood: k[0], Impact: k[1], Risks: n})
	}
	return HeatMapCells(cells, bands, likelihoods)
}

// HeatMapCells draws the register as a 5×5 SVG grid, likelihood up the side
// and impact along the bottom, each cell coloured by its score's band and
// labelled with how many risks sit in it.
//
// The SVG is one image (role="img"): its title gives the total and its
// description reads every cell that holds risks, so a screen reader hears
// the same counts. The cells carry no roles of their own: a role="img"
// element's children are presentational, and list items without a list
// are what axe-core reports as aria-required-parent.
func HeatMapCells(cells []Cell, bands []Band, likelihoods []Likelihood) string {
	const cell, left, top = 64, 120, 10
	counts := map[[2]int]int{}
	total := 0
	for _, c := range cells {
		counts[[2]int{c.Likelihood, c.Impact}] += c.Risks
		total += c.Risks
	}
	label := map[int]string{}
	for _, l := range likelihoods {
		label[l.Level] = l.Label
	}
	var desc []string
	var b strings.Builder
	w, h := left+5*cell+10, top+5*cell+50
	fmt.Fprintf(&b, `<svg class="heatmap" role="img" aria-labelledby="heatmap-title heatmap-desc" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`, w, h, w, h)
	fmt.Fprintf(&b, `<title id="heatmap-title">Risks by likelihood and impact: %s</title>`, risksCount(total))
	var grid strings.Builder
	for l := 5; l >= 1; l-- {
		y := top + (5-l)*cell
		fmt.Fprintf(&grid, `<text x="%d" y="%d" text-anchor="end" font-size="12">%d %s</text>`, left-6, y+cell/2+4, l, html.EscapeString(label[l]))
		for i := 1; i <= 5; i++ {
			x := left + (i-1)*cell
			score := l * i
			band := BandOf(bands, score)
			n := counts[[2]int{l, i}]
			if n > 0 {
				desc = append(desc, fmt.Sprintf("likelihood %d, impact %d, score %d (%s): %s", l, i, score, band.Name, risksCount(n)))
			}
			fmt.Fprintf(&grid, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" fill-opacity="%s" stroke="#fff"/>`, x, y, cell, cell,
				html.EscapeString(band.Colour), map[bool]string{true: "1", false: "0.35"}[n > 0])
			if n > 0 {
				fmt.Fprintf(&grid, `<text x="%d" y="%d" text-anchor="middle" font-size="18" font-weight="bold" fill="#fff" class="count">%d</text>`, x+cell/2, y+cell/2+6, n)
			}
		}
	}
	if len(desc) == 0 {
		desc = []string{"no risks"}
	}
	fmt.Fprintf(&b, `<desc id="heatmap-desc">%s.</desc>`, html.EscapeString(strings.Join(desc, "; ")))
	b.WriteString(grid.String())
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">%d</text>`, left+(i-1)*cell+cell/2, top+5*cell+16, i)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="12">Impact</text>`, left+5*cell/2, top+5*cell+36)
	b.WriteString(`</svg>`)
	return b.String()
}

func risksCount(n int) string {
	if n == 1 {
		return "1 risk"
	}
	return fmt.Sprintf("%d risks", n)
}
