package soq

import (
	"errors"
	"strings"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
)

// Reading items from what people type and files hold. Every front end reads an item
// through these: the sheet's add-row and cells, the spreadsheet import, and (for the
// parts that are text) the JSON API, so the defaults and messages are the same everywhere.

// AllowanceQuantity is the quantity of a fixed allowance (a provisional or prime cost sum):
// one sum, whose rate is the allowance.
const AllowanceQuantity = Quantity(1000)

// ParseItemType reads an item type as forms, the API and spreadsheets write it:
// "provisional_sum", "Provisional sum", "PS", "prov. sum"… Blank is Measured, the default.
// An unknown type comes back as its normalized text with ok false; Item.Check names it.
func ParseItemType(text string) (t ItemType, ok bool) {
	n := strings.Join(strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r == ' ' || r == '_' || r == '-' || r == '.' }), " ")
	switch n {
	case "", "measured", "m", "measured work":
		return Measured, true
	case "provisional sum", "ps", "prov sum", "provisional":
		return ProvisionalSum, true
	case "prime cost sum", "pc sum", "pc", "prime cost":
		return PrimeCostSum, true
	case "daywork", "dayworks", "day work", "dw":
		return Daywork, true
	case "preliminaries", "prelims", "preliminary", "prelim":
		return Preliminaries, true
	}
	return ItemType(n), false
}

// ParseItemQuantity reads an item's quantity; an allowance's blank quantity is one sum.
func ParseItemQuantity(t ItemType, text string) (Quantity, error) {
	if strings.TrimSpace(text) == "" && t.Fixed() {
		return AllowanceQuantity, nil
	}
	return ParseQuantity(text)
}

// ErrRateRequired refuses a blank rate: a rate of nothing is typed as 0.
var ErrRateRequired = errors.New("is required")

// ParseRate reads a rate written in the currency's major units ("1,250.00") into minor
// units. Blank is refused (ErrRateRequired) on every front end.
func ParseRate(text string, cur money.Currency) (int64, error) {
	r, err := money.Parse(text, cur)
	if errors.Is(err, money.ErrEmpty) {
		return 0, ErrRateRequired
	}
	return r, err
}

// ItemText is an item as a person types it into the sheet or a spreadsheet row holds it:
// text, the rate in the currency's major units.
type ItemText struct {
	Reference, Description, Unit, Quantity, Rate, Type string
}

// ParseItem is the one reading of a whole item from text (the sheet's add-row, the
// import's rows): defaults (Measured; an allowance's blank quantity is one sum and its
// blank unit "sum"), the numbers, then every rule of Check. Messages are by field:
// "reference", "description", "unit", "quantity", "rate", "itemType". A field whose text
// could not be read keeps that message, not a later rule's.
func ParseItem(in ItemText, cur money.Currency) (Item, field.Errors) {
	errs := field.Errors{}
	t, ok := ParseItemType(in.Type)
	it := Item{Reference: in.Reference, Description: in.Description, Unit: in.Unit, Type: t}
	if !ok {
		errs.Add("itemType", MsgItemType)
	}
	var err error
	if it.Quantity, err = ParseItemQuantity(t, in.Quantity); err != nil {
		errs.Add("quantity", err.Error())
	}
	if it.Rate, err = ParseRate(in.Rate, cur); err != nil {
		errs.Add("rate", err.Error())
	}
	for f, m := range it.Check() {
		errs.Add(f, m)
	}
	return it, errs
}

// ChangeType is a person changing an item's type in the sheet. Turning a line into a
// fixed allowance keeps its amount as the allowance: one sum at that rate.
func (it *Item) ChangeType(t ItemType) {
	if t.Fixed() && !it.Type.Fixed() {
		if a, err := Amount(it.Quantity, it.Rate); err == nil && a > 0 {
			it.Rate = a
		}
		it.Quantity, it.Unit = AllowanceQuantity, "sum"
	}
	it.Type = t
}

// RefKey is the form of a reference (or a section code) compared for uniqueness within
// an SOQ: without regard to case, as the database's unique indexes on lower(reference)
// and lower(code) compare them.
func RefKey(ref string) string { return strings.ToLower(ref) }

// Seen tracks the references (or section codes) of one batch of items — a whole SOQ
// body, a spreadsheet — to refuse one used twice within it.
type Seen map[string]string

// Add records key (a reference or code) as used at where ("sections[1].items[0]", "row 7"),
// or reports where it was used first. A blank key is never a duplicate: it is refused as
// required elsewhere.
func (s Seen) Add(key, where string) (first string, dup bool) {
	k := RefKey(key)
	if k == "" {
		return "", false
	}
	if first, dup := s[k]; dup {
		return first, true
	}
	s[k] = where
	return "", false
}

// ItemFields are an item's fields that can be set one at a time (a sheet cell, a PATCH,
// a paste), by their API names, in the order the sheet shows them.
var ItemFields = []string{"reference", "description", "unit", "quantity", "rate", "itemType", "category"}

// ValidItemField reports whether name is one of ItemFields.
func ValidItemField(name string) bool {
	for _, f := range ItemFields {
		if f == name {
			return true
		}
	}
	return false
}

// FieldLabel names an item's field for people, in messages and labels.
func FieldLabel(name string) string {
	switch name {
	case "itemType":
		return "Item type"
	case "category":
		return "Trade"
	case "":
		return ""
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// MaxTitle bounds an SOQ's title.
const MaxTitle = 200

// CheckHeader cleans an SOQ's title and currency code (trimmed; the code in lower case)
// and checks them, for the API and the sheet's create form alike: messages by field
// ("title", "currency").
func CheckHeader(title, currency string) (string, string, field.Errors) {
	errs := field.Errors{}
	errs.Text("title", title, 1, MaxTitle)
	currency = strings.ToLower(strings.TrimSpace(currency))
	if _, ok := money.Lookup(currency); !ok {
		errs.Add("currency", "is not a currency we support")
	}
	return strings.TrimSpace(title), currency, errs
}
