package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// bidFixture is a project with an issued SOQ (A1 preliminaries, B1 measured 12.5 m3,
// B2 a provisional sum of 5,000.00) and tenders on it, and bidders: "trade" (Civil Works),
// "invited" (another trade, invited to the invitation tender) and "stranger".
type bidFixture struct {
	*fixture
	soqID                    string
	byTrade, byInvite, other string            // open tenders
	items                    map[string]string // byTrade's item ids by reference
	trade, invited, stranger *client
	otherTrade               string
}

func newBidFixture(t *testing.T) *bidFixture {
	t.Helper()
	f := &bidFixture{fixture: newFixture(t)}
	f.soqID = issuedSOQ(t, f.fixture)
	cats, err := f.a.st.Categories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	civil := cats[slices.IndexFunc(cats, func(c store.Category) bool { return c.Name == "Civil Works" })].ID
	f.otherTrade = cats[0].Name // a.user's bidders are of this trade
	hash, _ := f.a.h.HashPassword(testPassword)
	if _, err := f.a.st.CreateUser(context.Background(), store.NewUser{Name: "Trade Bidder", Email: "trade@example.com",
		PasswordHash: hash, Role: authz.RoleBidder, Entity: "Civil Co", CategoryID: civil}); err != nil {
		t.Fatal(err)
	}
	f.a.user(authz.RoleBidder, "invited@example.com")
	f.a.user(authz.RoleBidder, "stranger@example.com")
	f.byTrade = f.openTender(t, "By trade", []string{"Civil Works"}, nil)
	f.byInvite = f.openTender(t, "By invitation", []string{"Electrical"}, []string{"INVITED@example.com", "trade@example.com"})
	f.other = f.openTender(t, "Someone else's", []string{"Electrical"}, []string{"x@example.com"})
	f.trade, f.invited, f.stranger = f.a.login("trade@example.com"), f.a.login("invited@example.com"), f.a.login("stranger@example.com")
	f.items = map[string]string{}
	for _, s := range f.trade.get("/api/tenders/" + f.byTrade).JSON(t)["sections"].([]any) {
		for _, it := range s.(map[string]any)["items"].([]any) {
			m := it.(map[string]any)
			f.items[m["reference"].(string)] = m["id"].(string)
		}
	}
	if len(f.items) != 3 {
		t.Fatalf("items %v", f.items)
	}
	return f
}

func (f *bidFixture) openTender(t *testing.T, title string, cats, invitees []string) string {
	t.Helper()
	body := tenderBodyFor(f.P.ID, f.soqID)
	body["title"], body["categories"], body["invitees"] = title, cats, invitees
	if invitees == nil {
		body["invitees"] = []string{}
	}
	res := f.clients["owner"].do("POST", "/api/tenders", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("create %s: %d %s", title, res.Code, res.Body)
	}
	id := res.JSON(t)["id"].(string)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open %s: %d %s", title, res.Code, res.Body)
	}
	return id
}

// saveRate autosaves one rate as the grid does (a form post from sheet.js).
func saveRate(c *client, tenderID, itemID, rate string) response {
	return c.form("/tenders/"+tenderID+"/bid", url.Values{"itemId": {itemID}, "rate": {rate}}, "HX-Request", "true")
}

