package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/14build/14build/paths"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/views"
)

// tenderForm is the new-tender form as a person fills it in.
func tenderForm(soqID string) url.Values {
	return url.Values{"soqId": {soqID}, "title": {"Electrical package"}, "instructions": {"Price every line."},
		"closesAt": {time.Now().Add(72 * time.Hour).UTC().Format("2006-01-02T15:04")}, "sealed": {"true"},
		"categories": {"Civil Works"}, "invitees": {"b@example.com\nnew.bidder@example.com"}}
}

func TestTenderPagesAccess(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	pages := []string{"/projects/{P}/tenders", "/projects/{P}/tenders/new", "/tenders/" + id, "/tenders/" + id + "/edit",
		"/tenders/" + id + "/delete", "/tenders/" + id + "/cancel", "/projects/{P}/tenders/bidders?q=b"}
	for _, p := range pages {
		for who, want := range map[string]int{"owner": 200, "inhouse": 200, "admin": 200, "otherOwner": 404, "outsider": 404} {
			if res := f.clients[who].get(f.expand(p)); res.Code != want {
				t.Errorf("%s GET %s: %d, want %d", who, p, res.Code, want)
			}
		}
		// A bidder on the team's pages: 404 (a bidder on /tenders/{id} is the bid page's).
		if p != "/tenders/"+id {
			if res := f.clients["bidder"].get(f.expand(p)); res.Code != http.StatusNotFound {
				t.Errorf("bidder GET %s: %d, want 404", p, res.Code)
			}
		}
	}
	// Writes: off the team 404, and nothing is written.
	for _, who := range []string{"bidder", "otherOwner"} {
		for _, p := range []string{"/projects/{P}/tenders", "/tenders/" + id + "/open", "/tenders/" + id + "/delete",
			"/tenders/" + id + "/cancel", "/tenders/" + id + "/edit", "/tenders/" + id + "/close"} {
			if res := f.clients[who].form(f.expand(p), tenderForm("x")); res.Code != http.StatusNotFound {
				t.Errorf("%s POST %s: %d, want 404", who, p, res.Code)
			}
		}
	}
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE status = 'draft'`); n != 1 {
		t.Errorf("%d draft tenders after refused writes, want 1", n)
	}
	// The tab lists it, with the New tender button for those who may create tenders.
	doc := f.clients["inhouse"].get(f.expand("/projects/{P}/tenders")).Doc(t)
	if doc.Find("#tender-list [data-tender='"+id+"']").Length() != 1 || doc.Find("#new-tender").Length() != 1 {
		t.Errorf("tenders tab: list or button missing")
	}
	if doc.Find("time[data-countdown]").Length() != 1 {
		t.Errorf("tenders tab: no countdown")
	}
}

func TestTenderPagesEmptyTab(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	doc := f.clients["owner"].get(f.expand("/projects/{P}/tenders")).Doc(t)
	if !strings.Contains(doc.Text(), "No tenders yet") || doc.Find("a#new-tender").Length() != 1 {
		t.Errorf("empty state missing its text or button")
	}
}

func TestTenderFormCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	c := f.clients["owner"]
	res := c.form(f.expand("/projects/{P}/tenders"), tenderForm(soqID))
	if res.Code != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/tenders/") {
		t.Fatalf("create: %d %s %s", res.Code, res.Header.Get("Location"), res.Body)
	}
	id := strings.TrimPrefix(res.Header.Get("Location"), "/tenders/")
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE id = $1 AND title = 'Electrical package' AND sealed AND status = 'draft'`, id); n != 1 {
		t.Fatalf("tender row: %d", n)
	}
	if n := f.a.count(`SELECT count(*) FROM tender_invitees WHERE tender_id = $1`, id); n != 2 {
		t.Errorf("invitees: %d, want 2", n)
	}
	// The page after the redirect: the draft with its actions.
	doc := c.get("/tenders/" + id).Doc(t)
	if got := doc.Find("#tender-title").Text(); got != "Electrical package" {
		t.Errorf("title %q", got)
	}
	if doc.Find("#tender-open").Length() != 1 || doc.Find("#tender-bidders [data-bidder='b@example.com']").Length() != 1 {
		t.Errorf("draft page: open button or invited bidder missing")
	}

	// Unchecked "sealed" is an open tender: the checkbox is the only say.
	v := tenderForm(soqID)
	v.Del("sealed")
	if res := c.form(f.expand("/projects/{P}/tenders"), v); res.Code != http.StatusSeeOther {
		t.Fatalf("create unsealed: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE NOT sealed`); n != 1 {
		t.Errorf("unsealed tenders: %d", n)
	}
}

func TestTenderFormErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	v := tenderForm(soqID)
	v.Set("title", "  ")
	v.Set("instructions", "Keep me")
	v.Set("invitees", "ok@example.com\nnot-an-email")
	v.Set("closesAt", "2020-01-01T10:00")
	res := f.clients["inhouse"].form(f.expand("/projects/{P}/tenders"), v)
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", res.Code)
	}
	doc := res.Doc(t)
	for name, want := range map[string]string{"title": "Enter the tender's title.", "closesAt": "The closing time must be in the future.",
		"invitees": `"not-an-email"`} {
		if got := doc.Find("#err-" + name).Text(); !strings.Contains(got, want) {
			t.Errorf("%s message %q, want %q", name, got, want)
		}
	}
	if doc.Find("#title[aria-invalid=true]").Length() != 1 || doc.Find("#title[autofocus]").Length() != 1 {
		t.Errorf("title not marked invalid and focused")
	}
	if got := doc.Find("#instructions").Text(); got != "Keep me" {
		t.Errorf("instructions not kept: %q", got)
	}
	if got := doc.Find("#invitees").Text(); got != "ok@example.com\nnot-an-email" {
		t.Errorf("invitees not kept: %q", got)
	}
	if got, _ := doc.Find("#soqId option[selected]").Attr("value"); got != soqID {
		t.Errorf("SOQ not kept: %q", got)
	}
	if doc.Find("input[name=categories][value='Civil Works'][checked]").Length() != 1 {
		t.Errorf("trade not kept")
	}
	// No SOQ, no trade and no invitee.
	res = f.clients["inhouse"].form(f.expand("/projects/{P}/tenders"), url.Values{"title": {"T"},
		"closesAt": {time.Now().Add(time.Hour * 50).UTC().Format("2006-01-02T15:04")}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("empty form: %d", res.Code)
	}
	doc = res.Doc(t)
	if got := doc.Find("#err-soqId").Text(); got != "Choose the SOQ to tender." {
		t.Errorf("soqId message %q", got)
	}
	if got := doc.Find("#err-invitees").Text(); got != "Choose a trade or invite a bidder." {
		t.Errorf("invitees message %q", got)
	}
	// Another project's SOQ is refused as a field, not a 500.
	other := f.clients["otherOwner"].do("POST", "/api/soq", map[string]any{"projectId": f.P2.ID, "title": "Other", "currency": "usd", "status": "issued"})
	if other.Code != http.StatusCreated {
		t.Fatalf("other SOQ: %d %s", other.Code, other.Body)
	}
	res = f.clients["inhouse"].form(f.expand("/projects/{P}/tenders"), tenderForm(other.JSON(t)["id"].(string)))
	if res.Code != http.StatusUnprocessableEntity || res.Doc(t).Find("#err-soqId").Length() != 1 {
		t.Errorf("another project's SOQ: %d", res.Code)
	}
	if n := f.a.count(`SELECT count(*) FROM tenders`); n != 0 {
		t.Errorf("%d tenders after refused forms", n)
	}
}

func TestTenderEditDraftOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	c := f.clients["owner"]
	doc := c.get("/tenders/" + id + "/edit").Doc(t)
	if got, _ := doc.Find("#title").Attr("value"); got != "Substructure package" {
		t.Errorf("edit form title %q", got)
	}
	if got := doc.Find("#invitees").Text(); got != "b@example.com" {
		t.Errorf("edit form invitees %q", got)
	}
	v := tenderForm(doc.Find("#soqId option[selected]").AttrOr("value", ""))
	v.Set("title", "Renamed package")
	if res := c.form("/tenders/"+id+"/edit", v); res.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE id = $1 AND title = 'Renamed package'`, id); n != 1 {
		t.Errorf("not renamed")
	}
	// A form read before someone else saved is refused (409), kept, and says so.
	stale := c.get("/tenders/"+id+"/edit").Doc(t).Find("input[name=version]").AttrOr("value", "")
	if stale == "" {
		t.Fatal("no version in the edit form")
	}
	if res := c.form("/tenders/"+id+"/edit", v); res.Code != http.StatusSeeOther {
		t.Fatalf("second edit: %d", res.Code)
	}
	v.Set("version", stale)
	v.Set("title", "Stale title")
	res := c.form("/tenders/"+id+"/edit", v)
	if res.Code != http.StatusConflict || !strings.Contains(res.Body, "Someone else saved this tender") {
		t.Errorf("stale edit: %d", res.Code)
	}
	if got := res.Doc(t).Find("#title").AttrOr("value", ""); got != "Stale title" {
		t.Errorf("stale edit not kept: %q", got)
	}
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE id = $1 AND title = 'Renamed package'`, id); n != 1 {
		t.Errorf("stale edit was saved")
	}
	v.Del("version")
	// Opened through the page, it is no longer editable: 409 on the form and its post.
	if res := c.form("/tenders/"+id+"/open", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	if res := c.get("/tenders/" + id + "/edit"); res.Code != http.StatusConflict || !strings.Contains(res.Body, "only a draft tender") {
		t.Errorf("edit open tender: %d", res.Code)
	}
	if res := c.form("/tenders/"+id+"/edit", v); res.Code != http.StatusConflict {
		t.Errorf("post edit open tender: %d", res.Code)
	}
	if res := c.get("/tenders/" + id + "/delete"); res.Code != http.StatusConflict {
		t.Errorf("delete open tender: %d", res.Code)
	}
}

func TestTenderOpenRefusedOnPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	soqID := issuedSOQ(t, f)
	id := draftTender(t, f, soqID)
	c := f.clients["owner"]
	// The SOQ back to draft: opening is refused on the page, saying what to do.
	if res := c.form(paths.SOQStatus(f.P.ID, soqID), url.Values{"status": {"draft"}}); res.Code >= 400 {
		t.Fatalf("SOQ to draft: %d", res.Code)
	}
	res := c.form("/tenders/"+id+"/open", nil)
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#tender-refusal").Text(), "Issue the SOQ") {
		t.Errorf("open with a draft SOQ: %d %s", res.Code, res.Doc(t).Find("#tender-refusal").Text())
	}
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE id = $1 AND status = 'draft'`, id); n != 1 {
		t.Errorf("tender opened")
	}
}

func TestTenderDeleteDraftThroughPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	c := f.clients["inhouse"]
	if doc := c.get("/tenders/" + id + "/delete").Doc(t); doc.Find("form[action='/tenders/"+id+"/delete'] button").Length() != 1 {
		t.Errorf("no confirmation form")
	}
	res := c.form("/tenders/"+id+"/delete", nil)
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != f.expand("/projects/{P}/tenders") {
		t.Fatalf("delete: %d %s", res.Code, res.Header.Get("Location"))
	}
	if n := f.a.count(`SELECT count(*) FROM tenders`); n != 0 {
		t.Errorf("still %d tenders", n)
	}
}

func TestTenderOpenCloseCancelThroughPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	c := f.clients["owner"]
	if res := c.form("/tenders/"+id+"/open", nil); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/tenders/"+id {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	doc := c.get("/tenders/" + id).Doc(t)
	if got := doc.Find("#tender-status").Text(); got != "Open" {
		t.Errorf("status %q", got)
	}
	if doc.Find("#tender-copy li").Length() != 2 {
		t.Errorf("frozen copy summary: %d sections", doc.Find("#tender-copy li").Length())
	}
	// Opening twice: the refusal in a panel on the page, 409.
	res := c.form("/tenders/"+id+"/open", nil)
	if res.Code != http.StatusConflict || res.Doc(t).Find("#tender-refusal").Length() != 1 {
		t.Errorf("second open: %d", res.Code)
	}
	// Closing early while the invited bidder has not answered: refused, named.
	res = c.form("/tenders/"+id+"/close", nil)
	if res.Code != http.StatusConflict || !strings.Contains(res.Doc(t).Find("#tender-refusal").Text(), "b@example.com") {
		t.Errorf("close early: %d %s", res.Code, res.Doc(t).Find("#tender-refusal").Text())
	}
	if doc := c.get("/tenders/" + id + "/cancel").Doc(t); doc.Find("form[action='/tenders/"+id+"/cancel'] button").Length() != 1 {
		t.Errorf("no cancel confirmation")
	}
	if res := c.form("/tenders/"+id+"/cancel", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM tenders WHERE id = $1 AND status = 'cancelled'`, id); n != 1 {
		t.Errorf("not cancelled")
	}
	// Cancelled: cancelling again is refused on the page.
	if res := c.get("/tenders/" + id + "/cancel"); res.Code != http.StatusConflict {
		t.Errorf("cancel confirm of a cancelled tender: %d", res.Code)
	}
}

