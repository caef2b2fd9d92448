package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/escrow"
	"github.com/14build/14build/store"
)

// The escrow API with the payment simulator (make run's default): milestones and the sum
// rules, every role on every money route, the whole way from funding to release, and the
// fee and retention arithmetic at its rounding edges. The Stripe path (stripe-mock, signed
// webhooks, concurrent releases, Stripe down) is in stripe_webhook_test.go.

// newFixtureWith is newFixture on an app configured by mod.
func newFixtureWith(t *testing.T, mod ...func(*Config)) *fixture {
	t.Helper()
	a := newTestApp(t, mod...)
	f := &fixture{a: a, users: map[string]store.User{}, clients: map[string]*client{}}
	for name, spec := range map[string]struct {
		role  authz.Role
		email string
	}{
		"owner": {authz.RoleOwner, "o@example.com"}, "inhouse": {authz.RoleInHouse, "i@example.com"},
		"otherOwner": {authz.RoleOwner, "o2@example.com"}, "bidder": {authz.RoleBidder, "b@example.com"},
		"admin": {authz.RoleAdmin, "a@example.com"}, "outsider": {authz.RoleInHouse, "i2@example.com"},
	} {
		f.users[name] = a.user(spec.role, spec.email)
	}
	f.P = a.project(f.users["owner"], "P", f.users["inhouse"])
	f.P2 = a.project(f.users["otherOwner"], "P2")
	for name, u := range f.users {
		f.clients[name] = a.login(u.Email)
	}
	f.clients["anonymous"] = a.client()
	return f
}

// escrowWorld is a contract on f.P awarded to Civil Two (c2@example.com, "contractor");
// "bidder" bid and lost, "otherOwner" owns another project, "inhouse" is on the team.
type escrowWorld struct {
	*fixture
	contractID string
	sum        int64
}

func newEscrowWorld(t *testing.T, mod ...func(*Config)) *escrowWorld {
	t.Helper()
	f := newFixtureWith(t, mod...)
	bt, bids := closedWithBids(t, f)
	res := f.clients["owner"].do("POST", "/api/tenders/"+bt.id+"/award", map[string]any{"bidId": bids["civil2"]})
	if res.Code != http.StatusOK {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	k := res.JSON(t)["contract"].(map[string]any)
	f.clients["contractor"] = f.a.login("c2@example.com")
	w := &escrowWorld{fixture: f, contractID: k["id"].(string), sum: int64(amountOf(t, k["sum"]))}
	t.Cleanup(func() { assertLedger(t, f.a) })
	return w
}

// addMilestone adds a milestone as the owner and returns its id.
func (w *escrowWorld) addMilestone(t *testing.T, title string, amount int64) string {
	t.Helper()
	res := w.clients["owner"].do("POST", "/api/contracts/"+w.contractID+"/milestones", map[string]any{
		"title": title, "description": "Works of " + title, "dueDate": "2026-12-31",
		"amount": map[string]any{"amount": amount, "currency": "usd"}})
	if res.Code != http.StatusCreated {
		t.Fatalf("add milestone %s: %d %s", title, res.Code, res.Body)
	}
	return res.JSON(t)["id"].(string)
}

// fund opens the milestone's escrow as the owner: the escrow's JSON.
func (w *escrowWorld) fund(t *testing.T, milestoneID string) map[string]any {
	t.Helper()
	res := w.clients["owner"].do("POST", "/api/milestones/"+milestoneID+"/fund", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("fund: %d %s", res.Code, res.Body)
	}
	return res.JSON(t)
}

// pay funds, simulates the payment, has the contractor complete and the owner approve.
func (w *escrowWorld) payAndApprove(t *testing.T, milestoneID string) string {
	t.Helper()
	id := w.fund(t, milestoneID)["id"].(string)
	if res := w.clients["owner"].do("POST", "/api/escrow/"+id+"/simulate-payment", nil); res.Code != http.StatusOK || res.JSON(t)["status"] != "funded" {
		t.Fatalf("simulate: %d %s", res.Code, res.Body)
	}
	w.completeApprove(t, milestoneID)
	return id
}

func (w *escrowWorld) completeApprove(t *testing.T, milestoneID string) {
	t.Helper()
	if res := w.clients["contractor"].do("POST", "/api/milestones/"+milestoneID+"/complete", map[string]any{"note": "Done."}); res.Code != http.StatusOK {
		t.Fatalf("complete: %d %s", res.Code, res.Body)
	}
	if res := w.clients["owner"].do("POST", "/api/milestones/"+milestoneID+"/approve", nil); res.Code != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Code, res.Body)
	}
}

