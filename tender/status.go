// Package tender holds the rules of tenders and bids that are neither HTTP nor SQL: their
// states and transitions, when a bid is accepted, what a bidder prices, what the sealed
// rule lets each side see, the leveling flags, and the hash-chained activity ledger.
package tender

import (
	"database/sql/driver"

	"github.com/14build/14build/state"
)

// Status is where a tender is in its life: a Draft is edited by the team; Open freezes
// its copy of the SOQ and takes bids; Closed (at the closing time, or early) takes none;
// Awarded has one winning bid. Cancelled ends it from any state before the award.
type Status string

const (
	Draft     Status = "draft"
	Open      Status = "open"
	Closed    Status = "closed"
	Awarded   Status = "awarded"
	Cancelled Status = "cancelled"
)

// Statuses in the order of a tender's life, as filters offer them.
var Statuses = []Status{Draft, Open, Closed, Awarded, Cancelled}

// Valid reports whether s is a tender status.
func (s Status) Valid() bool {
	switch s {
	case Draft, Open, Closed, Awarded, Cancelled:
		return true
	}
	return false
}

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case Draft:
		return "Draft"
	case Open:
		return "Open"
	case Closed:
		return "Closed"
	case Awarded:
		return "Awarded"
	case Cancelled:
		return "Cancelled"
	}
	return string(s)
}

// Editable reports whether the tender may be edited or deleted: only before it opens,
// because opening freezes what bidders price. Every other state answers 409.
func (s Status) Editable() bool { return s == Draft }

// TransitionError refuses a change of a tender's status that its life does not allow.
type TransitionError = state.TransitionError[Status]

var tenderNoun = state.Noun{A: "a tender", The: "the tender"}

// Open is the transition Draft → Open.
func (s Status) Open() (Status, error) { return s.step(Open, Draft) }

// Close is the transition Open → Closed (at the closing time, or early by the owner).
func (s Status) Close() (Status, error) { return s.step(Closed, Open) }

// Award is the transition Closed → Awarded; a tender is awarded once.
func (s Status) Award() (Status, error) { return s.step(Awarded, Closed) }

// Cancel is the transition Draft, Open or Closed → Cancelled; an awarded tender has a
// contract and is not cancelled here.
func (s Status) Cancel() (Status, error) { return s.step(Cancelled, Draft, Open, Closed) }

// To applies the transition that leads from s to next, or refuses it. Front ends that are
// sent a wanted status call it.
func (s Status) To(next Status) (Status, error) {
	switch next {
	case Open:
		return s.Open()
	case Closed:
		return s.Close()
	case Awarded:
		return s.Award()
	case Cancelled:
		return s.Cancel()
	}
	return s, &TransitionError{From: s, To: next, Of: tenderNoun}
}

func (s Status) step(to Status, from ...Status) (Status, error) {
	return state.Step(s, to, tenderNoun, from...)
}

// ParseStatus reads a status as a query or a body sends it.
func ParseStatus(text string) (Status, bool) {
	s := Status(text)
	return s, s.Valid()
}

// Value stores the status as its text.
func (s Status) Value() (driver.Value, error) { return state.Value(s, "tender status") }

// Scan reads a stored status, refusing one the domain does not know.
func (s *Status) Scan(src any) error { return state.Scan(s, src, "tender status") }

// BidStatus is where a bid is: a Draft is being priced; Submitted counts (each submission
// is a new revision of the same bid); Withdrawn no longer counts; after the award the
// winner is Awarded and every other submitted bid Unsuccessful.
type BidStatus string

const (
	BidDraft        BidStatus = "draft"
	BidSubmitted    BidStatus = "submitted"
	BidWithdrawn    BidStatus = "withdrawn"
	BidUnsuccessful BidStatus = "unsuccessful"
	BidAwarded      BidStatus = "awarded"
)

// BidStatuses in the order of a bid's life.
var BidStatuses = []BidStatus{BidDraft, BidSubmitted, BidWithdrawn, BidUnsuccessful, BidAwarded}

// Valid reports whether s is a bid status.
func (s BidStatus) Valid() bool {
	switch s {
	case BidDraft, BidSubmitted, BidWithdrawn, BidUnsuccessful, BidAwarded:
		return true
	}
	return false
}

