package pdfdoc

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/14build/14build/money"
)

// Bid is what a priced bid adds to the tender document: who tendered, which revision, and
// the total. The lines' rates and amounts are on the Items (Rate, Amount, HasRate) and the
// section totals on the Sections (Total) of the Tender it is written with.
type Bid struct {
	Company     string    // the bidder's company, named on the cover and the form of tender
	Bidder      string    // the person
	Status      string    // "draft", "submitted", "withdrawn", "unsuccessful" or "awarded"
	Revision    int       // the last submitted revision (0: never submitted)
	SubmittedAt time.Time // of that revision
	Total       int64     // the bid's total, minor units
}

// Draft reports whether the document is not a submitted bid, and so is marked on every page.
func (b Bid) Draft() bool { return b.Status == "draft" || b.Status == "withdrawn" || b.Status == "" }

// mark is the words printed across every page of a bid that is not submitted.
func (b Bid) mark() string {
	if b.Status == "withdrawn" {
		return "WITHDRAWN — not a bid"
	}
	return "DRAFT — not submitted"
}

// WriteBid writes t priced by b: the tender document with the bidder's rates, amounts,
// section totals, the collection's totals and the form of tender's sum in figures and in
// words. A bid not submitted is marked as a draft on every page.
func WriteBid(w io.Writer, t Tender, b Bid) error {
	d := newDoc(&t)
	d.bid = &b
	d.pdf.SetSubject("Priced bid "+t.Reference+" — "+b.Company, true)
	return d.write(w)
}

// revisionText is the cover's line on the bid's state, e.g. "Revision 3, submitted
// 2 Dec 2026 14:05 NZDT".
func (d *doc) revisionText() string {
	b := d.bid
	when := ""
	if !b.SubmittedAt.IsZero() {
		when = b.SubmittedAt.In(d.loc).Format("2 Jan 2006 15:04 MST")
	}
	switch {
	case b.Status == "withdrawn":
		return fmt.Sprintf("Withdrawn (revision %d)", b.Revision)
	case b.Draft() && b.Revision == 0:
		return "Draft, not submitted"
	case b.Draft():
		return fmt.Sprintf("Draft, not submitted (revision %d was submitted %s)", b.Revision, when)
	case when == "":
		return fmt.Sprintf("Revision %d", b.Revision)
	}
	return fmt.Sprintf("Revision %d, submitted %s", b.Revision, when)
}

// watermark prints the draft mark diagonally across the page, light, under the content.
func (d *doc) watermark() {
	if d.bid == nil || !d.bid.Draft() {
		return
	}
	p := d.pdf
	x, y := p.GetXY()
	d.font("B", 54)
	p.SetTextColor(236, 226, 226)
	txt := d.bid.mark()
	w := p.GetStringWidth(txt)
	p.TransformBegin()
	p.TransformRotate(55, pageW/2, pageH/2)
	p.Text(pageW/2-w/2, pageH/2+8, txt)
	p.TransformEnd()
	d.grey(0)
	p.SetXY(x, y)
}

var (
	ones = [...]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens   = [...]string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	scales = [...]string{"", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion"}
)

// NumberWords writes n in English words without "and": 123456 is "one hundred twenty-three
// thousand four hundred fifty-six".
func NumberWords(n int64) string {
	if n == 0 {
		return ones[0]
	}
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-n) // -MinInt64 wraps to itself, which as uint64 is its magnitude
	}
	var groups []string
	for scale := 0; u > 0; scale++ {
		g := int(u % 1000)
		u /= 1000
		if g == 0 {
			continue
		}
		s := hundreds(g)
		if scales[scale] != "" {
			s += " " + scales[scale]
		}
		groups = append([]string{s}, groups...)
	}
	s := strings.Join(groups, " ")
	if neg {
		s = "minus " + s
	}
	return s
}

func hundreds(n int) string {
	var parts []string
	if h := n / 100; h > 0 {
		parts = append(parts, ones[h]+" hundred")
	}
	switch r := n % 100; {
	case r == 0:
	case r < 20:
		parts = append(parts, ones[r])
	case r%10 == 0:
		parts = append(parts, tens[r/10])
	default:
		parts = append(parts, tens[r/10]+"-"+ones[r%10])
	}
	return strings.Join(parts, " ")
}

// unitNames are a currency's major and minor units, singular and plural.
type unitNames struct{ major, majors, minor, minors string }

var currencyUnits = map[string]unitNames{
	"usd": {"dollar", "dollars", "cent", "cents"},
	"aud": {"dollar", "dollars", "cent", "cents"},
	"cad": {"dollar", "dollars", "cent", "cents"},
	"nzd": {"dollar", "dollars", "cent", "cents"},
	"sgd": {"dollar", "dollars", "cent", "cents"},
	"hkd": {"dollar", "dollars", "cent", "cents"},
	"eur": {"euro", "euros", "cent", "cents"},
	"gbp": {"pound", "pounds", "penny", "pence"},
	"zar": {"rand", "rand", "cent", "cents"},
	"jpy": {"yen", "yen", "", ""},
	"chf": {"franc", "francs", "centime", "centimes"},
}

// MoneyWords writes an amount of minor units in words for the form of tender: the major
// units in words and the minor units in figures, "One hundred twenty-three thousand four
// hundred fifty-six dollars and 78 cents". A currency without names reads "… NZD and 78/100".
func MoneyWords(amount int64, c money.Currency) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	scale := int64(1)
	for range c.Exponent {
		scale *= 10
	}
	major, minor := amount/scale, amount%scale
	names, known := currencyUnits[strings.ToLower(c.Code)]
	if !known {
		code := strings.ToUpper(c.Code)
		names = unitNames{code, code, "", ""}
	}
	unit := names.majors
	if major == 1 {
		unit = names.major
	}
	s := NumberWords(major) + " " + unit
	if neg {
		s = "minus " + s
	}
	if c.Exponent > 0 {
		switch {
		case !known || names.minor == "":
			s += fmt.Sprintf(" and %0*d/%d", c.Exponent, minor, scale)
		case minor == 0:
			s += " and no " + names.minors
		case minor == 1:
			s += " and 1 " + names.minor
		default:
			s += fmt.Sprintf(" and %d %s", minor, names.minors)
		}
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sectionSum is the total printed for a section: a bid's section total, or in the blank
// tender document the sum of a section made only of fixed allowances.
func (d *doc) sectionSum(s Section) (int64, bool) {
	if d.bid != nil {
		return s.Total, true
	}
	return allowanceOnly(s)
}
