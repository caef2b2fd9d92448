package money

import "strings"

// Of is the currency of a stored code: the one Lookup knows, or — for a code stored before
// it was dropped from the list — two decimals and the code as its symbol, so amounts still
// read and write rather than failing a page or an export.
func Of(code string) Currency {
	if c, ok := Lookup(code); ok {
		return c
	}
	return Currency{Code: code, Symbol: strings.ToUpper(code) + " ", Exponent: 2}
}
