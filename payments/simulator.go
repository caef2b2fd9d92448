package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
)

// Simulator is the Provider used without Stripe keys: it answers at once with made-up ids
// ("pi_sim_…", "tr_sim_…", "acct_sim_…") and moves no money. The payment itself is
// stood in for by SimulatedEvent, which the caller feeds through the same code path as a
// verified webhook. Like Stripe, a repeated IdempotencyKey answers with the first result,
// so a retried transfer never pays twice. Safe for concurrent use.
type Simulator struct {
	mu     sync.Mutex
	seen   map[string]any // idempotency key (per operation) → first result
	counts map[string]int // operation → calls that made something new
	down   bool
}

// NewSimulator returns a simulator with every connected account enabled.
func NewSimulator() *Simulator {
	return &Simulator{seen: map[string]any{}, counts: map[string]int{}}
}

var _ Provider = (*Simulator)(nil)

// Simulated is true: no money moves.
func (s *Simulator) Simulated() bool { return true }

// PublishableKey is empty: there is no Stripe.js.
func (s *Simulator) PublishableKey() string { return "" }

// SetUnavailable makes every call fail with ErrUnavailable (true) or work again (false),
// for tests of the retry paths without stripe-mock.
func (s *Simulator) SetUnavailable(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// Count reports how many distinct objects an operation made: "account",
// "payment_intent", "transfer" or "refund" (replays under the same idempotency key
// are not counted).
func (s *Simulator) Count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// once runs make for a new idempotency key (or no key) and returns the first result for a
// repeated one.
func once[T any](s *Simulator, ctx context.Context, op, key string, make func() T) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return zero, fmt.Errorf("%w: %s: simulated outage", ErrUnavailable, op)
	}
	if key != "" {
		if v, ok := s.seen[op+"\x00"+key]; ok {
			return v.(T), nil
		}
	}
	v := make()
	s.counts[op]++
	if key != "" {
		s.seen[op+"\x00"+key] = v
	}
	return v, nil
}

// CreateAccount makes a simulated account that can be paid at once (no onboarding).
func (s *Simulator) CreateAccount(ctx context.Context, p AccountParams) (Account, error) {
	return once(s, ctx, "account", p.IdempotencyKey, func() Account {
		return Account{ID: simID("acct_sim_"), DetailsSubmitted: true, PayoutsEnabled: true}
	})
}

// Account reports any simulated account as enabled.
func (s *Simulator) Account(ctx context.Context, accountID string) (Account, error) {
	if accountID == "" {
		return Account{}, fmt.Errorf("payments: account: no account id")
	}
	return once(s, ctx, "account_read", "", func() Account {
		return Account{ID: accountID, DetailsSubmitted: true, PayoutsEnabled: true}
	})
}

// AccountLink is "": a simulated account needs no onboarding.
func (s *Simulator) AccountLink(ctx context.Context, accountID, refreshURL, returnURL string) (string, error) {
	return once(s, ctx, "account_link", "", func() string { return "" })
}

// CreatePaymentIntent makes a simulated payment intent awaiting its (simulated) payment.
func (s *Simulator) CreatePaymentIntent(ctx context.Context, p PaymentIntentParams) (PaymentIntent, error) {
	if p.Amount <= 0 {
		return PaymentIntent{}, fmt.Errorf("payments: payment intent: the amount must be positive")
	}
	return once(s, ctx, "payment_intent", p.IdempotencyKey, func() PaymentIntent {
		id := simID("pi_sim_")
		return PaymentIntent{ID: id, ClientSecret: id + "_secret_" + randHex(8), Status: "requires_payment_method"}
	})
}

// Transfer makes a simulated transfer; a repeated IdempotencyKey returns the first one.
func (s *Simulator) Transfer(ctx context.Context, p TransferParams) (Transfer, error) {
	if p.Amount <= 0 || p.Destination == "" {
		return Transfer{}, fmt.Errorf("payments: transfer: an amount and a destination are required")
	}
	return once(s, ctx, "transfer", p.IdempotencyKey, func() Transfer { return Transfer{ID: simID("tr_sim_")} })
}

// Refund makes a simulated refund; a repeated IdempotencyKey returns the first one.
func (s *Simulator) Refund(ctx context.Context, p RefundParams) (Refund, error) {
	if p.PaymentIntentID == "" {
		return Refund{}, fmt.Errorf("payments: refund: no payment intent")
	}
	return once(s, ctx, "refund", p.IdempotencyKey, func() Refund { return Refund{ID: simID("re_sim_")} })
}

// SimulatedEvent is the simulator's stand-in for a verified webhook event, e.g.
// SimulatedEvent("payment_intent.succeeded", pi.ID), with a fresh id "evt_sim_…".
func SimulatedEvent(typ, paymentIntentID string) Event {
	return Event{ID: simID("evt_sim_"), Type: typ, PaymentIntentID: paymentIntentID}
}

func simID(prefix string) string { return prefix + randHex(12) }

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
