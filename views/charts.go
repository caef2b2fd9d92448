package views

import (
	"context"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/14build/14build/money"
)

// Charts are server-rendered SVG: no script, readable without one, printable. Each is an
// image with a name (role="img", aria-label, <title>) and a description (<desc>); every
// number it shows is also written as text (value labels, and a <title> per bar for the
// pointer), so colour is never the only carrier. Geometry is in pixels (floats are fine
// there); amounts stay int64 minor units and are written through package money.

// Bar is one bar of a BarChart: a label, an amount in minor units, and whether it is the
// one to pick out (the lowest bid): a distinct colour, bold, and "lowest" in words.
type Bar struct {
	Label     string
	Value     int64
	Highlight bool
}

// BarChart is a horizontal bar chart of amounts, one row per bar, in the order given.
type BarChart struct {
	Title    string // the chart's name (aria-label and <title>)
	Desc     string // what it shows, in a sentence (<desc>)
	Bars     []Bar
	Currency money.Currency
}

// Series is one bidder (say) across the groups of a GroupedChart: Values[g] is its amount
// in group g.
type Series struct {
	Name   string
	Values []int64
}

// GroupedChart is horizontal bars grouped by row (a section), one bar per series (a
// bidder) in each, coloured by series and named in a legend.
type GroupedChart struct {
	Title    string
	Desc     string
	Groups   []string
	Series   []Series
	Currency money.Currency
}

// Chart colours. Bars and swatches need 3:1 against the white page (WCAG 1.4.11), text
// 4.5:1: every colour here is a Tailwind 600/700 shade that passes both.
const (
	chartText      = "#334155" // slate-700
	chartMuted     = "#475569" // slate-600
	chartGrid      = "#e2e8f0" // slate-200, decoration only
	chartBar       = "#64748b" // slate-500: 4.8:1
	chartHighlight = "#047857" // emerald-700: 5.5:1
)

// seriesColours cycle when there are more series than colours; the legend, the bar
// order and each bar's <title> still tell them apart.
var seriesColours = []string{
	"#1d4ed8", // blue-700
	"#c2410c", // orange-700
	"#047857", // emerald-700
	"#7e22ce", // purple-700
	"#be123c", // rose-700
	"#0e7490", // cyan-700
	"#a16207", // yellow-700
	"#475569", // slate-600
}

// SeriesColour is the colour of series i, for a legend drawn outside the chart.
func SeriesColour(i int) string { return seriesColours[i%len(seriesColours)] }

// Layout, in the viewBox's pixels.
const (
	chartWidth  = 560 // about the width of half a desktop page, where the charts sit, so text stays near its size
	labelWidth  = 150 // the row labels' column
	valueWidth  = 150 // room right of the longest bar for its value
	plotLeft    = labelWidth + 10
	plotWidth   = chartWidth - plotLeft - valueWidth
	axisHeight  = 28
	maxLabelLen = 21 // characters of a row label before it is cut (the full one is in <title>)
)

// Chart is an SVG string (from BarChart.SVG or GroupedChart.SVG) as a component. The
// builders escape every text they write, so the string is safe to write raw.
func Chart(svg string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, svg)
		return err
	})
}

// SVG draws the chart. With no bars it draws a named, empty image saying so.
func (c BarChart) SVG() string {
	if len(c.Bars) == 0 {
		return emptyChart(c.Title, "No amounts to chart yet.")
	}
	const rowH, barH, top = 30, 20, 8
	var maxV int64
	for _, b := range c.Bars {
		maxV = max(maxV, b.Value)
	}
	sc := niceScale(maxV, c.Currency)
	plotH := len(c.Bars) * rowH
	height := top + plotH + axisHeight
	var w strings.Builder
	openSVG(&w, c.Title, c.Desc, height)
	grid(&w, sc, c.Currency, top, plotH)
	for i, b := range c.Bars {
		y := top + i*rowH + (rowH-barH)/2
		fill, weight, label := chartBar, "normal", b.Label
		if b.Highlight {
			fill, weight = chartHighlight, "bold"
		}
		bw := sc.width(b.Value)
		value := money.Format(b.Value, c.Currency)
		name := label + ": " + value
		if b.Highlight {
			name += " (lowest)"
		}
		fmt.Fprintf(&w, `<g><title>%s</title>`, esc(name))
		rowLabel(&w, label, y+barH/2, weight)
		fmt.Fprintf(&w, `<rect x="%d" y="%d" width="%s" height="%d" rx="2" fill="%s"/>`, plotLeft, y, px(bw), barH, fill)
		valueText := value
		if b.Highlight {
			valueText += " · lowest"
		}
		fmt.Fprintf(&w, `<text x="%s" y="%d" dy="0.35em" font-size="12" font-weight="%s" fill="%s">%s</text></g>`,
			px(float64(plotLeft)+bw+6), y+barH/2, weight, chartText, esc(valueText))
	}
	w.WriteString(`</svg>`)
	return w.String()
}

