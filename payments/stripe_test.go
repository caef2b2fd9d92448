package payments_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/payments"
	"github.com/14build/14build/payments/stripetest"
)

func newStripe(t *testing.T) (*payments.Stripe, *stripetest.Mock) {
	t.Helper()
	m := stripetest.Start(t)
	return payments.NewStripe(payments.StripeConfig{
		SecretKey:         stripetest.SecretKey,
		PublishableKey:    "pk_test_123",
		WebhookSecret:     "whsec_test",
		APIBase:           m.APIBase,
		MaxNetworkRetries: 0,
	}), m
}

func TestStripeAccounts(t *testing.T) {
	t.Parallel()
	s, m := newStripe(t)
	ctx := context.Background()
	if s.Simulated() || s.PublishableKey() != "pk_test_123" {
		t.Fatalf("Simulated %v, PublishableKey %q", s.Simulated(), s.PublishableKey())
	}
	a, err := s.CreateAccount(ctx, payments.AccountParams{EntityID: 42, CompanyName: "Spark Electrical", Email: "bea@sparkelectrical.test", Country: "AU", IdempotencyKey: "account-42"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.ID, "acct_") {
		t.Errorf("account id %q", a.ID)
	}
	reqs := m.Proxy.Requests("POST /v1/accounts")
	if len(reqs) != 1 {
		t.Fatalf("%d account creations", len(reqs))
	}
	f := reqs[0].Form
	for k, want := range map[string]string{
		"type": "express", "business_type": "company", "capabilities[transfers][requested]": "true",
		"company[name]": "Spark Electrical", "email": "bea@sparkelectrical.test", "country": "AU",
		"metadata[entity_id]": "42",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if reqs[0].IdempotencyKey != "account-42" {
		t.Errorf("idempotency key %q", reqs[0].IdempotencyKey)
	}

	got, err := s.Account(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == "" {
		t.Errorf("read account: %+v", got)
	}
	if m.Count("GET", "/v1/accounts/"+a.ID) != 1 {
		t.Errorf("read account requests: %+v", m.Proxy.Requests())
	}

	link, err := s.AccountLink(ctx, a.ID, "https://14build.test/refresh", "https://14build.test/return")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "http") {
		t.Errorf("account link %q", link)
	}
	lr := m.Proxy.Requests("POST /v1/account_links")
	if len(lr) != 1 || lr[0].Form.Get("type") != "account_onboarding" || lr[0].Form.Get("account") != a.ID ||
		lr[0].Form.Get("return_url") != "https://14build.test/return" || lr[0].Form.Get("refresh_url") != "https://14build.test/refresh" {
		t.Errorf("account link requests %+v", lr)
	}
}

func TestStripePaymentIntentTransferRefund(t *testing.T) {
	t.Parallel()
	s, m := newStripe(t)
	ctx := context.Background()
	pi, err := s.CreatePaymentIntent(ctx, payments.PaymentIntentParams{
		Amount: 1234567, Currency: "AUD", TransferGroup: "ms_1", Description: "Milestone 1",
		IdempotencyKey: "fund-esc_1", Metadata: map[string]string{"escrow_id": "esc_1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pi.ID, "pi_") || pi.ClientSecret == "" || pi.Status == "" {
		t.Errorf("payment intent %+v", pi)
	}
	r := m.Proxy.Requests("POST /v1/payment_intents")
	if len(r) != 1 {
		t.Fatalf("%d payment intents", len(r))
	}
	for k, want := range map[string]string{
		"amount": "1234567", "currency": "aud", "transfer_group": "ms_1",
		"automatic_payment_methods[enabled]": "true", "metadata[escrow_id]": "esc_1", "description": "Milestone 1",
	} {
		if got := r[0].Form.Get(k); got != want {
			t.Errorf("payment intent %s = %q, want %q", k, got, want)
		}
	}
	if r[0].IdempotencyKey != "fund-esc_1" {
		t.Errorf("payment intent idempotency key %q", r[0].IdempotencyKey)
	}

	tr, err := s.Transfer(ctx, payments.TransferParams{
		Amount: 1203703, Currency: "aud", Destination: "acct_1", TransferGroup: "ms_1", IdempotencyKey: "release-esc_1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.ID, "tr_") {
		t.Errorf("transfer %+v", tr)
	}
	tq := m.Proxy.Requests("POST /v1/transfers")
	if len(tq) != 1 || m.Count("POST /v1/transfers") != 1 {
		t.Fatalf("%d transfers", len(tq))
	}
	for k, want := range map[string]string{"amount": "1203703", "currency": "aud", "destination": "acct_1", "transfer_group": "ms_1"} {
		if got := tq[0].Form.Get(k); got != want {
			t.Errorf("transfer %s = %q, want %q", k, got, want)
		}
	}
	if tq[0].IdempotencyKey != "release-esc_1" {
		t.Errorf("transfer idempotency key %q", tq[0].IdempotencyKey)
	}

	rf, err := s.Refund(ctx, payments.RefundParams{PaymentIntentID: pi.ID, IdempotencyKey: "refund-esc_1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rf.ID, "re_") {
		t.Errorf("refund %+v", rf)
	}
	rq := m.Proxy.Requests("POST /v1/refunds")
	if len(rq) != 1 || rq[0].Form.Get("payment_intent") != pi.ID || rq[0].Form.Has("amount") || rq[0].IdempotencyKey != "refund-esc_1" {
		t.Errorf("refund requests %+v", rq)
	}
	if _, err := s.Refund(ctx, payments.RefundParams{PaymentIntentID: pi.ID, Amount: 500}); err != nil {
		t.Fatal(err)
	}
	if rq := m.Proxy.Requests("POST /v1/refunds"); len(rq) != 2 || rq[1].Form.Get("amount") != "500" || rq[1].IdempotencyKey == "refund-esc_1" {
		t.Errorf("partial refund requests %+v", rq)
	}
}

// A refusal (4xx) carries Stripe's message and is not ErrUnavailable.
func TestStripeRefusal(t *testing.T) {
	t.Parallel()
	s, m := newStripe(t)
	for _, st := range []int{400, 402, 404} {
		m.Proxy.Fail(st)
		_, err := s.Transfer(context.Background(), payments.TransferParams{Amount: 100, Currency: "aud", Destination: "acct_1", IdempotencyKey: "k"})
		if err == nil {
			t.Fatalf("%d: no error", st)
		}
		if errors.Is(err, payments.ErrUnavailable) {
			t.Errorf("%d: a refusal is ErrUnavailable: %v", st, err)
		}
		if !strings.Contains(err.Error(), "stripetest: Stripe answers") {
			t.Errorf("%d: the error does not carry Stripe's message: %v", st, err)
		}
	}
}

// Stripe unreachable (connections closed), answering 503 or 429, or too slow: ErrUnavailable;
// back up: the same call works.
func TestStripeUnavailable(t *testing.T) {
	t.Parallel()
	m := stripetest.Start(t)
	s := payments.NewStripe(payments.StripeConfig{SecretKey: stripetest.SecretKey, APIBase: m.APIBase})
	ctx := context.Background()
	p := payments.TransferParams{Amount: 100, Currency: "aud", Destination: "acct_1", IdempotencyKey: "release-x"}

	m.Down()
	if _, err := s.Transfer(ctx, p); !errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("down: %v", err)
	}
	for _, st := range []int{503, 500, 429, 409} {
		m.Proxy.Fail(st)
		_, err := s.Transfer(ctx, p)
		if !errors.Is(err, payments.ErrUnavailable) {
			t.Fatalf("%d: %v", st, err)
		}
	}
	if n := m.Count("POST /v1/transfers"); n != 0 {
		t.Fatalf("%d transfers reached Stripe while it was down", n)
	}
	if m.Proxy.Refused() == 0 {
		t.Fatal("nothing refused")
	}
	m.Up()
	if _, err := s.Transfer(ctx, p); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n := m.Count("POST /v1/transfers"); n != 1 {
		t.Fatalf("%d transfers", n)
	}

	// A timeout (the caller's deadline) is ErrUnavailable too.
	tctx, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	time.Sleep(time.Millisecond)
	if _, err := s.Transfer(tctx, p); !errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("timeout: %v", err)
	}

	// Nothing listening at all.
	gone := payments.NewStripe(payments.StripeConfig{SecretKey: stripetest.SecretKey, APIBase: "http://127.0.0.1:1"})
	if _, err := gone.Account(ctx, "acct_1"); !errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("connection refused: %v", err)
	}
}

// Concurrent use of one provider (the release worker and requests share it).
func TestStripeConcurrent(t *testing.T) {
	t.Parallel()
	s, m := newStripe(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Transfer(context.Background(), payments.TransferParams{Amount: 100, Currency: "aud", Destination: "acct_1", IdempotencyKey: "same"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range m.Proxy.Requests("POST /v1/transfers") {
		if r.IdempotencyKey != "same" {
			t.Fatalf("idempotency key %q", r.IdempotencyKey)
		}
	}
	if m.Count("POST /v1/transfers") != 20 {
		t.Fatalf("counted %d", m.Count("POST /v1/transfers"))
	}
}
