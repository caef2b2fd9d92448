package soq

import (
	"strings"
	"testing"

	"github.com/14build/14build/money"
)

func TestParseItemType(t *testing.T) {
	cases := map[string]struct {
		want ItemType
		ok   bool
	}{
		"":                {Measured, true}, // the default
		"measured":        {Measured, true},
		"provisional_sum": {ProvisionalSum, true},
		"Provisional sum": {ProvisionalSum, true},
		" PS ":            {ProvisionalSum, true},
		"prov. sum":       {ProvisionalSum, true},
		"prime-cost-sum":  {PrimeCostSum, true},
		"PC":              {PrimeCostSum, true},
		"Dayworks":        {Daywork, true},
		"prelims":         {Preliminaries, true},
		"guess":           {"guess", false},
		"Lump   Sum":      {"lump sum", false},
	}
	for in, c := range cases {
		if got, ok := ParseItemType(in); got != c.want || ok != c.ok {
			t.Errorf("ParseItemType(%q) = %q, %v; want %q, %v", in, got, ok, c.want, c.ok)
		}
	}
}

func TestParseItemQuantityAndRate(t *testing.T) {
	qs := []struct {
		t    ItemType
		in   string
		want Quantity
		bad  bool
	}{
		{ProvisionalSum, "", AllowanceQuantity, false}, // an allowance is one sum
		{PrimeCostSum, "  ", AllowanceQuantity, false},
		{ProvisionalSum, "2", 2000, false}, // read as typed; Check refuses it
		{Measured, "", 0, true},            // a measured quantity is required
		{Daywork, "1,250.5", 1250500, false},
		{Measured, "ten", 0, true},
	}
	for _, c := range qs {
		got, err := ParseItemQuantity(c.t, c.in)
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("ParseItemQuantity(%s, %q) = %v, %v", c.t, c.in, got, err)
		}
	}
	usd, _ := money.Lookup("usd")
	rs := []struct {
		in   string
		want int64
		msg  string
	}{
		{"1,250.00", 125000, ""},
		{"0", 0, ""},
		{"", 0, "is required"},
		{"  ", 0, "is required"},
		{"-5", 0, "must not be negative"},
		{"7.555", 0, "has more decimal places than the currency allows"},
	}
	for _, c := range rs {
		got, err := ParseRate(c.in, usd)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if got != c.want || msg != c.msg {
			t.Errorf("ParseRate(%q) = %d, %q; want %d, %q", c.in, got, msg, c.want, c.msg)
		}
	}
}