func TestBidBoard(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	res := f.trade.get("/tenders")
	if res.Code != http.StatusOK {
		t.Fatalf("board: %d %s", res.Code, res.Body)
	}
	doc := res.Doc(t)
	for id, want := range map[string]bool{f.byTrade: true, f.byInvite: true, f.other: false} {
		if got := doc.Find("#board-"+id).Length() == 1; got != want {
			t.Errorf("row %s shown %v, want %v", id, got, want)
		}
	}
	row := doc.Find("#board-" + f.byTrade)
	if !strings.Contains(row.Text(), "Project P") || !strings.Contains(row.Text(), "closes in") || !strings.Contains(row.Text(), "No bid yet") {
		t.Errorf("row: %q", row.Text())
	}
	if row.Find(`button[name="intent"]`).Length() != 3 {
		t.Errorf("intent buttons: %d", row.Find(`button[name="intent"]`).Length())
	}
	// Nobody else's bids, invitees or names.
	if strings.Contains(res.Body, "invited@example.com") || strings.Contains(res.Body, "x@example.com") {
		t.Error("the board shows invitees")
	}
	if doc.Find(`nav a[href="/tenders"]`).Length() == 0 {
		t.Error("no Tenders link in the nav")
	}

	// The board reads the same number of statements whatever its number of rows.
	before := f.a.st.QueryCount()
	f.trade.get("/tenders")
	two := f.a.st.QueryCount() - before
	f.openTender(t, "Third", []string{"Civil Works"}, nil)
	before = f.a.st.QueryCount()
	if res := f.trade.get("/tenders"); res.Doc(t).Find("#tender-board tbody tr").Length() != 3 {
		t.Errorf("board rows: %d", res.Doc(t).Find("#tender-board tbody tr").Length())
	}
	if three := f.a.st.QueryCount() - before; three != two {
		t.Errorf("the board sent %d statements for 3 rows, %d for 2", three, two)
	}

	// A bidder with nothing open to it gets the empty state.
	if res := f.stranger.get("/tenders"); res.Code != http.StatusOK || !strings.Contains(res.Body, "No open tenders for your trades yet") {
		t.Errorf("empty board: %d", res.Code)
	}
	// The team sees tenders per project.
	if res := f.clients["owner"].get("/tenders"); res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/projects" {
		t.Errorf("owner board: %d %s", res.Code, res.Header.Get("Location"))
	}
}

func TestBidIntent(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	res := f.trade.form("/tenders/"+f.byTrade+"/intent", url.Values{"intent": {"bidding"}, "from": {"board"}}, "HX-Request", "true")
	if res.Code != http.StatusOK {
		t.Fatalf("intent: %d %s", res.Code, res.Body)
	}
	if got := res.Doc(t).Find(`button[aria-pressed="true"]`).AttrOr("value", ""); got != "bidding" {
		t.Errorf("pressed %q: %s", got, res.Body)
	}
	// Without JavaScript: a redirect back to the board, and the board shows it.
	res = f.trade.form("/tenders/"+f.byTrade+"/intent", url.Values{"intent": {"declined"}, "from": {"board"}})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/tenders" {
		t.Fatalf("intent without JS: %d %s", res.Code, res.Header.Get("Location"))
	}
	doc := f.trade.get("/tenders").Doc(t)
	if got := doc.Find("#board-"+f.byTrade+` button[aria-pressed="true"]`).AttrOr("value", ""); got != "declined" {
		t.Errorf("board intent %q", got)
	}
	if res := f.trade.form("/tenders/"+f.byTrade+"/intent", url.Values{"intent": {"maybe"}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad intent: %d", res.Code)
	}
}

func TestBidPageGrid(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	res := f.trade.get("/tenders/" + f.byTrade)
	if res.Code != http.StatusOK {
		t.Fatalf("bid page: %d %s", res.Code, res.Body)
	}
	doc := res.Doc(t)
	grid := doc.Find(`table#soq-sheet[data-mode="rates"][data-editable="true"]`)
	if grid.Length() != 1 {
		t.Fatal("no rates-only grid")
	}
	if n := grid.Find("input, select, textarea").Length(); n != 0 {
		t.Errorf("%d inputs in the grid", n)
	}
	editable := grid.Find(`td[aria-readonly="false"]`)
	var cells []string
	editable.Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.AttrOr("data-cell", "")) })
	if len(cells) != 2 || cells[0] != "rate" || cells[1] != "rate" {
		t.Errorf("editable cells %v", cells)
	}
	locked := grid.Find("#item-" + f.items["B2"] + ` td[data-cell="rate"]`)
	if locked.AttrOr("data-locked", "") != "true" || locked.AttrOr("aria-readonly", "") != "true" || !strings.Contains(locked.Text(), "5,000.00") {
		t.Errorf("allowance cell %q", locked.Text())
	}
	if got := strings.TrimSpace(doc.Find("#bid-total").Text()); got != "$5,000.00" {
		t.Errorf("total %q", got)
	}
	if got := doc.Find("#bid-priced").Text(); got != "0 of 2 lines priced" {
		t.Errorf("priced %q", got)
	}
}

