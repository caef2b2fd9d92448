// Package state holds what every typed state shares: it is stored as its text, and a value
// its domain does not know is refused both ways. Each state type (soq.Status,
// soq.ImportStatus, project.Status, and the tender, bid and escrow states to come) keeps
// its constants, its Valid and its transitions beside it and calls these for storage.
package state

import (
	"database/sql/driver"
	"fmt"
)

// Text is a state type: a string type that knows its own values.
type Text interface {
	~string
	Valid() bool
}

// Value stores s as its text; what names the type in the error ("soq status").
func Value[T Text](s T, what string) (driver.Value, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("invalid %s %q", what, string(s))
	}
	return string(s), nil
}

// Scan reads a stored state into dst, refusing one the domain does not know.
func Scan[T Text](dst *T, src any, what string) error {
	var text string
	switch v := src.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return fmt.Errorf("cannot scan %T into a %s", src, what)
	}
	if !T(text).Valid() {
		return fmt.Errorf("unknown %s %q", what, text)
	}
	*dst = T(text)
	return nil
}
