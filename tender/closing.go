package tender

import "time"

// AcceptsBid reports whether a bid arriving at now is in time. Closing happens at closesAt
// for every purpose at once: a bid at or after that instant is late, whether or not the
// job that marks the tender closed has run, and is refused unless the tender allows late
// bids. The tender's status is checked apart (only an open tender takes bids).
func AcceptsBid(closesAt, now time.Time, allowLate bool) bool {
	return allowLate || now.Before(closesAt)
}

// Bidder is what closing early needs to know of one bidder: its answer to the invitation
// and the state of its bid ("" when it has none).
type Bidder struct {
	Name   string // names the bidder in the refusal
	Intent Intent
	Bid    BidStatus
}

// done reports whether the bidder has nothing left to do: it submitted, declined, or
// withdrew (a withdrawn bid does not come back).
func (b Bidder) done() bool {
	return b.Bid == BidSubmitted || b.Bid == BidWithdrawn || b.Intent == Declined
}

// CanCloseEarly reports whether the owner may close before the closing time: only when
// every invited bidder has submitted or declined, so no one still pricing is cut off.
// It returns the names of those still awaited, for the refusal. A tender with no invited
// bidders (open by trade only) cannot be closed early: anyone of the trade may still bid.
func CanCloseEarly(invited []Bidder) (bool, []string) {
	if len(invited) == 0 {
		return false, nil
	}
	var waiting []string
	for _, b := range invited {
		if !b.done() {
			waiting = append(waiting, b.Name)
		}
	}
	return len(waiting) == 0, waiting
}
