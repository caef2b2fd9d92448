package handlers

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/jobs"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/payments/stripetest"
)

// The Stripe path against stripe-mock (payments/stripetest: a counting proxy in front,
// which can play Stripe down): onboarding, funding by a signed webhook only, bad
// signatures and replays, exactly one transfer for twenty concurrent releases, and a
// release that waits for Stripe in a River job. stripe-mock keeps no state: every
// PaymentIntent it makes has the same id, so each test funds one escrow through it.

const testWebhookSecret = "whsec_test_14build"

// stripeWorld is an escrowWorld whose app talks to stripe-mock.
type stripeWorld struct {
	*escrowWorld
	mock     *stripetest.Mock
	provider *payments.Stripe
}

func newStripeWorld(t *testing.T) *stripeWorld {
	t.Helper()
	m := stripetest.Start(t)
	p := payments.NewStripe(payments.StripeConfig{SecretKey: stripetest.SecretKey, APIBase: m.APIBase})
	w := newEscrowWorld(t, func(c *Config) {
		c.Payments = p
		c.StripeWebhookSecret = testWebhookSecret
	})
	return &stripeWorld{escrowWorld: w, mock: m, provider: p}
}

// webhook posts a Stripe event with a signature header ("" sends none).
func (w *stripeWorld) webhook(t *testing.T, body []byte, sig string) response {
	t.Helper()
	req, _ := http.NewRequest("POST", w.a.srv.URL+"/api/webhooks/stripe", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	return w.a.client().send(req)
}

// signed posts body signed with the endpoint secret: 200 expected.
func (w *stripeWorld) signed(t *testing.T, body []byte) {
	t.Helper()
	if res := w.webhook(t, body, stripetest.SignedPayload(t, testWebhookSecret, body)); res.Code != http.StatusOK || !strings.Contains(res.Body, `"received":true`) {
		t.Fatalf("webhook: %d %s", res.Code, res.Body)
	}
}

func paymentSucceeded(eventID, piID string) []byte {
	return stripetest.Event(eventID, "payment_intent.succeeded", map[string]any{"id": piID, "object": "payment_intent", "status": "succeeded"})
}

// onboard makes the contractor's account (through stripe-mock) and has Stripe's
// account.updated event say it can be paid.
func (w *stripeWorld) onboard(t *testing.T) string {
	t.Helper()
	path := "/api/contracts/" + w.contractID + "/onboarding"
	res := w.clients["contractor"].do("POST", path, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("onboard: %d %s", res.Code, res.Body)
	}
	j := res.JSON(t)
	acct, _ := j["accountId"].(string)
	if !strings.HasPrefix(acct, "acct_") || !strings.HasPrefix(j["url"].(string), "http") || j["simulated"] != false {
		t.Fatalf("onboarding: %v", j)
	}
	w.signed(t, stripetest.AccountEvent("evt_acct_1", "account.updated", acct, map[string]any{"id": acct, "object": "account",
		"details_submitted": true, "payouts_enabled": true, "capabilities": map[string]any{"transfers": "active"}}))
	if j := w.clients["contractor"].get(path).JSON(t); j["payoutsEnabled"] != true || j["detailsSubmitted"] != true {
		t.Fatalf("after account.updated: %v", j)
	}
	return acct
}

// fundByWebhook funds the milestone: the escrow and its payment intent from stripe-mock,
// then the signed payment_intent.succeeded. Returns the escrow's id and the intent's.
func (w *stripeWorld) fundByWebhook(t *testing.T, milestoneID string) (string, string) {
	t.Helper()
	e := w.fund(t, milestoneID)
	pi, _ := e["paymentIntentId"].(string)
	if !strings.HasPrefix(pi, "pi_") || e["clientSecret"] == nil || e["simulated"] != false || e["status"] != "pending" {
		t.Fatalf("fund: %v", e)
	}
	w.signed(t, paymentSucceeded("evt_paid_1", pi))
	return e["id"].(string), pi
}

func (w *stripeWorld) escrowStatus(t *testing.T, id string) string {
	t.Helper()
	return w.clients["owner"].get("/api/escrow/" + id).JSON(t)["status"].(string)
}

func TestStripeWebhookFundingAndConcurrentRelease(t *testing.T) {
	t.Parallel()
	w := newStripeWorld(t)
	owner := w.clients["owner"]

	// Onboarding: one connected account per company, a fresh link each time.
	acct := w.onboard(t)
	if res := w.clients["contractor"].do("POST", "/api/contracts/"+w.contractID+"/onboarding", nil); res.Code != http.StatusOK || res.JSON(t)["accountId"] != acct {
		t.Errorf("second onboarding: %d %s", res.Code, res.Body)
	}
	if n := w.mock.Count("POST /v1/accounts"); n != 1 {
		t.Errorf("%d accounts made", n)
	}
	if n := w.mock.Count("POST /v1/account_links"); n != 2 {
		t.Errorf("%d account links", n)
	}

	m1 := w.addMilestone(t, "Foundations", 400000)
	w.addMilestone(t, "Rest", w.sum-400000)
	e := w.fund(t, m1)
	id, pi := e["id"].(string), e["paymentIntentId"].(string)
	if n := w.mock.Count("POST /v1/payment_intents"); n != 1 {
		t.Errorf("%d payment intents", n)
	}
	q := w.mock.Proxy.Requests("POST /v1/payment_intents")
	if len(q) != 1 || q[0].Form.Get("transfer_group") != m1 || q[0].Form.Get("amount") != "400000" ||
		q[0].IdempotencyKey != "escrow-fund-"+id {
		t.Errorf("payment intent request %+v", q)
	}
	// The simulator's stand-in is not there with real keys.
	if res := owner.do("POST", "/api/escrow/"+id+"/simulate-payment", nil); res.Code != http.StatusNotFound {
		t.Errorf("simulate with Stripe: %d %s", res.Code, res.Body)
	}

	// Bad signatures: 400, nothing recorded or changed.
	body := paymentSucceeded("evt_paid_1", pi)
	for name, sig := range map[string]string{
		"none":       "",
		"wrong key":  stripetest.SignedPayload(t, "whsec_other", body),
		"garbage":    "t=1,v1=deadbeef",
		"too old":    stripetest.SignedPayloadAt(t, testWebhookSecret, body, time.Now().Add(-time.Hour)),
		"other body": stripetest.SignedPayload(t, testWebhookSecret, paymentSucceeded("evt_paid_1", "pi_other")),
	} {
		if res := w.webhook(t, body, sig); res.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, res.Code, res.Body)
		}
	}
	if st := w.escrowStatus(t, id); st != "pending" || w.a.count(`SELECT count(*) FROM stripe_events`) != 0 ||
		w.a.count(`SELECT count(*) FROM ledger_postings`) != 0 {
		t.Fatalf("after bad signatures: %s", st)
	}
	// Events about what the platform does not know, or of other types: 200, no change.
	w.signed(t, paymentSucceeded("evt_unknown", "pi_unknown"))
	w.signed(t, stripetest.Event("evt_other", "charge.succeeded", map[string]any{"id": "ch_1", "object": "charge", "payment_intent": "pi_unknown"}))
	w.signed(t, stripetest.AccountEvent("evt_acct_x", "account.updated", "acct_unknown", map[string]any{"id": "acct_unknown", "object": "account"}))

	// The signed event funds; the same event again (Stripe retries) changes nothing.
	w.signed(t, body)
	if st := w.escrowStatus(t, id); st != "funded" {
		t.Fatalf("after the webhook: %s", st)
	}
	w.signed(t, body)
	if n := w.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'funding'`); n != 1 {
		t.Errorf("%d funding postings after a replay", n)
	}
	if n := w.a.count(`SELECT count(*) FROM stripe_events WHERE id = 'evt_paid_1'`); n != 1 {
		t.Errorf("event recorded %d times", n)
	}
	w.completeApprove(t, m1)

	// Twenty releases at once: one transfer reaches Stripe, one is in the ledger; the
	// others answer 409 with the escrow.
	codes := make([]int, 20)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = owner.do("POST", "/api/escrow/"+id+"/release", nil).Code
		}()
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
			conflict++
		}
	}
	if ok != 1 || conflict != 19 {
		t.Errorf("codes %v", codes)
	}
	if n := w.mock.Count("POST /v1/transfers"); n != 1 {
		t.Errorf("%d transfers reached Stripe", n)
	}
	tr := w.mock.Proxy.Requests("POST /v1/transfers")
	if len(tr) == 1 && (tr[0].IdempotencyKey != "escrow-release-"+id || tr[0].Form.Get("destination") != acct ||
		tr[0].Form.Get("amount") != "390000") {
		t.Errorf("transfer request %+v", tr[0])
	}
	if n := w.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'transfer'`); n != 1 {
		t.Errorf("%d transfer postings", n)
	}
	if st := w.escrowStatus(t, id); st != "released" {
		t.Errorf("after release: %s", st)
	}
}

