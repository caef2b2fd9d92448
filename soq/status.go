package soq

import (
	"database/sql/driver"

	"github.com/14build/14build/state"
)

// Status is where an SOQ is in its life: a Draft is edited by the project's team; once
// Issued it is read-only (it is what tenders are priced against) until it is reopened.
type Status string

const (
	Draft  Status = "draft"
	Issued Status = "issued"
)

// Statuses in the order forms offer them.
var Statuses = []Status{Draft, Issued}

// Valid reports whether s is a status.
func (s Status) Valid() bool { return s == Draft || s == Issued }

// Editable reports whether the SOQ's sections and items may change. It is the one rule
// every write (API, sheet, import) asks; an SOQ that is not editable answers 409.
func (s Status) Editable() bool { return s == Draft }

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case Draft:
		return "Draft"
	case Issued:
		return "Issued"
	}
	return string(s)
}

// TransitionError refuses a change of status that the SOQ's life does not allow.
type TransitionError = state.TransitionError[Status]

func refuse(from, to Status) error {
	return &TransitionError{From: from, To: to, Of: state.Noun{A: "an SOQ", The: "the SOQ"}}
}

// Issue is the transition Draft → Issued.
func (s Status) Issue() (Status, error) {
	if s != Draft {
		return s, refuse(s, Issued)
	}
	return Issued, nil
}

// Reopen is the transition Issued → Draft (edits allowed again).
func (s Status) Reopen() (Status, error) {
	if s != Issued {
		return s, refuse(s, Draft)
	}
	return Draft, nil
}

// To applies the transition that leads from s to next (Issue or Reopen), or refuses it.
// Front ends that are sent a wanted status (a form's button, a JSON body) call it.
func (s Status) To(next Status) (Status, error) {
	switch next {
	case Issued:
		return s.Issue()
	case Draft:
		return s.Reopen()
	}
	return s, refuse(s, next)
}

// ParseStatus reads a status as a form or a body sends it; "" is Draft (a new SOQ).
func ParseStatus(text string) (Status, bool) {
	if text == "" {
		return Draft, true
	}
	s := Status(text)
	return s, s.Valid()
}

// Value stores the status as its text.
func (s Status) Value() (driver.Value, error) { return state.Value(s, "soq status") }

// Scan reads a stored status, refusing one the domain does not know.
func (s *Status) Scan(src any) error { return state.Scan(s, src, "soq status") }
