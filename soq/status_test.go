package soq

import (
	"errors"
	"testing"
)

func TestStatusTransitions(t *testing.T) {
	cases := []struct {
		from    Status
		op      string
		want    Status
		illegal bool
	}{
		{Draft, "issue", Issued, false},
		{Issued, "issue", Issued, true}, // already issued
		{Issued, "reopen", Draft, false},
		{Draft, "reopen", Draft, true}, // already a draft
		{Status("archived"), "issue", Status("archived"), true},
		{Status(""), "reopen", Status(""), true},
	}
	for _, c := range cases {
		var got Status
		var err error
		if c.op == "issue" {
			got, err = c.from.Issue()
		} else {
			got, err = c.from.Reopen()
		}
		var te *TransitionError
		if c.illegal != errors.As(err, &te) || got != c.want {
			t.Errorf("%q.%s() = %q, %v; want %q, illegal %v", c.from, c.op, got, err, c.want, c.illegal)
		}
	}
	if next, err := Draft.To(Issued); next != Issued || err != nil {
		t.Errorf("Draft.To(Issued) = %q, %v", next, err)
	}
	if next, err := Issued.To(Draft); next != Draft || err != nil {
		t.Errorf("Issued.To(Draft) = %q, %v", next, err)
	}
	if _, err := Draft.To(Status("void")); err == nil {
		t.Error("Draft.To(void) allowed")
	}
}

func TestStatusEditableAndParse(t *testing.T) {
	if !Draft.Editable() || Issued.Editable() || Status("").Editable() || Status("DRAFT").Editable() {
		t.Error("only a draft is editable")
	}
	for in, want := range map[string]struct {
		s  Status
		ok bool
	}{"": {Draft, true}, "draft": {Draft, true}, "issued": {Issued, true}, "Issued": {"Issued", false}, "void": {"void", false}} {
		if s, ok := ParseStatus(in); s != want.s || ok != want.ok {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, %v", in, s, ok, want.s, want.ok)
		}
	}
}

func TestStatusScanValue(t *testing.T) {
	var s Status
	if err := s.Scan([]byte("issued")); err != nil || s != Issued {
		t.Errorf("Scan(issued) = %q, %v", s, err)
	}
	if err := s.Scan("archived"); err == nil {
		t.Error("Scan of an unknown status succeeded")
	}
	if err := s.Scan(42); err == nil {
		t.Error("Scan of a number succeeded")
	}
	if v, err := Draft.Value(); v != "draft" || err != nil {
		t.Errorf("Draft.Value() = %v, %v", v, err)
	}
	if _, err := Status("nope").Value(); err == nil {
		t.Error("an invalid status was written")
	}
}

func TestImportStatusTransitions(t *testing.T) {
	type op func(ImportStatus) (ImportStatus, error)
	ops := map[string]op{
		"queue": ImportStatus.Queue, "start": ImportStatus.Start, "progress": ImportStatus.Progress,
		"retry": ImportStatus.Retry, "fail": ImportStatus.Fail, "done": ImportStatus.Done,
	}
	// allowed[op][from] is the status the transition leads to; a missing entry is illegal.
	allowed := map[string]map[ImportStatus]ImportStatus{
		"queue":    {ImportUploaded: ImportQueued},
		"start":    {ImportQueued: ImportRunning, ImportRunning: ImportRunning, ImportDone: ImportRunning, ImportFailed: ImportRunning},
		"progress": {ImportRunning: ImportRunning},
		"retry":    {ImportQueued: ImportQueued, ImportRunning: ImportQueued},
		"fail":     {ImportUploaded: ImportFailed, ImportQueued: ImportFailed, ImportRunning: ImportFailed},
		"done":     {ImportRunning: ImportDone},
	}
	for name, f := range ops {
		for _, from := range append(ImportStatuses, ImportStatus("bogus")) {
			got, err := f(from)
			want, ok := allowed[name][from]
			var te *ImportTransitionError
			switch {
			case ok && (err != nil || got != want):
				t.Errorf("%s from %q = %q, %v; want %q", name, from, got, err, want)
			case !ok && (!errors.As(err, &te) || got != from):
				t.Errorf("%s from %q = %q, %v; want refused", name, from, got, err)
			}
		}
	}
}

func TestImportStatusPredicates(t *testing.T) {
	for _, s := range ImportStatuses {
		if s.Finished() != (s == ImportDone || s == ImportFailed) {
			t.Errorf("%q.Finished() = %v", s, s.Finished())
		}
		if s.Active() != (s == ImportQueued || s == ImportRunning) {
			t.Errorf("%q.Active() = %v", s, s.Active())
		}
		if s.Mappable() != (s == ImportUploaded) {
			t.Errorf("%q.Mappable() = %v", s, s.Mappable())
		}
	}
	var s ImportStatus
	if err := s.Scan("running"); err != nil || s != ImportRunning {
		t.Errorf("Scan(running) = %q, %v", s, err)
	}
	if err := s.Scan("exploded"); err == nil {
		t.Error("Scan of an unknown import status succeeded")
	}
}

func TestCategoriesMatch(t *testing.T) {
	cs := Categories{{ID: 3, Name: "Civil Works"}, {ID: 7, Name: "Electrical"}}
	cases := []struct {
		in   string
		want int64 // 0: no match
	}{
		{"Electrical", 7},
		{"  electrical ", 7}, // trimmed, any case
		{"CIVIL WORKS", 3},
		{"Civil  Works", 0}, // inner spaces are part of the name
		{"7", 7},            // a page's <select> sends the id
		{" 3 ", 3},
		{"9", 0},    // no such id
		{"-7", 0},   // not an id of ours
		{"Elec", 0}, // no prefixes
		{"", 0},
		{"   ", 0},
	}
	for _, c := range cases {
		got, ok := cs.Match(c.in)
		if ok != (c.want != 0) || got.ID != c.want {
			t.Errorf("Match(%q) = %+v, %v; want id %d", c.in, got, ok, c.want)
		}
	}
}
