package pdfdoc

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // project zones resolve on machines without the system's tzdata
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

//go:embed fonts/DejaVuSans.ttf
var fontRegular []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var fontBold []byte

// Page geometry (mm, A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	marginX      = 15.0
	marginTop    = 18.0
	bodyBottom   = pageH - 18.0 // the footer lives below
	contentW     = pageW - 2*marginX
	lineH        = 4.2 // table text at 8.5pt
	cellPad      = 1.2
)

// Bill columns: Ref | Description | Unit | Qty | Rate | Amount (sum = contentW).
var (
	colW     = [6]float64{16, 85, 13, 19, 20, 27}
	colTitle = [6]string{"Ref", "Description", "Unit", "Qty", "Rate", "Amount"}
)

// doc is one document being written: the fpdf writer and the page furniture it repeats.
type doc struct {
	pdf      *fpdf.Fpdf
	t        *Tender
	cur      money.Currency
	loc      *time.Location
	spaceW   map[float64]float64 // width of a space per font size
	onBreak  func()              // drawn at the top of a page started by need (table headers)
	runStart bool                // the running head is drawn on pages after the cover
	bid      *Bid                // a priced bid (WriteBid); nil for the tender document
}

// WriteTender writes the tender document t as a PDF to w: cover, instructions and addenda,
// the bill of quantities with blank rate and amount columns, the collection and the form of
// tender.
func WriteTender(w io.Writer, t Tender) error {
	return newDoc(&t).write(w)
}

// write lays the document out, blank or priced (d.bid), and writes it to w.
func (d *doc) write(w io.Writer) error {
	d.cover()
	d.instructions()
	d.bill()
	d.collection()
	d.formOfTender()
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("pdfdoc: %w", err)
	}
	return d.pdf.Output(w)
}

func newDoc(t *Tender) *doc {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginX, marginTop, marginX)
	pdf.SetAutoPageBreak(false, 0) // every break is chosen by need, so nothing splits
	pdf.AddUTF8FontFromBytes("dejavu", "", fontRegular)
	pdf.AddUTF8FontFromBytes("dejavu", "B", fontBold)
	pdf.AliasNbPages("{nb}")
	pdf.SetTitle(t.Title, true)
	pdf.SetSubject("Tender document "+t.Reference, true)
	pdf.SetCreator("14build", true)
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil || t.TimeZone == "" {
		loc = time.UTC
	}
	d := &doc{pdf: pdf, t: t, cur: money.Of(t.Currency), loc: loc, spaceW: map[float64]float64{}}
	pdf.SetHeaderFunc(d.header)
	pdf.SetFooterFunc(d.footer)
	return d
}

func (d *doc) font(style string, size float64) { d.pdf.SetFont("dejavu", style, size) }

func (d *doc) grey(v int) { d.pdf.SetTextColor(v, v, v) }

func (d *doc) header() {
	d.watermark()
	if !d.runStart {
		return
	}
	p := d.pdf
	d.font("", 7.5)
	d.grey(90)
	p.SetXY(marginX, 9)
	p.CellFormat(contentW/2, 4, d.t.ProjectName, "", 0, "L", false, 0, "")
	p.CellFormat(contentW/2, 4, d.t.Title, "", 0, "R", false, 0, "")
	p.SetDrawColor(170, 170, 170)
	p.SetLineWidth(0.2)
	p.Line(marginX, 13.5, pageW-marginX, 13.5)
	d.grey(0)
	p.SetXY(marginX, marginTop)
}

