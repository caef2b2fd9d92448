package tender

import (
	"testing"
	"time"
)

func TestSealShows(t *testing.T) {
	closes := time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC)
	before, at := closes.Add(-time.Millisecond), closes
	type want struct{ team, owner, other bool }
	for _, tc := range []struct {
		name string
		seal Seal
		now  time.Time
		want want
	}{
		{"sealed, open", Seal{Open, true, closes, false}, before, want{false, true, false}},
		{"sealed, open, closing instant before the job ran", Seal{Open, true, closes, false}, at, want{true, true, false}},
		{"sealed, open, late bids allowed, after closing time", Seal{Open, true, closes, true}, at.Add(time.Hour), want{false, true, false}},
		{"sealed, closed", Seal{Closed, true, closes, false}, at, want{true, true, false}},
		{"sealed, closed early", Seal{Closed, true, closes, false}, before, want{true, true, false}},
		{"sealed, closed, late bids allowed", Seal{Closed, true, closes, true}, at, want{true, true, false}},
		{"sealed, awarded", Seal{Awarded, true, closes, false}, at, want{true, true, false}},
		{"sealed, cancelled", Seal{Cancelled, true, closes, false}, at, want{false, true, false}},
		{"sealed, draft", Seal{Draft, true, closes, false}, before, want{false, true, false}},
		{"unsealed, open", Seal{Open, false, closes, false}, before, want{true, true, false}},
		{"unsealed, cancelled", Seal{Cancelled, false, closes, false}, before, want{true, true, false}},
	} {
		got := want{tc.seal.Shows(Team, tc.now), tc.seal.Shows(BidOwner, tc.now), tc.seal.Shows(OtherBidder, tc.now)}
		if got != tc.want {
			t.Errorf("%s: team/owner/other = %v, want %v", tc.name, got, tc.want)
		}
	}
	if (Seal{Status: Closed}).Shows(Side(42), time.Time{}) {
		t.Error("an unknown side saw prices")
	}
}
