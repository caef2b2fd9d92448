package tender

import (
	"errors"
	"slices"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

func TestPricedAndLocked(t *testing.T) {
	for _, tc := range []struct {
		typ            soq.ItemType
		priced, locked bool
	}{
		{soq.Measured, true, false},
		{soq.Daywork, true, false},
		{soq.Preliminaries, true, false},
		{soq.ProvisionalSum, false, true},
		{soq.PrimeCostSum, false, true},
	} {
		if Priced(tc.typ) != tc.priced || Locked(tc.typ) != tc.locked {
			t.Errorf("%s: Priced %v Locked %v", tc.typ, Priced(tc.typ), Locked(tc.typ))
		}
	}
	if len(soq.ItemTypes) != 5 {
		t.Errorf("soq has %d item types; decide whether bidders price the new one", len(soq.ItemTypes))
	}
}

func TestCheckRate(t *testing.T) {
	ps := Line{Type: soq.ProvisionalSum, Allowance: 500000}
	m := Line{Type: soq.Measured}
	for _, tc := range []struct {
		line Line
		rate int64
		ok   bool
	}{
		{m, 0, true},
		{m, 12345, true},
		{m, -1, false},
		{ps, 500000, true},
		{ps, 400000, false},
		{Line{Type: soq.PrimeCostSum, Allowance: 100}, 0, false},
	} {
		if got := CheckRate(tc.line, tc.rate); (got == "") != tc.ok {
			t.Errorf("%s rate %d: %q", tc.line.Type, tc.rate, got)
		}
	}
}

func TestBidTotal(t *testing.T) {
	lines := []Line{
		// 12.5 m2 × 40.01 = 500.125 → 500.13 (half up): 50013
		{ItemID: "a", Section: "1", Type: soq.Measured, Quantity: 12500, Rate: 4001, HasRate: true},
		// unpriced: counts 0 in a draft's running total
		{ItemID: "b", Section: "1", Type: soq.Measured, Quantity: 3000},
		// the allowance counts, not the 1 the bid holds: 1 × 5,000.00 = 500000
		{ItemID: "c", Section: "2", Type: soq.ProvisionalSum, Quantity: soq.AllowanceQuantity, Allowance: 500000, Rate: 1, HasRate: true},
		// 8 hr × 85.00 = 68000
		{ItemID: "d", Section: "2", Type: soq.Daywork, Quantity: 8000, Rate: 8500, HasRate: true},
	}
	got, err := BidTotal(lines)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 50013+500000+68000 || got.Sections["1"] != 50013 || got.Sections["2"] != 568000 {
		t.Errorf("totals %+v", got)
	}

	huge := []Line{
		{ItemID: "x", Section: "1", Type: soq.Measured, Quantity: soq.MaxQuantity, Rate: money.MaxMinor, HasRate: true},
	}
	var te *soq.TotalError
	if _, err := BidTotal(huge); !errors.As(err, &te) || te.Key != "x" {
		t.Errorf("overflow: %v", err)
	}
}

func TestMissing(t *testing.T) {
	lines := []Line{
		{Reference: "1.1", Type: soq.Measured, Rate: 100, HasRate: true},
		{Reference: "1.2", Type: soq.Measured},                // missing
		{Reference: "1.3", Type: soq.Measured, HasRate: true}, // a rate of 0 is a rate
		{Reference: "2.1", Type: soq.ProvisionalSum},          // locked: pre-filled
		{Reference: "2.2", Type: soq.PrimeCostSum},            // locked: pre-filled
		{Reference: "3.1", Type: soq.Daywork},                 // missing
		{Reference: "4.1", Type: soq.Preliminaries},           // missing
	}
	addenda := []Addendum{{1, true}, {2, false}, {3, false}}
	m := Missing(lines, addenda)
	var refs []string
	for _, l := range m.Lines {
		refs = append(refs, l.Reference)
	}
	if !slices.Equal(refs, []string{"1.2", "3.1", "4.1"}) || !slices.Equal(m.Addenda, []int{2, 3}) || m.None() {
		t.Fatalf("got %v %v", refs, m.Addenda)
	}
	if want := "Before submitting, price 3 lines (1.2, 3.1, 4.1) and acknowledge addenda 2, 3."; m.Error() != want {
		t.Errorf("got %q", m.Error())
	}
	one := Missing(lines[3:4], []Addendum{{4, false}})
	if want := "Before submitting, acknowledge addendum 4."; one.Error() != want {
		t.Errorf("got %q", one.Error())
	}
	if !Missing(lines[:1], addenda[:1]).None() {
		t.Error("a fully priced, acknowledged bid is blocked")
	}
	var many []Line
	for i := 0; i < 12; i++ {
		many = append(many, Line{Reference: string(rune('a' + i)), Type: soq.Measured})
	}
	if want := "Before submitting, price 12 lines (a, b, c, d, e, f, g, h, i, j and 2 more)."; Missing(many, nil).Error() != want {
		t.Errorf("got %q", Missing(many, nil).Error())
	}
}