func (d *doc) footer() {
	p := d.pdf
	p.SetDrawColor(170, 170, 170)
	p.SetLineWidth(0.2)
	p.Line(marginX, pageH-13.5, pageW-marginX, pageH-13.5)
	d.font("", 7.5)
	d.grey(60)
	p.SetXY(marginX, pageH-12.5)
	p.CellFormat(contentW/2, 4, d.t.Reference, "", 0, "L", false, 0, "")
	p.CellFormat(contentW/2, 4, fmt.Sprintf("Page %d of {nb}", p.PageNo()), "", 0, "R", false, 0, "")
	if d.bid != nil { // whose bid, and a draft's mark, on every page
		label := d.bid.Company
		if d.bid.Draft() {
			label = d.bid.mark() + " · " + label
			d.font("B", 7.5)
			p.SetTextColor(150, 30, 30)
		}
		p.SetXY(marginX+contentW/4, pageH-12.5)
		p.CellFormat(contentW/2, 4, label, "", 0, "C", false, 0, "")
	}
	d.grey(0)
}

// need starts a new page unless h mm still fit above the footer; it reports whether it broke.
func (d *doc) need(h float64) bool {
	if d.pdf.GetY()+h <= bodyBottom {
		return false
	}
	d.pdf.AddPage()
	if d.onBreak != nil {
		d.onBreak()
	}
	return true
}

// wrap breaks s into lines no wider than width in the current font (fpdf's SplitText
// cannot measure UTF-8 fonts). Newlines in s start new lines; over-long words are cut.
func (d *doc) wrap(s string, width float64) []string {
	p := d.pdf
	size, _ := p.GetFontSize()
	sp, ok := d.spaceW[size]
	if !ok {
		sp = p.GetStringWidth(" ")
		d.spaceW[size] = sp
	}
	var lines []string
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		var b strings.Builder
		lineW := 0.0
		flush := func() {
			lines = append(lines, b.String())
			b.Reset()
			lineW = 0
		}
		for _, word := range strings.Fields(para) {
			ww := p.GetStringWidth(word)
			for ww > width { // a word wider than the column: cut it where it fills a line
				if b.Len() > 0 {
					flush()
				}
				cut, cw := 0, 0.0
				for i, r := range word {
					rw := p.GetStringWidth(string(r))
					if cw+rw > width && i > 0 {
						break
					}
					cw += rw
					cut = i + utf8.RuneLen(r)
				}
				b.WriteString(word[:cut])
				flush()
				word = word[cut:]
				ww = p.GetStringWidth(word)
			}
			if word == "" {
				continue
			}
			if b.Len() > 0 && lineW+sp+ww > width {
				flush()
			}
			if b.Len() > 0 {
				b.WriteByte(' ')
				lineW += sp
			}
			b.WriteString(word)
			lineW += ww
		}
		flush()
	}
	return lines
}

// paragraph writes wrapped text across the content width, breaking pages between lines.
func (d *doc) paragraph(s string, size, lh float64) {
	d.font("", size)
	for _, l := range d.wrap(s, contentW) {
		d.need(lh)
		d.pdf.SetX(marginX)
		d.pdf.CellFormat(contentW, lh, l, "", 1, "L", false, 0, "")
	}
}

func (d *doc) heading(s string, size float64) {
	d.need(size*0.6 + 14) // keep a heading with some of what follows
	d.font("B", size)
	d.pdf.SetX(marginX)
	d.pdf.CellFormat(contentW, size*0.5, s, "", 1, "L", false, 0, "")
	d.pdf.Ln(2)
}

func (d *doc) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(d.loc).Format("Monday 2 January 2006, 15:04")
}

