// Package soq holds the rules of a schedule of quantities: exact quantities, the one place
// where an amount is computed (quantity × rate, rounded half-up to the minor unit), item
// types and their rules, and totals. No floats anywhere.
package soq

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/14build/14build/field"
	"github.com/14build/14build/ident"
	"github.com/14build/14build/money"
)

// Quantity is a quantity in thousandths (three decimals).
type Quantity int64

// MaxQuantity bounds quantities (one thousand million units).
const MaxQuantity = Quantity(1_000_000_000_000)

// String writes the quantity with its significant decimals: 12.5, 3, 0.125.
func (q Quantity) String() string {
	s := fmt.Sprintf("%d.%03d", q/1000, q%1000)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Fixed writes the quantity with exactly three decimals ("12.500"), as stored.
func (q Quantity) Fixed() string { return fmt.Sprintf("%d.%03d", q/1000, q%1000) }

// ParseQuantity reads "12.5", "1,250.125" or "3" exactly; at most three decimals.
func ParseQuantity(s string) (Quantity, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, errors.New("is required")
	}
	if strings.HasPrefix(s, "-") {
		return 0, errors.New("must not be negative")
	}
	s = strings.TrimPrefix(s, "+")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if s == "." || !digits(whole) || (frac != "" && !digits(frac)) {
		return 0, errors.New("must be a number such as 12.5")
	}
	if len(frac) > 3 {
		if strings.TrimRight(frac[3:], "0") != "" {
			return 0, errors.New("must have at most 3 decimal places")
		}
		frac = frac[:3]
	}
	frac += strings.Repeat("0", 3-len(frac))
	if len(strings.TrimLeft(whole, "0")) > 10 {
		return 0, errors.New("is too large")
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	q := Quantity(w*1000 + f)
	if q > MaxQuantity {
		return 0, errors.New("is too large")
	}
	return q, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ErrAmountTooLarge is returned when quantity × rate does not fit the money range.
var ErrAmountTooLarge = errors.New("quantity × rate is too large")

// Amount is quantity × rate, rounded half-up to the minor unit. It is the only place an
// amount is computed; the 128-bit product makes it exact for every quantity and rate in
// range, without the allocations of big integers (leveling computes 100,000 at a time).
func Amount(q Quantity, rate int64) (int64, error) {
	if q < 0 || rate < 0 {
		return 0, errors.New("quantity and rate must not be negative")
	}
	hi, lo := bits.Mul64(uint64(q), uint64(rate))
	var carry uint64
	lo, carry = bits.Add64(lo, 500, 0) // half-up: add half of the divisor, then truncate
	hi += carry
	if hi >= 1000 { // the quotient would not fit 64 bits
		return 0, ErrAmountTooLarge
	}
	quo, _ := bits.Div64(hi, lo, 1000)
	if quo > uint64(money.MaxMinor) {
		return 0, ErrAmountTooLarge
	}
	return int64(quo), nil
}

// Sum adds amounts, refusing to overflow the money range.
func Sum(amounts ...int64) (int64, error) {
	var t int64
	for _, a := range amounts {
		if a > money.MaxMinor-t {
			return 0, ErrAmountTooLarge
		}
		t += a
	}
	return t, nil
}

// ItemType is what kind of line an item is.
type ItemType string

const (
	Measured       ItemType = "measured"        // priced by bidders
	ProvisionalSum ItemType = "provisional_sum" // the owner's allowance; bidders cannot reprice
	PrimeCostSum   ItemType = "prime_cost_sum"  // the owner's allowance; bidders cannot reprice
	Daywork        ItemType = "daywork"         // time-based work
	Preliminaries  ItemType = "preliminaries"   // site set-up, management, insurances
)

// MsgItemType refuses an item type that is not one of ItemTypes.
const MsgItemType = "must be one of measured, provisional_sum, prime_cost_sum, daywork, preliminaries"

// ItemTypes in the order forms offer them.
var ItemTypes = []ItemType{Measured, ProvisionalSum, PrimeCostSum, Daywork, Preliminaries}

// Valid reports whether t is an item type.
func (t ItemType) Valid() bool {
	for _, x := range ItemTypes {
		if x == t {
			return true
		}
	}
	return false
}

// Fixed reports whether the item is a fixed allowance (bidders take it as is).
func (t ItemType) Fixed() bool { return t == ProvisionalSum || t == PrimeCostSum }

// Label is the type as people read it.
func (t ItemType) Label() string {
	switch t {
	case Measured:
		return "Measured"
	case ProvisionalSum:
		return "Provisional sum"
	case PrimeCostSum:
		return "Prime cost sum"
	case Daywork:
		return "Daywork"
	case Preliminaries:
		return "Preliminaries"
	}
	return string(t)
}

// Units of measure, with the spellings spreadsheets use mapped to them.
var Units = []string{"m", "m2", "m3", "nr", "kg", "t", "item", "sum", "hr", "day", "wk", "l"}

var unitAliases = map[string]string{
	"m²": "m2", "sqm": "m2", "sq m": "m2", "m³": "m3", "cum": "m3", "cu m": "m3", "no": "nr", "no.": "nr", "nr.": "nr",
	"each": "nr", "ea": "nr", "tonne": "t", "tonnes": "t", "ton": "t", "ls": "sum", "lump sum": "sum", "hour": "hr",
	"hours": "hr", "hrs": "hr", "h": "hr", "days": "day", "week": "wk", "weeks": "wk", "litre": "l", "lm": "m", "items": "item",
}

// NormalizeUnit maps a unit of measure to its canonical spelling, or reports it unknown.
func NormalizeUnit(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if a, ok := unitAliases[s]; ok {
		return a, true
	}
	for _, u := range Units {
		if u == s {
			return u, true
		}
	}
	return s, false
}

// Item is one SOQ line, its values parsed.
type Item struct {
	Reference   string
	Description string
	Unit        string
	Quantity    Quantity
	Rate        int64 // minor units per unit of measure
	Type        ItemType
}

// Limits on text.
const (
	MaxReference   = 40
	MaxDescription = 2000
)

// Check applies the rules that hold for every item and those of its type. It normalizes
// the unit in place. Messages are for people.
func (it *Item) Check() field.Errors {
	errs := field.Errors{}
	add := func(f, m string) {
		if _, ok := errs[f]; !ok {
			errs[f] = m
		}
	}
	// References are compared for uniqueness: one spelling (NFC), nothing invisible.
	ref, refMsg := ident.Clean(it.Reference)
	it.Reference = ref
	it.Description = strings.TrimSpace(it.Description)
	switch n := utf8.RuneCountInString(it.Reference); {
	case refMsg != "":
		add("reference", refMsg)
	case n == 0:
		add("reference", "is required")
	case n > MaxReference:
		add("reference", fmt.Sprintf("must be at most %d characters", MaxReference))
	}
	switch n := utf8.RuneCountInString(it.Description); {
	case n == 0:
		add("description", "is required")
	case n > MaxDescription:
		add("description", fmt.Sprintf("must be at most %d characters", MaxDescription))
	}
	if !utf8.ValidString(it.Description) {
		add("description", "must be valid text (UTF-8)")
	}
	if strings.ContainsRune(it.Description, 0) {
		add("description", "must not contain a NUL character")
	}
	if !it.Type.Valid() {
		add("itemType", MsgItemType)
		return errs
	}
	if it.Unit == "" && (it.Type.Fixed()) {
		it.Unit = "sum"
	}
	u, ok := NormalizeUnit(it.Unit)
	switch {
	case strings.TrimSpace(it.Unit) == "":
		add("unit", "is required")
	case !ok:
		add("unit", "must be one of "+strings.Join(Units, ", "))
	default:
		it.Unit = u
	}
	if it.Quantity < 0 {
		add("quantity", "must not be negative")
	}
	if it.Quantity > MaxQuantity {
		add("quantity", "is too large")
	}
	if it.Rate < 0 {
		add("rate", "must not be negative")
	}
	if it.Rate > money.MaxMinor {
		add("rate", "is too large")
	}
	switch it.Type {
	case ProvisionalSum, PrimeCostSum:
		// A fixed allowance is one sum: the rate is the allowance.
		if ok && it.Unit != "sum" {
			add("unit", "must be sum for a "+strings.ToLower(it.Type.Label()))
		}
		if it.Quantity != AllowanceQuantity {
			add("quantity", "must be 1 for a "+strings.ToLower(it.Type.Label()))
		}
		if it.Rate <= 0 {
			add("rate", "must be the allowance, greater than 0")
		}
	case Daywork:
		if ok && it.Unit != "hr" && it.Unit != "day" && it.Unit != "wk" {
			add("unit", "must be hr, day or wk for daywork")
		}
	}
	if len(errs) == 0 {
		if _, err := Amount(it.Quantity, it.Rate); err != nil {
			add("rate", err.Error())
		}
	}
	return errs
}

// Limits on a section's text.
const (
	MaxSectionCode  = 20
	MaxSectionTitle = 200
)

// CheckSection cleans a section's code (an identifier: NFC, nothing invisible, unique per
// SOQ) and title, returning messages by field ("code", "title"). The sheet, the API and
// the importer all use it.
func CheckSection(code, title string) (string, string, field.Errors) {
	errs := field.Errors{}
	code, msg := ident.Clean(code)
	switch n := utf8.RuneCountInString(code); {
	case msg != "":
		errs["code"] = msg
	case n == 0:
		errs["code"] = "is required"
	case n > MaxSectionCode:
		errs["code"] = fmt.Sprintf("must be at most %d characters", MaxSectionCode)
	}
	title = strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(title); {
	case !utf8.ValidString(title) || strings.ContainsRune(title, 0):
		errs["title"] = "must be text without NUL characters (UTF-8)"
	case n == 0:
		errs["title"] = "is required"
	case n > MaxSectionTitle:
		errs["title"] = fmt.Sprintf("must be at most %d characters", MaxSectionTitle)
	}
	return code, title, errs
}

// Line is what the totals need from an item: the section it counts in, its quantity and
// rate. Key names the line to the caller when it is refused (a field such as "rate", a path
// such as "sections[1].items[0].rate", or a spreadsheet row).
type Line struct {
	Key      string
	Section  string
	Quantity Quantity
	Rate     int64
}

// Totals are an SOQ's totals per section and overall. Overflow is set when stored values
// exceed the money range (written before the totals check existed, or by hand): the
// totals are then capped at money.MaxMinor rather than failing the page.
type Totals struct {
	Sections map[string]int64
	Total    int64
	Overflow bool
}

// Which total a write would overflow.
const (
	OverAmount  = "amount"
	OverSection = "section"
	OverGrand   = "grand"
)

// TotalError refuses a write that would make an amount or a total exceed money.MaxMinor,
// the largest amount 14Build can hold. Key is the Line.Key of the line blamed for it.
type TotalError struct {
	Key     string
	Which   string // OverAmount, OverSection or OverGrand
	Section string
}

func (e *TotalError) Error() string {
	switch e.Which {
	case OverAmount:
		return "this would make the item's amount exceed the largest amount 14Build can hold"
	case OverSection:
		return "this would make the section total exceed the largest amount 14Build can hold"
	}
	return "this would make the grand total exceed the largest amount 14Build can hold"
}

// CheckTotals is the one check that an SOQ's amounts, section totals and grand total all
// fit the money range, run before every write of items (cell save, PATCH, add item, PUT or
// POST of a whole SOQ, import). kept are the items the write leaves as they are; changed
// are the ones it adds or alters. The blame falls on the first changed line that takes a
// total over the limit — never on a line the caller did not touch.
func CheckTotals(kept, changed []Line) (Totals, error) {
	t := Totals{Sections: map[string]int64{}}
	var over *TotalError
	add := func(l Line, blame bool) {
		a, err := Amount(l.Quantity, l.Rate)
		if err != nil {
			if over == nil && blame {
				over = &TotalError{Key: l.Key, Which: OverAmount, Section: l.Section}
			}
			t.Overflow, a = true, money.MaxMinor
		}
		sec, err := Sum(t.Sections[l.Section], a)
		if err != nil {
			if over == nil && blame {
				over = &TotalError{Key: l.Key, Which: OverSection, Section: l.Section}
			}
			t.Overflow, sec = true, money.MaxMinor
		}
		t.Sections[l.Section] = sec
		tot, err := Sum(t.Total, a)
		if err != nil {
			if over == nil && blame {
				over = &TotalError{Key: l.Key, Which: OverGrand, Section: l.Section}
			}
			t.Overflow, tot = true, money.MaxMinor
		}
		t.Total = tot
	}
	for _, l := range kept {
		add(l, false)
	}
	for _, l := range changed {
		add(l, true)
	}
	if t.Overflow && over == nil && len(changed) > 0 {
		// The kept items were already over the limit: any addition keeps it so.
		for _, l := range changed {
			if l.Quantity > 0 && l.Rate > 0 {
				over = &TotalError{Key: l.Key, Which: OverGrand, Section: l.Section}
				break
			}
		}
	}
	if over != nil {
		return t, over
	}
	return t, nil
}

// Tally totals stored lines for reading: it never fails, capping at money.MaxMinor and
// setting Overflow when values are out of range, so a page or export still answers.
func Tally(lines []Line) Totals {
	t, _ := CheckTotals(lines, nil)
	return t
}

// AmountOrMax is Amount for reading: an amount out of range reads as money.MaxMinor.
func AmountOrMax(q Quantity, rate int64) int64 {
	a, err := Amount(q, rate)
	if err != nil {
		return money.MaxMinor
	}
	return a
}

// Fit is CheckTotals for a write that may leave lines out (an import that keeps its valid
// rows): in order, each changed line is accepted if the amounts and totals with it still
// fit, or refused with the reason. kept are counted first, as in CheckTotals.
func Fit(kept, changed []Line) (fit []Line, refused []*TotalError) {
	t := Tally(kept)
	for _, l := range changed {
		a, err := Amount(l.Quantity, l.Rate)
		switch {
		case err != nil:
			refused = append(refused, &TotalError{Key: l.Key, Which: OverAmount, Section: l.Section})
			continue
		case a > money.MaxMinor-t.Sections[l.Section]:
			refused = append(refused, &TotalError{Key: l.Key, Which: OverSection, Section: l.Section})
			continue
		case a > money.MaxMinor-t.Total:
			refused = append(refused, &TotalError{Key: l.Key, Which: OverGrand, Section: l.Section})
			continue
		}
		t.Sections[l.Section] += a
		t.Total += a
		fit = append(fit, l)
	}
	return fit, refused
}
