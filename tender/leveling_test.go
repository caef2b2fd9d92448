package tender

import (
	"errors"
	"slices"
	"testing"

	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/units"
)

func p(rate int64) Offer { return Offer{Rate: rate, HasRate: true} }

var none = Offer{}

// A leveling table of four bids (A, B, C, D), NZD, rates in cents. Each row's answers are
// worked by hand: "others" are the other bids' positive rates, m2 twice their median; high
// is 2·rate ≥ 3·m2, low is 6·rate ≤ m2.
func TestFlagLine(t *testing.T) {
	nzd := money.Of("nzd")
	type flags map[int]Flag // offer index → its one flag
	for _, tc := range []struct {
		name      string
		typ       soq.ItemType
		allowance int64
		offers    []Offer
		want      flags
		lowest    []int
	}{
		// A: others {12000, 36000} (C's 0 left out), m2 48000: 20000 ≥ 144000 no, 60000 ≤ 48000 no.
		// B: others {10000, 36000}, m2 46000: no, 72000 ≤ 46000 no.
		// C: 0 → zero rate.
		// D: others {10000, 12000}, m2 22000: 72000 ≥ 66000 → high (median 110.00).
		// Lowest: A (C's 0 is not a price).
		{"1.1 measured", soq.Measured, 0, []Offer{p(10000), p(12000), p(0), p(36000)},
			flags{2: FlagZeroRate, 3: FlagHighRate}, []int{0}},
		// A: others {1500, 5000}, m2 6500: 10000 ≥ 19500 no, 30000 ≤ 6500 no.
		// B: others {5000, 5000}, m2 10000: 3000 ≥ 30000 no, 9000 ≤ 10000 → low.
		// C: as A. D did not price the line: no flag, not in anyone's median.
		{"1.2 measured, one unpriced", soq.Measured, 0, []Offer{p(5000), p(1500), p(5000), none},
			flags{1: FlagLowRate}, []int{1}},
		// A: others {1000, 1000}, m2 2000: 6000 ≥ 6000 → high, exactly 3×.
		// B, C: others {3000, 1000}, m2 4000: 2000 ≥ 12000 no, 6000 ≤ 4000 no. Tied lowest.
		{"1.3 daywork, exactly 3×", soq.Daywork, 0, []Offer{p(3000), p(1000), p(1000)},
			flags{0: FlagHighRate}, []int{1, 2}},
		// A: others {300, 300, 300}, m2 600: 600 ≤ 600 → low, exactly ⅓.
		// B, C, D: others {100, 300, 300}, m2 600: 600 ≥ 1800 no, 1800 ≤ 600 no.
		{"1.4 preliminaries, exactly ⅓", soq.Preliminaries, 0, []Offer{p(100), p(300), p(300), p(300)},
			flags{0: FlagLowRate}, []int{0}},
		// One bid: nothing to compare with.
		{"1.5 one bid", soq.Measured, 0, []Offer{p(999999)}, flags{}, []int{0}},
		// Others all zero: no median to compare with; both zeros flagged.
		{"1.6 zeros", soq.Measured, 0, []Offer{p(0), p(0), p(5000)},
			flags{0: FlagZeroRate, 1: FlagZeroRate}, []int{2}},
		// Allowance 5,000.00: B's 4,000.00 is changed; C holds none (pre-filled), D matches.
		// No zero or outlier flags and no lowest on a locked line.
		{"2.1 provisional sum", soq.ProvisionalSum, 500000, []Offer{p(500000), p(400000), none, p(500000)},
			flags{1: FlagAllowanceChanged}, nil},
		{"2.2 prime cost sum", soq.PrimeCostSum, 100, []Offer{p(0)}, flags{0: FlagAllowanceChanged}, nil},
	} {
		got := FlagLine(tc.typ, tc.allowance, tc.offers, nzd)
		if len(got) != len(tc.offers) {
			t.Fatalf("%s: %d results for %d offers", tc.name, len(got), len(tc.offers))
		}
		for i, fs := range got {
			want, flagged := tc.want[i]
			switch {
			case !flagged && len(fs) != 0:
				t.Errorf("%s: offer %d flagged %v", tc.name, i, fs)
			case flagged && (len(fs) != 1 || fs[0].Flag != want || fs[0].Reason == ""):
				t.Errorf("%s: offer %d got %v, want %s", tc.name, i, fs, want)
			}
		}
		if lo := Lowest(tc.typ, tc.offers); !slices.Equal(lo, tc.lowest) {
			t.Errorf("%s: lowest %v, want %v", tc.name, lo, tc.lowest)
		}
	}
}

