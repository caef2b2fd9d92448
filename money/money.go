// Package money handles amounts as integer counts of a currency's minor unit. No floats.
package money

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Currency describes a supported currency.
type Currency struct {
	Code     string // ISO 4217, lower case as Stripe writes it
	Symbol   string
	Exponent int // digits after the decimal point
	Name     string
}

// Currencies lists the supported currencies in the order forms offer them.
var Currencies = []Currency{
	{"usd", "$", 2, "US dollar"},
	{"eur", "€", 2, "Euro"},
	{"gbp", "£", 2, "Pound sterling"},
	{"aud", "A$", 2, "Australian dollar"},
	{"cad", "C$", 2, "Canadian dollar"},
	{"nzd", "NZ$", 2, "New Zealand dollar"},
	{"zar", "R", 2, "South African rand"},
	{"aed", "AED ", 2, "UAE dirham"},
	{"jpy", "¥", 0, "Japanese yen"},
}

// Lookup returns a supported currency by code (case-insensitive).
func Lookup(code string) (Currency, bool) {
	code = strings.ToLower(strings.TrimSpace(code))
	for _, c := range Currencies {
		if c.Code == code {
			return c, true
		}
	}
	return Currency{}, false
}

// Errors from Parse, worded for people.
var (
	ErrEmpty     = errors.New("enter an amount")
	ErrSyntax    = errors.New("enter a number such as 1250000.00")
	ErrNegative  = errors.New("must not be negative")
	ErrPrecision = errors.New("has more decimal places than the currency allows")
	ErrTooLarge  = errors.New("is too large")
)

// MaxMinor bounds amounts well inside int64 so sums of many amounts cannot overflow.
const MaxMinor = int64(1) << 53

// Parse reads an amount written in major units ("1,250,000.50") into minor units,
// exactly: the text is split at the decimal point, never converted through a float.
func Parse(s string, c Currency) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, strings.TrimSpace(c.Symbol))
	s = strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), " ", "")
	if s == "" {
		return 0, ErrEmpty
	}
	if strings.HasPrefix(s, "-") {
		return 0, ErrNegative
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && !hasDot || whole == "" && frac == "" {
		return 0, ErrSyntax
	}
	if whole == "" {
		whole = "0"
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, ErrSyntax
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > c.Exponent {
		return 0, ErrPrecision
	}
	frac += strings.Repeat("0", c.Exponent-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, ErrTooLarge
	}
	scale := int64(math.Pow10(c.Exponent))
	if w > MaxMinor/scale {
		return 0, ErrTooLarge
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	return w*scale + f, nil
}

// Format writes minor units as "$1,250,000.50".
func Format(amount int64, c Currency) string {
	return c.Symbol + Plain(amount, c)
}

// FormatCode formats with a currency code, falling back to the code itself when unknown.
func FormatCode(amount int64, code string) string {
	c, ok := Lookup(code)
	if !ok {
		c = Currency{Code: code, Symbol: strings.ToUpper(code) + " ", Exponent: 2}
	}
	return Format(amount, c)
}

// Plain writes minor units in major units with thousands separators and no symbol.
func Plain(amount int64, c Currency) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	scale := int64(math.Pow10(c.Exponent))
	whole, frac := amount/scale, amount%scale
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(Group(whole))
	if c.Exponent > 0 {
		fmt.Fprintf(&b, ".%0*d", c.Exponent, frac)
	}
	return b.String()
}

// Group writes n with thousands separators ("-1,250,000"): the one grouping of money,
// counts and quantities alike.
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/3 + 1)
	if neg {
		b.WriteByte('-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Input writes minor units as a form's input value ("1250000.50"), without separators.
func Input(amount int64, c Currency) string {
	return strings.ReplaceAll(Plain(amount, c), ",", "")
}