func TestBidAutosave(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	res := saveRate(f.trade, f.byTrade, f.items["B1"], "20")
	if res.Code != http.StatusOK {
		t.Fatalf("save: %d %s", res.Code, res.Body)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader("<table>" + res.Body + "</table>")) // a row, as sheet.js parses it
	if err != nil {
		t.Fatal(err)
	}
	// 12.5 m3 × 20.00 = 250.00; the total adds the 5,000.00 allowance.
	if got := doc.Find("#item-" + f.items["B1"] + " [data-amount]").Text(); got != "250.00" {
		t.Errorf("amount %q", got)
	}
	if got := doc.Find("template").Text(); !strings.Contains(got, "$5,250.00") || !strings.Contains(got, "1 of 2 lines priced") {
		t.Errorf("totals %q", got)
	}
	// JSON, typed with separators.
	res = f.trade.do("POST", "/tenders/"+f.byTrade+"/bid", map[string]any{"itemId": f.items["A1"], "rate": "1,000.50"})
	if res.Code != http.StatusOK {
		t.Fatalf("json save: %d %s", res.Code, res.Body)
	}
	m := res.JSON(t)
	if m["amount"] != 100050.0 || m["total"] != float64(100050+25000+500000) || m["priced"] != 2.0 {
		t.Errorf("json answer %v", m)
	}
	b := bidOf(t, f, f.byTrade, "trade@example.com")
	if b.Status != tender.BidDraft || len(b.Rates) != 2 || b.Total != 100050+25000+500000 {
		t.Errorf("stored %+v", b)
	}
	// Refusals: a locked allowance, a rate that is not a number.
	res = saveRate(f.trade, f.byTrade, f.items["B2"], "1")
	if res.Code != http.StatusUnprocessableEntity || res.Doc(t).Find("[data-cell-error]").Length() != 1 || !strings.Contains(res.Body, "B2") {
		t.Errorf("locked line: %d %s", res.Code, res.Body)
	}
	if res := saveRate(f.trade, f.byTrade, f.items["B1"], "abc"); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("not a number: %d %s", res.Code, res.Body)
	}
	// Clearing a rate.
	if res := saveRate(f.trade, f.byTrade, f.items["B1"], ""); res.Code != http.StatusOK {
		t.Errorf("clear: %d %s", res.Code, res.Body)
	}
	// The notes are kept across rate saves.
	if res := f.trade.form("/tenders/"+f.byTrade+"/bid", url.Values{"qualifications": {"Excludes night work."}, "exclusions": {"Scaffold."}}); res.Code != http.StatusSeeOther {
		t.Fatalf("notes: %d %s", res.Code, res.Body)
	}
	saveRate(f.trade, f.byTrade, f.items["B1"], "21")
	if b := bidOf(t, f, f.byTrade, "trade@example.com"); b.Qualifications != "Excludes night work." || b.Exclusions != "Scaffold." {
		t.Errorf("notes %q %q", b.Qualifications, b.Exclusions)
	}
}

