// Package project holds the rules of a construction project that are neither HTTP nor
// SQL: for now its status, with its validity beside the type.
package project

import (
	"database/sql/driver"
	"strings"

	"github.com/14build/14build/state"
)

// Status is where a project is in its life, as the owner sets it. Any status may follow
// any other (an owner may reopen a cancelled project), so there are no transitions: the
// rule is only which statuses exist.
type Status string

const (
	Planning     Status = "planning"
	Tendering    Status = "tendering"
	Construction Status = "construction"
	Completed    Status = "completed"
	Cancelled    Status = "cancelled"
)

// Default is a new project's status when none is given.
const Default = Planning

// Statuses in the order forms and filters offer them.
var Statuses = []Status{Planning, Tendering, Construction, Completed, Cancelled}

// Valid reports whether s is a project status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Label is the status as people read it.
func (s Status) Label() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// Names lists the statuses as the API spells them, for messages ("planning, tendering…").
func Names() string {
	names := make([]string, len(Statuses))
	for i, s := range Statuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// ParseStatus reads a status as a form or a body sends it; blank is Default.
func ParseStatus(text string) (Status, bool) {
	if text == "" {
		return Default, true
	}
	s := Status(text)
	return s, s.Valid()
}

// Value stores the status as its text.
func (s Status) Value() (driver.Value, error) { return state.Value(s, "project status") }

// Scan reads a stored status.
func (s *Status) Scan(src any) error { return state.Scan(s, src, "project status") }