// expectCodes calls method path (with body) as each role and checks the status.
func (w *escrowWorld) expectCodes(t *testing.T, method, path string, body any, want map[string]int) {
	t.Helper()
	for name, code := range want {
		if res := w.clients[name].do(method, path, body); res.Code != code {
			t.Errorf("%s %s %s: %d, want %d (%s)", name, method, path, res.Code, code, res.Body)
		}
	}
}

// assertLedger checks the whole ledger: each currency's postings balance to zero, every
// escrow's postings give the balances its state implies (escrow.CheckEscrow), and the
// postings of no escrow (retention releases) what each contract's retention state implies.
func assertLedger(t testing.TB, a *testApp) {
	t.Helper()
	var ps []struct {
		ContractID string `db:"contract_id"`
		EscrowID   string `db:"escrow_id"`
		Currency   string `db:"currency"`
		escrow.Posting
	}
	if err := a.st.DB().Select(&ps, `SELECT contract_id::text, coalesce(escrow_id::text, '') AS escrow_id, currency, kind, debit, credit, amount
FROM ledger_postings ORDER BY id`); err != nil {
		t.Fatalf("ledger: %v", err)
	}
	byCurrency := map[string][]escrow.Posting{}
	byEscrow := map[string][]escrow.Posting{}
	retention := map[string][]escrow.Posting{}
	for _, p := range ps {
		byCurrency[p.Currency] = append(byCurrency[p.Currency], p.Posting)
		if p.EscrowID == "" {
			retention[p.ContractID] = append(retention[p.ContractID], p.Posting)
		} else {
			byEscrow[p.EscrowID] = append(byEscrow[p.EscrowID], p.Posting)
		}
	}
	for cur, list := range byCurrency {
		if total := escrow.BalancesOf(list).Total(); total != 0 {
			t.Errorf("ledger in %s does not balance: %d", cur, total)
		}
	}
	var es []struct {
		ID           string              `db:"id"`
		ContractID   string              `db:"contract_id"`
		Status       escrow.Status       `db:"status"`
		ReleaseState escrow.ReleaseState `db:"release_state"`
		Amount       int64               `db:"amount"`
		Fee          int64               `db:"fee"`
		Retention    int64               `db:"retention"`
	}
	if err := a.st.DB().Select(&es, `SELECT id::text, contract_id::text, status, release_state, amount, fee, retention FROM escrows`); err != nil {
		t.Fatalf("escrows: %v", err)
	}
	held := map[string]int64{}
	for _, e := range es {
		p := escrow.Payout{Amount: e.Amount, Fee: e.Fee, Retention: e.Retention, Transfer: e.Amount - e.Fee - e.Retention}
		if err := escrow.CheckEscrow(e.Status, e.ReleaseState, p, escrow.BalancesOf(byEscrow[e.ID])); err != nil {
			t.Errorf("escrow %s: %v", e.ID, err)
		}
		if e.Status == escrow.EscrowReleased || e.ReleaseState == escrow.ReleaseRequested {
			held[e.ContractID] += e.Retention
		}
	}
	var ks []struct {
		ID    string              `db:"id"`
		State escrow.ReleaseState `db:"retention_release_state"`
	}
	if err := a.st.DB().Select(&ks, `SELECT id::text, retention_release_state FROM contracts`); err != nil {
		t.Fatalf("contracts: %v", err)
	}
	for _, k := range ks {
		if err := escrow.CheckRetention(k.State, held[k.ID], escrow.BalancesOf(retention[k.ID])); err != nil {
			t.Errorf("contract %s: %v", k.ID, err)
		}
	}
}