// SVG draws the grouped chart: a legend of the series on top, then per group its label
// and one bar per series. With no groups or no series it draws a named, empty image.
func (c GroupedChart) SVG() string {
	if len(c.Groups) == 0 || len(c.Series) == 0 {
		return emptyChart(c.Title, "No amounts to chart yet.")
	}
	n := len(c.Series)
	barH := 14
	if n > 8 {
		barH = 8 // many bidders: thinner bars keep the chart a sensible height
	}
	const gap, groupPad = 2, 12
	groupH := n*(barH+gap) - gap + groupPad
	var maxV int64
	for _, s := range c.Series {
		for _, v := range s.Values {
			maxV = max(maxV, v)
		}
	}
	sc := niceScale(maxV, c.Currency)

	// The legend flows left to right, wrapping at the chart's width.
	type placed struct{ x, y int }
	legend := make([]placed, n)
	x, y := 0, 0
	for i, s := range c.Series {
		wd := 16 + 7*len([]rune(clip(s.Name, maxLabelLen))) + 18
		if x > 0 && x+wd > chartWidth {
			x, y = 0, y+20
		}
		legend[i] = placed{x, y}
		x += wd
	}
	top := y + 20 + 10
	plotH := len(c.Groups) * groupH
	height := top + plotH + axisHeight

	var w strings.Builder
	openSVG(&w, c.Title, c.Desc, height)
	w.WriteString(`<g aria-hidden="true">`) // the legend repeats what each bar's <title> says
	for i, s := range c.Series {
		fmt.Fprintf(&w, `<rect x="%d" y="%d" width="12" height="12" rx="2" fill="%s"/>`, legend[i].x, legend[i].y+2, SeriesColour(i))
		fmt.Fprintf(&w, `<text x="%d" y="%d" dy="0.35em" font-size="12" fill="%s">%s</text>`, legend[i].x+16, legend[i].y+8, chartText, esc(clip(s.Name, maxLabelLen)))
	}
	w.WriteString(`</g>`)
	grid(&w, sc, c.Currency, top, plotH)
	for g, name := range c.Groups {
		gy := top + g*groupH + groupPad/2
		rowLabel(&w, name, gy+(groupH-groupPad)/2, "bold")
		for i, s := range c.Series {
			var v int64
			if g < len(s.Values) {
				v = s.Values[g]
			}
			by := gy + i*(barH+gap)
			bw := sc.width(v)
			value := money.Format(v, c.Currency)
			fmt.Fprintf(&w, `<g><title>%s — %s: %s</title>`, esc(s.Name), esc(name), esc(value))
			fmt.Fprintf(&w, `<rect x="%d" y="%d" width="%s" height="%d" rx="1" fill="%s"/>`, plotLeft, by, px(bw), barH, SeriesColour(i))
			if barH >= 12 { // thinner bars have no room for a readable label: the <title> has it
				fmt.Fprintf(&w, `<text x="%s" y="%d" dy="0.35em" font-size="11" fill="%s">%s</text>`,
					px(float64(plotLeft)+bw+4), by+barH/2, chartText, esc(value))
			}
			w.WriteString(`</g>`)
		}
	}
	w.WriteString(`</svg>`)
	return w.String()
}

