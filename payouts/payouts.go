// Package payouts moves a contract's money: it joins the store (states and the ledger, each
// change one transaction) and the payment provider (Stripe or the simulator). Funding,
// Stripe's webhook events, completion and approval, release (exactly one transfer per
// escrow), refunds, cancellation, retention and the contractor's onboarding all go through
// a Service, whichever face (pages or JSON API) asks.
//
// Order of work for a money movement that reaches Stripe: the store records the intent
// first (a release requested, with its postings), then the provider is called with an
// idempotency key derived from the escrow, then the store records what the provider made.
// A crash or an unreachable Stripe in between leaves the intent recorded, and a retry (the
// River job "escrow_release", or the same request again) repeats the call with the same key,
// so Stripe never pays twice.
package payouts

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/events"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/store"
)

// Enqueuer queues the background retry of an owed release (package jobs implements it).
type Enqueuer interface {
	// EnqueueEscrowRelease queues the "escrow_release" job for escrowID: one job per escrow
	// (unique by its arguments), retried with backoff.
	EnqueueEscrowRelease(ctx context.Context, escrowID string) error
}

// Service is the orchestration over the store and the payment provider.
type Service struct {
	Store    *store.Store
	Provider payments.Provider
	// Jobs queues the retry of a release Stripe could not take; nil: no retry is queued
	// (the owner's next release retries it).
	Jobs Enqueuer
	// BaseURL is the public address, for the onboarding link's return address.
	BaseURL string
	Log     *slog.Logger
}

// Errors a caller maps to answers.
var (
	// ErrNotSimulated: the simulator's stand-in for a card payment while real keys are set
	// (a 404: the route does not exist for this server).
	ErrNotSimulated = errors.New("payouts: payments are not simulated")
	// ErrAlreadyReleased: another release of the escrow won (or it was released before);
	// the escrow returned with it is its current state.
	ErrAlreadyReleased = errors.New("payouts: the escrow's release was already requested")
)

// ProviderError is a failure of the payment provider (not of the database): Unavailable
// when it is worth retrying (payments.ErrUnavailable), else a refusal.
type ProviderError struct {
	Op  string // "payment intent", "transfer", "refund", "account", "account link"
	Err error
}

func (e *ProviderError) Error() string { return "payment provider: " + e.Op + ": " + e.Err.Error() }
func (e *ProviderError) Unwrap() error { return e.Err }

// Unavailable reports whether the provider could not be reached (retry later).
func (e *ProviderError) Unavailable() bool { return errors.Is(e.Err, payments.ErrUnavailable) }

func providerErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &ProviderError{Op: op, Err: err}
}

// Messages of the state errors this package makes itself.
const (
	MsgPayoutsDisabled = "The contractor's payout account cannot receive transfers yet."
	MsgNotFunding      = "This escrow has no payment to simulate: start funding the milestone first."
)

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return s.Log
}

// Simulated reports whether no money moves (the built-in simulator).
func (s *Service) Simulated() bool { return s.Provider.Simulated() }

// Idempotency keys: one per movement of one escrow, so a retry repeats the same request.
func fundKey(escrowID string) string    { return "escrow-fund-" + escrowID }
func releaseKey(escrowID string) string { return "escrow-release-" + escrowID }
func refundKey(escrowID string) string  { return "escrow-refund-" + escrowID }
func retentionKey(contractID string) string {
	return "retention-release-" + contractID
}
func accountKey(entityID int64) string { return "account-" + strconv.FormatInt(entityID, 10) }

// Fund opens the milestone's escrow (or takes its pending one) and the PaymentIntent the
// owner pays it with. The escrow is funded only by the payment_intent.succeeded event
// (HandleEvent), never here. A second call returns the same escrow and intent.
func (s *Service) Fund(ctx context.Context, milestoneID string) (store.Escrow, error) {
	e, _, err := s.Store.OpenEscrow(ctx, milestoneID, s.Provider.Simulated())
	if err != nil {
		return store.Escrow{}, err
	}
	if e.PaymentIntentID.Valid || e.Status != escrow.EscrowPending {
		return e, nil
	}
	pi, err := s.Provider.CreatePaymentIntent(ctx, payments.PaymentIntentParams{
		Amount: e.Amount, Currency: e.Currency, TransferGroup: e.MilestoneID,
		Description:    "Milestone escrow " + e.MilestoneID,
		IdempotencyKey: fundKey(e.ID),
		Metadata:       map[string]string{"escrow_id": e.ID, "milestone_id": e.MilestoneID, "contract_id": e.ContractID},
	})
	if err != nil {
		return e, providerErr("payment intent", err)
	}
	if err := s.Store.SetPaymentIntent(ctx, e.ID, pi.ID, pi.ClientSecret); err != nil {
		return e, err
	}
	return s.Store.Escrow(ctx, e.ID)
}