func TestEscrowAPISimulatorLifecycle(t *testing.T) {
	t.Parallel()
	w := newEscrowWorld(t)
	owner, contractor := w.clients["owner"], w.clients["contractor"]
	list := "/api/contracts/" + w.contractID + "/milestones"

	// Who sees the milestones: the team and the contractor; no one else.
	w.expectCodes(t, "GET", list, nil, map[string]int{"owner": 200, "inhouse": 200, "contractor": 200,
		"bidder": 404, "otherOwner": 404, "outsider": 404, "anonymous": 401})
	body := map[string]any{"title": "Foundations", "dueDate": "2026-12-31", "amount": map[string]any{"amount": 500000, "currency": "usd"}}
	// Who adds: the owner only (in-house and the contractor 403, outsiders 404).
	w.expectCodes(t, "POST", list, body, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404,
		"otherOwner": 404, "outsider": 404, "anonymous": 401})
	m1 := w.addMilestone(t, "Foundations", 500000)

	// The sum rules: more than the contract sum is refused naming the amount; another
	// currency is refused; funding waits until the milestones add up exactly.
	res := owner.do("POST", list, map[string]any{"title": "Too much", "amount": map[string]any{"amount": w.sum, "currency": "usd"}})
	if res.Code != http.StatusBadRequest || res.JSON(t)["fields"] == nil {
		t.Errorf("over the sum: %d %s", res.Code, res.Body)
	}
	res = owner.do("POST", list, map[string]any{"title": "Euros", "amount": map[string]any{"amount": 1, "currency": "eur"}})
	if res.Code != http.StatusBadRequest || !strings.Contains(res.Body, "amount.currency") {
		t.Errorf("other currency: %d %s", res.Code, res.Body)
	}
	res = owner.do("POST", list, map[string]any{"title": "Bad date", "dueDate": "31/12/2026", "amount": map[string]any{"amount": 1, "currency": "usd"}})
	if res.Code != http.StatusBadRequest || !strings.Contains(res.Body, "dueDate") {
		t.Errorf("bad date: %d %s", res.Code, res.Body)
	}
	if res := owner.do("POST", "/api/milestones/"+m1+"/fund", nil); res.Code != http.StatusConflict {
		t.Errorf("fund before the milestones add up: %d %s", res.Code, res.Body)
	}
	if n := w.a.count(`SELECT count(*) FROM escrows`); n != 0 {
		t.Errorf("%d escrows after refusals", n)
	}
	m2 := w.addMilestone(t, "Frame", w.sum-500000)
	got := owner.get(list).JSON(t)
	if len(got["milestones"].([]any)) != 2 || amountOf(t, got["remaining"]) != 0 || got["fundingAllowed"] != true || got["simulated"] != true {
		t.Errorf("milestones %v", got)
	}
	// Editing: a planned milestone's fields, by the owner (PUT), still within the sum.
	res = owner.do("PUT", "/api/milestones/"+m2, map[string]any{"title": "Frame and roof", "amount": map[string]any{"amount": w.sum - 500000, "currency": "usd"}})
	if res.Code != http.StatusOK || res.JSON(t)["title"] != "Frame and roof" {
		t.Errorf("edit: %d %s", res.Code, res.Body)
	}
	res = owner.do("PUT", "/api/milestones/"+m2, map[string]any{"title": "Frame", "amount": map[string]any{"amount": w.sum, "currency": "usd"}})
	if res.Code != http.StatusBadRequest {
		t.Errorf("edit over the sum: %d %s", res.Code, res.Body)
	}

	// Funding is the owner's: in-house and the contractor 403, outsiders 404.
	fund := "/api/milestones/" + m1 + "/fund"
	w.expectCodes(t, "POST", fund, nil, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404, "otherOwner": 404, "anonymous": 401})
	w.expectCodes(t, "POST", "/api/escrow", map[string]any{"milestoneId": m1}, map[string]int{"inhouse": 403, "contractor": 403,
		"bidder": 404, "otherOwner": 404, "outsider": 404, "anonymous": 401})
	e := w.fund(t, m1)
	id := e["id"].(string)
	if e["status"] != "pending" || e["simulated"] != true || e["clientSecret"] == nil || amountOf(t, e["fee"]) != 12500 ||
		amountOf(t, e["retention"]) != 0 || amountOf(t, e["transferAmount"]) != 487500 || e["milestoneId"] != m1 {
		t.Errorf("fund: %v", e)
	}
	// Funding again (the page's button twice, or the seed's POST /api/escrow) is the same escrow.
	if res := owner.do("POST", "/api/escrow", map[string]any{"milestoneId": m1}); res.Code != http.StatusCreated || res.JSON(t)["id"] != id {
		t.Errorf("POST /api/escrow: %d %s", res.Code, res.Body)
	}
	// The client secret is the owner's only.
	for _, name := range []string{"inhouse", "contractor"} {
		res := w.clients[name].get("/api/escrow/" + id)
		if res.Code != http.StatusOK || res.JSON(t)["clientSecret"] != nil {
			t.Errorf("%s GET escrow: %d %s", name, res.Code, res.Body)
		}
	}
	w.expectCodes(t, "GET", "/api/escrow/"+id, nil, map[string]int{"bidder": 404, "otherOwner": 404, "anonymous": 401})
	w.expectCodes(t, "GET", "/api/escrow?projectId="+w.P.ID, nil, map[string]int{"owner": 200, "inhouse": 200, "contractor": 404, "otherOwner": 404})

	// Completing waits for the money.
	if res := contractor.do("POST", "/api/milestones/"+m1+"/complete", map[string]any{"note": "Poured."}); res.Code != http.StatusConflict {
		t.Errorf("complete before funding: %d %s", res.Code, res.Body)
	}
	// The simulated payment: the owner's; the same path as the webhook; a second is a no-op.
	sim := "/api/escrow/" + id + "/simulate-payment"
	w.expectCodes(t, "POST", sim, nil, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404, "anonymous": 401})
	for range 2 {
		if res := owner.do("POST", sim, nil); res.Code != http.StatusOK || res.JSON(t)["status"] != "funded" {
			t.Fatalf("simulate: %d %s", res.Code, res.Body)
		}
	}
	if n := w.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'funding'`); n != 1 {
		t.Errorf("%d funding postings", n)
	}
	// A funded escrow is not cancelled.
	if res := owner.do("DELETE", "/api/escrow/"+id, nil); res.Code != http.StatusConflict {
		t.Errorf("cancel a funded escrow: %d %s", res.Code, res.Body)
	}

	// Complete: the contractor's only (the team 403, another bidder 404).
	complete := "/api/milestones/" + m1 + "/complete"
	w.expectCodes(t, "POST", complete, map[string]any{"note": "x"}, map[string]int{"owner": 403, "inhouse": 403, "bidder": 404, "otherOwner": 404, "anonymous": 401})
	res = contractor.do("POST", complete, map[string]any{"note": "Poured and cured."})
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "completed" || res.JSON(t)["completionNote"] != "Poured and cured." {
		t.Fatalf("complete: %d %s", res.Code, res.Body)
	}
	if n := w.a.count(`SELECT count(*) FROM events WHERE kind = 'milestone-completed' AND project_id = $1`, w.P.ID); n != 1 {
		t.Errorf("%d milestone-completed events", n)
	}
	approve := "/api/milestones/" + m1 + "/approve"
	w.expectCodes(t, "POST", approve, nil, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404, "anonymous": 401})
	if res := owner.do("POST", approve, nil); res.Code != http.StatusOK || res.JSON(t)["status"] != "approved" {
		t.Fatalf("approve: %d %s", res.Code, res.Body)
	}

	// Release waits for the contractor's payout account.
	release := "/api/escrow/" + id + "/release"
	if res := owner.do("POST", release, nil); res.Code != http.StatusConflict || !strings.Contains(res.Body, "payout account") {
		t.Errorf("release before onboarding: %d %s", res.Code, res.Body)
	}
	onboarding := "/api/contracts/" + w.contractID + "/onboarding"
	w.expectCodes(t, "GET", onboarding, nil, map[string]int{"owner": 403, "inhouse": 403, "bidder": 404, "anonymous": 401})
	w.expectCodes(t, "POST", onboarding, nil, map[string]int{"owner": 403, "bidder": 404, "anonymous": 401})
	if res := contractor.get(onboarding); res.Code != http.StatusOK || res.JSON(t)["exists"] != false {
		t.Errorf("onboarding state before: %d %s", res.Code, res.Body)
	}
	if res := contractor.do("POST", onboarding, nil); res.Code != http.StatusOK || res.JSON(t)["payoutsEnabled"] != true || res.JSON(t)["simulated"] != true {
		t.Fatalf("onboard: %d %s", res.Code, res.Body)
	}
	w.expectCodes(t, "POST", release, nil, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404, "otherOwner": 404, "anonymous": 401})
	res = owner.do("POST", release, nil)
	if res.Code != http.StatusOK {
		t.Fatalf("release: %d %s", res.Code, res.Body)
	}
	if r := res.JSON(t); r["status"] != "released" || r["releaseState"] != "sent" || amountOf(t, r["fee"]) != 12500 ||
		amountOf(t, r["transferAmount"]) != 487500 || r["transferId"] == nil {
		t.Errorf("released: %v", r)
	}
	if res := owner.do("POST", release, nil); res.Code != http.StatusConflict || res.JSON(t)["escrow"] == nil {
		t.Errorf("second release: %d %s", res.Code, res.Body)
	}

	// The ledger: the team and the contractor.
	ledger := "/api/contracts/" + w.contractID + "/ledger"
	w.expectCodes(t, "GET", ledger, nil, map[string]int{"inhouse": 200, "contractor": 200, "bidder": 404, "otherOwner": 404, "anonymous": 401})
	l := owner.get(ledger).JSON(t)
	var kinds []string
	for _, p := range l["postings"].([]any) {
		kinds = append(kinds, p.(map[string]any)["kind"].(string))
	}
	if fmt.Sprint(kinds) != "[funding release fee transfer]" {
		t.Errorf("postings %v", kinds)
	}
	b := l["balances"].(map[string]any)
	if amountOf(t, b["contractor_paid"]) != 487500 || amountOf(t, b["platform_fees"]) != 12500 || amountOf(t, b["owner_funding"]) != -500000 {
		t.Errorf("balances %v", b)
	}

	// Disputes: the contractor or the owner, with a reason; in-house 403.
	dispute := "/api/milestones/" + m2 + "/dispute"
	w.expectCodes(t, "POST", dispute, map[string]any{"reason": "x"}, map[string]int{"inhouse": 403, "bidder": 404, "anonymous": 401})
	if res := contractor.do("POST", dispute, map[string]any{}); res.Code != http.StatusBadRequest {
		t.Errorf("dispute without a reason: %d %s", res.Code, res.Body)
	}
	if res := contractor.do("POST", dispute, map[string]any{"reason": "Scope changed."}); res.Code != http.StatusOK || res.JSON(t)["status"] != "disputed" {
		t.Errorf("dispute: %d %s", res.Code, res.Body)
	}
	// A disputed milestone is frozen: no funding.
	if res := owner.do("POST", "/api/milestones/"+m2+"/fund", nil); res.Code != http.StatusConflict {
		t.Errorf("fund a disputed milestone: %d %s", res.Code, res.Body)
	}
}

func TestEscrowAPICancelRefund(t *testing.T) {
	t.Parallel()
	w := newEscrowWorld(t)
	owner := w.clients["owner"]
	m1 := w.addMilestone(t, "One", 100000)
	m2 := w.addMilestone(t, "Two", w.sum-100000)

	// Cancel before funding (DELETE, or PUT {"status":"cancelled"}); then fund anew.
	id := w.fund(t, m1)["id"].(string)
	w.expectCodes(t, "DELETE", "/api/escrow/"+id, nil, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404, "anonymous": 401})
	if res := owner.do("PUT", "/api/escrow/"+id, map[string]any{"status": "released"}); res.Code != http.StatusConflict {
		t.Errorf("PUT released: %d %s", res.Code, res.Body)
	}
	if res := owner.do("PUT", "/api/escrow/"+id, map[string]any{"status": "gone"}); res.Code != http.StatusBadRequest {
		t.Errorf("PUT unknown status: %d %s", res.Code, res.Body)
	}
	if res := owner.do("DELETE", "/api/escrow/"+id, nil); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	if res := owner.get("/api/escrow/" + id); res.JSON(t)["status"] != "cancelled" {
		t.Errorf("after cancel: %s", res.Body)
	}
	id2 := w.fund(t, m1)["id"].(string)
	if id2 == id {
		t.Fatal("funding after a cancel reused the cancelled escrow")
	}
	if res := owner.do("PUT", "/api/escrow/"+id2, map[string]any{"status": "cancelled"}); res.Code != http.StatusOK || res.JSON(t)["status"] != "cancelled" {
		t.Errorf("PUT cancelled: %d %s", res.Code, res.Body)
	}

	// Refund a funded, unreleased escrow: the owner's; the milestone may be funded again.
	id3 := w.fund(t, m2)["id"].(string)
	if res := owner.do("POST", "/api/escrow/"+id3+"/refund", nil); res.Code != http.StatusConflict {
		t.Errorf("refund before funding: %d %s", res.Code, res.Body)
	}
	if res := owner.do("POST", "/api/escrow/"+id3+"/simulate-payment", nil); res.Code != http.StatusOK {
		t.Fatalf("simulate: %d %s", res.Code, res.Body)
	}
	w.expectCodes(t, "POST", "/api/escrow/"+id3+"/refund", nil, map[string]int{"inhouse": 403, "contractor": 403, "bidder": 404, "anonymous": 401})
	res := owner.do("POST", "/api/escrow/"+id3+"/refund", nil)
	if res.Code != http.StatusOK || res.JSON(t)["status"] != "refunded" {
		t.Fatalf("refund: %d %s", res.Code, res.Body)
	}
	if res := owner.do("POST", "/api/escrow/"+id3+"/refund", nil); res.Code != http.StatusConflict {
		t.Errorf("second refund: %d %s", res.Code, res.Body)
	}
	if n := w.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'refund'`); n != 1 {
		t.Errorf("%d refund postings", n)
	}
	if e := w.fund(t, m2); e["id"] == id3 || e["status"] != "pending" {
		t.Errorf("fund after refund: %v", e)
	}
}

