package tender

import (
	"errors"
	"testing"
)

// Every pair of tender states: only the transitions of the life cycle are allowed.
func TestStatusTransitions(t *testing.T) {
	allowed := map[[2]Status]bool{
		{Draft, Open}:       true,
		{Open, Closed}:      true,
		{Closed, Awarded}:   true,
		{Draft, Cancelled}:  true,
		{Open, Cancelled}:   true,
		{Closed, Cancelled}: true,
	}
	for _, from := range append(Statuses, "bogus") {
		for _, to := range append(Statuses, "bogus") {
			got, err := from.To(to)
			if allowed[[2]Status{from, to}] {
				if err != nil || got != to {
					t.Errorf("%s → %s: got %s, %v; want allowed", from, to, got, err)
				}
				continue
			}
			var te *TransitionError
			if !errors.As(err, &te) || got != from || te.From != from || te.To != to {
				t.Errorf("%s → %s: got %s, %v; want refused with a TransitionError", from, to, got, err)
			}
		}
	}
}

func TestStatusNamedTransitions(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(Status) (Status, error)
		from []Status
		to   Status
	}{
		{"Open", Status.Open, []Status{Draft}, Open},
		{"Close", Status.Close, []Status{Open}, Closed},
		{"Award", Status.Award, []Status{Closed}, Awarded},
		{"Cancel", Status.Cancel, []Status{Draft, Open, Closed}, Cancelled},
	} {
		for _, s := range Statuses {
			ok := false
			for _, f := range tc.from {
				ok = ok || f == s
			}
			got, err := tc.do(s)
			if ok != (err == nil) || (ok && got != tc.to) || (!ok && got != s) {
				t.Errorf("%s from %s: got %s, %v", tc.name, s, got, err)
			}
		}
	}
}

func TestStatusEditable(t *testing.T) {
	for _, s := range Statuses {
		if s.Editable() != (s == Draft) {
			t.Errorf("%s.Editable() = %v", s, s.Editable())
		}
	}
}

// Every pair of bid states, including a submitted bid submitted again (a new revision).
func TestBidStatusTransitions(t *testing.T) {
	allowed := map[[2]BidStatus]bool{
		{BidDraft, BidSubmitted}:        true,
		{BidSubmitted, BidSubmitted}:    true,
		{BidDraft, BidWithdrawn}:        true,
		{BidSubmitted, BidWithdrawn}:    true,
		{BidSubmitted, BidDraft}:        true,
		{BidSubmitted, BidAwarded}:      true,
		{BidSubmitted, BidUnsuccessful}: true,
	}
	for _, from := range append(BidStatuses, "bogus") {
		for _, to := range append(BidStatuses, "bogus") {
			got, err := from.To(to)
			if allowed[[2]BidStatus{from, to}] {
				if err != nil || got != to {
					t.Errorf("%s → %s: got %s, %v; want allowed", from, to, got, err)
				}
				continue
			}
			var te *BidTransitionError
			if !errors.As(err, &te) || got != from || te.From != from || te.To != to {
				t.Errorf("%s → %s: got %s, %v; want refused with a BidTransitionError", from, to, got, err)
			}
		}
	}
}

func TestTransitionErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&TransitionError{From: Open, To: Open, Of: tenderNoun}, "the tender is already open"},
		{&TransitionError{From: Awarded, To: Cancelled, Of: tenderNoun}, "a tender cannot go from awarded to cancelled"},
		{&TransitionError{From: "x", To: Open, Of: tenderNoun}, `the tender's status "x" is unknown`},
		{&BidTransitionError{From: BidWithdrawn, To: BidWithdrawn, Of: bidNoun}, "the bid is already withdrawn"},
		{&BidTransitionError{From: BidWithdrawn, To: BidSubmitted, Of: bidNoun}, "a bid cannot go from withdrawn to submitted"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestStorage(t *testing.T) {
	for _, s := range Statuses {
		v, err := s.Value()
		var back Status
		if err != nil || back.Scan([]byte(v.(string))) != nil || back != s {
			t.Errorf("status %s: round trip gave %q, %v", s, back, err)
		}
	}
	for _, s := range BidStatuses {
		v, err := s.Value()
		var back BidStatus
		if err != nil || back.Scan(v) != nil || back != s {
			t.Errorf("bid status %s: round trip gave %q, %v", s, back, err)
		}
	}
	for _, i := range Intents {
		v, err := i.Value()
		var back Intent
		if err != nil || back.Scan(v) != nil || back != i {
			t.Errorf("intent %s: round trip gave %q, %v", i, back, err)
		}
	}
	var s Status
	if s.Scan("bogus") == nil {
		t.Error("scanned an unknown tender status")
	}
	if _, err := Status("bogus").Value(); err == nil {
		t.Error("stored an unknown tender status")
	}
	var b BidStatus
	if b.Scan(42) == nil {
		t.Error("scanned an int as a bid status")
	}
	var i Intent
	if i.Scan("maybe") == nil {
		t.Error("scanned an unknown intent")
	}
	if got, ok := ParseIntent(""); !ok || got != Undecided {
		t.Errorf(`ParseIntent("") = %s, %v`, got, ok)
	}
}
