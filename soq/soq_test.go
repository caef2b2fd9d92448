package soq

import (
	"errors"
	"testing"

	"github.com/14build/14build/money"
)

func TestAmountRoundsHalfUp(t *testing.T) {
	cases := []struct {
		q    Quantity
		rate int64
		want int64
	}{
		{1000, 1250000, 1250000},                 // 1 × 12,500.00
		{12500, 1999, 24988},                     // 12.5 × 19.99 = 249.875 → 249.88
		{1, 500, 1},                              // 0.001 × 5.00 = 0.005 → 0.01 (half up)
		{1, 499, 0},                              // 0.004990 → 0.00
		{3, 500, 2},                              // 0.015 → 0.02
		{0, 123456, 0},                           // zero quantity
		{1500, 0, 0},                             // zero rate
		{333, 1, 0},                              // 0.333 × 0.01 = 0.00333 → 0.00
		{500, 1, 1},                              // 0.5 × 0.01 = 0.005 → 0.01
		{999_999_999_999, 1000, 999_999_999_999}, // large quantity, exact
	}
	for _, c := range cases {
		got, err := Amount(c.q, c.rate)
		if err != nil || got != c.want {
			t.Errorf("Amount(%s, %d) = %d, %v; want %d", c.q, c.rate, got, err, c.want)
		}
	}
	if _, err := Amount(MaxQuantity, 1<<40); !errors.Is(err, ErrAmountTooLarge) {
		t.Errorf("overflow not refused: %v", err)
	}
	if _, err := Sum(1<<52, 1<<52, 1<<52); !errors.Is(err, ErrAmountTooLarge) {
		t.Errorf("sum overflow not refused: %v", err)
	}
	if s, err := Sum(1, 2, 3); s != 6 || err != nil {
		t.Errorf("Sum = %d, %v", s, err)
	}
}

