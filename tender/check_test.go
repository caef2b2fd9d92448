package tender

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	good := Input{
		Title: "  Electrical package ", Instructions: "Price every line.\n", ClosesAt: "2026-12-08T17:00",
		Sealed: true, Categories: []string{"Electrical", " electrical"},
		Invitees: []string{"bea@example.com", "BEA@example.com", "bob@example.com"},
	}
	f, errs := Check(good, auckland, now)
	if errs.Any() {
		t.Fatalf("good input refused: %v", errs)
	}
	// 17:00 on 8 December in Auckland is NZDT (UTC+13): 04:00 UTC.
	if !f.ClosesAt.Equal(time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)) || f.ClosesAt.Location() != time.UTC {
		t.Errorf("closes at %v", f.ClosesAt)
	}
	if f.Title != "Electrical package" || f.Instructions != "Price every line." || !f.Sealed ||
		!slices.Equal(f.Categories, []string{"Electrical"}) ||
		!slices.Equal(f.Invitees, []string{"bea@example.com", "bob@example.com"}) {
		t.Errorf("fields %+v", f)
	}

	for _, tc := range []struct {
		name  string
		edit  func(*Input)
		field string
	}{
		{"no title", func(in *Input) { in.Title = "  " }, "title"},
		{"long title", func(in *Input) { in.Title = strings.Repeat("é", MaxTitle+1) }, "title"},
		{"NUL in instructions", func(in *Input) { in.Instructions = "a\x00b" }, "instructions"},
		{"no closing time", func(in *Input) { in.ClosesAt = "" }, "closesAt"},
		{"closing time not a time", func(in *Input) { in.ClosesAt = "next Friday" }, "closesAt"},
		{"closing time now", func(in *Input) { in.ClosesAt = now.Format(time.RFC3339) }, "closesAt"},
		{"closing time past", func(in *Input) { in.ClosesAt = "2026-12-01T09:00" }, "closesAt"},
		{"bad email", func(in *Input) { in.Invitees = []string{"bea@example.com", "bob"} }, "invitees[1]"},
		{"blank trade", func(in *Input) { in.Categories = []string{""} }, "categories[0]"},
		{"open to no one", func(in *Input) { in.Categories, in.Invitees = nil, nil }, "invitees"},
		{"scoped by trade without trades", func(in *Input) { in.Categories, in.ScopeByTrade = nil, true }, "categories"},
	} {
		in := good
		tc.edit(&in)
		_, errs := Check(in, auckland, now)
		if !errs.Has(tc.field) {
			t.Errorf("%s: errors %v, want one on %s", tc.name, errs, tc.field)
		}
	}
}

func TestParseClosesAt(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	for _, tc := range []struct {
		text string
		want time.Time
		ok   bool
	}{
		{"2026-12-08T04:00:00Z", time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC), true},
		{"2026-12-08T17:00:00+13:00", time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC), true},
		{"2026-12-08T17:00", time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC), true},
		{"2026-12-08T17:00:30", time.Date(2026, 12, 8, 4, 0, 30, 0, time.UTC), true},
		// 27 September 2026: Auckland's clocks go from 02:00 to 03:00; 02:30 never happens.
		{"2026-09-27T02:30", time.Time{}, false},
		{"2026-09-27T03:30", time.Date(2026, 9, 26, 14, 30, 0, 0, time.UTC), true},
		{"2026-02-30T10:00", time.Time{}, false},
		{"8/12/2026 5pm", time.Time{}, false},
	} {
		got, msg := ParseClosesAt(tc.text, auckland)
		if (msg == "") != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%q: %v %q", tc.text, got, msg)
		}
	}
}

func TestCheckBidText(t *testing.T) {
	q, e, errs := CheckBidText(" Excludes night work. ", "")
	if errs.Any() || q != "Excludes night work." || e != "" {
		t.Errorf("%q %q %v", q, e, errs)
	}
	if _, _, errs := CheckBidText(strings.Repeat("x", MaxBidText+1), "a\x00"); !errs.Has("qualifications") || !errs.Has("exclusions") {
		t.Errorf("errors %v", errs)
	}
}
