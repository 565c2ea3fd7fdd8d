package web

import (
	"fmt"
	"html/template"
	"strings"
)

// chart is a stacked bar chart of topics per month by outcome, drawn as SVG
// on the server: no script, and it prints.
type chart struct {
	SVG    template.HTML
	Legend []legend
}

type legend struct{ Name, Colour string }

var outcomeColours = map[string]string{"通过": "#2e7d32", "未通过": "#c62828", "到会人数不足": "#ef6c00", "不予受理": "#6d4c41", "进行中": "#90a4ae"}

// drawChart draws st.Months; every text in it is ours (month labels and
// counts), and still escaped.
func drawChart(st stats) chart {
	var c chart
	for _, o := range st.Outcomes {
		c.Legend = append(c.Legend, legend{o, outcomeColours[o]})
	}
	if len(st.Months) == 0 {
		return c
	}
	const barW, gap, height, top, bottom, left = 36, 14, 180, 16, 28, 30
	most := 1
	for _, m := range st.Months {
		most = max(most, m.Total)
	}
	width := left + len(st.Months)*(barW+gap) + gap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="每月议题数(按结果)" width="%d" height="%d" viewBox="0 0 %d %d" font-size="11">`,
		width, height+top+bottom, width, height+top+bottom)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`, left, top+height, width, top+height)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%d</text>`, left-4, top+8, most)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">0</text>`, left-4, top+height)
	for i, m := range st.Months {
		x := left + gap + i*(barW+gap)
		y := top + height
		for _, o := range st.Outcomes {
			n := m.By[o]
			if n == 0 {
				continue
			}
			h := n * height / most
			y -= h
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s %s：%d</title></rect>`,
				x, y, barW, h, outcomeColours[o], template.HTMLEscapeString(m.Label), o, n)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%d</text>`, x+barW/2, y-3, m.Total)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, x+barW/2, top+height+16, template.HTMLEscapeString(m.Label))
	}
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String()) // built above from numbers and escaped labels only
	return c
}