// openWithBid opens a tender of f.P and has the invited bidder submit a bid through the
// store; it returns the tender id and the bid's total.
func openWithBid(t *testing.T, f *fixture) (string, int64) {
	t.Helper()
	ctx := context.Background()
	id := draftTender(t, f, issuedSOQ(t, f))
	if res := f.clients["owner"].form("/tenders/"+id+"/open", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	cp, err := f.a.st.TenderCopy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var in store.BidInput
	for _, s := range cp {
		for _, it := range s.Items {
			if !it.Type.Fixed() {
				in.Rates = append(in.Rates, tender.Rate{ItemID: it.ID, Rate: 7654321})
			}
		}
	}
	b := f.users["bidder"]
	sub, err := f.a.st.SubmitBid(ctx, id, b.ID, b.EntityID, in, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return id, sub.Total
}

func TestTeamTenderPageSealed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id, total := openWithBid(t, f)
	for _, who := range []string{"owner", "inhouse"} {
		res := f.clients[who].get("/tenders/" + id)
		if res.Code != http.StatusOK {
			t.Fatalf("%s: %d", who, res.Code)
		}
		for _, digits := range []string{strconv.FormatInt(total, 10), views.Thousands(total / 100), "7654321", "76,543.21"} {
			if strings.Contains(res.Body, digits) {
				t.Errorf("%s: sealed page shows %s", who, digits)
			}
		}
		if !strings.Contains(res.Body, "b Tester") {
			t.Errorf("%s: the bidder is not listed", who)
		}
		if res.Doc(t).Find("#sealed-note").Length() != 1 {
			t.Errorf("%s: no sealed note", who)
		}
	}
	// Tab: the submission counted, no amount.
	res := f.clients["owner"].get(f.expand("/projects/{P}/tenders"))
	if got := res.Doc(t).Find("[data-tender='" + id + "'] td:last-child").Text(); got != "1" {
		t.Errorf("submissions %q", got)
	}
	// The invited bidder submitted: closing early is allowed now, and then the totals show.
	if res := f.clients["owner"].form("/tenders/"+id+"/close", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("close: %d %s", res.Code, res.Body)
	}
	res = f.clients["owner"].get("/tenders/" + id)
	doc := res.Doc(t)
	if doc.Find("#tender-leveling").Length() != 1 {
		t.Errorf("no leveling link once closed")
	}
	if !strings.Contains(doc.Find("#tender-bidders").Text(), views.Thousands(total/100)) {
		t.Errorf("closed: total %d not shown", total)
	}
}

func TestTenderAddendumAndAnswerThroughPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id, _ := openWithBid(t, f)
	c := f.clients["inhouse"]
	// Refused: no text, an unknown reference.
	res := c.form("/tenders/"+id+"/addenda", url.Values{"text": {""}, "changes[0].reference": {"Z9"}, "changes[0].quantity": {"3"}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad addendum: %d", res.Code)
	}
	doc := res.Doc(t)
	if doc.Find("#err-text").Length() != 1 || !strings.Contains(doc.Find("#addendum-form").Text(), `"Z9"`) {
		t.Errorf("addendum messages missing")
	}
	if got, _ := doc.Find("input[name='changes[0].reference']").Attr("value"); got != "Z9" {
		t.Errorf("reference not kept: %q", got)
	}
	res = c.form("/tenders/"+id+"/addenda", url.Values{"text": {"B1 is now 20 m3."}, "changes[0].reference": {"B1"}, "changes[0].quantity": {"20"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	if n := f.a.count(`SELECT count(*) FROM tender_items WHERE tender_id = $1 AND reference = 'B1' AND quantity = 20`, id); n != 1 {
		t.Errorf("B1 quantity not changed")
	}
	if doc := c.get("/tenders/" + id).Doc(t); doc.Find("#tender-addenda [data-addendum='1']").Length() != 1 {
		t.Errorf("addendum not listed")
	}
	// Removing items by reference: an unknown one is named; A1 goes.
	res = c.form("/tenders/"+id+"/addenda", url.Values{"text": {"A1 removed."}, "remove": {"A1, Q7"}})
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Doc(t).Find("#err-remove").Text(), `"Q7"`) {
		t.Errorf("unknown removal: %d", res.Code)
	}
	if res := c.form("/tenders/"+id+"/addenda", url.Values{"text": {"A1 removed."}, "remove": {"a1"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("removal: %d %s", res.Code, res.Body)
	}
	cp, err := f.a.st.TenderCopy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cp {
		for _, it := range s.Items {
			if it.Reference == "A1" {
				t.Errorf("A1 still in the tender")
			}
		}
	}

	q, err := f.a.st.AskQuestion(ctx, id, f.users["bidder"].ID, "Is B1 in rock?", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res = c.form("/tenders/"+id+"/questions/"+q.ID+"/answer", url.Values{"text": {" "}, "publish": {"true"}})
	if res.Code != http.StatusUnprocessableEntity || res.Doc(t).Find("#err-answer-"+q.ID).Length() != 1 {
		t.Errorf("empty answer: %d", res.Code)
	}
	res = c.form("/tenders/"+id+"/questions/"+q.ID+"/answer", url.Values{"text": {"No, clay."}, "publish": {"true"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", res.Code, res.Body)
	}
	doc = c.get("/tenders/" + id).Doc(t)
	if li := doc.Find("[data-question='" + q.ID + "']"); !strings.Contains(li.Text(), "No, clay.") || !strings.Contains(li.Text(), "Published to all bidders") {
		t.Errorf("answer not shown: %q", li.Text())
	}
}

// TestBrowserTenderPagesAccessibility runs axe-core (as TestBrowserAccessibility does) on
// the team's tender pages: the tab, the form (and its errors, and a bidder search's
// results), a draft's page, an open tender's page with a bid, a question and the addendum
// form open, its refused addendum, and the confirmations.
func TestBrowserTenderPagesAccessibility(t *testing.T) {
	exe := findBrowser(t)
	axeJS := axeSource(t)
	f := newFixture(t)
	draft := draftTender(t, f, issuedSOQ(t, f))
	open, _ := openWithBid(t, f)
	if _, err := f.a.st.AskQuestion(context.Background(), open, f.users["bidder"].ID, "Is B1 in rock?", time.Now()); err != nil {
		t.Fatal(err)
	}
	submit := func(form string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Evaluate[chromedp.Void](`document.querySelector(` + strconv.Quote(form) + `).requestSubmit()`),
			chromedp.WaitVisible(chromedp.CSS("[data-field-error], [role=alert]")),
		}
	}
	pages := []page{
		{path: paths.Tenders(f.P.ID)},
		{path: paths.TenderNew(f.P.ID)},
		{path: paths.TenderNew(f.P.ID), state: "with errors", steps: submit("#tender-form")},
		{path: paths.TenderNew(f.P.ID), state: "bidders found", steps: []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.CSS("#bidder-q"), "Tester"),
			chromedp.WaitVisible(chromedp.CSS("#bidder-results li button")),
			chromedp.Click(chromedp.CSS("#bidder-results li button")),
		}},
		{path: paths.Tender(draft)},
		{path: paths.TenderEdit(draft)},
		{path: paths.TenderDelete(draft)},
		{path: paths.Tender(open)},
		{path: paths.Tender(open), state: "a refused addendum", steps: []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS("#tender-addenda-h ~ details summary, section[aria-labelledby=tender-addenda-h] summary")),
			chromedp.WaitVisible(chromedp.CSS("#addendum-form")),
			chromedp.SendKeys(chromedp.CSS(`input[name="changes[0].reference"]`), "Z9"),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#addendum-form").requestSubmit()`),
			chromedp.WaitVisible(chromedp.CSS("#addendum-form [role=alert]")),
		}},
		{path: paths.Tender(open), state: "the close confirmation open", steps: []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS("#tender-close-ask")),
			chromedp.WaitVisible(chromedp.CSS("#tender-close")),
		}},
		{path: paths.TenderCancel(open)},
	}
	b := startBrowser(t, exe, f.a.srv.URL)
	b.do("sign in",
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(b.base+paths.Login()),
		chromedp.SendKeys(chromedp.CSS("#email"), f.users["owner"].Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
		chromedp.WaitReady(chromedp.CSS(`form[action="/logout"]`)))
	names := strings.NewReplacer(f.P.ID, "{project}", draft, "{draft}", open, "{open}")
	var found []axeFinding
	for _, pg := range pages {
		name := names.Replace(pg.path)
		if pg.state != "" {
			name += " (" + pg.state + ")"
		}
		found = append(found, b.audit(axeJS, "owner", name, pg)...)
	}
	if len(found) > 0 {
		t.Errorf("axe-core found %d accessibility violations:\n%s", len(found), formatFindings(found))
	}
	// The search's Invite button put the address in the box.
	b.do("open the form", chromedp.Navigate(b.base+paths.TenderNew(f.P.ID)), chromedp.WaitReady(chromedp.CSS("#tender-form")),
		chromedp.SendKeys(chromedp.CSS("#bidder-q"), "Tester"), chromedp.WaitVisible(chromedp.CSS("#bidder-results li button")),
		chromedp.Click(chromedp.CSS("#bidder-results li button")))
	if got := run(b, "read the invitees", chromedp.Value(chromedp.CSS("#invitees"))); got != "b@example.com" {
		t.Errorf("invitees after Invite: %q", got)
	}
	b.wantNoJSErrors()
}
