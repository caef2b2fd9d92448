package views

import (
	"testing"
	"time"

	"github.com/14build/14build/units"
)

func TestThousandsAndCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 19980: "19,980",
		1234567: "1,234,567", -1234: "-1,234", -999: "-999", 100000: "100,000"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Count(19980); got != "19,980" {
		t.Errorf("Count(19980) = %q", got)
	}
	if got := Counted(19980, "row", "rows"); got != "19,980 rows" {
		t.Errorf("Counted = %q", got)
	}
	if got := Counted(1, "bath", "baths"); got != "1 bath" {
		t.Errorf("Counted(1) = %q", got)
	}
}

// A column of quantities lines up on the decimal point only if every value has the same
// number of decimals.
func TestDecimalKeepsItsPlaces(t *testing.T) {
	for _, c := range []struct {
		n      int64
		places int
		want   string
	}{
		{199104, 2, "1,991.04"},
		{5, 3, "0.005"},
		{42000, 3, "42.000"},
		{12345678900, 3, "12,345,678.900"},
		{-150, 2, "-1.50"},
		{-5, 2, "-0.05"},
		{1234, 0, "1,234"},
	} {
		if got := Decimal(c.n, c.places); got != c.want {
			t.Errorf("Decimal(%d, %d) = %q, want %q", c.n, c.places, got, c.want)
		}
	}
	if got := Area(units.Area(199104)); got != "1,991.04" {
		t.Errorf("Area = %q, want 1,991.04", got)
	}
}

func TestCurrencyLabelIsUpperCase(t *testing.T) {
	if got := CurrencyLabel(" nzd"); got != "NZD" {
		t.Errorf("CurrencyLabel = %q", got)
	}
}

func TestProjectTimeNamesTheZone(t *testing.T) {
	at := time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC) // 00:30 on 4 Dec in Auckland (NZDT)
	for _, c := range []struct{ zone, want string }{
		{"Pacific/Auckland", "4 Dec 2026, 00:30 NZDT (Pacific/Auckland)"},
		{"UTC", "3 Dec 2026, 11:30 UTC"},
		{"", "3 Dec 2026, 11:30 UTC"},
		{"Not/AZone", "3 Dec 2026, 11:30 UTC"},
		{"Asia/Dubai", "3 Dec 2026, 15:30 UTC+4 (Asia/Dubai)"},
		{"Asia/Kolkata", "3 Dec 2026, 17:00 IST (Asia/Kolkata)"},
	} {
		if got := ProjectTime(at, c.zone); got != c.want {
			t.Errorf("ProjectTime(%s) = %q, want %q", c.zone, got, c.want)
		}
	}
	if got := ProjectDate(at, "Pacific/Auckland"); got != "4 Dec 2026" {
		t.Errorf("ProjectDate = %q, want the Auckland date", got)
	}
}
