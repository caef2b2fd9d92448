package tender

import (
	"slices"
	"testing"
	"time"
)

func TestAcceptsBid(t *testing.T) {
	closes := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		now       time.Time
		allowLate bool
		want      bool
	}{
		{"1 ms before", closes.Add(-time.Millisecond), false, true},
		{"1 ns before", closes.Add(-1), false, true},
		{"exactly at closing", closes, false, false},
		{"1 ms after", closes.Add(time.Millisecond), false, false},
		{"exactly at closing, late allowed", closes, true, true},
		{"a day after, late allowed", closes.Add(24 * time.Hour), true, true},
		{"same instant in another zone", closes.In(time.FixedZone("NZDT", 13*3600)), false, false},
	} {
		if got := AcceptsBid(closes, tc.now, tc.allowLate); got != tc.want {
			t.Errorf("%s: AcceptsBid = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCanCloseEarly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		invited []Bidder
		ok      bool
		waiting []string
	}{
		{"nobody invited", nil, false, nil},
		{"all submitted or declined", []Bidder{
			{Name: "Bea", Intent: Bidding, Bid: BidSubmitted},
			{Name: "Bob", Intent: Declined},
			{Name: "Cal", Intent: Undecided, Bid: BidSubmitted},
		}, true, nil},
		{"one withdrew", []Bidder{{Name: "Bea", Intent: Bidding, Bid: BidWithdrawn}}, true, nil},
		{"one still drafting", []Bidder{
			{Name: "Bea", Intent: Bidding, Bid: BidSubmitted},
			{Name: "Bob", Intent: Bidding, Bid: BidDraft},
		}, false, []string{"Bob"}},
		{"one undecided, one redrafted by an addendum", []Bidder{
			{Name: "Bea", Intent: Bidding, Bid: BidDraft},
			{Name: "Cal", Intent: Undecided},
		}, false, []string{"Bea", "Cal"}},
	} {
		ok, waiting := CanCloseEarly(tc.invited)
		if ok != tc.ok || !slices.Equal(waiting, tc.waiting) {
			t.Errorf("%s: got %v %v, want %v %v", tc.name, ok, waiting, tc.ok, tc.waiting)
		}
	}
}
