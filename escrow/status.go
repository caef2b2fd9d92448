// Package escrow holds the rules of a contract's milestones and their escrow that are
// neither HTTP nor SQL nor Stripe: the typed states and their transitions, the platform fee
// and retention arithmetic (integers only, half-up) and the double-entry postings every
// money movement makes, with the balances a set of states must produce.
package escrow

import (
	"database/sql/driver"

	"github.com/14build/14build/state"
)

// StateError refuses an action the milestone's or escrow's state does not allow (a 409
// for the caller). Message is a sentence for a person.
type StateError struct{ Message string }

func (e *StateError) Error() string { return e.Message }

func refuse(msg string) error { return &StateError{Message: msg} }

// MilestoneStatus is where a milestone is: planned (its escrow not yet paid in), funded
// (the owner's payment is held), completed (the contractor says the work is done),
// approved (the owner agrees), paid (the transfer was made); disputed freezes any state
// before paid until the dispute is resolved.
type MilestoneStatus string

const (
	MilestonePlanned   MilestoneStatus = "planned"
	MilestoneFunded    MilestoneStatus = "funded"
	MilestoneCompleted MilestoneStatus = "completed"
	MilestoneApproved  MilestoneStatus = "approved"
	MilestonePaid      MilestoneStatus = "paid"
	MilestoneDisputed  MilestoneStatus = "disputed"
)

// MilestoneStatuses in the order of a milestone's life.
var MilestoneStatuses = []MilestoneStatus{MilestonePlanned, MilestoneFunded, MilestoneCompleted,
	MilestoneApproved, MilestonePaid, MilestoneDisputed}

// Valid reports whether s is a milestone status.
func (s MilestoneStatus) Valid() bool {
	switch s {
	case MilestonePlanned, MilestoneFunded, MilestoneCompleted, MilestoneApproved, MilestonePaid, MilestoneDisputed:
		return true
	}
	return false
}

// Label is the status as people read it.
func (s MilestoneStatus) Label() string {
	switch s {
	case MilestonePlanned:
		return "Planned"
	case MilestoneFunded:
		return "Funded"
	case MilestoneCompleted:
		return "Completed"
	case MilestoneApproved:
		return "Approved"
	case MilestonePaid:
		return "Paid"
	case MilestoneDisputed:
		return "Disputed"
	}
	return string(s)
}

// Editable reports whether the milestone's title, amount and place may change or it may
// be deleted: only while planned (its escrow, if any, not yet funded).
func (s MilestoneStatus) Editable() bool { return s == MilestonePlanned }

// Value stores the status as its text.
func (s MilestoneStatus) Value() (driver.Value, error) { return state.Value(s, "milestone status") }

// Scan reads a stored status, refusing one the domain does not know.
func (s *MilestoneStatus) Scan(src any) error { return state.Scan(s, src, "milestone status") }

// Action is what someone (or Stripe) does to a milestone and its escrow.
type Action string

const (
	ActFund          Action = "fund"           // the owner starts paying in: an escrow is opened
	ActFundSucceeded Action = "fund-succeeded" // Stripe says the payment succeeded
	ActComplete      Action = "complete"       // the contractor marks the work done
	ActApprove       Action = "approve"        // the owner approves the work
	ActRelease       Action = "release"        // the transfer to the contractor is made
	ActDispute       Action = "dispute"        // either side freezes the milestone
	ActResolve       Action = "resolve"        // the dispute ends: back where it was
	ActCancel        Action = "cancel"         // the pending escrow is dropped before funding
	ActRefund        Action = "refund"         // the funded, unreleased escrow goes back to the owner
)

// Next is the milestone's state after a; a *StateError when its state does not allow a.
// ActResolve is refused here: the state to go back to is stored with the dispute (see
// Resume). ActFund and ActCancel leave a planned milestone planned (they change its escrow).
// ActRefund puts a funded, completed, approved or disputed milestone back to planned, so it
// may be funded again.
func (s MilestoneStatus) Next(a Action) (MilestoneStatus, error) {
	switch a {
	case ActFund:
		if s == MilestonePlanned {
			return MilestonePlanned, nil
		}
		return s, refuse("Only a planned milestone can be funded.")
	case ActCancel:
		if s == MilestonePlanned {
			return MilestonePlanned, nil
		}
		return s, refuse("Only a milestone that is not yet funded can have its payment cancelled.")
	case ActFundSucceeded:
		if s == MilestonePlanned {
			return MilestoneFunded, nil
		}
		return s, refuse("Only a planned milestone can become funded.")
	case ActComplete:
		if s == MilestoneFunded {
			return MilestoneCompleted, nil
		}
		return s, refuse("Only a funded milestone can be marked complete.")
	case ActApprove:
		if s == MilestoneCompleted {
			return MilestoneApproved, nil
		}
		return s, refuse("Only a completed milestone can be approved.")
	case ActRelease:
		if s == MilestoneApproved {
			return MilestonePaid, nil
		}
		return s, refuse("Only an approved milestone can be paid.")
	case ActDispute:
		switch s {
		case MilestonePlanned, MilestoneFunded, MilestoneCompleted, MilestoneApproved:
			return MilestoneDisputed, nil
		case MilestoneDisputed:
			return s, refuse("The milestone is already disputed.")
		}
		return s, refuse("A paid milestone cannot be disputed.")
	case ActResolve:
		if s == MilestoneDisputed {
			return s, refuse("A dispute is resolved back to the state it froze.")
		}
		return s, refuse("Only a disputed milestone can be resolved.")
	case ActRefund:
		switch s {
		case MilestoneFunded, MilestoneCompleted, MilestoneApproved, MilestoneDisputed:
			return MilestonePlanned, nil
		}
		return s, refuse("Only a funded milestone that is not yet paid can be refunded.")
	}
	return s, refuse("Unknown action.")
}