func TestParseQuantity(t *testing.T) {
	good := map[string]Quantity{"12.5": 12500, "1,250.125": 1250125, "3": 3000, "0.001": 1, ".5": 500, "12.3400": 12340, "0": 0}
	for in, want := range good {
		if got, err := ParseQuantity(in); err != nil || got != want {
			t.Errorf("ParseQuantity(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "1.2345", "abc", "1e3", "12.5.1", "99999999999999", "=SUM(A1:A3)", "."} {
		if _, err := ParseQuantity(bad); err == nil {
			t.Errorf("ParseQuantity(%q) accepted", bad)
		}
	}
	if s := Quantity(12500).String(); s != "12.5" {
		t.Errorf("String = %q", s)
	}
	if s := Quantity(12500).Fixed(); s != "12.500" {
		t.Errorf("Fixed = %q", s)
	}
}

func TestItemTypeRules(t *testing.T) {
	ok := []Item{
		{Reference: "A1", Description: "Site set-up", Unit: "item", Quantity: 1000, Rate: 1250000, Type: Preliminaries},
		{Reference: "B1", Description: "Excavate", Unit: "m³", Quantity: 125500, Rate: 2350, Type: Measured},
		{Reference: "PS1", Description: "Kitchen fittings allowance", Quantity: 1000, Rate: 1500000, Type: ProvisionalSum},
		{Reference: "PC1", Description: "Sanitaryware", Unit: "sum", Quantity: 1000, Rate: 800000, Type: PrimeCostSum},
		{Reference: "D1", Description: "Labourer", Unit: "hours", Quantity: 40000, Rate: 4500, Type: Daywork},
		{Reference: "B2", Description: "Rate only", Unit: "m2", Quantity: 0, Rate: 1000, Type: Measured},
	}
	for _, it := range ok {
		if errs := it.Check(); len(errs) > 0 {
			t.Errorf("%s: %v", it.Reference, errs)
		}
	}
	if it := ok[1]; func() string { it.Check(); return it.Unit }() != "m3" {
		t.Error("unit not normalized")
	}
	bad := []struct {
		it    Item
		field string
	}{
		{Item{Reference: "PS2", Description: "x", Unit: "sum", Quantity: 2000, Rate: 100, Type: ProvisionalSum}, "quantity"},
		{Item{Reference: "PS3", Description: "x", Unit: "m2", Quantity: 1000, Rate: 100, Type: ProvisionalSum}, "unit"},
		{Item{Reference: "PC2", Description: "x", Unit: "sum", Quantity: 1000, Rate: 0, Type: PrimeCostSum}, "rate"},
		{Item{Reference: "D2", Description: "x", Unit: "m2", Quantity: 1000, Rate: 100, Type: Daywork}, "unit"},
		{Item{Reference: "M1", Description: "x", Unit: "furlong", Quantity: 1000, Rate: 100, Type: Measured}, "unit"},
		{Item{Reference: "M2", Description: "x", Unit: "m", Quantity: 1000, Rate: -1, Type: Measured}, "rate"},
		{Item{Reference: "", Description: "x", Unit: "m", Quantity: 1000, Rate: 1, Type: Measured}, "reference"},
		{Item{Reference: "M3", Description: "", Unit: "m", Quantity: 1000, Rate: 1, Type: Measured}, "description"},
		{Item{Reference: "M4", Description: "x", Unit: "m", Quantity: 1000, Rate: 1, Type: "guess"}, "itemType"},
		{Item{Reference: "M5", Description: "x", Unit: "m", Quantity: MaxQuantity, Rate: 1 << 40, Type: Measured}, "rate"},
	}
	for _, b := range bad {
		if errs := b.it.Check(); errs[b.field] == "" {
			t.Errorf("%s: no %s error: %v", b.it.Reference, b.field, errs)
		}
	}
}

func TestCheckTotalsRefusesOverflow(t *testing.T) {
	max := money.MaxMinor
	one := Quantity(1000)
	kept := []Line{{Key: "k1", Section: "A", Quantity: one, Rate: max - 10}}
	if _, err := CheckTotals(kept, []Line{{Key: "rate", Section: "A", Quantity: one, Rate: 10}}); err != nil {
		t.Errorf("exactly the limit refused: %v", err)
	}
	for _, tc := range []struct {
		line  Line
		which string
	}{
		{Line{Key: "rate", Section: "A", Quantity: one, Rate: 11}, OverSection},
		{Line{Key: "rate", Section: "B", Quantity: one, Rate: 11}, OverGrand},
		{Line{Key: "rate", Section: "B", Quantity: MaxQuantity, Rate: max}, OverAmount},
	} {
		_, err := CheckTotals(kept, []Line{tc.line})
		var te *TotalError
		if !errors.As(err, &te) || te.Which != tc.which || te.Key != "rate" {
			t.Errorf("%+v: %v", tc.line, err)
		}
	}
	// Stored values already over the limit: reads cap, and any addition is refused.
	over := []Line{{Section: "A", Quantity: one, Rate: max}, {Section: "A", Quantity: one, Rate: max}}
	if tl := Tally(over); !tl.Overflow || tl.Total != max || tl.Sections["A"] != max {
		t.Errorf("tally %+v", tl)
	}
	if _, err := CheckTotals(over, []Line{{Key: "x", Section: "B", Quantity: one, Rate: 1}}); err == nil {
		t.Error("addition to an overflowing SOQ accepted")
	}
}

func TestFitKeepsWhatFits(t *testing.T) {
	max := money.MaxMinor
	one := Quantity(1000)
	fit, refused := Fit([]Line{{Section: "A", Quantity: one, Rate: max / 2}}, []Line{
		{Key: "row 2", Section: "A", Quantity: one, Rate: max / 4},
		{Key: "row 3", Section: "B", Quantity: one, Rate: max / 2},
		{Key: "row 4", Section: "B", Quantity: one, Rate: max / 4},
	})
	if len(fit) != 2 || fit[0].Key != "row 2" || fit[1].Key != "row 4" || len(refused) != 1 || refused[0].Key != "row 3" || refused[0].Which != OverGrand {
		t.Errorf("fit %+v refused %+v", fit, refused)
	}
}

func TestIdentifiersCleaned(t *testing.T) {
	it := Item{Reference: "A-0\u200b1", Description: "x", Unit: "nr", Quantity: 1000, Rate: 1, Type: Measured}
	if errs := it.Check(); errs["reference"] == "" {
		t.Error("zero-width space in a reference accepted")
	}
	it = Item{Reference: " Re\u0301f ", Description: "x", Unit: "nr", Quantity: 1000, Rate: 1, Type: Measured}
	if errs := it.Check(); len(errs) != 0 || it.Reference != "R\u00e9f" {
		t.Errorf("NFD reference: %v %q", errs, it.Reference)
	}
	if code, _, errs := CheckSection("S\u00e9", "Title"); len(errs) != 0 || code != "S\u00e9" {
		t.Errorf("section: %v", errs)
	}
	if _, _, errs := CheckSection("S\u202e1", "Title"); errs["code"] == "" {
		t.Error("bidi override in a section code accepted")
	}
	if _, _, errs := CheckSection("S1", "Ti\x00tle"); errs["title"] == "" {
		t.Error("NUL in a section title accepted")
	}
}
