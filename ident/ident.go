// Package ident cleans identifiers people type and others look up by: unit numbers, item
// references, section codes. They are compared for uniqueness, so two spellings that look
// the same must be stored the same (Unicode NFC), and characters nobody can see (a
// zero-width space, a bidirectional override) are refused: otherwise "A-0\u200b1" would
// sit beside "A-01" as a different unit that looks identical.
package ident

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clean trims and NFC-normalises s. It returns a message for people (without the field's
// name: "must not contain …") when s holds invalid UTF-8, a control character, an invisible
// format character or a bidirectional control.
func Clean(s string) (string, string) {
	if !utf8.ValidString(s) {
		return s, "must be valid text (UTF-8)"
	}
	// A no-break or other typographic space looks like a space: store it as one.
	s = strings.Map(func(r rune) rune {
		if r != ' ' && unicode.Is(unicode.Zs, r) {
			return ' '
		}
		return r
	}, s)
	s = norm.NFC.String(strings.TrimSpace(s))
	for _, r := range s {
		if name, bad := invisible(r); bad {
			return s, fmt.Sprintf("must not contain invisible or direction-changing characters (found %s, U+%04X)", name, r)
		}
	}
	return s, ""
}

// invisible reports characters that change how text reads without being seen.
func invisible(r rune) (string, bool) {
	switch r {
	case 0x200B:
		return "a zero-width space", true
	case 0x200C:
		return "a zero-width non-joiner", true
	case 0x200D:
		return "a zero-width joiner", true
	case 0xFEFF:
		return "a byte order mark", true
	case 0x00AD:
		return "a soft hyphen", true
	case 0x200E, 0x200F, 0x061C:
		return "a direction mark", true
	case 0x2060:
		return "a word joiner", true
	}
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return "a bidirectional control", true
	case r == 0:
		return "a NUL character", true
	case unicode.IsControl(r):
		return "a control character", true
	case unicode.Is(unicode.Cf, r):
		return "an invisible format character", true
	case r == utf8.RuneError:
		return "a replacement character", true
	case unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
		return "a private-use character", true
	}
	return "", false
}

// Key is the form uniqueness compares: cleaned and lower-cased, as the unique indexes
// compare lower(...) of the stored (already cleaned) value.
func Key(s string) string {
	c, _ := Clean(s)
	return strings.ToLower(c)
}