func TestFlagReasons(t *testing.T) {
	nzd := money.Of("nzd")
	got := FlagLine(soq.Measured, 0, []Offer{p(10000), p(12000), p(0), p(36000)}, nzd)
	want := "the rate NZ$360.00 is at least 3× the median of the other bids' rates (NZ$110.00)"
	if got[3][0].Reason != want {
		t.Errorf("got %q", got[3][0].Reason)
	}
	// Median of {1500, 1501} is 1500.5 cents, shown rounded half up: 15.01.
	got = FlagLine(soq.Measured, 0, []Offer{p(100), p(1500), p(1501)}, nzd)
	want = "the rate NZ$1.00 is at most ⅓ of the median of the other bids' rates (NZ$15.01)"
	if got[0][0].Reason != want {
		t.Errorf("got %q", got[0][0].Reason)
	}
	got = FlagLine(soq.ProvisionalSum, 500000, []Offer{p(400000)}, nzd)
	want = "the provisional sum is NZ$4,000.00 in this bid, not the SOQ's NZ$5,000.00"
	if got[0][0].Reason != want {
		t.Errorf("got %q", got[0][0].Reason)
	}
}

func TestFrontLoaded(t *testing.T) {
	for _, tc := range []struct {
		prelims, total int64
		want           string // "" when not flagged
	}{
		{15000, 100000, ""}, // exactly 15%: not above
		{14999, 100000, ""},
		{18245, 100000, "preliminaries are 18.2% of the bid total, more than 15%"}, // 182.45 tenths → 182
		{18250, 100000, "preliminaries are 18.3% of the bid total, more than 15%"}, // 182.5 → 183, half up
		{100, 100, "preliminaries are 100.0% of the bid total, more than 15%"},
		{0, 0, ""},
	} {
		f, ok := FrontLoaded(tc.prelims, tc.total)
		if ok != (tc.want != "") || f.Reason != tc.want || (ok && f.Flag != FlagFrontLoaded) {
			t.Errorf("%d of %d: got %v %v", tc.prelims, tc.total, f, ok)
		}
	}
}

func TestCostPer(t *testing.T) {
	for _, tc := range []struct {
		total int64
		gfa   units.Area
		want  int64
		ok    bool
	}{
		{5, 200, 3, true},                 // 5 ÷ 2.00 m² = 2.5 → 3, half up
		{100000000, 33333, 300003, true},  // 1,000,000.00 ÷ 333.33 m² = 300003.00003 cents
		{1000000, 12345, 8100, true},      // 10,000.00 ÷ 123.45 = 81.0044 → 81.00
		{1 << 53, 1, 1 << 53 * 100, true}, // a big total over 0.01 m² stays exact
		{100, 0, 0, false},
	} {
		got, ok := CostPerArea(tc.total, tc.gfa)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CostPerArea(%d, %d) = %d %v, want %d", tc.total, tc.gfa, got, ok, tc.want)
		}
	}
	for _, tc := range []struct {
		total int64
		n     int
		want  int64
		ok    bool
	}{
		{7, 2, 4, true},  // 3.5 → 4
		{9, 4, 2, true},  // 2.25 → 2
		{10, 4, 3, true}, // 2.5 → 3
		{7, 0, 0, false},
	} {
		got, ok := CostPerUnit(tc.total, tc.n)
		if got != tc.want || ok != tc.ok {
			t.Errorf("CostPerUnit(%d, %d) = %d %v, want %d", tc.total, tc.n, got, ok, tc.want)
		}
	}
	gfa := GrossFloorArea([]units.Unit{{TotalArea: 8450}, {TotalArea: 12000}})
	if gfa != 20450 {
		t.Errorf("gross floor area %d", gfa)
	}
}

