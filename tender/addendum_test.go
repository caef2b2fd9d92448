package tender

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestKeptRates(t *testing.T) {
	rates := []Rate{{"i1", 100}, {"i2", 200}, {"i3", 300}, {"i4", 0}}
	changes := map[string]Change{"i2": Altered, "i3": Removed, "i9": Removed, "i4": Unchanged}
	got := KeptRates(rates, changes)
	if want := []Rate{{"i1", 100}, {"i4", 0}}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := KeptRates(rates, nil); !slices.Equal(got, rates) {
		t.Errorf("an addendum that changes no item dropped rates: %v", got)
	}
}

func TestCheckAddendum(t *testing.T) {
	now := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	if at, errs := CheckAddendum("Level 2 lighting revised.", "", time.UTC, now); errs.Any() || !at.IsZero() {
		t.Errorf("%v %v", at, errs)
	}
	at, errs := CheckAddendum("Extended.", "2026-12-10T17:00", time.UTC, now)
	if errs.Any() || !at.Equal(time.Date(2026, 12, 10, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("%v %v", at, errs)
	}
	for _, tc := range []struct{ text, closesAt, field string }{
		{" ", "", "text"},
		{strings.Repeat("x", MaxAddendumText+1), "", "text"},
		{"ok", "2026-12-03T14:00", "closesAt"},
		{"ok", "soon", "closesAt"},
	} {
		if _, errs := CheckAddendum(tc.text, tc.closesAt, time.UTC, now); !errs.Has(tc.field) {
			t.Errorf("%q %q: %v, want one on %s", tc.text[:min(len(tc.text), 10)], tc.closesAt, errs, tc.field)
		}
	}
}

func TestCheckQuestionAndAnswer(t *testing.T) {
	if CheckQuestion("Is the switchboard in scope?").Any() || CheckAnswer("Yes.").Any() {
		t.Error("good text refused")
	}
	if !CheckQuestion("").Has("text") || !CheckQuestion(strings.Repeat("?", MaxQuestion+1)).Has("text") ||
		!CheckAnswer(" ").Has("text") {
		t.Error("bad text accepted")
	}
}
