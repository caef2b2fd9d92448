package pdfdoc

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// Leveling is a closed tender's bids side by side, as the leveling page shows them: the
// figures come computed (tender.Level and the page's per-bid figures), so the sheet, the
// page, the API and the workbook print the same numbers.
type Leveling struct {
	Reference                string // printed on every page
	ProjectName, ProjectCode string
	Title                    string    // the tender's
	ClosedAt                 time.Time // printed in TimeZone
	TimeZone                 string    // IANA
	Currency                 string    // ISO code
	GrossFloorArea           int64     // hundredths of a m²; 0 when the project has no units
	Units                    int
	Bids                     []LevelBid // lowest total first; index b is a bid everywhere below
	Sections                 []LevelSection
}

// LevelBid is one bid's column and its summary figures.
type LevelBid struct {
	Company, Bidder string
	Revision        int
	Status          string // "Awarded", "Unsuccessful", or "" while the tender is not awarded
	Total           int64
	Lowest          bool  // the lowest total (all of them when tied)
	OverLowest      int64 // how much more than the lowest total
	PerArea         int64 // per m² of gross floor area, when HasPerArea
	HasPerArea      bool
	PerUnit         int64 // per unit of the project, when HasPerUnit
	HasPerUnit      bool
	Findings        []LevelFinding // flags on the whole bid (front-loading)
	FlaggedLines    int
}

// LevelFinding is one flag, as people read it.
type LevelFinding struct{ Label, Reason string }

// LevelSection is one section of the tender with each bid's subtotal.
type LevelSection struct {
	Code, Title string
	Totals      []int64 // one per bid
	Lines       []LevelLine
}

// LevelLine is one line across the bids.
type LevelLine struct {
	Reference, Description, Unit string
	Quantity                     soq.Quantity
	Fixed                        bool  // a locked allowance: every bid counts it at Allowance
	Allowance                    int64 // the SOQ's rate of a fixed line
	Cells                        []LevelCell
}

// LevelCell is one bid's rate and amount on a line.
type LevelCell struct {
	Rate     int64
	HasRate  bool // false: the bid did not price the line
	Amount   int64
	Lowest   bool // the lowest rate on the line (all of them when tied)
	Findings []LevelFinding
}

// Landscape geometry (mm, A4).
const (
	lvW, lvH      = 297.0, 210.0
	lvMargin      = 12.0
	lvTop         = 17.0
	lvBottom      = lvH - 15.0
	lvContentW    = lvW - 2*lvMargin
	lvSize        = 7.0 // grid text, pt
	lvLineH       = 3.3
	lvPad         = 0.8
	lvMarkW       = 1.8 // room right of a rate for the flag mark, so figures stay aligned
	lvLowW        = 2.2 // room left of a lowest rate for its mark
	lvMaxBidCols  = 5
	lowestMark    = "◆"
	flagMark      = "!"
	notPricedMark = "—"
)

// The item columns repeated on every grid page: Ref | Description | Unit | Qty.
var lvItemW = [4]float64{15, 58, 11, 17}

func lvItemsW() float64 { return lvItemW[0] + lvItemW[1] + lvItemW[2] + lvItemW[3] }

// lvDoc is the leveling sheet being written.
type lvDoc struct {
	*doc
	lv      *Leveling
	closed  string
	rateW   float64 // a bid's rate column
	amountW float64 // a bid's amount column
	perPage int     // bids side by side on a grid page
	descs   [][]string
	gw      float64 // the width of the grid being written (its bid columns)
	onBreak func()
	// The font last set: fpdf writes a font change into the page each time it is set, and
	// a sheet sets one for each of its 200,000 figures.
	fStyle string
	fSize  float64
}

func (d *lvDoc) font(style string, size float64) {
	if style == d.fStyle && size == d.fSize {
		return
	}
	d.fStyle, d.fSize = style, size
	d.pdf.SetFont("dejavu", style, size)
}

