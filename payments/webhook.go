package payments

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Event is what a Stripe webhook event (or the simulator's stand-in) tells the caller.
type Event struct {
	ID   string // "evt_…"; process each once
	Type string // e.g. "payment_intent.succeeded", "account.updated", "charge.refunded"
	// PaymentIntentID is the payment intent the event is about: the object's id for
	// payment_intent.* events, its payment_intent field for charges and refunds.
	PaymentIntentID string
	// AccountID is the connected account: the object's id for account.* events, else the
	// event's account (Connect events).
	AccountID string
	// DetailsSubmitted and PayoutsEnabled are the account's state (account.* events);
	// PayoutsEnabled as in Account: transfers capability active and payouts enabled.
	DetailsSubmitted bool
	PayoutsEnabled   bool
	Livemode         bool
}

// ErrBadSignature: the webhook's Stripe-Signature header is missing, malformed, does not
// match the endpoint secret, or its timestamp is too old (a replay). Answer 400.
var ErrBadSignature = errors.New("payments: the webhook signature is not valid")

// ErrBadEvent: the signature is good but the payload is not an event this package can read.
var ErrBadEvent = errors.New("payments: the webhook payload is not a Stripe event")

// WebhookTolerance is how old a signed webhook may be (Stripe's default, 5 minutes).
const WebhookTolerance = webhook.DefaultTolerance

// ParseWebhook verifies a webhook's signature against the endpoint secret and reads the
// event. An empty secret verifies nothing: every payload is refused with ErrBadSignature.
// The event's API version may differ from stripe-go's (the fields read here are stable).
func ParseWebhook(payload []byte, sigHeader, secret string) (Event, error) {
	return parseWebhook(payload, sigHeader, secret, WebhookTolerance)
}

func parseWebhook(payload []byte, sigHeader, secret string, tolerance time.Duration) (Event, error) {
	if secret == "" {
		return Event{}, fmt.Errorf("%w: no webhook secret is configured", ErrBadSignature)
	}
	se, err := webhook.ConstructEventWithOptions(payload, sigHeader, secret, webhook.ConstructEventOptions{
		Tolerance:                tolerance,
		IgnoreAPIVersionMismatch: true,
	})
	if err != nil {
		switch {
		case errors.Is(err, webhook.ErrNotSigned), errors.Is(err, webhook.ErrInvalidHeader),
			errors.Is(err, webhook.ErrNoValidSignature), errors.Is(err, webhook.ErrTooOld):
			return Event{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return Event{}, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if se.ID == "" || se.Type == "" {
		return Event{}, fmt.Errorf("%w: no id or type", ErrBadEvent)
	}
	ev := Event{ID: se.ID, Type: string(se.Type), AccountID: se.Account, Livemode: se.Livemode}
	if se.Data == nil || len(se.Data.Raw) == 0 {
		return ev, nil
	}
	var obj struct {
		ID               string          `json:"id"`
		Object           string          `json:"object"`
		PaymentIntent    json.RawMessage `json:"payment_intent"` // an id or an expanded object
		DetailsSubmitted bool            `json:"details_submitted"`
		PayoutsEnabled   bool            `json:"payouts_enabled"`
		Capabilities     struct {
			Transfers string `json:"transfers"`
		} `json:"capabilities"`
	}
	if err := json.Unmarshal(se.Data.Raw, &obj); err != nil {
		return Event{}, fmt.Errorf("%w: data.object: %w", ErrBadEvent, err)
	}
	switch obj.Object {
	case "payment_intent":
		ev.PaymentIntentID = obj.ID
	case "account":
		ev.AccountID = obj.ID
		ev.DetailsSubmitted = obj.DetailsSubmitted
		ev.PayoutsEnabled = payable(obj.Capabilities.Transfers, obj.PayoutsEnabled)
	default:
		ev.PaymentIntentID = idOf(obj.PaymentIntent)
	}
	return ev, nil
}

// idOf reads an id that Stripe sends either as a string or as an expanded object.
func idOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.ID
}

// payable: a connected account can be paid once its transfers capability is active and
// Stripe lets it pay out.
func payable(transfersCapability string, payoutsEnabled bool) bool {
	return transfersCapability == "active" && payoutsEnabled
}
