package payments_test

import (
	"errors"
	"testing"
	"time"

	"github.com/14build/14build/payments"
	"github.com/14build/14build/payments/stripetest"
)

const whsec = "whsec_test_secret"

func TestParseWebhookPaymentIntent(t *testing.T) {
	body := stripetest.Event("evt_1", "payment_intent.succeeded", map[string]any{
		"id": "pi_123", "object": "payment_intent", "amount": 1000, "currency": "aud", "status": "succeeded",
	})
	ev, err := payments.ParseWebhook(body, stripetest.SignedPayload(t, whsec, body), whsec)
	if err != nil {
		t.Fatal(err)
	}
	want := payments.Event{ID: "evt_1", Type: "payment_intent.succeeded", PaymentIntentID: "pi_123"}
	if ev != want {
		t.Fatalf("got %+v, want %+v", ev, want)
	}
}

func TestParseWebhookChargeAndAccount(t *testing.T) {
	for _, c := range []struct {
		name string
		body []byte
		want payments.Event
	}{
		{"refund", stripetest.Event("evt_2", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "payment_intent": "pi_9"}),
			payments.Event{ID: "evt_2", Type: "charge.refunded", PaymentIntentID: "pi_9"}},
		{"expanded", stripetest.Event("evt_3", "charge.refunded", map[string]any{"id": "ch_1", "object": "charge", "payment_intent": map[string]any{"id": "pi_8", "object": "payment_intent"}}),
			payments.Event{ID: "evt_3", Type: "charge.refunded", PaymentIntentID: "pi_8"}},
		{"account enabled", stripetest.AccountEvent("evt_4", "account.updated", "acct_1", map[string]any{
			"id": "acct_1", "object": "account", "details_submitted": true, "payouts_enabled": true,
			"capabilities": map[string]any{"transfers": "active"}}),
			payments.Event{ID: "evt_4", Type: "account.updated", AccountID: "acct_1", DetailsSubmitted: true, PayoutsEnabled: true}},
		{"account pending", stripetest.AccountEvent("evt_5", "account.updated", "acct_1", map[string]any{
			"id": "acct_1", "object": "account", "details_submitted": true, "payouts_enabled": true,
			"capabilities": map[string]any{"transfers": "pending"}}),
			payments.Event{ID: "evt_5", Type: "account.updated", AccountID: "acct_1", DetailsSubmitted: true}},
		{"unknown", stripetest.Event("evt_6", "customer.created", map[string]any{"id": "cus_1", "object": "customer"}),
			payments.Event{ID: "evt_6", Type: "customer.created"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev, err := payments.ParseWebhook(c.body, stripetest.SignedPayload(t, whsec, c.body), whsec)
			if err != nil {
				t.Fatal(err)
			}
			if ev != c.want {
				t.Fatalf("got %+v, want %+v", ev, c.want)
			}
		})
	}
}

func TestParseWebhookRefused(t *testing.T) {
	body := stripetest.Event("evt_1", "payment_intent.succeeded", map[string]any{"id": "pi_123", "object": "payment_intent"})
	good := stripetest.SignedPayload(t, whsec, body)
	tampered := append([]byte{}, body...)
	tampered[len(tampered)-2] = ' '
	for _, c := range []struct {
		name           string
		body           []byte
		header, secret string
	}{
		{"other secret", body, stripetest.SignedPayload(t, "whsec_other", body), whsec},
		{"tampered body", tampered, good, whsec},
		{"no header", body, "", whsec},
		{"garbage header", body, "t=abc,v1=zz", whsec},
		{"expired", body, stripetest.SignedPayloadAt(t, whsec, body, time.Now().Add(-10*time.Minute)), whsec},
		{"no secret configured", body, good, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := payments.ParseWebhook(c.body, c.header, c.secret)
			if !errors.Is(err, payments.ErrBadSignature) {
				t.Fatalf("got %v, want ErrBadSignature", err)
			}
		})
	}
	// Signed but not an event.
	junk := []byte(`{"hello":`)
	if _, err := payments.ParseWebhook(junk, stripetest.SignedPayload(t, whsec, junk), whsec); !errors.Is(err, payments.ErrBadEvent) {
		t.Fatalf("junk: %v", err)
	}
	// Within the tolerance is fine.
	if _, err := payments.ParseWebhook(body, stripetest.SignedPayloadAt(t, whsec, body, time.Now().Add(-time.Minute)), whsec); err != nil {
		t.Fatalf("a minute old: %v", err)
	}
}