// Stripe unreachable at release: the release stays requested (202), a River job is
// queued, and once Stripe is back the job makes the one transfer and completes it.
func TestStripeReleaseRetriedByJob(t *testing.T) {
	t.Parallel()
	w := newStripeWorld(t)
	owner := w.clients["owner"]
	w.onboard(t)
	m1 := w.addMilestone(t, "All", w.sum)
	id, _ := w.fundByWebhook(t, m1)
	w.completeApprove(t, m1)

	w.mock.Down()
	res := owner.do("POST", "/api/escrow/"+id+"/release", nil)
	if res.Code != http.StatusAccepted || res.JSON(t)["releaseState"] != "requested" || res.JSON(t)["status"] != "funded" {
		t.Fatalf("release while Stripe is down: %d %s", res.Code, res.Body)
	}
	if n := w.a.count(`SELECT count(*) FROM river_job WHERE kind = 'escrow_release'`); n != 1 {
		t.Fatalf("%d release jobs queued", n)
	}
	// Clicking again while it is owed: 409, no second job.
	if res := owner.do("POST", "/api/escrow/"+id+"/release", nil); res.Code != http.StatusConflict {
		t.Errorf("second release: %d %s", res.Code, res.Body)
	}
	if n := w.a.count(`SELECT count(*) FROM river_job WHERE kind = 'escrow_release'`); n != 1 {
		t.Errorf("%d release jobs queued", n)
	}
	if n := w.mock.Count("POST /v1/transfers"); n != 0 {
		t.Errorf("%d transfers reached Stripe while down", n)
	}
	assertLedger(t, w.a) // requested: contractor payable holds the transfer

	// Stripe is back; a worker (as the server runs one) finishes the release.
	w.mock.Up()
	jc, err := jobs.New(w.a.st, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{PollInterval: 20 * time.Millisecond, Payments: w.provider})
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jc.Stop(ctx)
	})
	deadline := time.Now().Add(30 * time.Second)
	for w.escrowStatus(t, id) != "released" {
		if time.Now().After(deadline) {
			t.Fatalf("not released 30 s after Stripe came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := w.mock.Count("POST /v1/transfers"); n != 1 {
		t.Errorf("%d transfers", n)
	}
	if n := w.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'transfer'`); n != 1 {
		t.Errorf("%d transfer postings", n)
	}
	ms := owner.get("/api/contracts/" + w.contractID + "/milestones").JSON(t)["milestones"].([]any)
	if st := ms[0].(map[string]any)["status"]; st != "paid" {
		t.Errorf("milestone %v after the release", st)
	}
}

// A release owed with no job for it (its queueing lost) is found by the periodic sweep,
// which queues the job that pays it: here with the simulator playing Stripe down.
func TestReleaseOwedFoundBySweep(t *testing.T) {
	t.Parallel()
	sim := payments.NewSimulator()
	w := newEscrowWorld(t, func(c *Config) { c.Payments = sim })
	owner := w.clients["owner"]
	if res := w.clients["contractor"].do("POST", "/api/contracts/"+w.contractID+"/onboarding", nil); res.Code != http.StatusOK {
		t.Fatalf("onboard: %d %s", res.Code, res.Body)
	}
	m1 := w.addMilestone(t, "All", w.sum)
	id := w.payAndApprove(t, m1)
	sim.SetUnavailable(true)
	if res := owner.do("POST", "/api/escrow/"+id+"/release", nil); res.Code != http.StatusAccepted {
		t.Fatalf("release while down: %d %s", res.Code, res.Body)
	}
	if _, err := w.a.st.DB().Exec(`DELETE FROM river_job WHERE kind = 'escrow_release'`); err != nil {
		t.Fatal(err)
	}
	sim.SetUnavailable(false)
	jc, err := jobs.New(w.a.st, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{PollInterval: 20 * time.Millisecond, Payments: sim, CloseSweep: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := jc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jc.Stop(ctx)
	})
	deadline := time.Now().Add(30 * time.Second)
	for owner.get("/api/escrow/" + id).JSON(t)["status"] != "released" {
		if time.Now().After(deadline) {
			t.Fatalf("not released 30 s after the sweep started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := sim.Count("transfer"); n != 1 {
		t.Errorf("%d transfers", n)
	}
}

// A refund of a funded, unreleased escrow through Stripe: one refund request with the
// escrow's key; a second refund is a 409 that reaches Stripe no more.
func TestStripeRefund(t *testing.T) {
	t.Parallel()
	w := newStripeWorld(t)
	owner := w.clients["owner"]
	m1 := w.addMilestone(t, "All", w.sum)
	id, pi := w.fundByWebhook(t, m1)
	res := owner.do("POST", "/api/escrow/"+id+"/refund", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "refunded" || res.JSON(t)["refundId"] == nil {
		t.Fatalf("refund: %d %s", res.Code, res.Body)
	}
	if res := owner.do("POST", "/api/escrow/"+id+"/refund", nil); res.Code != http.StatusConflict {
		t.Errorf("second refund: %d %s", res.Code, res.Body)
	}
	q := w.mock.Proxy.Requests("POST /v1/refunds")
	if len(q) != 1 || q[0].IdempotencyKey != "escrow-refund-"+id || q[0].Form.Get("payment_intent") != pi {
		t.Errorf("refund requests %+v", q)
	}
	if n := w.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'refund'`); n != 1 {
		t.Errorf("%d refund postings", n)
	}
}