// Resume is the state a disputed milestone goes back to when its dispute is resolved:
// from, the state the dispute froze.
func (s MilestoneStatus) Resume(from MilestoneStatus) (MilestoneStatus, error) {
	if s != MilestoneDisputed {
		return s, refuse("Only a disputed milestone can be resolved.")
	}
	switch from {
	case MilestonePlanned, MilestoneFunded, MilestoneCompleted, MilestoneApproved:
		return from, nil
	}
	return s, refuse("The milestone's state before the dispute is unknown.")
}

// Status is where a milestone's escrow is: pending (opened, awaiting the payment),
// funded (the payment is held), released (paid to the contractor), cancelled (dropped
// before funding) or refunded (paid back to the owner).
type Status string

const (
	EscrowPending   Status = "pending"
	EscrowFunded    Status = "funded"
	EscrowReleased  Status = "released"
	EscrowCancelled Status = "cancelled"
	EscrowRefunded  Status = "refunded"
)

// Statuses in the order of an escrow's life.
var Statuses = []Status{EscrowPending, EscrowFunded, EscrowReleased, EscrowCancelled, EscrowRefunded}

// Valid reports whether s is an escrow status.
func (s Status) Valid() bool {
	switch s {
	case EscrowPending, EscrowFunded, EscrowReleased, EscrowCancelled, EscrowRefunded:
		return true
	}
	return false
}

// Label is the status as people read it.
func (s Status) Label() string {
	switch s {
	case EscrowPending:
		return "Awaiting payment"
	case EscrowFunded:
		return "Held in escrow"
	case EscrowReleased:
		return "Released"
	case EscrowCancelled:
		return "Cancelled"
	case EscrowRefunded:
		return "Refunded"
	}
	return string(s)
}

// Live reports whether the escrow still counts for its milestone (a cancelled or refunded
// one may be followed by another).
func (s Status) Live() bool { return s == EscrowPending || s == EscrowFunded || s == EscrowReleased }

// Value stores the status as its text.
func (s Status) Value() (driver.Value, error) { return state.Value(s, "escrow status") }

// Scan reads a stored status, refusing one the domain does not know.
func (s *Status) Scan(src any) error { return state.Scan(s, src, "escrow status") }

// Next is the escrow's state after a; a *StateError when its state does not allow a.
// ActRelease is the transfer made (release_state sent); asking for it is ReleaseState.Next.
func (s Status) Next(a Action) (Status, error) {
	switch a {
	case ActFundSucceeded:
		if s == EscrowPending {
			return EscrowFunded, nil
		}
		return s, refuse("Only an escrow awaiting payment can become funded.")
	case ActRelease:
		if s == EscrowFunded {
			return EscrowReleased, nil
		}
		return s, refuse("Only a funded escrow can be released.")
	case ActCancel:
		if s == EscrowPending {
			return EscrowCancelled, nil
		}
		return s, refuse("Only a payment not yet made can be cancelled.")
	case ActRefund:
		if s == EscrowFunded {
			return EscrowRefunded, nil
		}
		return s, refuse("Only a funded escrow that is not yet released can be refunded.")
	}
	return s, refuse("Unknown action for an escrow.")
}

// ReleaseState is how far an escrow's (or a contract's retention's) payout has gone: none
// (not asked), requested (owed: the ledger says payable, the transfer may still fail and
// is retried), sent (Stripe made the transfer).
type ReleaseState string

const (
	ReleaseNone      ReleaseState = "none"
	ReleaseRequested ReleaseState = "requested"
	ReleaseSent      ReleaseState = "sent"
)

// Valid reports whether r is a release state.
func (r ReleaseState) Valid() bool {
	return r == ReleaseNone || r == ReleaseRequested || r == ReleaseSent
}

// Label is the release state as people read it.
func (r ReleaseState) Label() string {
	switch r {
	case ReleaseNone:
		return "Not released"
	case ReleaseRequested:
		return "Transfer pending"
	case ReleaseSent:
		return "Transferred"
	}
	return string(r)
}

// Value stores the release state as its text.
func (r ReleaseState) Value() (driver.Value, error) { return state.Value(r, "release state") }

// Scan reads a stored release state, refusing one the domain does not know.
func (r *ReleaseState) Scan(src any) error { return state.Scan(r, src, "release state") }

// Next is none → requested → sent; any other step is a *StateError.
func (r ReleaseState) Next() (ReleaseState, error) {
	switch r {
	case ReleaseNone:
		return ReleaseRequested, nil
	case ReleaseRequested:
		return ReleaseSent, nil
	}
	return r, refuse("The payment was already transferred.")
}

// CanRelease is nil when an escrow in st with its milestone in ms and its release in rs may
// be released now (the owner's release: requested next); else a *StateError.
func CanRelease(st Status, rs ReleaseState, ms MilestoneStatus) error {
	if st != EscrowFunded {
		return refuse("Only a funded escrow can be released.")
	}
	if ms != MilestoneApproved {
		return refuse("Only an approved milestone can be released.")
	}
	if rs != ReleaseNone {
		return refuse("The release was already requested.")
	}
	return nil
}

// CanRefund is nil when an escrow in st with its release in rs may be refunded: funded,
// and no release asked for (the contractor's payment is then owed).
func CanRefund(st Status, rs ReleaseState) error {
	if st != EscrowFunded {
		return refuse("Only a funded escrow that is not yet released can be refunded.")
	}
	if rs != ReleaseNone {
		return refuse("The payment to the contractor was already released; it cannot be refunded.")
	}
	return nil
}
