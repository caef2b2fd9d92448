package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// levelingFixture is an opened tender on f.P (the SOQ of soqBodyFor: A1 preliminaries,
// B1 measured 12.5 m3, B2 a provisional sum of 5,000.00) with two submitted bids:
// the fixture's bidder (lowest total, lowest on A1) and a second bidder (lowest on B1).
type levelingFixture struct {
	*fixture
	tenderID       string
	bid1, bid2     string // the bidder's and the second bidder's bid ids
	second         store.User
	items          map[string]string // tender item id by reference
	total1, total2 int64
}

func newLevelingFixture(t *testing.T) *levelingFixture {
	t.Helper()
	f := newFixture(t)
	lf := &levelingFixture{fixture: f, tenderID: draftTender(t, f, issuedSOQ(t, f)), items: map[string]string{}}
	if res := f.clients["owner"].do("POST", "/api/tenders/"+lf.tenderID+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	ctx := context.Background()
	secs, err := f.a.st.TenderCopy(ctx, lf.tenderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secs {
		for _, it := range s.Items {
			lf.items[it.Reference] = it.ID
		}
	}
	lf.second = f.a.user(authz.RoleBidder, "second@example.com")
	submit := func(u store.User, a1, b1 int64) string {
		sub, err := f.a.st.SubmitBid(ctx, lf.tenderID, u.ID, u.EntityID, store.BidInput{Rates: []tender.Rate{
			{ItemID: lf.items["A1"], Rate: a1}, {ItemID: lf.items["B1"], Rate: b1}}}, time.Time{})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		return sub.BidID
	}
	// 10,000.00 + 12.5 × 20.00 + 5,000.00 = 15,250.00; 15,000.00 + 12.5 × 15.00 + 5,000.00 = 20,187.50.
	lf.bid1 = submit(f.users["bidder"], 10_000_00, 20_00)
	lf.bid2 = submit(lf.second, 15_000_00, 15_00)
	lf.total1, lf.total2 = 15_250_00, 20_187_50
	return lf
}

// close moves the closing time into the past and closes the tender, as the job would.
func (lf *levelingFixture) close(t *testing.T) {
	t.Helper()
	if _, err := lf.a.st.DB().Exec(`UPDATE tenders SET closes_at = now() - interval '1 minute' WHERE id = $1`, lf.tenderID); err != nil {
		t.Fatal(err)
	}
	if err := lf.a.st.CloseTender(context.Background(), lf.tenderID, lf.users["owner"].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestLevelingPageSealedUntilClosing(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	path := "/tenders/" + lf.tenderID + "/leveling"
	for _, who := range []string{"owner", "inhouse", "admin"} {
		res := lf.clients[who].get(path)
		if res.Code != http.StatusConflict || !strings.Contains(res.Body, "Leveling opens when the tender closes at") {
			t.Errorf("%s while open: %d", who, res.Code)
		}
		// No amount of either bid, in any form.
		for _, amount := range []string{"15,250.00", "20,187.50", "10,000.00", "15,000.00", "20.00", "15.00"} {
			if strings.Contains(res.Body, amount) {
				t.Errorf("%s while open: the page shows %s", who, amount)
			}
		}
	}
	// The award is refused too, before closing, with no amount.
	res := lf.clients["owner"].get("/tenders/" + lf.tenderID + "/award?bid=" + lf.bid1)
	if res.Code != http.StatusConflict || strings.Contains(res.Body, "15,250.00") {
		t.Errorf("award page while open: %d", res.Code)
	}
	res = lf.clients["owner"].form("/tenders/"+lf.tenderID+"/award", url.Values{"bidId": {lf.bid1}})
	if res.Code != http.StatusConflict || lf.a.count(`SELECT count(*) FROM contracts`) != 0 {
		t.Errorf("award while open: %d", res.Code)
	}
}

func TestLevelingPageAccess(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	lf.close(t)
	for _, path := range []string{"/tenders/" + lf.tenderID + "/leveling", "/tenders/" + lf.tenderID + "/award?bid=" + lf.bid1} {
		// A bidder, even one that bid, and another project's owner: as if there were no tender.
		for _, who := range []string{"bidder", "otherOwner", "outsider"} {
			if res := lf.clients[who].get(path); res.Code != http.StatusNotFound || strings.Contains(res.Body, "15,250.00") {
				t.Errorf("%s GET %s: %d", who, path, res.Code)
			}
		}
		if res := lf.clients["anonymous"].get(path); res.Code != http.StatusSeeOther {
			t.Errorf("anonymous GET %s: %d", path, res.Code)
		}
		// In-house has AWARD_BID (DOMAIN.md's matrix), like the owner and an administrator.
		for _, who := range []string{"owner", "inhouse", "admin"} {
			if res := lf.clients[who].get(path); res.Code != http.StatusOK {
				t.Errorf("%s GET %s: %d", who, path, res.Code)
			}
		}
	}
	if res := lf.clients["bidder"].form("/tenders/"+lf.tenderID+"/award", url.Values{"bidId": {lf.bid1}}); res.Code != http.StatusNotFound {
		t.Errorf("bidder awards: %d", res.Code)
	}
	if res := lf.clients["owner"].get("/tenders/" + lf.tenderID + "/award?bid=" + lf.items["A1"]); res.Code != http.StatusNotFound {
		t.Errorf("award page for no bid: %d", res.Code)
	}
	if res := lf.clients["owner"].get("/tenders/" + lf.tenderID + "/award"); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("award page without a bid: %d", res.Code)
	}
}

func TestLevelingPageAfterClosing(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	lf.close(t)
	res := lf.clients["owner"].get("/tenders/" + lf.tenderID + "/leveling")
	if res.Code != http.StatusOK {
		t.Fatalf("leveling: %d %s", res.Code, res.Body)
	}
	doc := res.Doc(t)
	// The summary: lowest first, both totals, the lowest marked, an award link per bid.
	rows := doc.Find("#leveling-bids tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d bid rows", rows.Length())
	}
	first, second := rows.Eq(0), rows.Eq(1)
	if id, _ := first.Attr("data-bid"); id != lf.bid1 || first.Find("[data-lowest]").Length() != 1 || second.Find("[data-lowest]").Length() != 0 {
		t.Errorf("lowest bid not first or not marked: %s", first.Text())
	}
	if got := first.Find("[data-total]").Text(); got != "$15,250.00" {
		t.Errorf("lowest total %q", got)
	}
	if got := second.Find("[data-total]").Text(); got != "$20,187.50" {
		t.Errorf("second total %q", got)
	}
	if !strings.Contains(second.Text(), "+$4,937.50") {
		t.Errorf("second bid's difference: %s", second.Text())
	}
	if n := doc.Find(`#leveling-grid tfoot a[href*="/award?bid="]`).Length(); n != 2 {
		t.Errorf("award links under the bid columns: %d", n)
	}
	if doc.Find("#leveling-bids a[data-award]").Length() != 2 {
		t.Errorf("award links: %d", doc.Find("#leveling-bids a[data-award]").Length())
	}
	// The grid: bidders as columns; the lowest rate per line marked in colour and in words.
	grid := doc.Find("#leveling-grid")
	heads := grid.Find("thead th[scope=colgroup]")
	if heads.Length() != 2 || !strings.Contains(heads.Eq(0).Text(), "Entity of b@example.com") || !strings.Contains(heads.Eq(1).Text(), "Entity of second@example.com") {
		t.Errorf("bid columns: %q", heads.Text())
	}
	lowest := grid.Find("tbody td.lo")
	var marked []string
	lowest.Each(func(_ int, s *goquery.Selection) { marked = append(marked, strings.TrimSpace(s.Text())) })
	want := map[string]bool{"10,000.00 lowest": false, "15.00 lowest": false}
	for _, m := range marked {
		if _, ok := want[m]; ok {
			want[m] = true
		}
	}
	for m, seen := range want {
		if !seen {
			t.Errorf("lowest rate %q not marked; marked %q", m, marked)
		}
	}
	if got := grid.Find("tfoot td[data-total]").Eq(0).Text(); !strings.HasPrefix(got, "15,250.00") {
		t.Errorf("grid total %q", got)
	}
	// Charts: two images with names; the export link.
	if n := doc.Find(`svg[role=img][aria-label]`).Length(); n != 2 {
		t.Errorf("%d charts", n)
	}
	if doc.Find(`a[href="/tenders/`+lf.tenderID+`/leveling.xlsx"]`).Length() != 1 {
		t.Error("no export link")
	}
}

func TestLevelingFlags(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	// A third bid prices B1 at 0 and A1 far above the others: flagged in the cell (title
	// and words) and in the list under the grid.
	third := lf.a.user(authz.RoleBidder, "third@example.com")
	if _, err := lf.a.st.SubmitBid(context.Background(), lf.tenderID, third.ID, third.EntityID, store.BidInput{Rates: []tender.Rate{
		{ItemID: lf.items["A1"], Rate: 90_000_00}, {ItemID: lf.items["B1"], Rate: 0}}}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	lf.close(t)
	doc := lf.clients["owner"].get("/tenders/" + lf.tenderID + "/leveling").Doc(t)
	flagged := doc.Find("#leveling-grid td.fl")
	if flagged.Length() < 2 {
		t.Fatalf("%d flagged cells", flagged.Length())
	}
	titles := ""
	flagged.Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("title")
		titles += v + "|"
	})
	if !strings.Contains(titles, "Zero rate: a rate of 0") || !strings.Contains(titles, "High rate: the rate $90,000.00") {
		t.Errorf("cell titles %q", titles)
	}
	if txt := flagged.Text(); !strings.Contains(txt, "Flag: Zero rate") {
		t.Errorf("cell text %q", txt)
	}
	list := doc.Find("#flags-h").Parent().Text()
	for _, want := range []string{"Entity of third@example.com", "Zero rate", "High rate", "Front-loaded", "A rate of 0 on a line bidders price."} {
		if !strings.Contains(list, want) {
			t.Errorf("flags list lacks %q", want)
		}
	}
}

func TestAwardThroughConfirmation(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	lf.close(t)
	c := lf.clients["inhouse"]
	res := c.get("/tenders/" + lf.tenderID + "/award?bid=" + lf.bid2)
	if res.Code != http.StatusOK {
		t.Fatalf("confirm: %d %s", res.Code, res.Body)
	}
	doc := res.Doc(t)
	if got := doc.Find("#award-sum").Text(); !strings.Contains(got, "$20,187.50") || !strings.Contains(got, "USD") {
		t.Errorf("sum %q", got)
	}
	if got := doc.Find("#award-contractor").Text(); got != "Entity of second@example.com" {
		t.Errorf("contractor %q", got)
	}
	if !strings.Contains(doc.Text(), "The other bid becomes unsuccessful.") {
		t.Error("the confirmation does not say the other bid loses")
	}
	if v, _ := doc.Find(`form input[name=bidId]`).Attr("value"); v != lf.bid2 {
		t.Errorf("form bidId %q", v)
	}

	res = c.form("/tenders/"+lf.tenderID+"/award", url.Values{"bidId": {lf.bid2}})
	if res.Code != http.StatusSeeOther || res.Header.Get("Location") != "/tenders/"+lf.tenderID {
		t.Fatalf("award: %d %s", res.Code, res.Body)
	}
	var sum int64
	var bid string
	if err := lf.a.st.DB().QueryRow(`SELECT contract_sum, bid_id FROM contracts WHERE tender_id = $1`, lf.tenderID).Scan(&sum, &bid); err != nil {
		t.Fatal(err)
	}
	if sum != lf.total2 || bid != lf.bid2 {
		t.Errorf("contract %d for %s", sum, bid)
	}
	if n := lf.a.count(`SELECT count(*) FROM bids WHERE id = $1 AND status = 'unsuccessful'`, lf.bid1); n != 1 {
		t.Error("the other bid is not unsuccessful")
	}
	if n := lf.a.count(`SELECT count(*) FROM tenders WHERE id = $1 AND status = 'awarded'`, lf.tenderID); n != 1 {
		t.Error("the tender is not awarded")
	}

	// A second award, through the form or the confirmation page: 409, said clearly.
	res = lf.clients["owner"].form("/tenders/"+lf.tenderID+"/award", url.Values{"bidId": {lf.bid1}})
	if res.Code != http.StatusConflict || !strings.Contains(res.Body, "already awarded") {
		t.Errorf("second award: %d", res.Code)
	}
	if res := lf.clients["owner"].get("/tenders/" + lf.tenderID + "/award?bid=" + lf.bid1); res.Code != http.StatusConflict || !strings.Contains(res.Body, "already awarded") {
		t.Errorf("confirmation after the award: %d", res.Code)
	}
	if n := lf.a.count(`SELECT count(*) FROM contracts WHERE tender_id = $1`, lf.tenderID); n != 1 {
		t.Errorf("%d contracts", n)
	}
	// Leveling still shows once awarded, with the outcome and no award buttons.
	doc = lf.clients["owner"].get("/tenders/" + lf.tenderID + "/leveling").Doc(t)
	if got := doc.Find("#leveling-awarded").Text(); !strings.Contains(got, "Entity of second@example.com") || !strings.Contains(got, "$20,187.50") {
		t.Errorf("awarded banner %q", got)
	}
	if doc.Find("#leveling-bids a[data-award]").Length() != 0 || !strings.Contains(doc.Find("#leveling-bids").Text(), "Awarded") ||
		!strings.Contains(doc.Find("#leveling-bids").Text(), "Unsuccessful") {
		t.Errorf("awarded leveling: %s", doc.Find("#leveling-bids").Text())
	}
}

// A tender that closed with no bid: leveling says so, and offers the way back.
func TestLevelingNoBids(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := draftTender(t, f, issuedSOQ(t, f))
	if res := f.clients["owner"].do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	lf := &levelingFixture{fixture: f, tenderID: id}
	lf.close(t)
	res := f.clients["owner"].get("/tenders/" + id + "/leveling")
	if res.Code != http.StatusOK || !strings.Contains(res.Body, "No bids to level") || strings.Contains(res.Body, "leveling-grid") {
		t.Errorf("no bids: %d", res.Code)
	}
}

// Concurrent awards through the page: exactly one contract, the rest told it is done.
func TestAwardPageConcurrent(t *testing.T) {
	t.Parallel()
	lf := newLevelingFixture(t)
	lf.close(t)
	codes := make([]int, 8)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bid := lf.bid1
			if i%2 == 1 {
				bid = lf.bid2
			}
			codes[i] = lf.clients["owner"].form("/tenders/"+lf.tenderID+"/award", url.Values{"bidId": {bid}}).Code
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case http.StatusSeeOther:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("award answered %d", c)
		}
	}
	if won != 1 || lf.a.count(`SELECT count(*) FROM contracts WHERE tender_id = $1`, lf.tenderID) != 1 {
		t.Errorf("%d awards won: %v", won, codes)
	}
}