// HandleEvent applies one of Stripe's events (or the simulator's stand-in): a succeeded
// payment funds its escrow (once: the store records the event id in the same
// transaction); account.updated records whether a contractor's account can be paid. Other
// types, and events about objects this platform does not know, are accepted and ignored.
func (s *Service) HandleEvent(ctx context.Context, ev payments.Event) error {
	log := s.log().With("event", ev.ID, "type", ev.Type)
	switch ev.Type {
	case "payment_intent.succeeded":
		if ev.PaymentIntentID == "" {
			log.Warn("stripe event without a payment intent: ignored")
			return nil
		}
		e, changed, err := s.Store.FundEscrow(ctx, ev.ID, ev.Type, ev.PaymentIntentID)
		if err != nil {
			var se *escrow.StateError
			if errors.As(err, &se) {
				// A payment for an escrow no longer pending (cancelled meanwhile): nothing to
				// fund; Stripe must not retry it forever.
				log.Warn("payment for an escrow that cannot be funded", "payment_intent", ev.PaymentIntentID, "reason", se.Message)
				return nil
			}
			return err
		}
		switch {
		case e.ID == "":
			log.Info("payment for an unknown payment intent: ignored", "payment_intent", ev.PaymentIntentID)
		case changed:
			log.Info("escrow funded", "escrow", e.ID, "milestone", e.MilestoneID, "amount", e.Amount)
		case e.Status == escrow.EscrowCancelled:
			// Paid after the owner cancelled: the money is at the platform with no escrow
			// holding it. Someone must refund it in Stripe's dashboard.
			log.Error("payment succeeded for a cancelled escrow: refund it by hand", "escrow", e.ID, "payment_intent", ev.PaymentIntentID)
		default:
			log.Info("event already processed", "escrow", e.ID)
		}
		return nil
	case "account.updated":
		if ev.AccountID == "" {
			return nil
		}
		err := s.Store.SetAccountState(ctx, ev.AccountID, ev.DetailsSubmitted, ev.PayoutsEnabled)
		if errors.Is(err, store.ErrNotFound) {
			log.Info("update of an unknown connected account: ignored", "account", ev.AccountID)
			return nil
		}
		return err
	}
	log.Debug("stripe event of a type not handled: ignored")
	return nil
}

// SimulatePayment stands in for the owner's card payment while the simulator is on: the
// payment_intent.succeeded event the webhook would bring, through the same HandleEvent.
func (s *Service) SimulatePayment(ctx context.Context, escrowID string) (store.Escrow, error) {
	if !s.Provider.Simulated() {
		return store.Escrow{}, ErrNotSimulated
	}
	e, err := s.Store.Escrow(ctx, escrowID)
	if err != nil {
		return e, err
	}
	if !e.PaymentIntentID.Valid || e.PaymentIntentID.String == "" {
		return e, &escrow.StateError{Message: MsgNotFunding}
	}
	if e.Status == escrow.EscrowPending {
		if err := s.HandleEvent(ctx, payments.SimulatedEvent("payment_intent.succeeded", e.PaymentIntentID.String)); err != nil {
			return e, err
		}
	} else if e.Status != escrow.EscrowFunded { // funded already: a repeated click changes nothing
		return e, &escrow.StateError{Message: "Only a pending escrow can be paid."}
	}
	return s.Store.Escrow(ctx, escrowID)
}

