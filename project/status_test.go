package project

import "testing"

func TestStatus(t *testing.T) {
	for _, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%q is not valid", s)
		}
		if got, ok := ParseStatus(string(s)); got != s || !ok {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, ok)
		}
	}
	for in, want := range map[string]struct {
		s  Status
		ok bool
	}{"": {Planning, true}, "Planning": {"Planning", false}, "on hold": {"on hold", false}} {
		if got, ok := ParseStatus(in); got != want.s || ok != want.ok {
			t.Errorf("ParseStatus(%q) = %q, %v", in, got, ok)
		}
	}
	if Construction.Label() != "Construction" || Status("").Label() != "" {
		t.Error("Label")
	}
	if Names() != "planning, tendering, construction, completed, cancelled" {
		t.Errorf("Names() = %q", Names())
	}
	var s Status
	if err := s.Scan("tendering"); err != nil || s != Tendering {
		t.Errorf("Scan = %q, %v", s, err)
	}
	if err := s.Scan("on hold"); err == nil {
		t.Error("Scan of an unknown status succeeded")
	}
	if _, err := Status("x").Value(); err == nil {
		t.Error("Value of an invalid status succeeded")
	}
}