// The fee (2.5 %) and retention are half-up in cents: 20 → fee 0.5 → 1; 19 → 0.475 → 0;
// 10 at 5 % retention → 0.5 → 1. Each escrow states them, and a release moves exactly them.
func TestEscrowAPIFeeRetentionEdges(t *testing.T) {
	t.Parallel()
	w := newEscrowWorld(t)
	if err := w.a.st.SetRetention(context.Background(), w.contractID, 500); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		amount, fee, retention int64
	}{
		{20, 1, 1}, {19, 0, 1}, {10, 0, 1}, {40, 1, 2}, {9, 0, 0},
	}
	var ids []string
	var rest int64 = w.sum
	for i, c := range cases {
		ids = append(ids, w.addMilestone(t, fmt.Sprintf("M%d", i), c.amount))
		rest -= c.amount
	}
	big := w.addMilestone(t, "Rest", rest)
	escrows := make([]string, len(cases))
	for i, c := range cases {
		e := w.fund(t, ids[i])
		escrows[i] = e["id"].(string)
		if amountOf(t, e["fee"]) != float64(c.fee) || amountOf(t, e["retention"]) != float64(c.retention) ||
			amountOf(t, e["transferAmount"]) != float64(c.amount-c.fee-c.retention) {
			t.Errorf("%d: fee %v retention %v transfer %v", c.amount, e["fee"], e["retention"], e["transferAmount"])
		}
	}
	// The rest: 1,324,902 → fee 33,122.55 → 33,123; retention 66,245.1 → 66,245.
	e := w.fund(t, big)
	if rest != 1324902 || amountOf(t, e["fee"]) != 33123 || amountOf(t, e["retention"]) != 66245 {
		t.Errorf("rest %d: %v", rest, e)
	}
	// Release the 20: 18 to the contractor, 1 fee, 1 retention held.
	if res := w.clients["contractor"].do("POST", "/api/contracts/"+w.contractID+"/onboarding", nil); res.Code != http.StatusOK {
		t.Fatalf("onboard: %d %s", res.Code, res.Body)
	}
	if res := w.clients["owner"].do("POST", "/api/escrow/"+escrows[0]+"/simulate-payment", nil); res.Code != http.StatusOK {
		t.Fatalf("simulate: %d %s", res.Code, res.Body)
	}
	w.completeApprove(t, ids[0])
	res := w.clients["owner"].do("POST", "/api/escrow/"+escrows[0]+"/release", nil)
	if res.Code != http.StatusOK || amountOf(t, res.JSON(t)["transferAmount"]) != 18 {
		t.Fatalf("release: %d %s", res.Code, res.Body)
	}
	b := w.clients["owner"].get("/api/contracts/" + w.contractID + "/ledger").JSON(t)["balances"].(map[string]any)
	if amountOf(t, b["contractor_paid"]) != 18 || amountOf(t, b["platform_fees"]) != 1 || amountOf(t, b["retention_held"]) != 1 {
		t.Errorf("balances %v", b)
	}
}