// Complete is the contractor marking a funded milestone complete, with a note. The
// project's team hears of it live ("milestone-completed" on the project's channel); the
// event is emitted just after the store's commit (a failure to emit is logged: the
// contract page also refreshes itself).
func (s *Service) Complete(ctx context.Context, milestoneID, note string) (store.Milestone, error) {
	m, err := s.Store.CompleteMilestone(ctx, milestoneID, strings.TrimSpace(note))
	if err != nil {
		return m, err
	}
	if _, projectID, err := s.Store.ContractScope(ctx, m.ContractID, "", ""); err != nil {
		s.log().Error("milestone-completed: the milestone's project", "milestone", m.ID, "err", err.Error())
	} else {
		data, _ := json.Marshal(map[string]string{"milestoneId": m.ID, "contractId": m.ContractID})
		if _, err := events.Emit(context.WithoutCancel(ctx), s.Store.DB(), events.Change{Kind: events.MilestoneCompleted,
			ProjectID: projectID, Data: data}); err != nil {
			s.log().Error("milestone-completed: emit", "milestone", m.ID, "err", err.Error())
		}
	}
	return m, nil
}

// Approve is the owner accepting a completed milestone.
func (s *Service) Approve(ctx context.Context, milestoneID string) (store.Milestone, error) {
	return s.Store.ApproveMilestone(ctx, milestoneID)
}

// Dispute freezes a milestone (either side), with a reason.
func (s *Service) Dispute(ctx context.Context, milestoneID, reason string) (store.Milestone, error) {
	return s.Store.DisputeMilestone(ctx, milestoneID, strings.TrimSpace(reason))
}

// Resolve ends a dispute: the milestone resumes the state the dispute froze.
func (s *Service) Resolve(ctx context.Context, milestoneID string) (store.Milestone, error) {
	return s.Store.ResolveDispute(ctx, milestoneID)
}

// payee is the contractor's connected account for the contract, refused (a StateError)
// while it cannot receive transfers.
func (s *Service) payee(ctx context.Context, contractID string) (store.PayoutAccount, error) {
	k, err := s.Store.Contract(ctx, contractID)
	if err != nil {
		return store.PayoutAccount{}, err
	}
	a, err := s.Store.PayoutAccount(ctx, k.ContractorEntityID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.PayoutsEnabled) {
		return a, &escrow.StateError{Message: MsgPayoutsDisabled}
	}
	return a, err
}

// Release pays the contractor for an approved milestone: the store marks the release
// requested (only one caller wins, whatever the concurrency; the release postings go in
// then), the winner asks the provider for one transfer (its key derived from the escrow)
// and records it as sent. If the provider cannot be reached the release stays requested
// and the "escrow_release" job retries it; the escrow is returned with release_state
// "requested" and no error. A caller that did not win gets the current escrow and
// ErrAlreadyReleased.
func (s *Service) Release(ctx context.Context, escrowID string) (store.Escrow, error) {
	e, err := s.Store.Escrow(ctx, escrowID)
	if err != nil {
		return e, err
	}
	if e.ReleaseState != escrow.ReleaseNone {
		return e, ErrAlreadyReleased
	}
	// The destination is checked before anything is requested: a release the contractor
	// cannot receive is refused, not left owed.
	acct, err := s.payee(ctx, e.ContractID)
	if err != nil {
		return e, err
	}
	unlock, err := s.escrowLock(ctx, escrowID)
	if err != nil {
		return e, err
	}
	e, won, err := s.Store.RequestRelease(ctx, escrowID)
	unlock()
	if err != nil {
		return e, err
	}
	if !won {
		return e, ErrAlreadyReleased
	}
	return s.sendRelease(ctx, e, acct)
}

