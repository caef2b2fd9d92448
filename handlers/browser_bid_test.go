package handlers

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// TestBrowserBid: a bidder prices a tender in the grid with the keyboard (rates only, the
// allowance locked), sees the line amount and its total follow each save, reloads and
// finds its rates kept, and submits through the summary; the owner's tender page then
// lists the submission without its amount; once the closing time has passed the owner
// closes the tender, levels the bids and awards the bid through its confirmation.
func TestBrowserBid(t *testing.T) {
	exe := findBrowser(t)
	a := newTestApp(t)
	ctx := context.Background()
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "HVA-01")
	cats, err := a.st.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	civil := cats[slices.IndexFunc(cats, func(c store.Category) bool { return c.Name == "Civil Works" })].ID
	hash, _ := a.h.HashPassword(testPassword)
	bidder, err := a.st.CreateUser(ctx, store.NewUser{Name: "Cara Civil", Email: "cara@civil.test", PasswordHash: hash,
		Role: authz.RoleBidder, Entity: "Cara Civil Ltd", CategoryID: civil})
	if err != nil {
		t.Fatal(err)
	}
	owner := a.login(o.Email)
	body := soqBodyFor(p.ID) // A1 preliminaries, B1 12.5 m3 measured, B2 a 5,000.00 provisional sum
	body["status"] = "issued"
	res := owner.do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("SOQ: %d %s", res.Code, res.Body)
	}
	tb := tenderBodyFor(p.ID, res.JSON(t)["id"].(string))
	tb["invitees"] = []string{}
	res = owner.do("POST", "/api/tenders", tb)
	if res.Code != http.StatusCreated {
		t.Fatalf("tender: %d %s", res.Code, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	if res := owner.do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	items := map[string]string{}
	for _, s := range a.login(bidder.Email).get("/api/tenders/" + id).JSON(t)["sections"].([]any) {
		for _, it := range s.(map[string]any)["items"].([]any) {
			m := it.(map[string]any)
			items[m["reference"].(string)] = m["id"].(string)
		}
	}
	rate := func(ref string) string { return `#item-` + items[ref] + ` td[data-cell="rate"]` }
	focused := func(sel string) string { return `document.activeElement === document.querySelector('` + sel + `')` }
	drained := `document.getElementById('soq-sheet').dataset.pending === "0" && !document.querySelector('#soq-sheet .soq-saving')`

	b := startBrowser(t, exe, a.srv.URL)
	bidPath := "/tenders/" + id
	// The board: the intent buttons swap their row in place.
	b.do("sign in and open the board",
		chromedp.Navigate(b.base+"/login?next=/tenders"),
		chromedp.SendKeys(chromedp.CSS("#email"), bidder.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#board-"+id)))
	b.markPage("board")
	b.do("say Bidding", chromedp.Click(chromedp.CSS(`#board-`+id+` button[value="bidding"]`)))
	b.waitJS("the row shows the intent", `document.querySelector('#board-`+id+` button[value="bidding"]').getAttribute('aria-pressed') === 'true'`)
	b.wantSamePage("board")
	b.do("open the bid", chromedp.Click(chromedp.CSS(`#board-`+id+` a[href="`+bidPath+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#soq-sheet[data-mode="rates"]`)))
	b.wantJS("the grid's one tab stop is the first rate", `document.querySelector('`+rate("A1")+`').tabIndex === 0`)
	b.wantText("#bid-total", "$5,000.00")
	b.markPage("bid")

	// Type A1's rate, Enter moves to B1's; type it, Tab stays on the last rate.
	b.do("focus A1's rate", chromedp.Click(chromedp.CSS(rate("A1"))))
	b.waitJS("A1's rate is selected", focused(rate("A1")))
	b.do("type two rates", chromedp.KeyEvent("1000"), chromedp.KeyEvent(kb.Enter), chromedp.KeyEvent("20"), chromedp.KeyEvent(kb.Tab))
	b.waitJS("every save is answered", drained)
	b.wantJS("Enter went to the next rate", focused(rate("B1")))
	// 12.5 × 20.00 = 250.00; 1,000.00 + 250.00 + the 5,000.00 allowance.
	b.wantText(`#item-`+items["B1"]+` [data-amount]`, "250.00")
	b.wantText("#bid-total", "$6,250.00")
	b.wantText("#bid-total-foot", "$6,250.00")
	b.wantText("#bid-priced", "2 of 2 lines priced")
	b.wantSamePage("bid")

	// The allowance does not edit: typing over it says why and changes nothing.
	b.do("try to type over the allowance", chromedp.Click(chromedp.CSS(rate("B2"))), chromedp.KeyEvent("9"))
	b.wantJS("no editor opened", `!document.querySelector('.soq-editor')`)
	b.wantText("#soq-save-status", "fixed allowance")

	// A column of rates pasted from a spreadsheet at A1 fills the rates down; what falls
	// below the last priced line (B2 is the allowance) is left out and said so.
	b.do("select A1's rate", chromedp.Click(chromedp.CSS(rate("A1"))))
	b.do("paste a column of rates", chromedp.Evaluate[chromedp.Void](`(() => {
		const dt = new DataTransfer(); dt.setData('text/plain', '1,100\tignored\r\n22.5\r\n7\r\n');
		document.activeElement.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
	})()`))
	b.waitJS("every pasted rate is answered", drained)
	b.wantText("#soq-save-status", "left out")
	// 1,100.00 + 12.5 × 22.50 = 281.25, + 5,000.00.
	b.wantText(`#item-`+items["B1"]+` [data-amount]`, "281.25")
	b.wantText("#bid-total", "$6,381.25")
	b.wantSamePage("bid")

	// Reload: the rates were saved as typed.
	b.do("reload", chromedp.Navigate(b.base+bidPath), chromedp.WaitVisible(chromedp.CSS("#soq-sheet")))
	b.wantJS("A1's rate is kept", `document.querySelector('`+rate("A1")+`').dataset.value === "1100.00"`)
	b.wantJS("B1's rate is kept", `document.querySelector('`+rate("B1")+`').dataset.value === "22.50"`)
	b.wantText("#bid-total", "$6,381.25")

	// Submit through the summary.
	b.do("open the summary", chromedp.Click(chromedp.CSS("#bid-submit")), chromedp.WaitVisible(chromedp.CSS("#bid-submit-confirm")))
	b.wantText("#submit-total", "$6,381.25")
	b.do("submit", chromedp.Click(chromedp.CSS("#bid-submit-confirm")), chromedp.WaitVisible(chromedp.CSS("#bid-status-badge")))
	b.wantText("#bid-status-badge", "Submitted", "rev 1")
	b.wantText("#revisions", "Revision 1")
	b.wantNoJSErrors()

	// The bidder's other pages pass axe-core as the main pages do: the form of every rate
	// (with a refused rate), the summary with what blocks it, the withdrawal's question.
	axeJS := axeSource(t)
	var found []axeFinding
	for _, pg := range []page{
		{path: bidPath + "/bid"},
		{path: bidPath + "/bid", state: "with a refused rate", steps: []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.CSS(`input[name="rate.`+items["A1"]+`"]`), "ten"),
			chromedp.Click(chromedp.CSS("#bid-form-submit")), chromedp.WaitVisible(chromedp.CSS("#bid-refused"))}},
		{path: bidPath + "/bid/withdraw"},
	} {
		found = append(found, b.audit(axeJS, "bidder", pg.path+" "+pg.state, pg)...)
	}
	if len(found) > 0 {
		t.Errorf("axe-core found %d accessibility violations:\n%s", len(found), formatFindings(found))
	}

	// The owner's tender page lists the submission, sealed: no amount.
	res = owner.get(bidPath)
	if res.Code != http.StatusOK {
		t.Fatalf("owner's tender page: %d", res.Code)
	}
	if !strings.Contains(res.Body, "Cara Civil") {
		t.Error("the owner's tender page does not list the submission")
	}
	for _, amount := range []string{"6,381.25", "1,100.00", "281.25", "638125"} {
		if strings.Contains(res.Body, amount) {
			t.Errorf("the owner's tender page shows %s while the tender is sealed", amount)
		}
	}

	// The owner, in the browser: the submission is listed, sealed.
	// (The sign-out button may be in the closed phone menu: the form is sent as it would.)
	b.do("sign out", chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/logout"]').requestSubmit()`),
		chromedp.WaitVisible(chromedp.CSS("#email")))
	b.do("sign in as the owner",
		chromedp.Navigate(b.base+"/login?next="+bidPath),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tender-bidders")))
	b.wantText("#tender-bidders", "Cara Civil", "Submitted")
	b.wantJS("no amount on the sealed page", `!document.body.innerText.includes("6,381.25")`)

	// The closing time passes (the job has not run): the owner closes, levels and awards.
	if _, err := a.st.DB().Exec(`UPDATE tenders SET closes_at = now() - interval '1 second' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	b.do("reload", chromedp.Navigate(b.base+bidPath), chromedp.WaitVisible(chromedp.CSS("#tender-close-ask")))
	b.wantText("#tender-close-ask", "Close now")
	b.do("close the tender", chromedp.Click(chromedp.CSS("#tender-close-ask")), chromedp.Click(chromedp.CSS("#tender-close")),
		chromedp.WaitVisible(chromedp.CSS("#tender-leveling")))
	b.wantText("#tender-status", "Closed")
	b.do("level the bids", chromedp.Click(chromedp.CSS("#tender-leveling")), chromedp.WaitVisible(chromedp.CSS("#leveling-bids")))
	b.wantText("#leveling-bids", "Cara Civil Ltd", "6,381.25")
	b.wantText("#leveling-grid", "1,100.00")
	// The page's Award link that this viewport shows (the phone layout has its own).
	b.do("award", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('a[href*="/award?bid="]')].find(a => a.offsetParent !== null).click()`),
		chromedp.WaitVisible(chromedp.CSS("#award-sum")))
	b.wantText("#award-contractor", "Cara Civil Ltd")
	b.wantText("#award-sum", "6,381.25")
	b.do("confirm the award", chromedp.Click(chromedp.CSS(`form[action$="/award"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tender-status")))
	b.wantText("#tender-status", "Awarded")
	b.wantNoJSErrors()
	var contracts int
	if err := a.st.DB().Get(&contracts, `SELECT count(*) FROM contracts WHERE tender_id = $1 AND contract_sum = 638125`, id); err != nil || contracts != 1 {
		t.Errorf("contracts of the tender for 6,381.25: %d (%v)", contracts, err)
	}
}
