package handlers

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// TestBrowserContract: with the payment simulator, the owner splits the contract into two
// milestones in the browser, watching the remainder fall to 0 as the amount is typed,
// funds both through the simulated card payment; the contractor marks the first complete
// and the owner's open page shows it without a reload (the project's stream); the owner
// approves and releases it through its confirmation; the ledger page shows the postings
// and balances. Then the contractor, in the browser, sees its payouts and marks the second
// milestone complete through its note pop-over.
func TestBrowserContract(t *testing.T) {
	exe := findBrowser(t)
	k := newContractPages(t)
	k.a.listen(t)
	t.Cleanup(func() { assertLedger(t, k.a) })
	first := k.sum / 4
	rest := k.sum - first
	b := startBrowser(t, exe, k.a.srv.URL)
	page := paths.Contract(k.id)
	b.do("sign in as the owner and open the contract",
		chromedp.Navigate(b.base+"/login?next="+url.QueryEscape(page)),
		chromedp.SendKeys(chromedp.CSS("#email"), "o@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#milestone-form")))
	b.wantText("#simulated-banner", "Simulated payments — no money moves")
	b.wantJS("the whole sum remains", `document.querySelector('#milestone-sum [data-remaining]').dataset.remaining === "`+itoa(int(k.sum))+`"`)

	// The first milestone: the remainder follows the typed amount before saving.
	b.markPage("contract")
	b.do("type the first milestone",
		chromedp.SendKeys(chromedp.CSS("#title"), "Foundations"),
		chromedp.SendKeys(chromedp.CSS("#dueDate"), "03312027"),
		chromedp.SendKeys(chromedp.CSS("#amount"), majorUSD(first)))
	b.waitJS("the remainder follows the amount", `document.querySelector('#milestone-sum [data-remaining]').dataset.remaining === "`+itoa(int(rest))+`"`)
	b.wantSamePage("contract")
	b.do("add it", chromedp.Click(chromedp.CSS("#save-milestone")), chromedp.WaitVisible(chromedp.CSS(`#milestones-table [data-title]`)))
	b.wantText("#main", "Milestone “Foundations” added.")

	// The second takes the rest: the live check says 0 remaining.
	b.do("type the second milestone",
		chromedp.SendKeys(chromedp.CSS("#title"), "Frame and roof"),
		chromedp.SendKeys(chromedp.CSS("#amount"), majorUSD(rest)))
	b.waitJS("nothing remains", `document.querySelector('#milestone-sum [data-remaining]').dataset.remaining === "0"`)
	b.wantText("#milestone-sum", money.FormatCode(0, "usd")+" remaining")
	// #remaining is on the page before too: wait for the second row, the new page's.
	b.do("add it", chromedp.Click(chromedp.CSS("#save-milestone")), chromedp.WaitVisible(chromedp.CSS(`#milestones-table tbody tr:nth-child(2)`)))
	// The table's card may be mid-swap (the project stream's refresh when it opens): wait.
	b.waitJS("fully allocated", `(document.querySelector('#remaining')?.textContent || '').includes('Fully allocated')`)
	found, frame := k.milestoneID(t, "Foundations"), k.milestoneID(t, "Frame and roof")
	row := func(id string) string { return `#milestones-table tr[data-milestone="` + id + `"]` }
	// settled: the owner's contract page follows the project stream, and the table's
	// refresh when the stream opens has been swapped in (a click during the swap would
	// land on a node being replaced).
	settled := func() {
		b.waitJS("the stream open and the table settled", `!!document.querySelector('[sse-connect][data-live="open"]') && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')`)
	}

	// Fund both through the simulator.
	for _, id := range []string{found, frame} {
		settled()
		b.do("open the payment page", chromedp.Click(chromedp.CSS(row(id)+` [data-action="fund"]`)), chromedp.WaitVisible(chromedp.CSS("#start-payment")))
		b.wantText("#simulated-banner", "no money moves")
		b.do("start the payment", chromedp.Click(chromedp.CSS("#start-payment")), chromedp.WaitVisible(chromedp.CSS("#simulate-payment")))
		b.do("simulate the card payment", chromedp.Click(chromedp.CSS("#simulate-payment")), chromedp.WaitVisible(chromedp.CSS(row(id))))
		b.waitJS("the milestone is funded", `document.querySelector('`+row(id)+`').dataset.status === "funded"`)
	}
	b.wantText(row(found)+" [data-escrow]", "Held in escrow")

	// The contractor sets up payouts (simulated: at once) and marks the first complete; the
	// owner's open page follows.
	// This page's own stream open (app.js marks it), not an earlier page's still counted.
	settled()
	waitSubs(t, k.a, 1)
	b.markPage("funded")
	contractor := k.clients["contractor"]
	if res := contractor.form(paths.ContractOnboarding(k.id), nil); res.Code != http.StatusSeeOther {
		t.Fatalf("onboarding: %d", res.Code)
	}
	if res := contractor.form(paths.MilestoneComplete(found), url.Values{"note": {"Footings poured and inspected."}}); res.Code != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", res.Code, tail(res.Body, 500))
	}
	b.waitJS("the row shows Completed without a reload", `document.querySelector('`+row(found)+`').dataset.status === "completed"`)
	b.wantText("#contract-live", "Foundations", "marked complete")
	b.wantText(row(found), "Footings poured and inspected.")
	b.wantSamePage("funded")

	// Approve, then release through the confirmation with its figures.
	settled()
	b.do("approve", chromedp.Click(chromedp.CSS(row(found)+` [data-action="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(row(found)+` [data-action="release"]`)))
	p := escrow.Split(first, 0)
	settled()
	b.do("open the release", chromedp.Click(chromedp.CSS(row(found)+` [data-action="release"]`)), chromedp.WaitVisible(chromedp.CSS("#confirm-figures")))
	b.wantText("#release-fee", money.FormatCode(p.Fee, "usd"))
	b.wantText("#release-transfer", money.FormatCode(p.Transfer, "usd"))
	b.do("release", chromedp.Click(chromedp.CSS("#confirm-action")), chromedp.WaitVisible(chromedp.CSS(row(found))))
	b.waitJS("the milestone is paid", `document.querySelector('`+row(found)+`').dataset.status === "paid"`)
	b.wantText("#main", "transferred to the contractor")

	// The ledger page.
	settled()
	b.do("open the ledger", chromedp.Click(chromedp.CSS("#ledger-link")), chromedp.WaitVisible(chromedp.CSS("#postings")))
	b.wantText("#ledger-check", "Ledger balances: ✓")
	b.wantJS("the postings in order", `Array.from(document.querySelectorAll('#postings tbody tr')).map(r => r.dataset.kind).join() === "funding,funding,release,fee,transfer"`)
	b.wantText(`#balances [data-account="platform_fees"]`, money.FormatCode(p.Fee, "usd"))
	b.wantText(`#balances [data-account="escrow_held"]`, money.FormatCode(rest, "usd"))
	b.wantText("#balances-total", money.FormatCode(0, "usd"))
	b.wantNoJSErrors()

	// The contractor in the browser: its contracts and payouts, then the second milestone
	// marked complete through the note pop-over.
	b.do("sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.do("sign in as the contractor",
		chromedp.Navigate(b.base+"/login?next="+url.QueryEscape(paths.Contracts())),
		chromedp.SendKeys(chromedp.CSS("#email"), "c2@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#contracts")))
	b.wantText(`#contracts [data-contract="`+k.id+`"]`, money.FormatCode(p.Amount, "usd"), "Frame and roof")
	b.do("open the contract", chromedp.Click(chromedp.CSS(`#contracts [data-contract="`+k.id+`"] a`)), chromedp.WaitVisible(chromedp.CSS("#milestones-table")))
	b.wantText("#payout-state", "Payouts are enabled")
	b.wantJS("no owner actions", `!document.querySelector('#add-milestone, [data-action="fund"], [data-action="release"]')`)
	b.do("open the note", chromedp.Click(chromedp.CSS(row(frame)+` [data-action="complete"]`)),
		chromedp.WaitVisible(chromedp.CSS("#note-"+frame)),
		chromedp.SendKeys(chromedp.CSS("#note-"+frame), "Frame up, roof on."),
		chromedp.Submit(chromedp.CSS("#note-"+frame)),
		chromedp.WaitVisible(chromedp.CSS(`#milestones-table tr[data-milestone="`+frame+`"][data-status="completed"]`)))
	b.wantText("#main", "marked complete")
	b.wantNoJSErrors()
}

// axeContract makes a contract for the accessibility audit: a third tender on project
// (of its own SOQ) awarded to bidder, split into two milestones that add up to the sum,
// the first funded through the simulator. It returns the contract's and both milestones'
// ids.
func axeContract(t *testing.T, a *testApp, owner *client, ownerID, projectID string, bidder store.User) (contractID, planned, funded string) {
	t.Helper()
	ctx := context.Background()
	body := soqBodyFor(projectID)
	body["status"], body["title"] = "issued", "Roofing"
	res := owner.do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("SOQ: %d %s", res.Code, res.Body)
	}
	tb := tenderBodyFor(projectID, res.JSON(t)["id"].(string))
	tb["title"], tb["invitees"] = "Roofing package", []string{bidder.Email}
	res = owner.do("POST", "/api/tenders", tb)
	if res.Code != http.StatusCreated {
		t.Fatalf("create tender: %d %s", res.Code, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	if res := owner.do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open tender: %d %s", res.Code, res.Body)
	}
	secs, err := a.st.TenderCopy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var in store.BidInput
	for _, s := range secs {
		for _, it := range s.Items {
			if !tender.Locked(it.Type) {
				in.Rates = append(in.Rates, tender.Rate{ItemID: it.ID, Rate: 120_00})
			}
		}
	}
	sub, err := a.st.SubmitBid(ctx, id, bidder.ID, bidder.EntityID, in, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.DB().Exec(`UPDATE tenders SET closes_at = now() - interval '1 minute' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := a.st.CloseTender(ctx, id, ownerID, time.Now()); err != nil {
		t.Fatal(err)
	}
	k, err := a.st.AwardBid(ctx, id, sub.BidID, ownerID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	m1, err := a.st.AddMilestone(ctx, k.ID, store.MilestoneInput{Title: "Roof framing", Description: "Trusses and purlins", DueDate: &due, Amount: k.ContractSum / 2})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := a.st.AddMilestone(ctx, k.ID, store.MilestoneInput{Title: "Roof cladding", Amount: k.ContractSum - k.ContractSum/2})
	if err != nil {
		t.Fatal(err)
	}
	e, err := a.h.payouts.Fund(ctx, m1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.h.payouts.SimulatePayment(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	return k.ID, m2.ID, m1.ID
}