// Label is the status as people read it.
func (s BidStatus) Label() string {
	switch s {
	case BidDraft:
		return "Draft"
	case BidSubmitted:
		return "Submitted"
	case BidWithdrawn:
		return "Withdrawn"
	case BidUnsuccessful:
		return "Unsuccessful"
	case BidAwarded:
		return "Awarded"
	}
	return string(s)
}

// BidTransitionError refuses a change of a bid's status that its life does not allow.
type BidTransitionError = state.TransitionError[BidStatus]

var bidNoun = state.Noun{A: "a bid", The: "the bid"}

// Submit is the transition Draft → Submitted, and Submitted → Submitted: submitting
// again is a new revision, and the latest counts.
func (s BidStatus) Submit() (BidStatus, error) { return s.step(BidSubmitted, BidDraft, BidSubmitted) }

// Withdraw is the transition Draft or Submitted → Withdrawn.
func (s BidStatus) Withdraw() (BidStatus, error) {
	return s.step(BidWithdrawn, BidDraft, BidSubmitted)
}

// Redraft is the transition Submitted → Draft, made when an addendum changes what was
// priced: the bidder must acknowledge it and submit again.
func (s BidStatus) Redraft() (BidStatus, error) { return s.step(BidDraft, BidSubmitted) }

// Award is the transition Submitted → Awarded: the winning bid.
func (s BidStatus) Award() (BidStatus, error) { return s.step(BidAwarded, BidSubmitted) }

// Unsuccessful is the transition Submitted → Unsuccessful: every other bid at the award.
func (s BidStatus) Unsuccessful() (BidStatus, error) {
	return s.step(BidUnsuccessful, BidSubmitted)
}

// To applies the transition that leads from s to next, or refuses it.
func (s BidStatus) To(next BidStatus) (BidStatus, error) {
	switch next {
	case BidSubmitted:
		return s.Submit()
	case BidWithdrawn:
		return s.Withdraw()
	case BidDraft:
		return s.Redraft()
	case BidAwarded:
		return s.Award()
	case BidUnsuccessful:
		return s.Unsuccessful()
	}
	return s, &BidTransitionError{From: s, To: next, Of: bidNoun}
}

func (s BidStatus) step(to BidStatus, from ...BidStatus) (BidStatus, error) {
	return state.Step(s, to, bidNoun, from...)
}

// ParseBidStatus reads a bid status as a query or a body sends it.
func ParseBidStatus(text string) (BidStatus, bool) {
	s := BidStatus(text)
	return s, s.Valid()
}

// Value stores the status as its text.
func (s BidStatus) Value() (driver.Value, error) { return state.Value(s, "bid status") }

// Scan reads a stored status, refusing one the domain does not know.
func (s *BidStatus) Scan(src any) error { return state.Scan(s, src, "bid status") }

// Intent is whether an invited bidder means to bid, shown to the owner's side. A bidder
// may change it at any time, so it has no transitions.
type Intent string

const (
	Undecided Intent = "undecided"
	Bidding   Intent = "bidding"
	Declined  Intent = "declined"
)

// Intents in the order buttons offer them.
var Intents = []Intent{Bidding, Declined, Undecided}

// Valid reports whether i is an intent.
func (i Intent) Valid() bool { return i == Undecided || i == Bidding || i == Declined }

// Label is the intent as people read it.
func (i Intent) Label() string {
	switch i {
	case Undecided:
		return "Undecided"
	case Bidding:
		return "Bidding"
	case Declined:
		return "Declined"
	}
	return string(i)
}

// ParseIntent reads an intent as a body sends it; "" is Undecided (not yet answered).
func ParseIntent(text string) (Intent, bool) {
	if text == "" {
		return Undecided, true
	}
	i := Intent(text)
	return i, i.Valid()
}

// Value stores the intent as its text.
func (i Intent) Value() (driver.Value, error) { return state.Value(i, "bid intent") }

// Scan reads a stored intent, refusing one the domain does not know.
func (i *Intent) Scan(src any) error { return state.Scan(i, src, "bid intent") }
