// Package state holds what every typed state shares: it is stored as its text, and a value
// its domain does not know is refused both ways. Each state type (soq.Status,
// soq.ImportStatus, project.Status, and the tender, bid and escrow states to come) keeps
// its constants, its Valid and its transitions beside it, and calls these for storage and
// for refusing a transition (Step, TransitionError).
package state

import (
	"database/sql/driver"
	"fmt"
	"slices"
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

// Noun names what changes state in TransitionError's sentences: "an SOQ", "the SOQ".
type Noun struct{ A, The string }

// TransitionError refuses a change of state that the thing's life does not allow. Each
// domain package names its instance (soq.TransitionError is TransitionError[soq.Status]),
// so errors.As still asks for the domain's own type.
type TransitionError[T Text] struct {
	From, To T
	Of       Noun
}

func (e *TransitionError[T]) Error() string {
	switch {
	case e.From == e.To:
		return fmt.Sprintf("%s is already %s", e.Of.The, string(e.From))
	case !e.From.Valid():
		return fmt.Sprintf("%s's status %q is unknown", e.Of.The, string(e.From))
	}
	return fmt.Sprintf("%s cannot go from %s to %s", e.Of.A, string(e.From), string(e.To))
}

// Step is the transition to `to` from any state in from; from any other, a TransitionError
// naming of.
func Step[T Text](s, to T, of Noun, from ...T) (T, error) {
	if slices.Contains(from, s) {
		return to, nil
	}
	return s, &TransitionError[T]{From: s, To: to, Of: of}
}
