package views

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

var nzd = money.Of("nzd")

// wellFormed parses the SVG as XML: escaping mistakes show up here.
func wellFormed(t *testing.T, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
}

var rectWidth = regexp.MustCompile(`<rect x="\d+" y="\d+" width="([0-9.]+)" height="(\d+)" rx="2" fill="([^"]+)"/>`)

func TestBarChartProportionalAndLabelled(t *testing.T) {
	c := BarChart{Title: "Bid totals", Desc: "Each bid's total.", Currency: nzd, Bars: []Bar{
		{Label: "Spark <Electrical> & Co", Value: 100_000_00},
		{Label: "Bob's Builders", Value: 50_000_00, Highlight: true},
		{Label: "Cara Ltd", Value: 75_000_00},
	}}
	svg := c.SVG()
	wellFormed(t, svg)
	for _, want := range []string{`role="img"`, `aria-label="Bid totals"`, `<title>Bid totals</title>`, `<desc>Each bid&#39;s total.</desc>`,
		"Spark &lt;Electrical&gt; &amp; Co", "NZ$100,000.00", "NZ$50,000.00 · lowest", "NZ$75,000.00", "(lowest)"} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q", want)
		}
	}
	m := rectWidth.FindAllStringSubmatch(svg, -1)
	if len(m) != 3 {
		t.Fatalf("%d bars: %s", len(m), svg)
	}
	w := make([]float64, 3)
	for i, s := range m {
		w[i], _ = strconv.ParseFloat(s[1], 64)
	}
	// Widths in the values' proportions (to the pixel's tenth).
	if d := w[1]*2 - w[0]; d > 0.2 || d < -0.2 {
		t.Errorf("50k bar %v is not half the 100k bar %v", w[1], w[0])
	}
	if d := w[2]*4 - w[0]*3; d > 0.4 || d < -0.4 {
		t.Errorf("75k bar %v is not ¾ of the 100k bar %v", w[2], w[0])
	}
	if w[0] > plotWidth {
		t.Errorf("longest bar %v overflows the plot %d", w[0], plotWidth)
	}
	// The highlighted bar alone has the highlight colour.
	if m[1][3] != chartHighlight || m[0][3] == chartHighlight || m[2][3] == chartHighlight {
		t.Errorf("fills %s %s %s", m[0][3], m[1][3], m[2][3])
	}
	// The scale is in money: from $0 to at least the largest value.
	if !strings.Contains(svg, ">NZ$0<") || !strings.Contains(svg, ">NZ$100k<") {
		t.Errorf("scale labels missing: %s", svg)
	}
}

func TestBarChartEmptyAndZero(t *testing.T) {
	svg := BarChart{Title: "Bid totals", Currency: nzd}.SVG()
	wellFormed(t, svg)
	if !strings.Contains(svg, `aria-label="Bid totals"`) || !strings.Contains(svg, "No amounts to chart yet.") || strings.Contains(svg, "<rect") {
		t.Errorf("empty chart: %s", svg)
	}
	// All zero: bars of no width, no division by zero.
	svg = BarChart{Title: "T", Currency: nzd, Bars: []Bar{{Label: "A", Value: 0}}}.SVG()
	wellFormed(t, svg)
	if m := rectWidth.FindStringSubmatch(svg); m == nil || m[1] != "0.0" {
		t.Errorf("zero bar: %s", svg)
	}
}

