package payments_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/14build/14build/payments"
)

func TestSimulator(t *testing.T) {
	ctx := context.Background()
	s := payments.NewSimulator()
	var p payments.Provider = s
	if !p.Simulated() || p.PublishableKey() != "" {
		t.Fatal("the simulator is not simulated")
	}
	a, err := p.CreateAccount(ctx, payments.AccountParams{EntityID: 1, CompanyName: "Spark", IdempotencyKey: "acct-1"})
	if err != nil || !strings.HasPrefix(a.ID, "acct_sim_") || !a.PayoutsEnabled || !a.DetailsSubmitted {
		t.Fatalf("account %+v, %v", a, err)
	}
	if again, _ := p.CreateAccount(ctx, payments.AccountParams{EntityID: 1, IdempotencyKey: "acct-1"}); again != a {
		t.Fatalf("the same key made another account: %+v", again)
	}
	if got, err := p.Account(ctx, a.ID); err != nil || got != a {
		t.Fatalf("read account %+v, %v", got, err)
	}
	if link, err := p.AccountLink(ctx, a.ID, "r", "u"); err != nil || link != "" {
		t.Fatalf("account link %q, %v", link, err)
	}

	pi, err := p.CreatePaymentIntent(ctx, payments.PaymentIntentParams{Amount: 1000, Currency: "aud", IdempotencyKey: "fund-1"})
	if err != nil || !strings.HasPrefix(pi.ID, "pi_sim_") || !strings.HasPrefix(pi.ClientSecret, pi.ID+"_secret_") {
		t.Fatalf("payment intent %+v, %v", pi, err)
	}
	pi2, _ := p.CreatePaymentIntent(ctx, payments.PaymentIntentParams{Amount: 1000, Currency: "aud", IdempotencyKey: "fund-2"})
	if pi2.ID == pi.ID {
		t.Fatal("two keys, one payment intent")
	}
	if _, err := p.CreatePaymentIntent(ctx, payments.PaymentIntentParams{Amount: 0, Currency: "aud"}); err == nil || errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("zero amount: %v", err)
	}

	// 20 concurrent transfers with one key: one transfer.
	var wg sync.WaitGroup
	ids := make(chan string, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr, err := p.Transfer(ctx, payments.TransferParams{Amount: 975, Currency: "aud", Destination: a.ID, IdempotencyKey: "release-1"})
			if err != nil {
				t.Error(err)
			}
			ids <- tr.ID
		}()
	}
	wg.Wait()
	close(ids)
	first := ""
	for id := range ids {
		if !strings.HasPrefix(id, "tr_sim_") || (first != "" && id != first) {
			t.Fatalf("transfer ids differ: %q, %q", first, id)
		}
		first = id
	}
	if n := s.Count("transfer"); n != 1 {
		t.Fatalf("%d transfers", n)
	}

	rf, err := p.Refund(ctx, payments.RefundParams{PaymentIntentID: pi.ID, IdempotencyKey: "refund-1"})
	if err != nil || !strings.HasPrefix(rf.ID, "re_sim_") {
		t.Fatalf("refund %+v, %v", rf, err)
	}

	s.SetUnavailable(true)
	if _, err := p.Transfer(ctx, payments.TransferParams{Amount: 1, Currency: "aud", Destination: a.ID, IdempotencyKey: "release-2"}); !errors.Is(err, payments.ErrUnavailable) {
		t.Fatalf("down: %v", err)
	}
	s.SetUnavailable(false)
	if _, err := p.Transfer(ctx, payments.TransferParams{Amount: 1, Currency: "aud", Destination: a.ID, IdempotencyKey: "release-2"}); err != nil {
		t.Fatalf("up: %v", err)
	}
	if n := s.Count("transfer"); n != 2 {
		t.Fatalf("%d transfers", n)
	}
}

func TestSimulatedEvent(t *testing.T) {
	a := payments.SimulatedEvent("payment_intent.succeeded", "pi_sim_1")
	b := payments.SimulatedEvent("payment_intent.succeeded", "pi_sim_1")
	if !strings.HasPrefix(a.ID, "evt_sim_") || a.ID == b.ID || a.Type != "payment_intent.succeeded" || a.PaymentIntentID != "pi_sim_1" || a.Livemode {
		t.Fatalf("%+v %+v", a, b)
	}
}
