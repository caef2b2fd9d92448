// Package field holds per-field messages: what a form page, the JSON API and an import all
// say when input is refused. It is a leaf (it imports nothing of ours) so that domain
// packages, the store, handlers and views share one type instead of converting between four.
package field

import (
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors maps a field's name as the API spells it ("budget.amount", "units[2].unitNumber")
// to a message for a person. The JSON API sends it as "fields"; pages show each message
// beside its input.
type Errors map[string]string

// Add records msg for name unless name already has a message: the first problem found is
// the one to fix first, and later checks need not test whether an earlier one failed.
func (e Errors) Add(name, msg string) {
	if _, ok := e[name]; !ok {
		e[name] = msg
	}
}

// Merge adds other's messages for the fields that have none yet.
func (e Errors) Merge(other Errors) {
	for name, msg := range other {
		e.Add(name, msg)
	}
}

// Any reports whether any field has a message.
func (e Errors) Any() bool { return len(e) > 0 }

// Has reports whether name has a message.
func (e Errors) Has(name string) bool {
	_, ok := e[name]
	return ok
}

// Get is name's message, or "".
func (e Errors) Get(name string) string { return e[name] }

// Text checks a free-text value: trimmed, from min to max characters (min 1 reads "is
// required"), no NUL (PostgreSQL refuses it in text, which would otherwise be a 500).
func (e Errors) Text(name, v string, min, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	switch {
	case n < min && min == 1:
		e.Add(name, "is required")
	case n < min:
		e.Add(name, "must be at least "+strconv.Itoa(min)+" characters")
	case n > max:
		e.Add(name, "must be at most "+strconv.Itoa(max)+" characters")
	}
	if strings.ContainsRune(v, 0) {
		e.Add(name, "must not contain a NUL character")
	}
}

// Email checks a bare address (no display name) with a dot in its domain.
func (e Errors) Email(name, v string) {
	v = strings.TrimSpace(v)
	if v == "" {
		e.Add(name, "is required")
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
		e.Add(name, "must be an email address such as name@example.com")
	}
}

// Password checks a new password's length: 10 to 128 characters, counted as people count them.
func (e Errors) Password(name, v string) {
	n := utf8.RuneCountInString(v)
	switch {
	case n == 0:
		e.Add(name, "is required")
	case n < 10:
		e.Add(name, "must be at least 10 characters")
	case n > 128:
		e.Add(name, "must be at most 128 characters")
	}
}
