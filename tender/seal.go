package tender

import "time"

// Side is who is looking at a bid.
type Side int

// The zero Side is the one that sees least, so a viewer left unset sees no prices.
const (
	// OtherBidder is any other bidder; such a viewer is refused the bid altogether (404),
	// and Shows answers false as a second guard.
	OtherBidder Side = iota
	// Team is the owner's side: the project's team, who level and award.
	Team
	// BidOwner is the bidder whose bid it is.
	BidOwner
)

// Seal is what decides whether a tender's prices may be shown.
type Seal struct {
	Status    Status
	Sealed    bool
	ClosesAt  time.Time
	AllowLate bool
}

// Shows reports whether a bid's rates, amounts and totals may be shown to side at now.
// The bidder always sees its own bid; other bidders never see it. The team sees prices of
// an unsealed tender at once; of a sealed one only after closing, which happens at the
// closing instant even before the job marks the tender closed, unless late bids are
// allowed: then prices stay sealed until the tender is closed, so no late bidder can
// learn them. A cancelled sealed tender stays sealed: it may have been cancelled while
// open, and its bidders priced in confidence.
func (s Seal) Shows(side Side, now time.Time) bool {
	switch side {
	case BidOwner:
		return true
	case Team:
	default:
		return false
	}
	if !s.Sealed {
		return true
	}
	switch s.Status {
	case Closed, Awarded:
		return true
	case Open:
		return !s.AllowLate && !now.Before(s.ClosesAt)
	}
	return false
}