// WriteLeveling writes the leveling sheet as a landscape PDF to w: a summary page (each
// bid's total, rank, difference from the lowest, cost per m² and per unit), the lines with
// the bids as columns (as many as fit, the rest on following pages with the item columns
// repeated), section subtotals and totals, and the flags.
func WriteLeveling(w io.Writer, lv Leveling) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(lvMargin, lvTop, lvMargin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes("dejavu", "", fontRegular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", fontBold)
	pdf.AliasNbPages("{nb}")
	pdf.SetTitle("Bid leveling — "+lv.Title, true)
	pdf.SetSubject("Bid leveling "+lv.Reference, true)
	pdf.SetCreator("14build", true)
	loc, err := time.LoadLocation(lv.TimeZone)
	if err != nil || lv.TimeZone == "" {
		loc = time.UTC
	}
	d := &lvDoc{doc: &doc{pdf: pdf, cur: money.Of(lv.Currency), loc: loc, spaceW: map[float64]float64{}}, lv: &lv}
	d.closed = "—"
	if !lv.ClosedAt.IsZero() {
		d.closed = lv.ClosedAt.In(loc).Format("2 Jan 2006, 15:04") + " (" + loc.String() + ")"
	}
	pdf.SetHeaderFunc(d.header)
	pdf.SetFooterFunc(d.footer)
	d.summary()
	if len(lv.Bids) > 0 {
		d.columns()
		d.grid()
		d.flags()
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("pdfdoc: %w", err)
	}
	return pdf.Output(w)
}

func (d *lvDoc) header() {
	p := d.pdf
	d.font("", 7.5)
	d.grey(90)
	p.SetXY(lvMargin, 8)
	p.CellFormat(lvContentW*0.6, 4, "Bid leveling · "+d.lv.ProjectName+" · "+d.lv.Title, "", 0, "L", false, 0, "")
	p.CellFormat(lvContentW*0.4, 4, d.lv.Reference+" · closed "+d.closed, "", 0, "R", false, 0, "")
	p.SetDrawColor(170, 170, 170)
	p.SetLineWidth(0.2)
	p.Line(lvMargin, 12.5, lvW-lvMargin, 12.5)
	d.grey(0)
	p.SetXY(lvMargin, lvTop)
	d.fSize = 0 // AddPage restores the font it had before the header: set the next one again
}

func (d *lvDoc) footer() {
	p := d.pdf
	p.SetDrawColor(170, 170, 170)
	p.SetLineWidth(0.2)
	p.Line(lvMargin, lvH-12.5, lvW-lvMargin, lvH-12.5)
	d.font("", 7.5)
	d.grey(60)
	p.SetXY(lvMargin, lvH-11.5)
	p.CellFormat(lvContentW/3, 4, d.lv.Reference, "", 0, "L", false, 0, "")
	p.CellFormat(lvContentW/3, 4, "Confidential — bid leveling", "", 0, "C", false, 0, "")
	p.CellFormat(lvContentW/3, 4, fmt.Sprintf("Page %d of {nb}", p.PageNo()), "", 0, "R", false, 0, "")
	d.grey(0)
	d.fSize = 0 // as in header
}

// need starts a new page unless h mm still fit; it reports whether it broke.
func (d *lvDoc) need(h float64) bool {
	if d.pdf.GetY()+h <= lvBottom {
		return false
	}
	d.pdf.AddPage()
	if d.onBreak != nil {
		d.onBreak()
	}
	return true
}

func (d *lvDoc) plain(a int64) string { return money.Plain(a, d.cur) }

// fit writes s right-aligned (or as align says) in a cell of width w, shrinking the font
// when s is wider than the cell (a total of hundreds of millions in a narrow column).
func (d *lvDoc) fit(x, y, w, h float64, s, style string, size float64, align string) {
	p := d.pdf
	d.font(style, size)
	if sw := p.GetStringWidth(s); sw > w {
		d.font(style, max(size*w/sw, 4))
	}
	p.SetXY(x, y)
	p.CellFormat(w, h, s, "", 0, align, false, 0, "")
	d.font(style, size)
}

// rank is each bid's place by total, 1 for the lowest; tied totals share a place.
func (lv *Leveling) rank() []int {
	r := make([]int, len(lv.Bids))
	for i, b := range lv.Bids {
		r[i] = 1
		for _, o := range lv.Bids {
			if o.Total < b.Total {
				r[i]++
			}
		}
	}
	return r
}

// percentOver is how much more than the lowest total, in percent to one decimal.
func percentOver(over, lowest int64) string {
	if over == 0 {
		return "—"
	}
	if lowest <= 0 {
		return "n/a"
	}
	tenths := int64(math.Round(float64(over) * 1000 / float64(lowest)))
	if tenths == 0 {
		return "<0.1%"
	}
	return money.Group(tenths/10) + "." + strconv.FormatInt(tenths%10, 10) + "%"
}

func (lv *Leveling) lowestTotal() int64 {
	var low int64 = -1
	for _, b := range lv.Bids {
		if low < 0 || b.Total < low {
			low = b.Total
		}
	}
	return max(low, 0)
}

// summary is the first page: what was leveled and each bid's figures, lowest first.
func (d *lvDoc) summary() {
	p, lv := d.pdf, d.lv
	p.AddPage()
	d.font("", 10)
	d.grey(90)
	p.CellFormat(lvContentW, 5, "BID LEVELING", "", 1, "L", false, 0, "")
	d.grey(0)
	d.font("B", 17)
	for _, l := range d.wrap(lv.Title, lvContentW) {
		p.CellFormat(lvContentW, 8, l, "", 1, "L", false, 0, "")
	}
	d.font("", 11.5)
	p.CellFormat(lvContentW, 6, strings.TrimSpace(lv.ProjectName+"  "+paren(lv.ProjectCode)), "", 1, "L", false, 0, "")
	p.Ln(3)
	gfa := "none: the project has no units"
	if lv.GrossFloorArea > 0 {
		gfa = money.Plain(lv.GrossFloorArea, money.Currency{Exponent: 2}) + " m²"
	}
	kv := [][2]string{
		{"Tender reference", lv.Reference},
		{"Tender closed", d.closed},
		{"Currency", strings.ToUpper(d.cur.Code) + " — " + firstNonEmpty(d.cur.Name, strings.ToUpper(d.cur.Code)) + ", excluding tax"},
		{"Gross floor area", gfa},
		{"Units", strconv.Itoa(lv.Units)},
		{"Bids leveled", strconv.Itoa(len(lv.Bids))},
	}
	half := lvContentW / 2
	for i, r := range kv {
		x := lvMargin + float64(i%2)*half
		y := p.GetY()
		d.font("", 8.5)
		d.grey(90)
		p.SetXY(x, y)
		p.CellFormat(32, 5, r[0], "", 0, "L", false, 0, "")
		d.grey(0)
		d.font("B", 9)
		p.CellFormat(half-34, 5, r[1], "", 0, "L", false, 0, "")
		if i%2 == 1 || i == len(kv)-1 {
			p.SetXY(lvMargin, y+5.5)
		}
	}
	p.Ln(4)
	if len(lv.Bids) == 0 {
		d.font("", 10)
		p.CellFormat(lvContentW, 6, "No bid was submitted before the tender closed: there is nothing to level.", "", 1, "L", false, 0, "")
		return
	}
	d.font("B", 11)
	p.CellFormat(lvContentW, 6, "Bids, lowest total first", "", 1, "L", false, 0, "")
	p.Ln(1)
	// Rank | Bidder | Total | Over lowest | % | Per m² | Per unit | Flags | bar
	cols := []float64{12, 70, 30, 28, 16, 24, 26, 20, 47}
	titles := []string{"Rank", "Bidder", "Total", "Over lowest", "Over %", "Per m² GFA", "Per unit", "Flags", "Total, against the highest"}
	aligns := []string{"C", "L", "R", "R", "R", "R", "R", "R", "L"}
	head := func() {
		d.font("B", 7.5)
		p.SetFillColor(232, 236, 242)
		p.SetDrawColor(120, 120, 120)
		p.SetLineWidth(0.25)
		x, y := lvMargin, p.GetY()
		for i, w := range cols {
			p.SetXY(x, y)
			p.CellFormat(w, 6, " "+titles[i]+" ", "1", 0, aligns[i], true, 0, "")
			x += w
		}
		p.SetXY(lvMargin, y+6)
	}
	head()
	d.onBreak = head
	defer func() { d.onBreak = nil }()
	ranks, low := lv.rank(), lv.lowestTotal()
	var high int64
	for _, b := range lv.Bids {
		high = max(high, b.Total)
	}
	for i, b := range lv.Bids {
		const h = 9.0
		d.need(h)
		y := p.GetY()
		if b.Lowest {
			p.SetFillColor(209, 250, 229)
			p.Rect(lvMargin, y, lvContentW, h, "F")
		}
		x := lvMargin
		cell := func(k int, s, style string) {
			d.fit(x+lvPad, y+1, cols[k]-2*lvPad, 4, s, style, 8.5, aligns[k])
			x += cols[k]
		}
		cell(0, strconv.Itoa(ranks[i]), "B")
		// The bidder: company in bold, the person and revision beneath.
		name := b.Company
		if b.Lowest {
			name += "  " + lowestMark + " lowest"
		}
		if b.Status != "" {
			name += " · " + b.Status
		}
		d.fit(x+lvPad, y+0.8, cols[1]-2*lvPad, 4, name, "B", 8.5, "L")
		d.grey(90)
		d.fit(x+lvPad, y+4.6, cols[1]-2*lvPad, 3.6, b.Bidder+" · revision "+strconv.Itoa(b.Revision), "", 7, "L")
		d.grey(0)
		x += cols[1]
		cell(2, d.plain(b.Total), "B")
		if b.Lowest {
			cell(3, "—", "")
		} else {
			cell(3, "+"+d.plain(b.OverLowest), "")
		}
		cell(4, percentOver(b.OverLowest, low), "")
		if b.HasPerArea {
			cell(5, d.plain(b.PerArea), "")
		} else {
			cell(5, "n/a", "")
		}
		if b.HasPerUnit {
			cell(6, d.plain(b.PerUnit), "")
		} else {
			cell(6, "n/a", "")
		}
		flags := b.FlaggedLines + len(b.Findings)
		cell(7, strconv.Itoa(flags), "")
		// The totals chart's bar: the total against the highest.
		if high > 0 {
			bw := (cols[8] - 4) * float64(b.Total) / float64(high)
			if b.Lowest {
				p.SetFillColor(5, 150, 105)
			} else {
				p.SetFillColor(100, 116, 139)
			}
			p.Rect(x+2, y+2.5, max(bw, 0.3), 4, "F")
		}
		p.SetDrawColor(205, 205, 205)
		p.SetLineWidth(0.15)
		p.Line(lvMargin, y+h, lvMargin+lvContentW, y+h)
		p.SetXY(lvMargin, y+h)
	}
	d.onBreak = nil
	p.Ln(3)
	d.font("", 7.5)
	d.grey(70)
	d.paragraph("Totals as each bid is computed: rates × quantities, fixed allowances at the SOQ's sums. "+
		"Over % is the difference from the lowest total as a share of it. Cost per m² uses the project's gross floor area; "+
		"per unit, its number of units. Flags counts the lines flagged and the flags on the whole bid; they are listed at the end.", 7.5, 3.6)
	d.grey(0)
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// paragraph writes wrapped text across the landscape content width.
func (d *lvDoc) paragraph(s string, size, lh float64) {
	d.font("", size)
	for _, l := range d.wrap(s, lvContentW) {
		d.need(lh)
		d.pdf.SetX(lvMargin)
		d.pdf.CellFormat(lvContentW, lh, l, "", 1, "L", false, 0, "")
	}
}

// columns sizes the bid columns from the widest figure they print, and so how many bids
// fit side by side (at most lvMaxBidCols). The totals block's figures span a bid's rate
// and amount columns, so they do not count; the lines' amounts and the section subtotals
// (bold) do, the priced rates in bold with the lowest mark, the allowances in regular.
func (d *lvDoc) columns() {
	var rate, allowance, amount, subtotal int64
	neg := ""
	abs := func(v int64) int64 {
		if v < 0 {
			neg = "-"
			return -v
		}
		return v
	}
	for _, s := range d.lv.Sections {
		for _, t := range s.Totals {
			subtotal = max(subtotal, abs(t))
		}
		for _, l := range s.Lines {
			if l.Fixed {
				allowance = max(allowance, abs(l.Allowance))
			}
			for _, c := range l.Cells {
				if !l.Fixed {
					rate = max(rate, abs(c.Rate))
				}
				amount = max(amount, abs(c.Amount))
			}
		}
	}
	w := func(style string, v int64) float64 {
		d.font(style, lvSize)
		return d.pdf.GetStringWidth(neg + d.plain(v))
	}
	needR := max(w("B", rate)+lvLowW, w("", allowance)) + 2*lvPad + lvMarkW
	needA := max(w("", amount), w("B", subtotal)) + 2*lvPad
	d.rateW, d.amountW = max(needR, 15), max(needA, 18)
	avail := lvContentW - lvItemsW()
	n := int(avail / (d.rateW + d.amountW))
	n = min(max(n, 1), lvMaxBidCols, len(d.lv.Bids))
	// Spread what is left over the columns, more to amounts, up to a comfortable width.
	if spare := avail - float64(n)*(d.rateW+d.amountW); spare > 0 {
		per := spare / float64(n)
		d.rateW += min(per*0.4, max(0, 24-d.rateW))
		d.amountW += min(per*0.6, max(0, 34-d.amountW))
	}
	if d.rateW+d.amountW > avail { // one bid wider than the page: shrink it, fit() shrinks the text
		d.rateW, d.amountW = avail*0.42, avail*0.58
	}
	d.perPage = n
}

// grid writes the lines with the bids as columns, perPage bids at a time: each group
// starts a page and repeats the item columns.
func (d *lvDoc) grid() {
	lv := d.lv
	d.font("", lvSize)
	for _, s := range lv.Sections {
		for _, l := range s.Lines {
			d.descs = append(d.descs, d.wrap(l.Description, lvItemW[1]-2*lvPad))
		}
	}
	ranks := lv.rank()
	nb := len(lv.Bids)
	for from := 0; from < nb; from += d.perPage {
		to := min(from+d.perPage, nb)
		d.group(from, to, ranks)
	}
	d.onBreak = nil
}

func (d *lvDoc) bidsNote(from, to int) string {
	nb := len(d.lv.Bids)
	if nb == 1 {
		return "1 bid"
	}
	s := fmt.Sprintf("Bidders %d–%d of %d", from+1, to, nb)
	if to-from == 1 {
		s = fmt.Sprintf("Bidder %d of %d", from+1, nb)
	}
	if to < nb {
		s += " — bidders " + strconv.Itoa(to+1) + " onwards continue on the following pages"
	} else if from > 0 {
		s += " (continued)"
	}
	return s
}

// group writes every line for bids from..to-1.
func (d *lvDoc) group(from, to int, ranks []int) {
	p, lv := d.pdf, d.lv
	var section string // the section under way, for a "(continued)" row after a break
	pageTop := func() {
		d.font("B", 8)
		p.SetXY(lvMargin, lvTop-1)
		p.CellFormat(lvContentW*0.45, 4.5, d.bidsNote(from, to), "", 0, "L", false, 0, "")
		d.font("", 6.8)
		d.grey(70)
		p.CellFormat(lvContentW*0.55, 4.5, lowestMark+" bold on green: the lowest rate on the line   "+flagMark+
			": flagged (see Flags)   "+notPricedMark+": not priced   grey: fixed allowance   amounts in "+strings.ToUpper(d.cur.Code), "", 1, "R", false, 0, "")
		d.grey(0)
		p.SetY(lvTop + 4.5)
		d.gridHeader(from, to, ranks)
		if section != "" {
			d.sectionRow(section + " (continued)")
		}
	}
	d.gw = d.gridW(from, to)
	p.AddPage()
	d.onBreak = pageTop
	pageTop()
	li := 0
	for _, s := range lv.Sections {
		name := sectionTitle(Section{Code: s.Code, Title: s.Title})
		section = ""
		d.need(5 + lvLineH + 2*lvPad) // the heading with a first line
		d.sectionRow(name)
		section = name
		for _, l := range s.Lines {
			d.line(l, d.descs[li], from, to)
			li++
		}
		d.subtotal(s, from, to)
		section = ""
	}
	d.totals(from, to, ranks)
}

func (d *lvDoc) bidX(k int) float64 {
	return lvMargin + lvItemsW() + float64(k)*(d.rateW+d.amountW)
}

func (d *lvDoc) gridW(from, to int) float64 {
	return lvItemsW() + float64(to-from)*(d.rateW+d.amountW)
}

// gridHeader draws the column titles: the item columns, each bid's company over its rate
// and amount.
func (d *lvDoc) gridHeader(from, to int, ranks []int) {
	p, lv := d.pdf, d.lv
	d.font("B", lvSize)
	bw := d.rateW + d.amountW
	names := make([][]string, to-from)
	lines := 1
	for b := from; b < to; b++ {
		ns := d.wrap(lv.Bids[b].Company, bw-2*lvPad)
		if len(ns) > 2 {
			ns = ns[:2]
			ns[1] = strings.TrimRight(ns[1], " ") + "…"
		}
		names[b-from] = ns
		lines = max(lines, len(ns))
	}
	top := float64(lines)*lvLineH + 3.6 + 2*lvPad // the names and the rank line
	sub := 4.5
	y := p.GetY()
	p.SetFillColor(232, 236, 242)
	p.SetDrawColor(120, 120, 120)
	p.SetLineWidth(0.25)
	x := lvMargin
	titles := [4]string{"Ref", "Description", "Unit", "Qty"}
	for i, w := range lvItemW {
		p.Rect(x, y, w, top+sub, "FD")
		align := "L"
		if i == 3 {
			align = "R"
		} else if i == 2 {
			align = "C"
		}
		p.SetXY(x+lvPad, y+top+sub-lvLineH-lvPad)
		p.CellFormat(w-2*lvPad, lvLineH, titles[i], "", 0, align, false, 0, "")
		x += w
	}
	for b := from; b < to; b++ {
		bx := d.bidX(b - from)
		p.Rect(bx, y, bw, top, "FD")
		d.font("B", lvSize)
		for i, n := range names[b-from] {
			p.SetXY(bx+lvPad, y+lvPad+float64(i)*lvLineH)
			p.CellFormat(bw-2*lvPad, lvLineH, n, "", 0, "C", false, 0, "")
		}
		d.font("", 6.3)
		d.grey(60)
		r := "Rank " + strconv.Itoa(ranks[b]) + " of " + strconv.Itoa(len(lv.Bids))
		if lv.Bids[b].Lowest {
			r += " · lowest total"
		}
		p.SetXY(bx+lvPad, y+lvPad+float64(lines)*lvLineH+0.2)
		p.CellFormat(bw-2*lvPad, 3.4, r, "", 0, "C", false, 0, "")
		d.grey(0)
		d.font("B", lvSize)
		p.Rect(bx, y+top, d.rateW, sub, "FD")
		p.Rect(bx+d.rateW, y+top, d.amountW, sub, "FD")
		p.SetXY(bx, y+top)
		p.CellFormat(d.rateW-lvPad-lvMarkW, sub, "Rate", "", 0, "R", false, 0, "")
		p.SetXY(bx+d.rateW, y+top)
		p.CellFormat(d.amountW-lvPad, sub, "Amount", "", 0, "R", false, 0, "")
	}
	p.SetXY(lvMargin, y+top+sub)
	d.font("", lvSize)
}

func (d *lvDoc) sectionRow(name string) {
	p := d.pdf
	const h = 5.0
	y := p.GetY()
	p.SetFillColor(241, 245, 249)
	p.Rect(lvMargin, y, d.gw, h, "F")
	d.font("B", 7.5)
	p.SetXY(lvMargin+lvPad, y)
	p.CellFormat(d.gw-2*lvPad, h, name, "", 0, "L", false, 0, "")
	p.SetDrawColor(190, 190, 190)
	p.SetLineWidth(0.15)
	p.Line(lvMargin, y+h, lvMargin+d.gw, y+h)
	p.SetXY(lvMargin, y+h)
	d.font("", lvSize)
}

// line draws one line whole on one page; only a description longer than a page is split.
func (d *lvDoc) line(l LevelLine, desc []string, from, to int) {
	d.font("", lvSize)
	ref := d.wrap(l.Reference, lvItemW[0]-2*lvPad)
	maxLines := int(math.Floor((lvBottom-lvTop-4.5-20-5-2*lvPad)/lvLineH)) - 1
	for len(desc) > maxLines {
		d.drawLine(l, ref, desc[:maxLines], from, to, false)
		desc = desc[maxLines:]
		d.font("", lvSize)
		ref = d.wrap(l.Reference+" (cont.)", lvItemW[0]-2*lvPad)
	}
	d.drawLine(l, ref, desc, from, to, true)
}

func (d *lvDoc) drawLine(l LevelLine, ref, desc []string, from, to int, last bool) {
	p := d.pdf
	n := max(len(desc), len(ref), 1)
	h := float64(n)*lvLineH + 2*lvPad
	d.need(h)
	d.font("", lvSize)
	y := p.GetY()
	x := lvMargin
	for i, r := range ref {
		p.SetXY(x+lvPad, y+lvPad+float64(i)*lvLineH)
		p.CellFormat(lvItemW[0]-2*lvPad, lvLineH, r, "", 0, "L", false, 0, "")
	}
	x += lvItemW[0]
	for i, s := range desc {
		p.SetXY(x+lvPad, y+lvPad+float64(i)*lvLineH)
		p.CellFormat(lvItemW[1]-2*lvPad, lvLineH, s, "", 0, "L", false, 0, "")
	}
	x += lvItemW[1]
	if last {
		by := y + lvPad + float64(n-1)*lvLineH // figures sit on the line's last text line
		p.SetXY(x, by)
		p.CellFormat(lvItemW[2], lvLineH, unitText(l.Unit), "", 0, "C", false, 0, "")
		x += lvItemW[2]
		d.fit(x+lvPad, by, lvItemW[3]-2*lvPad, lvLineH, quantityText(l.Quantity), "", lvSize, "R")
		for b := from; b < to; b++ {
			d.cell(l, l.Cells[b], d.bidX(b-from), y, h, by)
		}
	}
	d.gridRules(from, to, y, h, false, false)
	p.SetXY(lvMargin, y+h)
}

// cell draws one bid's rate and amount on a line: the lowest rate bold on green with a
// mark, a flagged rate with a raised "!", a fixed allowance in grey, an unpriced line "—".
func (d *lvDoc) cell(l LevelLine, c LevelCell, bx, y, h, by float64) {
	p := d.pdf
	flagged := len(c.Findings) > 0
	if c.Lowest || flagged {
		if c.Lowest {
			p.SetFillColor(209, 250, 229)
		} else {
			p.SetFillColor(254, 243, 199)
		}
		p.Rect(bx, y, d.rateW, h, "F")
	}
	rw := d.rateW - 2*lvPad - lvMarkW
	switch {
	case l.Fixed:
		d.grey(110)
		d.fit(bx+lvPad, by, rw, lvLineH, d.plain(l.Allowance), "", lvSize, "R")
		d.grey(0)
	case !c.HasRate:
		d.grey(110)
		d.fit(bx+lvPad, by, rw, lvLineH, notPricedMark, "", lvSize, "R")
		d.grey(0)
	case c.Lowest:
		d.font("B", 5.5)
		p.SetTextColor(6, 95, 70)
		p.SetXY(bx+0.6, by)
		p.CellFormat(lvLowW, lvLineH, lowestMark, "", 0, "L", false, 0, "")
		d.fit(bx+lvPad+lvLowW, by, rw-lvLowW, lvLineH, d.plain(c.Rate), "B", lvSize, "R")
		d.grey(0)
	default:
		d.fit(bx+lvPad, by, rw, lvLineH, d.plain(c.Rate), "", lvSize, "R")
	}
	if flagged {
		d.font("B", 6)
		p.SetTextColor(180, 83, 9)
		p.SetXY(bx+d.rateW-lvPad-lvMarkW+0.3, by-0.9)
		p.CellFormat(lvMarkW, lvLineH, flagMark, "", 0, "L", false, 0, "")
		d.grey(0)
	}
	d.fit(bx+d.rateW+lvPad, by, d.amountW-2*lvPad, lvLineH, d.plain(c.Amount), "", lvSize, "R")
	d.font("", lvSize)
}

// gridRules draws a row's column rules and the line under it. A line row has every
// column's; a subtotal or total row's label spans the item columns (itemSpan), a total's
// figures each bid's rate and amount (bidSpan).
func (d *lvDoc) gridRules(from, to int, y, h float64, itemSpan, bidSpan bool) {
	p := d.pdf
	p.SetDrawColor(150, 150, 150)
	p.SetLineWidth(0.2)
	p.Line(lvMargin, y, lvMargin, y+h)
	p.Line(lvMargin+lvItemsW(), y, lvMargin+lvItemsW(), y+h)
	if !itemSpan {
		x := lvMargin
		for _, w := range lvItemW[:3] {
			x += w
			p.Line(x, y, x, y+h)
		}
	}
	p.SetDrawColor(200, 200, 200)
	p.SetLineWidth(0.12)
	for b := from; b < to && !bidSpan; b++ {
		bx := d.bidX(b - from)
		p.Line(bx+d.rateW, y, bx+d.rateW, y+h)
	}
	p.SetDrawColor(150, 150, 150)
	p.SetLineWidth(0.2)
	for b := from + 1; b <= to; b++ {
		bx := d.bidX(b - from)
		p.Line(bx, y, bx, y+h)
	}
	p.SetDrawColor(215, 215, 215)
	p.SetLineWidth(0.12)
	p.Line(lvMargin, y+h, lvMargin+d.gridW(from, to), y+h)
}

// subtotal is a section's total per bid, the lowest marked.
func (d *lvDoc) subtotal(s LevelSection, from, to int) {
	p := d.pdf
	const h = 5.5
	d.need(h)
	y := p.GetY()
	low := int64(-1)
	for _, t := range s.Totals {
		if low < 0 || t < low {
			low = t
		}
	}
	p.SetFillColor(248, 250, 252)
	p.Rect(lvMargin, y, d.gridW(from, to), h, "F")
	p.SetDrawColor(90, 90, 90)
	p.SetLineWidth(0.3)
	p.Line(lvMargin, y, lvMargin+d.gridW(from, to), y)
	d.font("B", lvSize)
	p.SetXY(lvMargin+lvPad, y)
	label := "Subtotal"
	if s.Code != "" {
		label += " " + s.Code
	}
	p.CellFormat(lvItemsW()-2*lvPad, h, label+" — "+firstNonEmpty(s.Title, s.Code), "", 0, "L", false, 0, "")
	for b := from; b < to; b++ {
		bx := d.bidX(b - from)
		t := s.Totals[b]
		if t == low && len(s.Totals) > 1 {
			p.SetFillColor(209, 250, 229)
			p.Rect(bx+d.rateW, y, d.amountW, h, "F")
		}
		d.fit(bx+d.rateW+lvPad, y+(h-lvLineH)/2, d.amountW-2*lvPad, lvLineH, d.plain(t), "B", lvSize, "R")
	}
	d.gridRules(from, to, y, h, true, false)
	p.SetXY(lvMargin, y+h+1.5)
}

// totals closes a group: each bid's total, its rank, the difference from the lowest and
// the costs per m² and per unit, kept together on one page.
func (d *lvDoc) totals(from, to int, ranks []int) {
	p, lv := d.pdf, d.lv
	const h = 5.5
	low := lv.lowestTotal()
	rows := []struct {
		label string
		val   func(b LevelBid, i int) string
		bold  bool
	}{
		{"Total (" + strings.ToUpper(d.cur.Code) + ", excluding tax)", func(b LevelBid, _ int) string { return d.plain(b.Total) }, true},
		{"Rank (1 = lowest total)", func(_ LevelBid, i int) string { return strconv.Itoa(ranks[i]) + " of " + strconv.Itoa(len(lv.Bids)) }, true},
		{"Over the lowest total", func(b LevelBid, _ int) string {
			if b.OverLowest == 0 {
				return "—"
			}
			return "+" + d.plain(b.OverLowest)
		}, false},
		{"Over the lowest, %", func(b LevelBid, _ int) string { return percentOver(b.OverLowest, low) }, false},
		{"Per m² of gross floor area", func(b LevelBid, _ int) string {
			if !b.HasPerArea {
				return "n/a"
			}
			return d.plain(b.PerArea)
		}, false},
		{"Per unit", func(b LevelBid, _ int) string {
			if !b.HasPerUnit {
				return "n/a"
			}
			return d.plain(b.PerUnit)
		}, false},
	}
	p.Ln(1)
	d.need(float64(len(rows))*h + 2)
	y0 := p.GetY()
	p.SetDrawColor(40, 40, 40)
	p.SetLineWidth(0.5)
	p.Line(lvMargin, y0, lvMargin+d.gridW(from, to), y0)
	for ri, r := range rows {
		y := p.GetY()
		if ri == 0 {
			p.SetFillColor(241, 245, 249)
			p.Rect(lvMargin, y, d.gridW(from, to), h, "F")
		}
		style := ""
		if r.bold {
			style = "B"
		}
		d.font(style, 7.5)
		p.SetXY(lvMargin+lvPad, y)
		p.CellFormat(lvItemsW()-2*lvPad, h, r.label, "", 0, "R", false, 0, "")
		for b := from; b < to; b++ {
			bx := d.bidX(b - from)
			if ri <= 1 && lv.Bids[b].Lowest {
				p.SetFillColor(209, 250, 229)
				p.Rect(bx, y, d.rateW+d.amountW, h, "F")
			}
			d.fit(bx+lvPad, y+(h-lvLineH)/2, d.rateW+d.amountW-2*lvPad, lvLineH, r.val(lv.Bids[b], b), style, 7.5, "R")
		}
		d.gridRules(from, to, y, h, true, true)
		p.SetXY(lvMargin, y+h)
	}
}

// flags lists every flag: per bidder, those on the whole bid first, then line by line.
func (d *lvDoc) flags() {
	p, lv := d.pdf, d.lv
	d.onBreak = nil
	p.AddPage()
	d.font("B", 13)
	p.CellFormat(lvContentW, 7, "Flags", "", 1, "L", false, 0, "")
	d.grey(70)
	d.paragraph("What a bidder probably did not mean: a rate of 0 on a priced line, a rate at least 3× or at most ⅓ of "+
		"the median of the other bids' rates, a changed allowance, preliminaries above 15% of the total. "+
		"Marked "+flagMark+" beside the rate in the sheet.", 8, 4)
	d.grey(0)
	p.Ln(2)
	any := false
	for _, b := range lv.Bids {
		if len(b.Findings) > 0 {
			any = true
		}
	}
	for _, s := range lv.Sections {
		for _, l := range s.Lines {
			for _, c := range l.Cells {
				if len(c.Findings) > 0 {
					any = true
				}
			}
		}
	}
	if !any {
		d.paragraph("No flags: every rate is in line with the others.", 9.5, 5)
		return
	}
	cols := [4]float64{62, 22, 32, lvContentW - 62 - 22 - 32}
	titles := [4]string{"Bidder", "Item", "Flag", "Reason"}
	head := func() {
		d.font("B", 7.5)
		p.SetFillColor(232, 236, 242)
		p.SetDrawColor(120, 120, 120)
		p.SetLineWidth(0.25)
		x, y := lvMargin, p.GetY()
		for i, w := range cols {
			p.SetXY(x, y)
			p.CellFormat(w, 6, " "+titles[i], "1", 0, "L", true, 0, "")
			x += w
		}
		p.SetXY(lvMargin, y+6)
	}
	head()
	d.onBreak = head
	defer func() { d.onBreak = nil }()
	row := func(bidder, item string, f LevelFinding) {
		d.font("", 7.5)
		reason := d.wrap(sentence(f.Reason), cols[3]-2*lvPad)
		name := d.wrap(bidder, cols[0]-2*lvPad)
		n := max(len(reason), len(name), 1)
		h := float64(n)*3.6 + 2*lvPad
		d.need(h)
		d.font("", 7.5)
		y := p.GetY()
		x := lvMargin
		put := func(k int, lines []string, style string) {
			d.font(style, 7.5)
			for i, s := range lines {
				p.SetXY(x+lvPad, y+lvPad+float64(i)*3.6)
				p.CellFormat(cols[k]-2*lvPad, 3.6, s, "", 0, "L", false, 0, "")
			}
			x += cols[k]
		}
		put(0, name, "B")
		put(1, []string{item}, "")
		put(2, []string{flagMark + " " + f.Label}, "B")
		put(3, reason, "")
		p.SetDrawColor(215, 215, 215)
		p.SetLineWidth(0.12)
		p.Line(lvMargin, y+h, lvMargin+lvContentW, y+h)
		p.SetXY(lvMargin, y+h)
	}
	for b, bid := range lv.Bids {
		for _, f := range bid.Findings {
			row(bid.Company, "Whole bid", f)
		}
		for _, s := range lv.Sections {
			for _, l := range s.Lines {
				for _, f := range l.Cells[b].Findings {
					row(bid.Company, l.Reference, f)
				}
			}
		}
	}
}

// sentence starts s with a capital and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	if !strings.HasSuffix(s, ".") {
		r = append(r, '.')
	}
	return string(r)
}