// sendRelease makes the requested release's transfer and records it; on failure it leaves
// the release requested and queues its retry.
func (s *Service) sendRelease(ctx context.Context, e store.Escrow, acct store.PayoutAccount) (store.Escrow, error) {
	log := s.log().With("escrow", e.ID, "milestone", e.MilestoneID)
	tr, err := s.Provider.Transfer(ctx, payments.TransferParams{
		Amount: e.Amount - e.Fee - e.Retention, Currency: e.Currency, Destination: acct.StripeAccountID,
		TransferGroup: e.MilestoneID, IdempotencyKey: releaseKey(e.ID),
		Metadata: map[string]string{"escrow_id": e.ID, "milestone_id": e.MilestoneID, "contract_id": e.ContractID},
	})
	if err != nil {
		if errors.Is(err, payments.ErrUnavailable) {
			log.Warn("transfer failed: Stripe unavailable; the release stays requested and is retried", "err", err.Error())
		} else {
			log.Error("transfer refused; the release stays requested and is retried", "err", err.Error())
		}
		if s.Jobs != nil {
			if qerr := s.Jobs.EnqueueEscrowRelease(context.WithoutCancel(ctx), e.ID); qerr != nil {
				log.Error("queueing the release's retry", "err", qerr.Error())
			}
		}
		return e, nil
	}
	out, err := s.Store.CompleteRelease(ctx, e.ID, tr.ID)
	if err != nil {
		return e, err
	}
	log.Info("escrow released", "transfer", tr.ID, "amount", e.Amount-e.Fee-e.Retention)
	return out, nil
}

// RetryRelease is the "escrow_release" job's work: the transfer of a requested release,
// with the same idempotency key, then the store's record of it. Nothing owed (never
// requested, or sent meanwhile) is done at once. An error means: try again later.
func (s *Service) RetryRelease(ctx context.Context, escrowID string) error {
	e, err := s.Store.Escrow(ctx, escrowID)
	if err != nil {
		return err
	}
	if e.ReleaseState != escrow.ReleaseRequested {
		return nil
	}
	acct, err := s.payee(ctx, e.ContractID)
	if err != nil {
		return err
	}
	tr, err := s.Provider.Transfer(ctx, payments.TransferParams{
		Amount: e.Amount - e.Fee - e.Retention, Currency: e.Currency, Destination: acct.StripeAccountID,
		TransferGroup: e.MilestoneID, IdempotencyKey: releaseKey(e.ID),
		Metadata: map[string]string{"escrow_id": e.ID, "milestone_id": e.MilestoneID, "contract_id": e.ContractID},
	})
	if err != nil {
		return providerErr("transfer", err)
	}
	if _, err := s.Store.CompleteRelease(ctx, e.ID, tr.ID); err != nil {
		return err
	}
	s.log().Info("escrow released on retry", "escrow", e.ID, "transfer", tr.ID)
	return nil
}