func TestParseItem(t *testing.T) {
	usd, _ := money.Lookup("usd")
	cases := []struct {
		name string
		in   ItemText
		want Item
		errs []string // fields refused
	}{
		{"measured", ItemText{Reference: " B1 ", Description: "Excavate", Unit: "cu m", Quantity: "12.5", Rate: "19.99"},
			Item{Reference: "B1", Description: "Excavate", Unit: "m3", Quantity: 12500, Rate: 1999, Type: Measured}, nil},
		{"allowance defaults", ItemText{Reference: "PS1", Description: "Contingency", Rate: "5,000", Type: "PS"},
			Item{Reference: "PS1", Description: "Contingency", Unit: "sum", Quantity: 1000, Rate: 500000, Type: ProvisionalSum}, nil},
		{"allowance with a quantity", ItemText{Reference: "PS2", Description: "x", Quantity: "3", Rate: "1", Type: "provisional_sum"}, Item{}, []string{"quantity"}},
		{"blank rate", ItemText{Reference: "B2", Description: "x", Unit: "m", Quantity: "1"}, Item{}, []string{"rate"}},
		{"unreadable numbers keep their own message", ItemText{Reference: "B3", Description: "x", Unit: "m", Quantity: "ten", Rate: "abc"}, Item{}, []string{"quantity", "rate"}},
		{"unknown type", ItemText{Reference: "B4", Description: "x", Unit: "m", Quantity: "1", Rate: "1", Type: "guess"}, Item{}, []string{"itemType"}},
		{"daywork unit", ItemText{Reference: "D1", Description: "Labourer", Unit: "m", Quantity: "8", Rate: "40", Type: "daywork"}, Item{}, []string{"unit"}},
		{"everything missing", ItemText{}, Item{}, []string{"reference", "description", "unit", "quantity", "rate"}},
	}
	for _, c := range cases {
		got, errs := ParseItem(c.in, usd)
		if len(errs) != len(c.errs) {
			t.Errorf("%s: errors %v, want fields %v", c.name, errs, c.errs)
			continue
		}
		for _, f := range c.errs {
			if !errs.Has(f) {
				t.Errorf("%s: no message for %s in %v", c.name, f, errs)
			}
		}
		if len(c.errs) == 0 && got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	// A quantity that could not be read is named as such, not by a later rule.
	if _, errs := ParseItem(ItemText{Reference: "X", Description: "x", Unit: "m", Quantity: "ten", Rate: "1"}, usd); errs["quantity"] != "must be a number such as 12.5" {
		t.Errorf("quantity message %q", errs["quantity"])
	}
}

func TestChangeType(t *testing.T) {
	it := Item{Quantity: 2500, Rate: 1000, Unit: "m2", Type: Measured}
	it.ChangeType(ProvisionalSum) // 2.5 × 10.00: the allowance is 25.00
	if it.Type != ProvisionalSum || it.Quantity != AllowanceQuantity || it.Rate != 2500 || it.Unit != "sum" {
		t.Errorf("to an allowance: %+v", it)
	}
	it.ChangeType(PrimeCostSum) // allowance to allowance: as it is
	if it.Type != PrimeCostSum || it.Rate != 2500 || it.Quantity != AllowanceQuantity {
		t.Errorf("allowance to allowance: %+v", it)
	}
	it.ChangeType(Measured)
	if it.Type != Measured || it.Rate != 2500 || it.Unit != "sum" {
		t.Errorf("back to measured: %+v", it)
	}
	zero := Item{Quantity: 0, Rate: 700, Unit: "m", Type: Measured}
	zero.ChangeType(ProvisionalSum) // no amount to keep: the rate stays
	if zero.Rate != 700 || zero.Quantity != AllowanceQuantity {
		t.Errorf("zero amount: %+v", zero)
	}
}

func TestSeenRefusesDuplicatesWithoutRegardToCase(t *testing.T) {
	s := Seen{}
	steps := []struct {
		key, where, first string
		dup               bool
	}{
		{"B1", "row 2", "", false},
		{"b1", "row 5", "row 2", true},
		{"B2", "row 6", "", false},
		{"", "row 7", "", false}, // blank: required elsewhere, never a duplicate
		{"", "row 8", "", false},
		{"ÄB", "row 9", "", false},
		{"äb", "row 10", "row 9", true},
	}
	for _, st := range steps {
		first, dup := s.Add(st.key, st.where)
		if first != st.first || dup != st.dup {
			t.Errorf("Add(%q, %q) = %q, %v; want %q, %v", st.key, st.where, first, dup, st.first, st.dup)
		}
	}
	if RefKey("AbC") != "abc" {
		t.Error("RefKey must fold case")
	}
}

func TestCheckHeader(t *testing.T) {
	cases := []struct {
		title, currency         string
		wantTitle, wantCurrency string
		errs                    []string
	}{
		{"  Main SOQ ", " USD ", "Main SOQ", "usd", nil},
		{"", "nzd", "", "nzd", []string{"title"}},
		{strings.Repeat("t", MaxTitle+1), "usd", strings.Repeat("t", MaxTitle+1), "usd", []string{"title"}},
		{"Bill", "doubloons", "Bill", "doubloons", []string{"currency"}},
		{"A\x00B", "", "A\x00B", "", []string{"title", "currency"}},
	}
	for _, c := range cases {
		title, cur, errs := CheckHeader(c.title, c.currency)
		if title != c.wantTitle || cur != c.wantCurrency || len(errs) != len(c.errs) {
			t.Errorf("CheckHeader(%q, %q) = %q, %q, %v", c.title, c.currency, title, cur, errs)
		}
		for _, f := range c.errs {
			if !errs.Has(f) {
				t.Errorf("CheckHeader(%q, %q): no message for %s", c.title, c.currency, f)
			}
		}
	}
}

func TestItemFields(t *testing.T) {
	for _, f := range ItemFields {
		if !ValidItemField(f) || FieldLabel(f) == "" {
			t.Errorf("field %q", f)
		}
	}
	if ValidItemField("amount") || ValidItemField("") {
		t.Error("amount is computed, not set")
	}
	if FieldLabel("itemType") != "Item type" || FieldLabel("category") != "Trade" || FieldLabel("rate") != "Rate" {
		t.Error("labels")
	}
}