func openSVG(w *strings.Builder, title, desc string, height int) {
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" style="max-width:%dpx" role="img" aria-label="%s" class="chart" font-family="ui-sans-serif, system-ui, sans-serif">`,
		chartWidth, height, chartWidth*5/4, esc(title))
	fmt.Fprintf(w, `<title>%s</title>`, esc(title))
	if desc != "" {
		fmt.Fprintf(w, `<desc>%s</desc>`, esc(desc))
	}
}

func emptyChart(title, msg string) string {
	var w strings.Builder
	openSVG(&w, title, msg, 48)
	fmt.Fprintf(&w, `<text x="%d" y="24" dy="0.35em" text-anchor="middle" font-size="13" fill="%s">%s</text></svg>`, chartWidth/2, chartMuted, esc(msg))
	return w.String()
}

// rowLabel writes a row's label right-aligned in the label column, cut to fit.
func rowLabel(w *strings.Builder, label string, y int, weight string) {
	fmt.Fprintf(w, `<text x="%d" y="%d" dy="0.35em" text-anchor="end" font-size="12" font-weight="%s" fill="%s">%s</text>`,
		labelWidth, y, weight, chartText, esc(clip(label, maxLabelLen)))
}

// grid writes the vertical grid lines and the money scale under the plot.
func grid(w *strings.Builder, sc scale, c money.Currency, top, plotH int) {
	w.WriteString(`<g aria-hidden="true">`)
	for v := int64(0); v <= sc.top; v += sc.step {
		x := float64(plotLeft) + sc.width(v)
		fmt.Fprintf(w, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="%s"/>`, px(x), top, px(x), top+plotH, chartGrid)
		fmt.Fprintf(w, `<text x="%s" y="%d" text-anchor="middle" font-size="11" fill="%s">%s</text>`, px(x), top+plotH+16, chartMuted, esc(CompactMoney(v, c)))
	}
	w.WriteString(`</g>`)
}

// scale maps amounts (minor units) onto the plot's width: 0 at its left, top at its right,
// with a grid line every step.
type scale struct{ top, step int64 }

func (s scale) width(v int64) float64 {
	if v <= 0 || s.top <= 0 {
		return 0
	}
	return float64(plotWidth) * float64(v) / float64(s.top)
}

// niceScale picks a step of 1, 2 or 5 × a power of ten, at least one major unit, giving
// at most about five grid lines, and the first multiple of it at or above maxV.
func niceScale(maxV int64, c money.Currency) scale {
	unit := int64(1)
	for range c.Exponent {
		unit *= 10
	}
	if maxV <= 0 {
		return scale{top: unit, step: unit}
	}
	raw := (maxV + 3) / 4 // about four steps
	step := unit
	for mag := unit; ; mag *= 10 {
		found := false
		for _, m := range []int64{1, 2, 5} {
			if m*mag >= raw {
				step, found = m*mag, true
				break
			}
		}
		if found || mag > money.MaxMinor/10 {
			break
		}
	}
	top := (maxV + step - 1) / step * step
	return scale{top: top, step: step}
}

// CompactMoney writes an amount short for a scale or a tight cell: whole major units,
// thousands as k, millions as M, thousands of millions as B ("$250k", "$1.25M").
func CompactMoney(minor int64, c money.Currency) string {
	unit := int64(1)
	for range c.Exponent {
		unit *= 10
	}
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	major := minor / unit
	for _, s := range []struct {
		n      int64
		suffix string
	}{{1_000_000_000, "B"}, {1_000_000, "M"}, {1_000, "k"}} {
		if major >= s.n {
			whole, frac := major/s.n, major%s.n*100/s.n
			t := strconv.FormatInt(whole, 10)
			if frac > 0 {
				t += "." + strings.TrimRight(fmt.Sprintf("%02d", frac), "0")
			}
			return sign + c.Symbol + t + s.suffix
		}
	}
	return sign + c.Symbol + strconv.FormatInt(major, 10)
}

// clip cuts s to n characters, ending in "…" when it was longer.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func esc(s string) string { return html.EscapeString(s) }

func px(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