func bidOf(t *testing.T, f *bidFixture, tenderID, email string) store.Bid {
	t.Helper()
	u, err := f.a.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.a.st.BidOf(context.Background(), tenderID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBidSubmitRevisionsWithdraw(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	saveRate(f.trade, f.byTrade, f.items["B1"], "20")
	// The summary lists what blocks it; the submission is refused naming the line.
	doc := f.trade.get("/tenders/" + f.byTrade + "/bid/submit").Doc(t)
	if doc.Find(`[data-unpriced="A1"]`).Length() != 1 || doc.Find("#bid-submit-confirm[disabled]").Length() != 1 {
		t.Errorf("summary blockers: %s", doc.Find("#bid-blockers").Text())
	}
	res := f.trade.form("/tenders/"+f.byTrade+"/bid/submit", url.Values{})
	if res.Code != http.StatusConflict || !strings.Contains(res.Doc(t).Find("#bid-refused").Text(), "price 1 line (A1)") {
		t.Fatalf("submit with a line missing: %d %s", res.Code, res.Body)
	}
	saveRate(f.trade, f.byTrade, f.items["A1"], "1000")
	doc = f.trade.get("/tenders/" + f.byTrade + "/bid/submit").Doc(t)
	if got := doc.Find("#submit-total").Text(); got != "$6,250.00" || doc.Find("#bid-submit-confirm[disabled]").Length() != 0 {
		t.Errorf("summary total %q", got)
	}
	res = f.trade.form("/tenders/"+f.byTrade+"/bid/submit", url.Values{})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/tenders/"+f.byTrade {
		t.Fatalf("submit: %d %s", res.Code, res.Body)
	}
	if b := bidOf(t, f, f.byTrade, "trade@example.com"); b.Status != tender.BidSubmitted || b.Revision != 1 {
		t.Errorf("after submit %s rev %d", b.Status, b.Revision)
	}
	// A submitted bid's grid no longer saves: it is revised through the form.
	if res := saveRate(f.trade, f.byTrade, f.items["B1"], "30"); res.Code != http.StatusConflict {
		t.Errorf("save after submit: %d", res.Code)
	}
	form := f.trade.get("/tenders/" + f.byTrade + "/bid").Doc(t)
	if form.Find(`input[name="rate.`+f.items["B1"]+`"]`).AttrOr("value", "") != "20.00" {
		t.Error("revise form without the submitted rate")
	}
	res = f.trade.form("/tenders/"+f.byTrade+"/bid/submit", url.Values{"rate." + f.items["A1"]: {"1000"}, "rate." + f.items["B1"]: {"30"},
		"qualifications": {"Rev 2"}, "exclusions": {""}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("revision 2: %d %s", res.Code, res.Body)
	}
	b := bidOf(t, f, f.byTrade, "trade@example.com")
	if b.Revision != 2 || b.Total != 100000+37500+500000 || b.Qualifications != "Rev 2" {
		t.Errorf("revision 2: %+v", b)
	}
	page := f.trade.get("/tenders/" + f.byTrade).Doc(t)
	if n := page.Find("#revisions [data-revision]").Length(); n != 2 {
		t.Errorf("revisions listed: %d", n)
	}
	// A revision form with an unreadable rate comes back with it marked.
	res = f.trade.form("/tenders/"+f.byTrade+"/bid/submit", url.Values{"rate." + f.items["A1"]: {"ten"}, "rate." + f.items["B1"]: {"30"}})
	if res.Code != http.StatusUnprocessableEntity || res.Doc(t).Find(`input[name="rate.`+f.items["A1"]+`"][aria-invalid="true"]`).AttrOr("value", "") != "ten" {
		t.Errorf("bad revision: %d", res.Code)
	}

	// Withdraw: a confirmation, then the bid no longer counts.
	if res := f.trade.get("/tenders/" + f.byTrade + "/bid/withdraw"); res.Code != http.StatusOK || !strings.Contains(res.Body, "Withdraw bid") {
		t.Errorf("withdraw confirm: %d", res.Code)
	}
	if res := f.trade.form("/tenders/"+f.byTrade+"/bid/withdraw", url.Values{}); res.Code != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", res.Code, res.Body)
	}
	if b := bidOf(t, f, f.byTrade, "trade@example.com"); b.Status != tender.BidWithdrawn {
		t.Errorf("after withdraw %s", b.Status)
	}
	if res := f.trade.form("/tenders/"+f.byTrade+"/bid/withdraw", url.Values{}); res.Code != http.StatusConflict {
		t.Errorf("withdraw twice: %d", res.Code)
	}
	if doc := f.trade.get("/tenders/" + f.byTrade + "/bid").Doc(t); doc.Find("#bid-form-submit").Length() != 0 {
		t.Error("a withdrawn bid's form offers to submit")
	}
	if doc := f.trade.get("/tenders/" + f.byTrade + "/bid/submit").Doc(t); doc.Find("#bid-submit-confirm[disabled]").Length() != 1 {
		t.Error("a withdrawn bid's summary offers to submit")
	}
	if doc := f.trade.get("/tenders/" + f.byTrade).Doc(t); doc.Find("#bid-submit, #bid-revise, #bid-withdraw").Length() != 0 ||
		!strings.Contains(doc.Find("#bid-status").Text(), "You withdrew") {
		t.Errorf("withdrawn bid page: %q", doc.Find("#bid-status").Text())
	}
}

// TestBidAccess: a bidder the tender is not open to gets 404 on every route; the team
// 403 on the bidder's actions.
func TestBidAccess(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	id := f.byTrade
	routes := []struct{ method, path string }{
		{"GET", "/tenders/" + id}, {"GET", "/tenders/" + id + "/bid"}, {"POST", "/tenders/" + id + "/bid"},
		{"GET", "/tenders/" + id + "/bid/submit"}, {"POST", "/tenders/" + id + "/bid/submit"},
		{"GET", "/tenders/" + id + "/bid/withdraw"}, {"POST", "/tenders/" + id + "/bid/withdraw"},
		{"POST", "/tenders/" + id + "/intent"}, {"POST", "/tenders/" + id + "/addenda/1/acknowledge"},
		{"POST", "/tenders/" + id + "/questions"},
	}
	send := func(c *client, method, path string) response {
		if method == "GET" {
			return c.get(path)
		}
		return c.form(path, url.Values{"intent": {"bidding"}, "itemId": {f.items["B1"]}, "rate": {"1"}, "text": {"Why?"}})
	}
	for _, r := range routes {
		if res := send(f.invited, r.method, r.path); res.Code != http.StatusNotFound {
			t.Errorf("not open: %s %s: %d", r.method, r.path, res.Code)
		}
		if res := send(f.stranger, r.method, r.path); res.Code != http.StatusNotFound {
			t.Errorf("stranger: %s %s: %d", r.method, r.path, res.Code)
		}
		if r.path == "/tenders/"+id && r.method == "GET" {
			continue // the team's own tender page
		}
		if res := send(f.clients["owner"], r.method, r.path); res.Code != http.StatusForbidden {
			t.Errorf("owner: %s %s: %d", r.method, r.path, res.Code)
		}
	}
	// The invitation tender is open to the invited bidder, in any case of its email.
	if res := f.invited.get("/tenders/" + f.byInvite); res.Code != http.StatusOK {
		t.Errorf("invited: %d", res.Code)
	}
}

// TestBidClosed: after closing, saves, submissions and withdrawals are refused with a
// clear 409, and the page is read-only.
func TestBidClosed(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	saveRate(f.trade, f.byTrade, f.items["B1"], "20")
	if _, err := f.a.st.DB().Exec(`UPDATE tenders SET closes_at = now() - interval '1 minute' WHERE id = $1`, f.byTrade); err != nil {
		t.Fatal(err)
	}
	res := saveRate(f.trade, f.byTrade, f.items["B1"], "25")
	if res.Code != http.StatusConflict || !strings.Contains(res.Body, "This tender has closed") {
		t.Errorf("late save: %d %s", res.Code, res.Body)
	}
	if res := f.trade.form("/tenders/"+f.byTrade+"/bid/submit", url.Values{}); res.Code != http.StatusConflict {
		t.Errorf("late submit: %d %s", res.Code, res.Body)
	}
	doc := f.trade.get("/tenders/" + f.byTrade).Doc(t)
	if doc.Find(`#soq-sheet[aria-readonly="true"]`).Length() != 1 || doc.Find(`#soq-sheet td[aria-readonly="false"]`).Length() != 0 ||
		doc.Find("#bid-submit").Length() != 0 {
		t.Error("closed tender's page is not read-only")
	}
	if !strings.Contains(doc.Find("#bid-status").Text(), "This tender has closed") {
		t.Errorf("status: %q", doc.Find("#bid-status").Text())
	}
	if _, err := f.a.st.DB().Exec(`UPDATE tenders SET status = 'closed', closed_at = now() WHERE id = $1`, f.byTrade); err != nil {
		t.Fatal(err)
	}
	if res := saveRate(f.trade, f.byTrade, f.items["B1"], "25"); res.Code != http.StatusConflict || !strings.Contains(res.Body, "This tender has closed") {
		t.Errorf("save on a closed tender: %d %s", res.Code, res.Body)
	}
}

// TestBidAddendaAndQuestions: a new addendum shows as a banner and a board badge until
// acknowledged; a question is the asker's until the team publishes its answer, which
// every bidder then sees without the asker's name.
func TestBidAddendaAndQuestions(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	id := f.byInvite
	items := map[string]string{}
	for _, s := range f.invited.get("/api/tenders/" + id).JSON(t)["sections"].([]any) {
		for _, it := range s.(map[string]any)["items"].([]any) {
			m := it.(map[string]any)
			items[m["reference"].(string)] = m["id"].(string)
		}
	}
	res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/addenda", map[string]any{"text": "B1 is 13 m3.",
		"changes": []any{map[string]any{"itemId": items["B1"], "quantity": 13}}})
	if res.Code != http.StatusCreated {
		t.Fatalf("addendum: %d %s", res.Code, res.Body)
	}
	doc := f.invited.get("/tenders/" + id).Doc(t)
	if doc.Find("#bid-addendum-banner").Length() != 1 || !strings.Contains(doc.Find("#addendum-1").Text(), "1 line changed") {
		t.Errorf("addendum not shown: %q", doc.Find("#addenda").Text())
	}
	if doc := f.invited.get("/tenders").Doc(t); doc.Find("#board-"+id+" [data-new-addendum]").Length() != 1 {
		t.Error("no New addendum badge on the board")
	}
	res = f.invited.form("/tenders/"+id+"/addenda/1/acknowledge", url.Values{})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/tenders/"+id+"#addenda" {
		t.Fatalf("acknowledge: %d %s", res.Code, res.Body)
	}
	doc = f.invited.get("/tenders/" + id).Doc(t)
	if doc.Find("#bid-addendum-banner").Length() != 0 || !strings.Contains(doc.Find("#addendum-1").Text(), "Acknowledged") {
		t.Error("acknowledged addendum still new")
	}
	if res := f.invited.form("/tenders/"+id+"/addenda/7/acknowledge", url.Values{}); res.Code != http.StatusNotFound {
		t.Errorf("unknown addendum: %d", res.Code)
	}

	// Questions.
	if res := f.trade.form("/tenders/"+id+"/questions", url.Values{"text": {"  "}}); res.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Doc(t).Find("#err-text").Text(), "required") {
		t.Errorf("empty question: %d", res.Code)
	}
	if res := f.trade.form("/tenders/"+id+"/questions", url.Values{"text": {"Is scaffold included?"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("ask: %d %s", res.Code, res.Body)
	}
	if q := f.trade.get("/tenders/" + id).Doc(t).Find("[data-question]"); q.Length() != 1 || !strings.Contains(q.Text(), "Your question") {
		t.Errorf("asker's question: %q", q.Text())
	}
	if n := f.invited.get("/tenders/" + id).Doc(t).Find("[data-question]").Length(); n != 0 {
		t.Errorf("another bidder sees %d unpublished questions", n)
	}
	qs := f.clients["owner"].get("/api/tenders/" + id + "/questions").JSON(t)["questions"].([]any)
	qid := qs[0].(map[string]any)["id"].(string)
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/questions/"+qid+"/answer", map[string]any{"text": "Yes, by us.", "publish": true}); res.Code != http.StatusOK {
		t.Fatalf("answer: %d %s", res.Code, res.Body)
	}
	res = f.invited.get("/tenders/" + id)
	q := res.Doc(t).Find("[data-question]")
	if q.Length() != 1 || !strings.Contains(q.Text(), "Yes, by us.") || !strings.Contains(q.Text(), "published to all bidders") || strings.Contains(q.Text(), "Your question") {
		t.Errorf("published question: %q", q.Text())
	}
	for _, who := range []string{"trade@example.com", "Trade Bidder", "Civil Co"} {
		if strings.Contains(res.Body, who) {
			t.Errorf("another bidder's page names the asker (%s)", who)
		}
	}
}