// Retention: withheld from each release, paid in one transfer once every milestone is
// paid (payouts.Service.RetentionRelease; the contract page's button calls it).
func TestEscrowRetentionRelease(t *testing.T) {
	t.Parallel()
	w := newEscrowWorld(t)
	ctx := context.Background()
	if err := w.a.st.SetRetention(ctx, w.contractID, 1000); err != nil {
		t.Fatal(err)
	}
	if res := w.clients["contractor"].do("POST", "/api/contracts/"+w.contractID+"/onboarding", nil); res.Code != http.StatusOK {
		t.Fatalf("onboard: %d %s", res.Code, res.Body)
	}
	m1 := w.addMilestone(t, "One", 300000)
	m2 := w.addMilestone(t, "Two", w.sum-300000)
	id1 := w.payAndApprove(t, m1)
	if res := w.clients["owner"].do("POST", "/api/escrow/"+id1+"/release", nil); res.Code != http.StatusOK {
		t.Fatalf("release 1: %d %s", res.Code, res.Body)
	}
	// Not before every milestone is paid.
	if _, err := w.a.h.payouts.RetentionRelease(ctx, w.contractID); err == nil || !strings.Contains(err.Error(), "every milestone") {
		t.Errorf("retention release with a milestone unpaid: %v", err)
	}
	id2 := w.payAndApprove(t, m2)
	if res := w.clients["owner"].do("POST", "/api/escrow/"+id2+"/release", nil); res.Code != http.StatusOK {
		t.Fatalf("release 2: %d %s", res.Code, res.Body)
	}
	k, err := w.a.h.payouts.RetentionRelease(ctx, w.contractID)
	if err != nil || k.RetentionReleaseState != escrow.ReleaseSent {
		t.Fatalf("retention release: %v %+v", err, k)
	}
	if _, err := w.a.h.payouts.RetentionRelease(ctx, w.contractID); err != nil {
		t.Errorf("second retention release: %v", err)
	}
	b := w.clients["owner"].get("/api/contracts/" + w.contractID + "/ledger").JSON(t)["balances"].(map[string]any)
	fees := escrow.Fee(300000) + escrow.Fee(w.sum-300000)
	if amountOf(t, b["contractor_paid"]) != float64(w.sum-fees) || amountOf(t, b["retention_held"]) != 0 || amountOf(t, b["platform_fees"]) != float64(fees) {
		t.Errorf("balances %v", b)
	}
}