func TestGroupedChart(t *testing.T) {
	c := GroupedChart{Title: "Totals per section", Currency: nzd,
		Groups: []string{"A Preliminaries", "B Substructure"},
		Series: []Series{{Name: "Spark", Values: []int64{10_000_00, 40_000_00}}, {Name: "Bob", Values: []int64{20_000_00}}}}
	svg := c.SVG()
	wellFormed(t, svg)
	for _, want := range []string{`aria-label="Totals per section"`, "A Preliminaries", "B Substructure", ">Spark<", ">Bob<",
		"Spark — B Substructure: NZ$40,000.00", "Bob — B Substructure: NZ$0.00", "Bob — A Preliminaries: NZ$20,000.00"} {
		if !strings.Contains(svg, want) {
			t.Errorf("missing %q", want)
		}
	}
	bars := regexp.MustCompile(`<rect x="\d+" y="\d+" width="([0-9.]+)" height="\d+" rx="1" fill="([^"]+)"/>`).FindAllStringSubmatch(svg, -1)
	if len(bars) != 4 {
		t.Fatalf("%d bars", len(bars))
	}
	// Group A: Spark, Bob; group B: Spark, Bob. Colours by series; widths proportional.
	if bars[0][2] != bars[2][2] || bars[1][2] != bars[3][2] || bars[0][2] == bars[1][2] {
		t.Errorf("series colours %v", bars)
	}
	a, _ := strconv.ParseFloat(bars[0][1], 64)
	b, _ := strconv.ParseFloat(bars[2][1], 64)
	if d := a*4 - b; d > 0.4 || d < -0.4 {
		t.Errorf("10k %v is not ¼ of 40k %v", a, b)
	}
	for _, empty := range []GroupedChart{{Title: "T"}, {Title: "T", Groups: []string{"A"}}, {Title: "T", Series: []Series{{Name: "x"}}}} {
		svg := empty.SVG()
		wellFormed(t, svg)
		if !strings.Contains(svg, "No amounts to chart yet.") {
			t.Errorf("empty grouped chart: %s", svg)
		}
	}
}

func TestNiceScaleAndCompactMoney(t *testing.T) {
	for _, c := range []struct{ max, top, step int64 }{
		{100_000_00, 100_000_00, 50_000_00},
		{123_456_78, 150_000_00, 50_000_00},
		{1, 1_00, 1_00},
		{0, 1_00, 1_00},
		{9_99, 10_00, 5_00},
	} {
		s := niceScale(c.max, nzd)
		if s.top != c.top || s.step != c.step {
			t.Errorf("niceScale(%d) = %+v, want top %d step %d", c.max, s, c.top, c.step)
		}
		if s.top/s.step > 6 {
			t.Errorf("niceScale(%d): %d steps", c.max, s.top/s.step)
		}
	}
	for v, want := range map[int64]string{0: "NZ$0", 250_000_00: "NZ$250k", 1_250_000_00: "NZ$1.25M", 3_000_000_000_00: "NZ$3B", 999_00: "NZ$999", 1_500_00: "NZ$1.5k"} {
		if got := CompactMoney(v, nzd); got != want {
			t.Errorf("CompactMoney(%d) = %q, want %q", v, got, want)
		}
	}
	if got := CompactMoney(5_000_000, money.Of("jpy")); got != "¥5M" {
		t.Errorf("yen: %q", got)
	}
}

// Many bidders make thin bars: no value label squeezed beside them (each bar's <title>
// has it); many sections are cut to the largest, in the copy's order.
func TestGroupedChartManySeriesAndSections(t *testing.T) {
	c := GroupedChart{Title: "T", Currency: nzd, Groups: []string{"A"}}
	for i := range 12 {
		c.Series = append(c.Series, Series{Name: "Bidder " + strconv.Itoa(i), Values: []int64{int64(i+1) * 100_00}})
	}
	svg := c.SVG()
	wellFormed(t, svg)
	if strings.Contains(svg, `font-size="11" fill="#334155">NZ$100.00<`) || !strings.Contains(svg, "<title>Bidder 0 — A: NZ$100.00</title>") {
		t.Errorf("thin bars labelled, or titles missing")
	}

	v := LevelingView{Data: store.LevelingData{Currency: nzd}}
	lb := tender.LevelBid{Totals: soq.Totals{Sections: map[string]int64{}}}
	for i := range 10 {
		code := string(rune('A' + i))
		v.Data.Sections = append(v.Data.Sections, store.TenderSection{Code: code, Title: "S"})
		lb.Totals.Sections[code] = int64(100 - i*10) // A largest … J smallest
	}
	lb.Totals.Sections["C"] = 1 // C small: left out with I and J
	v.Level.Bids = []tender.LevelBid{lb}
	var got []string
	for _, s := range v.chartedSections() {
		got = append(got, s.Key)
	}
	if strings.Join(got, "") != "ABDEFGHI" {
		t.Errorf("charted %v", got)
	}
	if v.sectionsChartNote() != "The 8 largest of 10 sections; the grid's subtotals have them all." {
		t.Errorf("note %q", v.sectionsChartNote())
	}
}
