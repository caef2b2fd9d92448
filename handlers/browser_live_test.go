package handlers

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
)

// TestBrowserLiveTender: the owner's tender page is open; a bidder submits (through the
// API, as a second client); the submission appears in the page's bidders table without a
// reload, still without its amount (sealed); closed, the badge, a note and the totals
// follow the same way.
func TestBrowserLiveTender(t *testing.T) {
	exe := findBrowser(t)
	a, o, owner, bt := liveTenderApp(t)
	id := bt.id
	b := startBrowser(t, exe, a.srv.URL)
	b.do("sign in and open the tender",
		chromedp.Navigate(b.base+"/login?next=/tenders/"+id),
		chromedp.SendKeys(chromedp.CSS("#email"), o.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#tender-bidders-live")))
	b.markPage("tender")
	b.wantJS("no submission yet", `!document.querySelector('tr[data-bidder="cara@civil.test"]')`)
	waitSubs(t, a, 1) // the page's EventSource is connected

	if res := a.login("cara@civil.test").do("POST", "/api/tenders/"+id+"/bids", bt.body(liveA1, liveB1, true)); res.Code != http.StatusCreated {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	b.waitJS("the submission appears", `(document.querySelector('#tender-bidders tr[data-bidder="cara@civil.test"]') || {}).textContent?.includes('Submitted')`)
	b.wantSamePage("tender")
	b.wantJS("no amount while sealed", `!['73,911.13', '79,433.13'].some(s => document.body.textContent.includes(s))`)

	// The closing: the status badge and the note change in place (out-of-band parts of the
	// event), and the bidders table shows the totals now that the bids are unsealed.
	if _, err := a.st.DB().Exec(`UPDATE tenders SET closes_at = clock_timestamp() - interval '1 millisecond' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if res := owner.do("POST", "/api/tenders/"+id+"/close", nil); res.Code != http.StatusOK {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	b.waitJS("the badge says Closed", `document.getElementById('tender-status').textContent.trim() === 'Closed'`)
	b.waitJS("the note says so", `(document.querySelector('#tender-live [data-live-note]') || {}).textContent?.includes('The tender has closed.')`)
	b.waitJS("the total is shown", `document.getElementById('tender-bidders').textContent.includes('79,433.13')`)
	b.wantJS("the sealed note is gone", `!document.getElementById('sealed-note')`)
	b.wantSamePage("tender")
	b.wantNoJSErrors()
}

// liveTenderApp is an app listening for its events, with an owner's open sealed tender (of
// soqBodyFor's SOQ, no invitees) that the bidder cara@civil.test (Civil Works) may bid on.
func liveTenderApp(t *testing.T) (*testApp, store.User, *client, bidTender) {
	t.Helper()
	a := newTestApp(t)
	a.listen(t)
	ctx := context.Background()
	o := a.user(authz.RoleOwner, "olivia@harbourhomes.test")
	p := a.project(o, "HVA-01")
	cats, err := a.st.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	civil := cats[slices.IndexFunc(cats, func(c store.Category) bool { return c.Name == "Civil Works" })].ID
	hash, _ := a.h.HashPassword(testPassword)
	if _, err := a.st.CreateUser(ctx, store.NewUser{Name: "Cara Civil", Email: "cara@civil.test", PasswordHash: hash,
		Role: authz.RoleBidder, Entity: "Cara Civil Ltd", CategoryID: civil}); err != nil {
		t.Fatal(err)
	}
	owner := a.login(o.Email)
	body := soqBodyFor(p.ID)
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
	res = owner.do("POST", "/api/tenders/"+id+"/open", nil)
	if res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	bt := bidTender{id: id, items: map[string]string{}}
	for _, s := range res.JSON(t)["sections"].([]any) {
		for _, it := range s.(map[string]any)["items"].([]any) {
			m := it.(map[string]any)
			bt.items[m["reference"].(string)] = m["id"].(string)
		}
	}

	return a, o, owner, bt
}

// TestBrowserLiveBid: the bidder's bid page is open; the team issues an addendum and
// publishes an answer; each shows on the page as a note without a reload.
func TestBrowserLiveBid(t *testing.T) {
	exe := findBrowser(t)
	a, _, owner, bt := liveTenderApp(t)
	b := startBrowser(t, exe, a.srv.URL)
	b.do("sign in and open the bid",
		chromedp.Navigate(b.base+"/login?next=/tenders/"+bt.id),
		chromedp.SendKeys(chromedp.CSS("#email"), "cara@civil.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#bid-live")))
	b.markPage("bid")
	waitSubs(t, a, 1)
	if res := owner.do("POST", "/api/tenders/"+bt.id+"/addenda", map[string]any{"text": "Rock allowance clarified."}); res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	b.waitJS("the addendum note", `(document.querySelector('#bid-live [data-live-note]') || {}).textContent?.includes('addendum 1 was issued.')`)
	b.wantJS("the header's New addendum badge", `!!document.querySelector('[data-live-addendum] [data-new-addendum]')`)

	bidder := a.login("cara@civil.test")
	res := bidder.do("POST", "/api/tenders/"+bt.id+"/questions", map[string]any{"text": "Which cement?"})
	if res.Code != http.StatusCreated {
		t.Fatalf("ask: %d %s", res.Code, res.Body)
	}
	if res := owner.do("POST", "/api/tenders/"+bt.id+"/questions/"+res.JSON(t)["id"].(string)+"/answer", map[string]any{"text": "CEM I.", "publish": true}); res.Code != http.StatusOK {
		t.Fatalf("answer: %d %s", res.Code, res.Body)
	}
	b.waitJS("the answer note", `(document.querySelector('#bid-live [data-live-note]') || {}).textContent?.includes('CEM I.')`)
	b.wantSamePage("bid")
	b.wantNoJSErrors()
}

// TestBrowserLiveBoard: the bidder's board follows every tender of its page: an addendum
// marks its row, the closing replaces the row's intent buttons with the state.
func TestBrowserLiveBoard(t *testing.T) {
	exe := findBrowser(t)
	a, _, owner, bt := liveTenderApp(t)
	b := startBrowser(t, exe, a.srv.URL)
	row := `#board-` + bt.id
	b.do("sign in and open the board",
		chromedp.Navigate(b.base+"/login?next=/tenders"),
		chromedp.SendKeys(chromedp.CSS("#email"), "cara@civil.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)))
	b.markPage("board")
	waitSubs(t, a, 1)
	if res := owner.do("POST", "/api/tenders/"+bt.id+"/addenda", map[string]any{"text": "Rock allowance clarified."}); res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	b.waitJS("the row's New addendum badge", `!!document.querySelector('`+row+` [data-new-addendum]')`)
	b.wantJS("the intent buttons stay", `!!document.querySelector('`+row+` button[value="bidding"]')`)
	if _, err := a.st.DB().Exec(`UPDATE tenders SET closes_at = clock_timestamp() - interval '1 millisecond' WHERE id = $1`, bt.id); err != nil {
		t.Fatal(err)
	}
	if res := owner.do("POST", "/api/tenders/"+bt.id+"/close", nil); res.Code != http.StatusOK {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	b.waitJS("the row says Closed", `document.querySelector('`+row+` [data-intent-cell]').textContent.trim() === 'Closed'`)
	b.wantJS("the note names the tender", `document.getElementById('board-live').textContent.includes('has closed.')`)
	b.wantSamePage("board")
	b.wantNoJSErrors()
}