// escrowLock holds PostgreSQL's advisory lock of one escrow (on a connection of its own,
// whichever instance asks) until the returned function is called. Refund holds it across
// its check, Stripe's refund and its record; Release across its request: so a refund and a
// release of one escrow never both reach Stripe.
func (s *Service) escrowLock(ctx context.Context, escrowID string) (func(), error) {
	conn, err := s.Store.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	key := "escrow:" + escrowID
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, key); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, key); err != nil {
			// The session's lock goes with the connection: drop it rather than pool it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

// Refund returns a funded, unreleased escrow's payment to the owner: Stripe's refund (its
// key derived from the escrow), then the store's record (refund postings; the milestone
// planned again). An escrow already refunded is a *escrow.StateError.
func (s *Service) Refund(ctx context.Context, escrowID string) (store.Escrow, error) {
	unlock, err := s.escrowLock(ctx, escrowID)
	if err != nil {
		return store.Escrow{}, err
	}
	defer unlock()
	e, err := s.Store.RequestRefund(ctx, escrowID)
	if err != nil {
		return e, err
	}
	if e.Status == escrow.EscrowRefunded {
		return e, &escrow.StateError{Message: "This escrow was already refunded."}
	}
	r, err := s.Provider.Refund(ctx, payments.RefundParams{PaymentIntentID: e.PaymentIntentID.String, IdempotencyKey: refundKey(e.ID)})
	if err != nil {
		return e, providerErr("refund", err)
	}
	out, err := s.Store.CompleteRefund(ctx, e.ID, r.ID)
	if err != nil {
		return e, err
	}
	s.log().Info("escrow refunded", "escrow", e.ID, "refund", r.ID, "amount", e.Amount)
	return out, nil
}

// RetentionRelease pays a contract's retention once every milestone is paid: requested in
// the store (its postings), one transfer of what the escrows withheld (its key derived
// from the contract), then recorded as sent. Stripe unreachable: the release stays
// requested and the error says so; calling again retries with the same key.
func (s *Service) RetentionRelease(ctx context.Context, contractID string) (store.Contract, error) {
	held, err := s.Store.RetentionHeld(ctx, contractID)
	if err != nil {
		return store.Contract{}, err
	}
	var acct store.PayoutAccount
	if held > 0 {
		if acct, err = s.payee(ctx, contractID); err != nil {
			return store.Contract{}, err
		}
	}
	k, _, err := s.Store.RequestRetentionRelease(ctx, contractID)
	if err != nil || k.RetentionReleaseState != escrow.ReleaseRequested {
		return k, err
	}
	if held, err = s.Store.RetentionHeld(ctx, contractID); err != nil {
		return k, err
	}
	tr, err := s.Provider.Transfer(ctx, payments.TransferParams{
		Amount: held, Currency: k.Currency, Destination: acct.StripeAccountID,
		TransferGroup: "retention-" + contractID, IdempotencyKey: retentionKey(contractID),
		Metadata: map[string]string{"contract_id": contractID, "retention": "true"},
	})
	if err != nil {
		s.log().Warn("retention transfer failed; the release stays requested", "contract", contractID, "err", err.Error())
		return k, providerErr("transfer", err)
	}
	return s.Store.CompleteRetentionRelease(ctx, contractID, tr.ID)
}

// Cancel cancels the milestone's pending escrow (before funding); the milestone stays
// planned and may be funded again.
func (s *Service) Cancel(ctx context.Context, milestoneID string) error {
	return s.Store.CancelEscrow(ctx, milestoneID)
}

// OnboardingState is the contractor company's payout account (found false: none yet).
func (s *Service) OnboardingState(ctx context.Context, entityID int64) (store.PayoutAccount, bool, error) {
	a, err := s.Store.PayoutAccount(ctx, entityID)
	if errors.Is(err, store.ErrNotFound) {
		return a, false, nil
	}
	return a, err == nil, err
}

// Onboard makes the contractor company's connected account on first need and returns the
// address where it finishes onboarding ("" when there is nothing to finish: the simulator's
// accounts can be paid at once). The link brings the contractor back to the contract.
func (s *Service) Onboard(ctx context.Context, entityID int64, contractID string) (string, error) {
	a, err := s.Store.PayoutAccount(ctx, entityID)
	if errors.Is(err, store.ErrNotFound) {
		params := payments.AccountParams{EntityID: entityID, IdempotencyKey: accountKey(entityID)}
		if k, kerr := s.Store.Contract(ctx, contractID); kerr == nil {
			if bids, berr := s.Store.BidsOfTender(ctx, k.TenderID); berr == nil {
				for _, b := range bids {
					if b.ID == k.BidID {
						params.CompanyName = b.EntityName
					}
				}
			}
		}
		made, cerr := s.Provider.CreateAccount(ctx, params)
		if cerr != nil {
			return "", providerErr("account", cerr)
		}
		a = store.PayoutAccount{EntityID: entityID, StripeAccountID: made.ID, Simulated: s.Provider.Simulated(),
			DetailsSubmitted: made.DetailsSubmitted, PayoutsEnabled: made.PayoutsEnabled}
		if err := s.Store.UpsertPayoutAccount(ctx, a); err != nil {
			return "", err
		}
		// Another request may have made it first: the stored one is the one.
		if a, err = s.Store.PayoutAccount(ctx, entityID); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	} else if !a.PayoutsEnabled {
		// Back from onboarding: read the account's state now rather than wait for Stripe's
		// account.updated (a webhook may be late, or not set up on a developer's machine).
		if cur, aerr := s.Provider.Account(ctx, a.StripeAccountID); aerr != nil {
			s.log().Warn("reading a connected account's state", "account", a.StripeAccountID, "err", aerr.Error())
		} else if cur.DetailsSubmitted != a.DetailsSubmitted || cur.PayoutsEnabled != a.PayoutsEnabled {
			if err := s.Store.SetAccountState(ctx, a.StripeAccountID, cur.DetailsSubmitted, cur.PayoutsEnabled); err != nil {
				return "", err
			}
		}
	}
	back := strings.TrimRight(s.BaseURL, "/") + paths.Contract(contractID)
	link, err := s.Provider.AccountLink(ctx, a.StripeAccountID, back, back)
	return link, providerErr("account link", err)
}