// Three bids on four lines in two sections, worked by hand. Quantities in thousandths.
func TestLevel(t *testing.T) {
	items := []Line{
		{ItemID: "i1", Reference: "1.1", Section: "1", Type: soq.Measured, Quantity: 10000},
		{ItemID: "i2", Reference: "1.2", Section: "1", Type: soq.Measured, Quantity: 2000},
		{ItemID: "i3", Reference: "2.1", Section: "2", Type: soq.ProvisionalSum, Quantity: 1000, Allowance: 100000},
		{ItemID: "i4", Reference: "2.2", Section: "2", Type: soq.Preliminaries, Quantity: 1000},
	}
	bids := []map[string]int64{
		{"i1": 1000, "i2": 5000, "i4": 10000},              // A
		{"i1": 1100, "i2": 0, "i3": 90000, "i4": 60000},    // B
		{"i1": 1050, "i2": 4000, "i3": 100000, "i4": 9000}, // C
	}
	lv, err := Level(items, bids, money.Of("nzd"))
	if err != nil {
		t.Fatal(err)
	}
	// Amounts: A 10000, 10000, 100000 (pre-filled), 10000 = 130000.
	//          B 11000, 0, 100000 (the allowance counts, not its 90000), 60000 = 171000.
	//          C 10500, 8000, 100000, 9000 = 127500.
	for b, want := range []struct{ s1, s2, total, prelims int64 }{
		{20000, 110000, 130000, 10000},
		{11000, 160000, 171000, 60000},
		{18500, 109000, 127500, 9000},
	} {
		got := lv.Bids[b]
		if got.Totals.Sections["1"] != want.s1 || got.Totals.Sections["2"] != want.s2 ||
			got.Totals.Total != want.total || got.Prelims != want.prelims {
			t.Errorf("bid %d: %+v %d, want %+v", b, got.Totals, got.Prelims, want)
		}
	}
	// i1: A others {1100, 1050}, m2 2150: no flag; likewise B and C.
	// i2: B's 0 is a zero rate. A: others {4000}, m2 8000: no. C: others {5000}: no.
	// i3: B's 90000 is not the 100000 allowance; A holds none (pre-filled).
	// i4: A: others {60000, 9000}, m2 69000: 6·10000 = 60000 ≤ 69000 → low.
	//     B: others {10000, 9000}, m2 19000: 2·60000 = 120000 ≥ 57000 → high.
	//     C: others {10000, 60000}, m2 70000: 6·9000 = 54000 ≤ 70000 → low.
	want := [][]Flag{
		{"", "", ""},
		{"", FlagZeroRate, ""},
		{"", FlagAllowanceChanged, ""},
		{FlagLowRate, FlagHighRate, FlagLowRate},
	}
	for i, ll := range lv.Lines {
		for b, fs := range ll.Findings {
			var got Flag
			if len(fs) > 0 {
				got = fs[0].Flag
			}
			if got != want[i][b] || len(fs) > 1 {
				t.Errorf("line %s bid %d: %v, want %s", ll.Line.Reference, b, fs, want[i][b])
			}
		}
	}
	// Lowest: i1 A (10.00); i2 C (40.00; B's 0 is not a price); i3 none (locked); i4 C (90.00).
	for i, lo := range [][]int{{0}, {2}, nil, {2}} {
		if !slices.Equal(lv.Lines[i].Lowest, lo) {
			t.Errorf("line %d lowest %v, want %v", i, lv.Lines[i].Lowest, lo)
		}
	}
	// Flagged lines per bid: A 1, B 3, C 1. B's preliminaries: 60000 of 171000 =
	// 350.877 tenths of a percent → 35.1%.
	for b, n := range []int{1, 3, 1} {
		if lv.Bids[b].Flagged != n {
			t.Errorf("bid %d flagged on %d lines, want %d", b, lv.Bids[b].Flagged, n)
		}
	}
	if f := lv.Bids[1].Findings; len(f) != 1 || f[0].Reason != "preliminaries are 35.1% of the bid total, more than 15%" {
		t.Errorf("bid B findings %v", f)
	}
	if len(lv.Bids[0].Findings)+len(lv.Bids[2].Findings) != 0 {
		t.Errorf("bids A and C found front-loaded: %v %v", lv.Bids[0].Findings, lv.Bids[2].Findings)
	}
	if lv.Lines[1].Amounts[2] != 8000 || lv.Lines[2].Amounts[1] != 100000 {
		t.Errorf("amounts %v %v", lv.Lines[1].Amounts, lv.Lines[2].Amounts)
	}

	huge := []Line{{ItemID: "x", Section: "1", Type: soq.Measured, Quantity: soq.MaxQuantity}}
	var te *soq.TotalError
	if _, err := Level(huge, []map[string]int64{{"x": money.MaxMinor}}, money.Of("nzd")); !errors.As(err, &te) || te.Key != "x" {
		t.Errorf("overflow: %v", err)
	}
}
