// Package payments moves money through Stripe (Connect: separate charges and transfers, so
// the platform holds the escrow) or, without keys, through a simulator in which no money
// moves. Callers (package payouts) keep the ledger; this package only speaks to Stripe.
package payments

import (
	"context"
	"errors"
)

// Provider is Stripe or the simulator.
type Provider interface {
	// Simulated reports whether this is the built-in simulator: no money moves.
	Simulated() bool
	// PublishableKey is Stripe.js's key ("" for the simulator).
	PublishableKey() string
	// CreateAccount makes a contractor company's connected Express account.
	CreateAccount(ctx context.Context, p AccountParams) (Account, error)
	// Account reads a connected account's state.
	Account(ctx context.Context, accountID string) (Account, error)
	// AccountLink is the address where the contractor finishes onboarding.
	AccountLink(ctx context.Context, accountID, refreshURL, returnURL string) (string, error)
	// CreatePaymentIntent charges the owner, on the platform, for one milestone.
	CreatePaymentIntent(ctx context.Context, p PaymentIntentParams) (PaymentIntent, error)
	// Transfer pays a connected account. The same IdempotencyKey never pays twice.
	Transfer(ctx context.Context, p TransferParams) (Transfer, error)
	// Refund returns a payment intent's charge to the owner.
	Refund(ctx context.Context, p RefundParams) (Refund, error)
}

// AccountParams describe a contractor company for its connected account.
type AccountParams struct {
	EntityID       int64
	CompanyName    string
	Email          string
	Country        string // ISO 3166-1 alpha-2; "" takes the provider's default
	IdempotencyKey string
}

// Account is a connected account's state.
type Account struct {
	ID               string
	DetailsSubmitted bool
	PayoutsEnabled   bool // the transfers capability is active: it can be paid
}

// PaymentIntentParams charge one milestone's amount.
type PaymentIntentParams struct {
	Amount         int64 // minor units
	Currency       string
	TransferGroup  string // the milestone's id
	Description    string
	IdempotencyKey string
	Metadata       map[string]string
}

// PaymentIntent is what the Payment Element needs.
type PaymentIntent struct {
	ID           string
	ClientSecret string
	Status       string
}

// TransferParams pay a contractor.
type TransferParams struct {
	Amount         int64 // minor units
	Currency       string
	Destination    string // the connected account
	TransferGroup  string
	IdempotencyKey string
	Metadata       map[string]string
}

// Transfer is a transfer made.
type Transfer struct{ ID string }

// RefundParams refund a payment intent (Amount 0: in full).
type RefundParams struct {
	PaymentIntentID string
	Amount          int64
	IdempotencyKey  string
}

// Refund is a refund made.
type Refund struct{ ID string }

// ErrUnavailable marks a failure worth retrying with the same idempotency key: Stripe
// could not be reached, timed out, or answered 429 or 5xx. Other errors are refusals.
var ErrUnavailable = errors.New("payments: the payment provider is unavailable")
