package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/payments/stripetest"
)

// The contract pages with the payment simulator: the owner splits the contract into
// milestones (the sum check refusing too much), funds one, the contractor marks it
// complete, the owner approves and releases; the ledger page balances. Then who sees what,
// and the refusals (409 for a wrong state, 422 for a bad form) that change nothing.

// contractPages is a contract on f.P awarded to Civil Two ("contractor").
type contractPages struct {
	*fixture
	id  string
	sum int64
}

func newContractPages(t *testing.T, mod ...func(*Config)) *contractPages {
	t.Helper()
	f := newFixtureWith(t, mod...)
	bt, bids := closedWithBids(t, f)
	res := f.clients["owner"].do("POST", "/api/tenders/"+bt.id+"/award", map[string]any{"bidId": bids["civil2"]})
	if res.Code != http.StatusOK {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	k := res.JSON(t)["contract"].(map[string]any)
	f.clients["contractor"] = f.a.login("c2@example.com")
	return &contractPages{fixture: f, id: k["id"].(string), sum: int64(amountOf(t, k["sum"]))}
}

func majorUSD(minor int64) string { return money.Input(minor, money.Of("usd")) }

// addForm posts the add form as the owner.
func (k *contractPages) addForm(title string, amount string) response {
	return k.clients["owner"].form(paths.ContractMilestones(k.id), url.Values{"title": {title}, "description": {"Works of " + title},
		"dueDate": {"2027-03-31"}, "amount": {amount}})
}

func (k *contractPages) milestoneID(t *testing.T, title string) string {
	t.Helper()
	var id string
	if err := k.a.st.DB().Get(&id, `SELECT id FROM milestones WHERE contract_id = $1 AND title = $2`, k.id, title); err != nil {
		t.Fatalf("milestone %s: %v", title, err)
	}
	return id
}

func (k *contractPages) status(t *testing.T, id string) escrow.MilestoneStatus {
	t.Helper()
	m, err := k.a.st.Milestone(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func wantCode(t *testing.T, what string, res response, code int) {
	t.Helper()
	if res.Code != code {
		t.Fatalf("%s: %d, want %d\n%s", what, res.Code, code, tail(res.Body, 2000))
	}
}

func TestContractPagesFlow(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	t.Cleanup(func() { assertLedger(t, k.a) })
	owner, contractor := k.clients["owner"], k.clients["contractor"]

	// The empty contract: the simulator's banner, the whole sum remaining.
	res := owner.get(paths.Contract(k.id))
	wantCode(t, "contract page", res, http.StatusOK)
	d := res.Doc(t)
	if d.Find("#simulated-banner").Length() != 1 || !strings.Contains(d.Find("#simulated-banner").Text(), "Simulated payments — no money moves") {
		t.Error("no simulated-payments banner")
	}
	if got := d.Find("#milestone-sum [data-remaining]").AttrOr("data-remaining", ""); got != strconv.FormatInt(k.sum, 10) {
		t.Errorf("remaining %q, want %d", got, k.sum)
	}

	// The live sum check: a fragment, nothing saved.
	res = owner.form(paths.ContractMilestones(k.id)+"?preview=sum", url.Values{"amount": {majorUSD(k.sum - 100)}}, "HX-Request", "true")
	wantCode(t, "preview", res, http.StatusOK)
	if got := res.Doc(t).Find("[data-remaining]").AttrOr("data-remaining", ""); got != "100" {
		t.Errorf("preview remaining %q: %s", got, res.Body)
	}

	// Too much, and an amount not a number: 422 with the field's message, nothing saved.
	res = k.addForm("Foundations", majorUSD(k.sum+1))
	wantCode(t, "over the sum", res, http.StatusUnprocessableEntity)
	if msg := res.Doc(t).Find("#err-amount").Text(); !strings.Contains(msg, "exceeds the contract sum") {
		t.Errorf("amount message %q", msg)
	}
	res = k.addForm("Foundations", "12.345")
	wantCode(t, "three decimals", res, http.StatusUnprocessableEntity)
	if res.Doc(t).Find("#err-amount").Length() != 1 {
		t.Error("no amount error for 12.345")
	}
	if n := k.a.count(`SELECT count(*) FROM milestones`); n != 0 {
		t.Fatalf("%d milestones after refusals", n)
	}

	// Two milestones adding up to the sum: the first funded before the second exists is
	// refused (409), then funding opens.
	first := k.sum / 3
	wantCode(t, "add foundations", k.addForm("Foundations", majorUSD(first)), http.StatusSeeOther)
	found := k.milestoneID(t, "Foundations")
	res = owner.get(paths.MilestoneFund(found))
	wantCode(t, "fund before the sum is allocated", res, http.StatusConflict)
	if !strings.Contains(res.Doc(t).Find("#contract-refusal").Text(), "left to allocate") {
		t.Errorf("refusal: %q", res.Doc(t).Find("#contract-refusal").Text())
	}
	wantCode(t, "add frame", k.addForm("Frame", majorUSD(k.sum-first)), http.StatusSeeOther)
	frame := k.milestoneID(t, "Frame")
	d = owner.get(paths.Contract(k.id)).Doc(t)
	if got := d.Find("#milestone-sum [data-remaining]").Length(); got != 0 {
		t.Error("the add form is still offered with nothing left")
	}
	if !strings.Contains(d.Find("#remaining").Text(), "Fully allocated") {
		t.Errorf("remaining: %q", d.Find("#remaining").Text())
	}
	if d.Find(`[data-milestone="`+found+`"] [data-action="fund"]`).Length() != 1 {
		t.Error("no Fund action on a planned milestone")
	}

	// Reorder: Frame up, then the positions are 1 and 2 again.
	wantCode(t, "move", owner.form(paths.MilestoneMove(frame), url.Values{"dir": {"up"}}), http.StatusSeeOther)
	ms, _ := k.a.st.Milestones(t.Context(), k.id)
	if len(ms) != 2 || ms[0].ID != frame || ms[0].Position != 1 || ms[1].Position != 2 {
		t.Errorf("after the move: %+v", ms)
	}

	// Fund Foundations through the simulator: the payment page, the escrow opened, the
	// simulated card payment.
	res = owner.get(paths.MilestoneFund(found))
	wantCode(t, "payment page", res, http.StatusOK)
	if res.Doc(t).Find("#start-payment").Length() != 1 || res.Doc(t).Find("#simulated-banner").Length() != 1 {
		t.Error("payment page without its button or banner")
	}
	if strings.Contains(res.Body, "js.stripe.com") {
		t.Error("Stripe.js loaded without keys")
	}
	wantCode(t, "start funding", owner.form(paths.MilestoneFund(found), nil), http.StatusSeeOther)
	res = owner.get(paths.MilestoneFund(found))
	if res.Doc(t).Find("#simulate-payment").Length() != 1 {
		t.Fatalf("no simulate button: %s", tail(res.Body, 1500))
	}
	wantCode(t, "simulate", owner.form(paths.MilestoneSimulate(found), nil), http.StatusSeeOther)
	if s := k.status(t, found); s != escrow.MilestoneFunded {
		t.Fatalf("after the payment: %s", s)
	}
	// Retention cannot change once money is in.
	wantCode(t, "retention after funding", owner.form(paths.ContractRetention(k.id), url.Values{"percent": {"5"}}), http.StatusConflict)
	// An edit of a funded milestone: 409.
	wantCode(t, "edit funded", owner.get(paths.MilestoneEdit(found)), http.StatusConflict)

	// The contractor: its view, payouts set up (simulated: at once), the work complete.
	res = contractor.get(paths.Contract(k.id))
	wantCode(t, "contractor's page", res, http.StatusOK)
	d = res.Doc(t)
	if d.Find("#add-milestone").Length() != 0 || d.Find(`[data-action="fund"]`).Length() != 0 {
		t.Error("the contractor is offered the owner's actions")
	}
	if d.Find(`[data-milestone="`+found+`"] [data-action="complete"]`).Length() != 1 {
		t.Error("no Mark complete for the contractor")
	}
	if !strings.Contains(d.Find("#payout-state").Text(), "Set up payouts") {
		t.Errorf("payout state: %q", d.Find("#payout-state").Text())
	}
	wantCode(t, "onboarding", contractor.form(paths.ContractOnboarding(k.id), nil), http.StatusSeeOther)
	if !strings.Contains(contractor.get(paths.Contract(k.id)).Doc(t).Find("#payout-state").Text(), "Payouts are enabled") {
		t.Error("payouts not enabled after the simulated onboarding")
	}
	wantCode(t, "complete without a note", contractor.form(paths.MilestoneComplete(found), url.Values{"note": {""}}), http.StatusUnprocessableEntity)
	wantCode(t, "complete", contractor.form(paths.MilestoneComplete(found), url.Values{"note": {"Footings poured and inspected."}}), http.StatusSeeOther)
	if n := k.a.count(`SELECT count(*) FROM events WHERE kind = 'milestone-completed'`); n != 1 {
		t.Errorf("%d milestone-completed events", n)
	}

	// The owner approves, sees the release's figures, releases.
	wantCode(t, "approve", owner.form(paths.MilestoneApprove(found), nil), http.StatusSeeOther)
	res = owner.get(paths.MilestoneRelease(found))
	wantCode(t, "release confirmation", res, http.StatusOK)
	d = res.Doc(t)
	p := escrow.Split(first, 0)
	for id, want := range map[string]int64{"#release-amount": p.Amount, "#release-fee": p.Fee, "#release-transfer": p.Transfer} {
		if got := d.Find(id).Text(); !strings.Contains(got, money.FormatCode(want, "usd")) {
			t.Errorf("%s = %q, want %s", id, got, money.FormatCode(want, "usd"))
		}
	}
	wantCode(t, "release", owner.form(paths.MilestoneRelease(found), nil), http.StatusSeeOther)
	if s := k.status(t, found); s != escrow.MilestonePaid {
		t.Fatalf("after the release: %s", s)
	}
	// A second release: 409, no second transfer.
	wantCode(t, "release again", owner.form(paths.MilestoneRelease(found), nil), http.StatusConflict)
	if n := k.a.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'transfer'`); n != 1 {
		t.Errorf("%d transfer postings", n)
	}

	// The ledger: the postings, the balances, the check.
	for name, c := range map[string]*client{"owner": owner, "contractor": contractor, "inhouse": k.clients["inhouse"]} {
		res = c.get(paths.ContractLedger(k.id))
		wantCode(t, name+"'s ledger", res, http.StatusOK)
		d = res.Doc(t)
		if !strings.Contains(d.Find("#ledger-check").Text(), "Ledger balances: ✓") {
			t.Errorf("%s: check %q", name, d.Find("#ledger-check").Text())
		}
		kinds := d.Find("#postings tbody tr").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-kind", "") })
		if strings.Join(kinds, ",") != "funding,release,fee,transfer" {
			t.Errorf("%s: postings %v", name, kinds)
		}
		if got := d.Find(`#balances [data-account="platform_fees"] td`).Last().Text(); got != money.FormatCode(p.Fee, "usd") {
			t.Errorf("%s: platform fees %q", name, got)
		}
	}

	res = owner.get(paths.ContractLedger(k.id) + "?format=csv")
	wantCode(t, "ledger CSV", res, http.StatusOK)
	if lines := strings.Split(strings.TrimSpace(res.Body), "\n"); len(lines) != 5 || !strings.Contains(lines[1], ",funding,escrow_held,owner_funding,") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV: %q", res.Body)
	}

	// The contracts list: the contractor's payouts, the team's contracts.
	res = contractor.get(paths.Contracts())
	wantCode(t, "contractor's contracts", res, http.StatusOK)
	row := res.Doc(t).Find(`[data-contract="` + k.id + `"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), money.FormatCode(first, "usd")) || !strings.Contains(row.Text(), "Frame") {
		t.Errorf("contractor's row: %q", row.Text())
	}
	if res := k.clients["bidder"].get(paths.Contracts()); res.Code != http.StatusOK || !strings.Contains(res.Body, "No contracts yet") {
		t.Errorf("a losing bidder's contracts: %d", res.Code)
	}
	if res := owner.get(paths.Contracts()); res.Doc(t).Find(`[data-contract="`+k.id+`"]`).Length() != 1 {
		t.Error("the owner's contracts list misses the contract")
	}
	if res := k.clients["otherOwner"].get(paths.Contracts()); res.Doc(t).Find(`[data-contract]`).Length() != 0 {
		t.Error("another owner sees the contract")
	}
}

func TestContractPagesAccess(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	wantCode(t, "add", k.addForm("Everything", majorUSD(k.sum)), http.StatusSeeOther)
	m := k.milestoneID(t, "Everything")
	page := paths.Contract(k.id)
	for name, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "contractor": 200,
		"bidder": 404, "otherOwner": 404, "outsider": 404} {
		if res := k.clients[name].get(page); res.Code != want {
			t.Errorf("%s GET contract: %d, want %d", name, res.Code, want)
		}
	}
	if res := k.clients["anonymous"].get(page); res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", res.Code, res.Header.Get("Location"))
	}
	// In-house staff read, never move money; the contractor neither edits nor funds.
	d := k.clients["inhouse"].get(page).Doc(t)
	if d.Find("#add-milestone").Length() != 0 || d.Find("[data-action]").Length() != 0 {
		t.Error("in-house staff are offered actions")
	}
	for _, r := range []struct {
		path string
		who  string
		want int
	}{
		{paths.ContractMilestones(k.id), "inhouse", 403},
		{paths.ContractMilestones(k.id), "contractor", 403},
		{paths.ContractMilestones(k.id), "bidder", 404},
		{paths.MilestoneFund(m), "inhouse", 403},
		{paths.MilestoneFund(m), "contractor", 403},
		{paths.MilestoneDelete(m), "contractor", 403},
		{paths.MilestoneComplete(m), "owner", 403},
		{paths.MilestoneComplete(m), "inhouse", 403},
		{paths.MilestoneDispute(m), "inhouse", 403},
		{paths.ContractOnboarding(k.id), "owner", 403},
		{paths.ContractRetention(k.id), "otherOwner", 404},
	} {
		if res := k.clients[r.who].form(r.path, url.Values{"title": {"x"}, "amount": {"1"}, "note": {"x"}, "reason": {"x"}, "percent": {"5"}}); res.Code != r.want {
			t.Errorf("%s POST %s: %d, want %d", r.who, r.path, res.Code, r.want)
		}
	}
	if n := k.a.count(`SELECT count(*) FROM escrows`); n != 0 {
		t.Errorf("%d escrows after refused posts", n)
	}
	if s := k.status(t, m); s != escrow.MilestonePlanned {
		t.Errorf("milestone %s after refused posts", s)
	}
}

func TestContractPagesRefusals(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	t.Cleanup(func() { assertLedger(t, k.a) })
	owner := k.clients["owner"]
	wantCode(t, "add", k.addForm("Slab", majorUSD(k.sum-1000)), http.StatusSeeOther)
	slab := k.milestoneID(t, "Slab")

	// Edit: the form, the live check without this milestone's own amount, a save.
	res := owner.get(paths.MilestoneEdit(slab))
	wantCode(t, "edit page", res, http.StatusOK)
	if got := res.Doc(t).Find("#amount").AttrOr("value", ""); got != majorUSD(k.sum-1000) {
		t.Errorf("edit amount %q", got)
	}
	res = owner.form(paths.Milestone(slab)+"?preview=sum", url.Values{"amount": {majorUSD(k.sum)}}, "HX-Request", "true")
	if got := res.Doc(t).Find("[data-remaining]").AttrOr("data-remaining", ""); got != "0" {
		t.Errorf("edit preview remaining %q", got)
	}
	wantCode(t, "edit with an empty title", owner.form(paths.Milestone(slab), url.Values{"title": {""}, "amount": {majorUSD(k.sum)}, "version": {"1"}}), http.StatusUnprocessableEntity)
	wantCode(t, "edit", owner.form(paths.Milestone(slab), url.Values{"title": {"Slab and footings"}, "amount": {majorUSD(k.sum)}, "dueDate": {"2027-01-15"}, "version": {"1"}}), http.StatusSeeOther)
	m, _ := k.a.st.Milestone(t.Context(), slab)
	if m.Title != "Slab and footings" || m.Amount != k.sum || !m.DueDate.Valid {
		t.Errorf("after the edit: %+v", m)
	}
	// A stale version: refused, not overwritten.
	res = owner.form(paths.Milestone(slab), url.Values{"title": {"Stale"}, "amount": {majorUSD(k.sum)}, "version": {"1"}})
	if res.Code < 400 {
		t.Errorf("stale edit: %d", res.Code)
	}

	// Wrong states: 409 with the reason on the page, nothing changed.
	wantCode(t, "approve a planned milestone", owner.form(paths.MilestoneApprove(slab), nil), http.StatusConflict)
	wantCode(t, "release a planned milestone", owner.get(paths.MilestoneRelease(slab)), http.StatusConflict)
	wantCode(t, "refund a planned milestone", owner.get(paths.MilestoneRefund(slab)), http.StatusConflict)
	wantCode(t, "simulate with no escrow", owner.form(paths.MilestoneSimulate(slab), nil), http.StatusConflict)
	wantCode(t, "complete a planned milestone", k.clients["contractor"].form(paths.MilestoneComplete(slab), url.Values{"note": {"done"}}), http.StatusConflict)

	// Retention: a bad value is 422, a good one saved.
	wantCode(t, "retention 25", owner.form(paths.ContractRetention(k.id), url.Values{"percent": {"25"}}), http.StatusUnprocessableEntity)
	wantCode(t, "retention abc", owner.form(paths.ContractRetention(k.id), url.Values{"percent": {"abc"}}), http.StatusUnprocessableEntity)
	wantCode(t, "retention 5", owner.form(paths.ContractRetention(k.id), url.Values{"percent": {"5"}}), http.StatusSeeOther)
	c, _ := k.a.st.Contract(t.Context(), k.id)
	if c.RetentionBP != 500 {
		t.Errorf("retention %d bp", c.RetentionBP)
	}

	// Fund, cancel the payment (confirmation first), fund again and pay, then dispute
	// (a reason needed) and refund refused while disputed.
	wantCode(t, "fund", owner.form(paths.MilestoneFund(slab), nil), http.StatusSeeOther)
	wantCode(t, "cancel confirmation", owner.get(paths.MilestoneCancel(slab)), http.StatusOK)
	wantCode(t, "cancel", owner.form(paths.MilestoneCancel(slab), nil), http.StatusSeeOther)
	if n := k.a.count(`SELECT count(*) FROM escrows WHERE status = 'cancelled'`); n != 1 {
		t.Errorf("%d cancelled escrows", n)
	}
	wantCode(t, "fund again", owner.form(paths.MilestoneFund(slab), nil), http.StatusSeeOther)
	wantCode(t, "pay", owner.form(paths.MilestoneSimulate(slab), nil), http.StatusSeeOther)
	wantCode(t, "delete a funded milestone", owner.form(paths.MilestoneDelete(slab), nil), http.StatusConflict)
	res = owner.get(paths.MilestoneRefund(slab))
	wantCode(t, "refund confirmation", res, http.StatusOK)
	if !strings.Contains(res.Doc(t).Find("#refund-amount").Text(), money.FormatCode(k.sum, "usd")) {
		t.Errorf("refund figure %q", res.Doc(t).Find("#refund-amount").Text())
	}
	wantCode(t, "dispute without a reason", k.clients["contractor"].form(paths.MilestoneDispute(slab), url.Values{"reason": {" "}}), http.StatusUnprocessableEntity)
	wantCode(t, "dispute page", k.clients["contractor"].get(paths.MilestoneDispute(slab)), http.StatusOK)
	wantCode(t, "dispute", k.clients["contractor"].form(paths.MilestoneDispute(slab), url.Values{"reason": {"Access to site refused."}}), http.StatusSeeOther)
	if s := k.status(t, slab); s != escrow.MilestoneDisputed {
		t.Fatalf("after the dispute: %s", s)
	}
	d := owner.get(paths.Contract(k.id)).Doc(t)
	if !strings.Contains(d.Find(`[data-milestone="`+slab+`"]`).Text(), "Access to site refused.") {
		t.Error("the dispute's reason is not shown")
	}
	if d.Find(`[data-milestone="`+slab+`"] [data-action="refund"]`).Length() != 0 {
		t.Error("refund offered on a disputed milestone")
	}
}

// TestContractPagesDelete: a planned milestone's delete asks first, then removes it and
// closes the gap in the positions.
func TestContractPagesDelete(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	owner := k.clients["owner"]
	for _, title := range []string{"One", "Two", "Three"} {
		wantCode(t, "add "+title, k.addForm(title, "100"), http.StatusSeeOther)
	}
	two := k.milestoneID(t, "Two")
	res := owner.get(paths.MilestoneDelete(two))
	wantCode(t, "delete confirmation", res, http.StatusOK)
	if res.Doc(t).Find(`form[action="`+paths.MilestoneDelete(two)+`"] button`).Length() != 1 {
		t.Error("no confirming form")
	}
	wantCode(t, "delete", owner.form(paths.MilestoneDelete(two), nil), http.StatusSeeOther)
	ms, _ := k.a.st.Milestones(t.Context(), k.id)
	if len(ms) != 2 || ms[0].Title != "One" || ms[1].Title != "Three" || ms[1].Position != 2 {
		t.Errorf("after the delete: %+v", ms)
	}
	wantCode(t, "delete again", owner.form(paths.MilestoneDelete(two), nil), http.StatusNotFound)
}

// TestContractLinks: the awarded tender's team page links its contract; every signed-in
// person's menu has Contracts.
func TestContractLinks(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	var tenderID string
	if err := k.a.st.DB().Get(&tenderID, `SELECT tender_id FROM contracts WHERE id = $1`, k.id); err != nil {
		t.Fatal(err)
	}
	d := k.clients["inhouse"].get(paths.Tender(tenderID)).Doc(t)
	if got := d.Find("#tender-contract").AttrOr("href", ""); got != paths.Contract(k.id) {
		t.Errorf("tender page's contract link %q", got)
	}
	if got := k.clients["contractor"].get(paths.Tender(tenderID)).Doc(t).Find("#bid-contract").AttrOr("href", ""); got != paths.Contract(k.id) {
		t.Errorf("the awarded bid's page links %q", got)
	}
	if n := k.clients["bidder"].get(paths.Tender(tenderID)).Doc(t).Find("#bid-contract").Length(); n != 0 {
		t.Error("a losing bidder's page links the contract")
	}
	if got := k.clients["owner"].get(paths.Project(k.P.ID)).Doc(t).Find(`#project-contracts a[href="` + paths.Contract(k.id) + `"]`).Length(); got != 1 {
		t.Error("the project overview does not link its contract")
	}
	for _, who := range []string{"owner", "contractor", "bidder"} {
		if d := k.clients[who].get(paths.Dashboard()).Doc(t); d.Find(`nav a[href="`+paths.Contracts()+`"]`).Length() == 0 {
			t.Errorf("%s: no Contracts in the menu", who)
		}
	}
}