func (d *doc) cover() {
	p, t := d.pdf, d.t
	p.AddPage()
	p.SetFillColor(30, 58, 95)
	p.Rect(0, 0, pageW, 8, "F")
	p.SetY(45)
	d.font("", 11)
	d.grey(90)
	kind := "TENDER DOCUMENT — BILL OF QUANTITIES"
	if d.bid != nil {
		kind = "PRICED BID — BILL OF QUANTITIES"
	}
	p.CellFormat(contentW, 6, kind, "", 1, "L", false, 0, "")
	p.Ln(3)
	d.grey(0)
	d.font("B", 22)
	for _, l := range d.wrap(t.Title, contentW) {
		p.CellFormat(contentW, 10, l, "", 1, "L", false, 0, "")
	}
	p.Ln(2)
	d.font("", 14)
	for _, l := range d.wrap(t.ProjectName, contentW) {
		p.CellFormat(contentW, 7, l, "", 1, "L", false, 0, "")
	}
	if d.bid != nil {
		p.Ln(3)
		d.font("B", 14)
		for _, l := range d.wrap("Priced bid — "+firstNonEmpty(d.bid.Company, d.bid.Bidder), contentW) {
			p.CellFormat(contentW, 7, l, "", 1, "L", false, 0, "")
		}
	}
	p.Ln(10)
	p.SetDrawColor(30, 58, 95)
	p.SetLineWidth(0.6)
	p.Line(marginX, p.GetY(), marginX+40, p.GetY())
	p.Ln(8)
	zone := d.loc.String() // the zone the times are printed in (UTC if TimeZone was unknown)
	rows := [][2]string{
		{"Tender reference", t.Reference},
		{"Project", strings.TrimSpace(t.ProjectName + "  (" + t.ProjectCode + ")")},
		{"Site address", t.ProjectAddress},
		{"Issued by", t.OwnerCompany},
		{"Date of issue", d.when(t.IssuedAt)},
		{"Tenders close", d.when(t.ClosesAt) + " (" + zone + " time)"},
		{"Currency", strings.ToUpper(d.cur.Code) + " — " + firstNonEmpty(d.cur.Name, strings.ToUpper(d.cur.Code))},
	}
	if t.ProjectCode == "" {
		rows[1][1] = t.ProjectName
	}
	if b := d.bid; b != nil {
		rows = append(rows[:4:4], append([][2]string{
			{"Tenderer", b.Company},
			{"Prepared by", b.Bidder},
			{"Bid", d.revisionText()},
			{"Tendered sum", strings.TrimSpace(d.cur.Symbol) + money.Plain(b.Total, d.cur) + " excluding tax"},
		}, rows[4:]...)...)
	}
	for _, r := range rows {
		if r[1] == "" {
			continue
		}
		d.font("", 9.5)
		d.grey(90)
		p.SetX(marginX)
		y := p.GetY()
		p.CellFormat(42, 6, r[0], "", 0, "L", false, 0, "")
		d.grey(0)
		d.font("B", 10.5)
		for _, l := range d.wrap(r[1], contentW-42) {
			p.SetXY(marginX+42, y)
			p.CellFormat(contentW-42, 6, l, "", 1, "L", false, 0, "")
			y += 6
		}
		p.Ln(1.5)
	}
	p.SetY(bodyBottom - 22)
	d.font("", 8.5)
	d.grey(80)
	note := "Tenderers are to price every measured item. Provisional and prime cost sums are " +
		"fixed by the employer and are to be included as printed. Return the priced bill with " +
		"the signed form of tender before the closing time stated above."
	if d.bid != nil {
		note = "This is the tender document priced with the tenderer's rates as held by 14build. " +
			"Amounts are quantity × rate, rounded half up to the cent; provisional and prime cost sums " +
			"are included as fixed by the employer."
	}
	d.paragraph(note, 8.5, 4.2)
	d.grey(0)
	d.runStart = true
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func (d *doc) instructions() {
	p, t := d.pdf, d.t
	p.AddPage()
	d.heading("Instructions to tenderers", 14)
	if strings.TrimSpace(t.Instructions) == "" {
		d.paragraph("No further instructions.", 10, 5)
	} else {
		d.paragraph(t.Instructions, 10, 5)
	}
	p.Ln(6)
	d.heading("Addenda", 14)
	if len(t.Addenda) == 0 {
		d.paragraph("No addenda issued.", 10, 5)
		return
	}
	for _, a := range t.Addenda {
		d.font("", 10)
		lines := d.wrap(a.Text, contentW-8)
		d.need(6 + 5*float64(min(len(lines), 3)))
		d.font("B", 10)
		p.SetX(marginX)
		p.CellFormat(contentW, 6, fmt.Sprintf("Addendum %d — issued %s", a.Number, d.when(a.IssuedAt)), "", 1, "L", false, 0, "")
		d.font("", 10)
		for _, l := range lines {
			if d.need(5) {
				d.font("", 10)
			}
			p.SetX(marginX + 8)
			p.CellFormat(contentW-8, 5, l, "", 1, "L", false, 0, "")
		}
		p.Ln(3)
	}
}

// tableHeader draws the bill's column titles (repeated at the top of each bill page).
func (d *doc) tableHeader() {
	p := d.pdf
	d.font("B", 8)
	p.SetFillColor(232, 236, 242)
	p.SetDrawColor(120, 120, 120)
	p.SetLineWidth(0.25)
	x := marginX
	y := p.GetY()
	titles := colTitle
	titles[5] = "Amount " + strings.TrimSpace(d.cur.Symbol)
	for i, w := range colW {
		align := "L"
		if i >= 3 {
			align = "R"
		}
		if i == 2 {
			align = "C"
		}
		p.SetXY(x, y)
		p.CellFormat(w, 6.5, titles[i], "1", 0, align, true, 0, "")
		x += w
	}
	p.SetXY(marginX, y+6.5)
}

// allowanceOnly reports whether every item of s is a fixed allowance (so its total is known).
func allowanceOnly(s Section) (int64, bool) {
	var sum int64
	for _, it := range s.Items {
		if !it.Type.Fixed() {
			return 0, false
		}
		sum += it.Allowance
	}
	return sum, len(s.Items) > 0
}

func (d *doc) bill() {
	p := d.pdf
	p.AddPage()
	d.heading("Bill of quantities", 16)
	d.font("", 8.5)
	d.grey(70)
	intro := "Rates and amounts are to be entered by the tenderer in " + strings.ToUpper(d.cur.Code) +
		", excluding tax. Provisional and prime cost sums are printed with their fixed amounts."
	if d.bid != nil {
		intro = "Rates and amounts in " + strings.ToUpper(d.cur.Code) + ", excluding tax, as tendered by " +
			firstNonEmpty(d.bid.Company, d.bid.Bidder) + ". Provisional and prime cost sums are printed with their fixed amounts."
	}
	d.paragraph(intro, 8.5, 4.2)
	d.grey(0)
	p.Ln(3)
	if len(d.t.Sections) == 0 {
		d.paragraph("The bill has no items.", 10, 5)
		return
	}
	for si, s := range d.t.Sections {
		title := sectionTitle(s)
		if si > 0 {
			p.Ln(5)
		}
		d.onBreak = nil
		d.need(8 + 6.5 + 3*lineH + 2*cellPad) // the heading, the header and a first item
		d.font("B", 10.5)
		p.SetX(marginX)
		p.CellFormat(contentW, 7, title, "", 1, "L", false, 0, "")
		d.tableHeader()
		d.onBreak = func() {
			d.font("B", 9)
			d.grey(70)
			p.SetX(marginX)
			p.CellFormat(contentW, 6, title+" (continued)", "", 1, "L", false, 0, "")
			d.grey(0)
			d.tableHeader()
		}
		for _, it := range s.Items {
			d.item(it)
		}
		d.subtotal(s)
		d.onBreak = nil
	}
}

func sectionTitle(s Section) string {
	switch {
	case s.Code != "" && s.Title != "":
		return "Section " + s.Code + " — " + s.Title
	case s.Code != "":
		return "Section " + s.Code
	}
	return firstNonEmpty(s.Title, "Section")
}

// item draws one bill line, whole, on one page: its height is measured before drawing.
func (d *doc) item(it Item) {
	d.font("", 8.5)
	desc := d.wrap(it.Description, colW[1]-2*cellPad)
	ref := d.wrap(it.Reference, colW[0]-2*cellPad)
	note := ""
	if it.Type != "" && it.Type != soq.Measured {
		note = it.Type.Label()
	}
	// Only a description longer than a whole page (many short lines) is split: its parts
	// go on successive pages, the unit, quantity and amount with the last.
	for len(desc) > maxItemLines {
		k := maxItemLines
		if room := int((bodyBottom-d.pdf.GetY()-2*cellPad)/lineH) - 1; room >= 3 && room < k {
			k = room // start in the space left on this page
		}
		d.drawItem(it, ref, desc[:k], "", false)
		d.font("", 8.5)
		desc, ref = desc[k:], d.wrap(it.Reference+" (cont.)", colW[0]-2*cellPad)
	}
	d.drawItem(it, ref, desc, note, true)
}

// maxItemLines is how many description lines fit on a bill page below its headings.
var maxItemLines = int(math.Floor((bodyBottom-marginTop-6-6.5-8-2*cellPad)/lineH)) - 1

func (d *doc) drawItem(it Item, ref, desc []string, note string, last bool) {
	p := d.pdf
	n := len(desc)
	if note != "" {
		n++
	}
	n = max(n, len(ref), 1)
	h := float64(n)*lineH + 2*cellPad
	if d.need(h) {
		d.font("", 8.5) // the repeated header left its bold font set
	}
	y := p.GetY()
	x := marginX
	text := func(col int, lines []string, align string) {
		for i, l := range lines {
			p.SetXY(x+cellPad, y+cellPad+float64(i)*lineH)
			p.CellFormat(colW[col]-2*cellPad, lineH, l, "", 0, align, false, 0, "")
		}
	}
	text(0, ref, "L")
	x += colW[0]
	text(1, desc, "L")
	if note != "" {
		d.font("", 7.5)
		d.grey(80)
		p.SetXY(x+cellPad, y+cellPad+float64(len(desc))*lineH)
		p.CellFormat(colW[1]-2*cellPad, lineH, note, "", 0, "L", false, 0, "")
		d.grey(0)
		d.font("", 8.5)
	}
	x += colW[1]
	if !last {
		d.rules(y, h)
		return
	}
	// Unit, quantity, rate and amount sit on the item's last line, where the amount is written.
	baseY := y + cellPad + float64(n-1)*lineH
	p.SetXY(x, baseY)
	p.CellFormat(colW[2], lineH, unitText(it.Unit), "", 0, "C", false, 0, "")
	x += colW[2]
	p.SetXY(x, baseY)
	p.CellFormat(colW[3]-cellPad, lineH, quantityText(it.Quantity), "", 0, "R", false, 0, "")
	x += colW[3]
	if it.Type.Fixed() {
		p.SetXY(x, baseY)
		p.CellFormat(colW[4]-cellPad, lineH, "Sum", "", 0, "R", false, 0, "")
		p.SetXY(x+colW[4], baseY)
		d.font("B", 8.5)
		p.CellFormat(colW[5]-cellPad, lineH, money.Plain(it.Allowance, d.cur), "", 0, "R", false, 0, "")
		d.font("", 8.5)
	} else if d.bid != nil && it.HasRate {
		p.SetXY(x, baseY)
		p.CellFormat(colW[4]-cellPad, lineH, money.Plain(it.Rate, d.cur), "", 0, "R", false, 0, "")
		p.SetXY(x+colW[4], baseY)
		p.CellFormat(colW[5]-cellPad, lineH, money.Plain(it.Amount, d.cur), "", 0, "R", false, 0, "")
	} else {
		// Ruled lines to write the rate and the amount on.
		p.SetDrawColor(150, 150, 150)
		p.SetLineWidth(0.15)
		ly := y + h - cellPad + 0.3
		p.Line(x+1.5, ly, x+colW[4]-1.5, ly)
		p.Line(x+colW[4]+1.5, ly, x+colW[4]+colW[5]-1.5, ly)
	}
	d.rules(y, h)
}

// rules draws an item's column rules and the line under it, and moves below it.
func (d *doc) rules(y, h float64) {
	p := d.pdf
	p.SetDrawColor(120, 120, 120)
	p.SetLineWidth(0.25)
	cx := marginX
	p.Line(cx, y, cx, y+h)
	for _, w := range colW {
		cx += w
		p.Line(cx, y, cx, y+h)
	}
	p.SetDrawColor(205, 205, 205)
	p.SetLineWidth(0.15)
	p.Line(marginX, y+h, marginX+contentW, y+h)
	p.SetXY(marginX, y+h)
}

// subtotal closes a section: "Carried to collection" and a box for its total.
func (d *doc) subtotal(s Section) {
	p := d.pdf
	h := 8.0
	if d.need(h) {
		// the header alone on a page would be odd; onBreak already drew it
	}
	y := p.GetY()
	p.SetDrawColor(60, 60, 60)
	p.SetLineWidth(0.4)
	p.Line(marginX, y, marginX+contentW, y)
	d.font("B", 9)
	left := contentW - colW[5]
	p.SetXY(marginX, y)
	p.CellFormat(left-2, h, "Carried to collection", "", 0, "R", false, 0, "")
	p.SetLineWidth(0.35)
	p.Rect(marginX+left, y+0.8, colW[5], h-1.6, "D")
	if sum, ok := d.sectionSum(s); ok {
		p.SetXY(marginX+left, y)
		p.CellFormat(colW[5]-cellPad, h, money.Plain(sum, d.cur), "", 0, "R", false, 0, "")
	}
	p.SetXY(marginX, y+h)
}

func unitText(u string) string {
	switch strings.ToLower(u) {
	case "m2":
		return "m²"
	case "m3":
		return "m³"
	}
	return u
}

// quantityText formats like the app: significant decimals, thousands separators.
func quantityText(q soq.Quantity) string {
	whole, frac, hasFrac := strings.Cut(q.String(), ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return q.String()
	}
	if !hasFrac {
		return money.Group(n)
	}
	if n == 0 && strings.HasPrefix(whole, "-") { // -0.5
		return "-0." + frac
	}
	return money.Group(n) + "." + frac
}

// collection summarises the sections with blank totals and the total to the form of tender.
func (d *doc) collection() {
	p := d.pdf
	p.AddPage()
	d.heading("Collection", 16)
	const codeW, amountW = 22.0, 45.0
	titleW := contentW - codeW - amountW
	d.font("B", 9)
	p.SetFillColor(232, 236, 242)
	p.SetDrawColor(120, 120, 120)
	p.SetLineWidth(0.25)
	p.SetX(marginX)
	p.CellFormat(codeW, 7, " Section", "1", 0, "L", true, 0, "")
	p.CellFormat(titleW, 7, " Title", "1", 0, "L", true, 0, "")
	p.CellFormat(amountW, 7, "Amount "+strings.TrimSpace(d.cur.Symbol), "1", 1, "R", true, 0, "")
	d.onBreak = nil
	for _, s := range d.t.Sections {
		d.font("", 9.5)
		lines := d.wrap(firstNonEmpty(s.Title, "—"), titleW-2*cellPad)
		h := float64(len(lines))*5 + 4
		d.need(h)
		y := p.GetY()
		p.Rect(marginX, y, codeW, h, "D")
		p.SetXY(marginX+cellPad, y+2)
		p.CellFormat(codeW-2*cellPad, 5, s.Code, "", 0, "L", false, 0, "")
		p.Rect(marginX+codeW, y, titleW, h, "D")
		for i, l := range lines {
			p.SetXY(marginX+codeW+cellPad, y+2+float64(i)*5)
			p.CellFormat(titleW-2*cellPad, 5, l, "", 0, "L", false, 0, "")
		}
		p.Rect(marginX+codeW+titleW, y, amountW, h, "D")
		if sum, ok := d.sectionSum(s); ok {
			p.SetXY(marginX+codeW+titleW, y)
			p.CellFormat(amountW-2, h, money.Plain(sum, d.cur), "", 0, "R", false, 0, "")
		}
		p.SetXY(marginX, y+h)
	}
	d.need(14)
	y := p.GetY() + 2
	d.font("B", 10.5)
	p.SetXY(marginX, y)
	p.CellFormat(codeW+titleW-3, 10, "Total carried to form of tender", "", 0, "R", false, 0, "")
	p.SetLineWidth(0.5)
	p.SetDrawColor(40, 40, 40)
	p.Rect(marginX+codeW+titleW, y, amountW, 10, "D")
	if d.bid != nil {
		p.SetXY(marginX+codeW+titleW, y)
		p.CellFormat(amountW-2, 10, money.Plain(d.bid.Total, d.cur), "", 0, "R", false, 0, "")
	}
	p.SetXY(marginX, y+12)
}

// formOfTender is the page the tenderer signs: the sum in words and figures.
func (d *doc) formOfTender() {
	p, t := d.pdf, d.t
	p.AddPage()
	d.heading("Form of tender", 16)
	d.font("", 10)
	kv := func(k, v string) {
		if v == "" {
			return
		}
		d.grey(90)
		p.SetX(marginX)
		y := p.GetY()
		p.CellFormat(30, 5.5, k, "", 0, "L", false, 0, "")
		d.grey(0)
		for _, l := range d.wrap(v, contentW-30) {
			p.SetXY(marginX+30, y)
			p.CellFormat(contentW-30, 5.5, l, "", 1, "L", false, 0, "")
			y += 5.5
		}
	}
	kv("To", t.OwnerCompany)
	kv("Project", t.ProjectName)
	kv("Tender", t.Title+" ("+t.Reference+")")
	if d.bid != nil {
		kv("From", d.bid.Company)
		kv("Bid", d.revisionText())
	}
	p.Ln(6)
	n := len(t.Addenda)
	adds := "the addenda issued (none)"
	if n == 1 {
		adds = "addendum 1"
	} else if n > 1 {
		adds = fmt.Sprintf("addenda 1 to %d", t.Addenda[n-1].Number)
	}
	d.paragraph("Having examined the tender documents, including "+adds+", we offer to carry out "+
		"the works described in them, in accordance with the conditions of contract, for the sum of:", 10.5, 5.5)
	p.Ln(8)
	// rule draws a labelled line to write on, with value (if any) written on it.
	fill := func(label, value string, indent float64) {
		d.need(14)
		d.font("", 9.5)
		d.grey(70)
		p.SetX(marginX)
		y := p.GetY()
		p.CellFormat(indent, 10, label, "", 0, "L", false, 0, "")
		d.grey(0)
		if value != "" {
			d.font("B", 10.5)
			p.SetXY(marginX+indent+1, y+1.5)
			p.CellFormat(contentW-indent-1, 6, value, "", 0, "L", false, 0, "")
		}
		p.SetDrawColor(80, 80, 80)
		p.SetLineWidth(0.3)
		p.Line(marginX+indent, y+8, marginX+contentW, y+8)
		p.SetXY(marginX, y+12)
	}
	rule := func(label string, indent float64) { fill(label, "", indent) }
	words, figures := []string{"", ""}, ""
	if d.bid != nil {
		d.font("B", 10.5)
		words = d.wrap(MoneyWords(d.bid.Total, d.cur), contentW-33)
		if len(words) < 2 {
			words = append(words, "")
		}
		figures = money.Plain(d.bid.Total, d.cur)
	}
	fill("In words", words[0], 32)
	for _, w := range words[1:] {
		fill("", w, 32)
	}
	fill("In figures  "+strings.TrimSpace(d.cur.Symbol), figures, 32)
	d.font("", 9)
	d.grey(70)
	p.SetX(marginX)
	p.CellFormat(contentW, 5, "excluding tax, in "+firstNonEmpty(d.cur.Name, strings.ToUpper(d.cur.Code))+
		" ("+strings.ToUpper(d.cur.Code)+"), being the total carried from the collection.", "", 1, "L", false, 0, "")
	d.grey(0)
	p.Ln(4)
	d.paragraph("We undertake to keep this tender open for acceptance for the period stated in the "+
		"instructions. We understand that you are not bound to accept the lowest or any tender.", 10, 5.5)
	p.Ln(8)
	for _, l := range []string{"Signature", "Name", "Position", "Company", "Address", "Date"} {
		rule(l, 32)
	}
}
