package money

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	usd, _ := Lookup("USD")
	jpy, _ := Lookup("jpy")
	cases := []struct {
		in   string
		c    Currency
		want int64
		err  error
	}{
		{"1250000", usd, 125000000, nil},
		{"1,250,000.50", usd, 125000050, nil},
		{"$12.5", usd, 1250, nil},
		{"0.07", usd, 7, nil},
		{".5", usd, 50, nil},
		{"12.", usd, 1200, nil},
		{"0.10", usd, 10, nil},
		{"12.345", usd, 0, ErrPrecision},
		{"12.340", usd, 1234, nil},
		{"-5", usd, 0, ErrNegative},
		{"", usd, 0, ErrEmpty},
		{"abc", usd, 0, ErrSyntax},
		{"1e5", usd, 0, ErrSyntax},
		{"1.2.3", usd, 0, ErrSyntax},
		{".", usd, 0, ErrSyntax},
		{"99999999999999999999", usd, 0, ErrTooLarge},
		{"1500", jpy, 1500, nil},
		{"1500.5", jpy, 0, ErrPrecision},
	}
	for _, c := range cases {
		got, err := Parse(c.in, c.c)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d, %v", c.in, c.c.Code, got, err, c.want, c.err)
		}
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	usd, _ := Lookup("usd")
	jpy, _ := Lookup("jpy")
	cases := []struct {
		amount int64
		c      Currency
		want   string
	}{
		{0, usd, "$0.00"},
		{7, usd, "$0.07"},
		{125000050, usd, "$1,250,000.50"},
		{100000, usd, "$1,000.00"},
		{-1234, usd, "$-12.34"},
		{1500, jpy, "¥1,500"},
	}
	for _, c := range cases {
		if got := Format(c.amount, c.c); got != c.want {
			t.Errorf("Format(%d) = %q, want %q", c.amount, got, c.want)
		}
	}
	if got := Input(125000050, usd); got != "1250000.50" {
		t.Errorf("Input = %q", got)
	}
	// Round trip.
	for _, a := range []int64{0, 1, 99, 100, 123456789} {
		got, err := Parse(Input(a, usd), usd)
		if err != nil || got != a {
			t.Errorf("round trip %d: %d, %v", a, got, err)
		}
	}
}