// TestContractDashboardTodos: the owner's dashboard lists the milestones to fund once the
// contract is allocated, then to approve; the contractor's lists the funded one to complete.
func TestContractDashboardTodos(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	owner, contractor := k.clients["owner"], k.clients["contractor"]
	todos := func(c *client) map[string]string {
		out := map[string]string{}
		c.get(paths.Dashboard()).Doc(t).Find("#milestone-todo [data-todo]").Each(func(_ int, s *goquery.Selection) {
			out[s.AttrOr("data-milestone", "")] = s.AttrOr("data-todo", "")
		})
		return out
	}
	wantCode(t, "add", k.addForm("Half", majorUSD(k.sum/2)), http.StatusSeeOther)
	half := k.milestoneID(t, "Half")
	if got := todos(owner); len(got) != 0 {
		t.Errorf("todos before the sum is allocated: %v", got)
	}
	wantCode(t, "add", k.addForm("Rest", majorUSD(k.sum-k.sum/2)), http.StatusSeeOther)
	rest := k.milestoneID(t, "Rest")
	if got := todos(owner); got[half] != "fund" || got[rest] != "fund" {
		t.Errorf("owner's todos: %v", got)
	}
	wantCode(t, "fund", owner.form(paths.MilestoneFund(half), nil), http.StatusSeeOther)
	wantCode(t, "pay", owner.form(paths.MilestoneSimulate(half), nil), http.StatusSeeOther)
	if got := todos(contractor); len(got) != 1 || got[half] != "complete" {
		t.Errorf("contractor's todos: %v", got)
	}
	wantCode(t, "complete", contractor.form(paths.MilestoneComplete(half), url.Values{"note": {"Done."}}), http.StatusSeeOther)
	if got := todos(owner); got[half] != "approve" || got[rest] != "fund" {
		t.Errorf("owner's todos after completion: %v", got)
	}
	for _, who := range []string{"inhouse", "bidder", "otherOwner"} {
		if got := todos(k.clients[who]); len(got) != 0 {
			t.Errorf("%s's todos: %v", who, got)
		}
	}
}