// axeTenders makes what the accessibility audit needs of tenders on project projectID:
// an open tender inviting bidder (with the bidder's draft bid) and a closed one with two
// submitted bids (bidder's, and one more bidder's), so the team's pages, the bidder's
// board and bid page, leveling and the award's confirmation all have content.
func axeTenders(t *testing.T, a *testApp, owner *client, ownerID, projectID string, bidder store.User) (open, closed, bidID string) {
	t.Helper()
	ctx := context.Background()
	body := soqBodyFor(projectID)
	body["status"] = "issued"
	res := owner.do("POST", "/api/soq", body)
	if res.Code != http.StatusCreated {
		t.Fatalf("SOQ: %d %s", res.Code, res.Body)
	}
	soqID := res.JSON(t)["id"].(string)
	items := map[string]string{}
	newTender := func(title string) string {
		tb := tenderBodyFor(projectID, soqID)
		tb["title"], tb["invitees"] = title, []string{bidder.Email}
		res := owner.do("POST", "/api/tenders", tb)
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
		for _, s := range secs {
			for _, it := range s.Items {
				items[it.Reference] = it.ID
			}
		}
		return id
	}
	rates := func(a1, b1 int64) store.BidInput {
		return store.BidInput{Rates: []tender.Rate{{ItemID: items["A1"], Rate: a1}, {ItemID: items["B1"], Rate: b1}}}
	}
	open = newTender("Electrical package")
	if _, err := a.st.SaveBidDraft(ctx, open, bidder.ID, bidder.EntityID, rates(9_000_00, 0), time.Time{}); err != nil {
		t.Fatal(err)
	}
	closed = newTender("Concrete package")
	sub, err := a.st.SubmitBid(ctx, closed, bidder.ID, bidder.EntityID, rates(10_000_00, 20_00), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	other := a.user(authz.RoleBidder, "axe-second@bidders.test")
	if _, err := a.st.SubmitBid(ctx, closed, other.ID, other.EntityID, rates(15_000_00, 0), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.DB().Exec(`UPDATE tenders SET closes_at = now() - interval '1 minute' WHERE id = $1`, closed); err != nil {
		t.Fatal(err)
	}
	if err := a.st.CloseTender(ctx, closed, ownerID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return open, closed, sub.BidID
}
