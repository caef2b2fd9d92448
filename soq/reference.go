package soq

import (
	"strconv"
	"strings"
)

// NextReference suggests the reference of the item added after last in a section coded
// code: last's trailing number plus one, keeping its zero padding (A7 → A8, B1.09 → B1.10,
// C099 → C100), skipping references taken elsewhere in the SOQ. A reference without a
// trailing number gets one (Prelims → Prelims1); an empty section starts at code+"1".
func NextReference(code, last string, taken func(string) bool) string {
	last = strings.TrimSpace(last)
	if last == "" {
		last = strings.TrimSpace(code) + "0"
	}
	i := len(last)
	for i > 0 && last[i-1] >= '0' && last[i-1] <= '9' {
		i--
	}
	prefix, digits := last[:i], last[i:]
	n, err := strconv.ParseUint(digits, 10, 63)
	if digits == "" || err != nil {
		prefix, n, digits = last, 0, ""
	}
	for tries := 0; ; tries++ {
		n++
		s := strconv.FormatUint(n, 10)
		if len(s) < len(digits) {
			s = strings.Repeat("0", len(digits)-len(s)) + s
		}
		ref := prefix + s
		// A bounded search: a section with thousands of taken successors is not worth more.
		if taken == nil || !taken(ref) || tries >= 10000 {
			return ref
		}
	}
}