// TestContractPagesStripe: with Stripe keys (stripe-mock) the payment page mounts Stripe's
// Payment Element with the PaymentIntent's client secret, loading Stripe.js under a policy
// that allows it on that page only; there is no simulator's banner or button, and its
// route is a 404. The milestone stays planned: only Stripe's webhook funds it.
func TestContractPagesStripe(t *testing.T) {
	t.Parallel()
	m := stripetest.Start(t)
	p := payments.NewStripe(payments.StripeConfig{SecretKey: stripetest.SecretKey, PublishableKey: "pk_test_14build", APIBase: m.APIBase})
	k := newContractPages(t, func(c *Config) { c.Payments = p; c.StripeWebhookSecret = testWebhookSecret })
	owner := k.clients["owner"]
	wantCode(t, "add", k.addForm("Everything", majorUSD(k.sum)), http.StatusSeeOther)
	id := k.milestoneID(t, "Everything")
	res := owner.get(paths.Contract(k.id))
	if res.Doc(t).Find("#simulated-banner").Length() != 0 {
		t.Error("the simulator's banner with Stripe keys")
	}
	wantCode(t, "start funding", owner.form(paths.MilestoneFund(id), nil), http.StatusSeeOther)
	res = owner.get(paths.MilestoneFund(id))
	wantCode(t, "payment page", res, http.StatusOK)
	d := res.Doc(t)
	form := d.Find("#payment-form")
	if form.AttrOr("data-stripe-key", "") != "pk_test_14build" || form.AttrOr("data-client-secret", "") == "" {
		t.Errorf("payment form: key %q secret %q", form.AttrOr("data-stripe-key", ""), form.AttrOr("data-client-secret", ""))
	}
	if d.Find(`script[src="https://js.stripe.com/v3/"]`).Length() != 1 || d.Find("#simulate-payment").Length() != 0 {
		t.Error("Stripe.js missing, or the simulator's button shown")
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' https://js.stripe.com") {
		t.Errorf("CSP %q", csp)
	}
	if csp := owner.get(paths.Contract(k.id)).Header.Get("Content-Security-Policy"); strings.Contains(csp, "stripe") {
		t.Errorf("the contract page allows Stripe: %q", csp)
	}
	wantCode(t, "simulate with keys", owner.form(paths.MilestoneSimulate(id), nil), http.StatusNotFound)
	if s := k.status(t, id); s != escrow.MilestonePlanned {
		t.Errorf("milestone %s before Stripe's webhook", s)
	}
}