// TestBidSaveJSONRefusals: a JSON save is answered in JSON, refusals too.
func TestBidSaveJSONRefusals(t *testing.T) {
	t.Parallel()
	f := newBidFixture(t)
	res := f.trade.do("POST", "/tenders/"+f.byTrade+"/bid", map[string]any{"itemId": f.items["B1"], "rate": "-3"})
	if res.Code != http.StatusUnprocessableEntity || res.JSON(t)["fields"].(map[string]any)[f.items["B1"]] != "A rate cannot be negative." {
		t.Errorf("negative: %d %s", res.Code, res.Body)
	}
	res = f.trade.do("POST", "/tenders/"+f.byTrade+"/bid", map[string]any{"itemId": f.items["B2"], "rate": "1"})
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.JSON(t)["error"].(string), "B2") {
		t.Errorf("allowance: %d %s", res.Code, res.Body)
	}
	res = f.trade.do("POST", "/tenders/"+f.byTrade+"/bid", map[string]any{"itemId": "00000000-0000-0000-0000-000000000000", "rate": "1"})
	if res.Code != http.StatusUnprocessableEntity {
		t.Errorf("another tender's line: %d %s", res.Code, res.Body)
	}
	if res := f.trade.do("POST", "/tenders/"+f.byTrade+"/bid", map[string]any{"itemId": f.items["B1"], "rate": 5}); res.Code != http.StatusBadRequest {
		t.Errorf("a number: %d %s", res.Code, res.Body)
	}
}