// The contracts list and the dashboard read the same number of statements whatever the
// number of projects the viewer sees (their contracts and milestones in one query each).
func TestContractListsConstantQueries(t *testing.T) {
	t.Parallel()
	k := newContractPages(t)
	owner := k.clients["owner"]
	wantCode(t, "add", k.addForm("Whole", majorUSD(k.sum)), http.StatusSeeOther)
	count := func(path string) int64 {
		before := k.a.st.QueryCount()
		if res := owner.get(path); res.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, res.Code)
		}
		return k.a.st.QueryCount() - before
	}
	count(paths.Contracts()) // warm: the session's first use may write to it
	list, dash := count(paths.Contracts()), count(paths.Dashboard())
	for i := range 3 {
		res := owner.do("POST", "/api/projects", map[string]any{"name": "More " + itoa(i), "code": "MORE-" + itoa(i),
			"budget": map[string]any{"amount": 0, "currency": "usd"}})
		if res.Code != http.StatusCreated {
			t.Fatalf("project: %d %s", res.Code, res.Body)
		}
	}
	if got := count(paths.Contracts()); got != list {
		t.Errorf("the contracts list sent %d statements with 3 more projects, %d before", got, list)
	}
	if got := count(paths.Dashboard()); got != dash {
		t.Errorf("the dashboard sent %d statements with 3 more projects, %d before", got, dash)
	}
}
