package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/money"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
	"github.com/14build/14build/views"
)

// The dashboard's tender lists: the team sees tenders closing soon and new submissions,
// never an amount; bidders see their open tenders, drafts to submit and addenda to
// acknowledge; each list is one query, however many tenders there are.
func TestDashboardTenders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	owner, bidder := f.clients["owner"], f.clients["bidder"]

	// Before any tender: the empty states.
	if body := owner.get("/").Body; !strings.Contains(body, "No tenders closing soon") || !strings.Contains(body, "No new bids this week") {
		t.Errorf("owner's empty dashboard:\n%s", body)
	}
	if body := bidder.get("/").Body; !strings.Contains(body, "No open tenders yet") || strings.Contains(body, "Needs your attention") {
		t.Errorf("bidder's empty dashboard:\n%s", body)
	}

	id := draftTender(t, f, issuedSOQ(t, f))
	if res := owner.do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
		t.Fatalf("open: %d %s", res.Code, res.Body)
	}
	secs, err := f.a.st.TenderCopy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var in store.BidInput
	for _, s := range secs {
		for _, it := range s.Items {
			if !tender.Locked(it.Type) {
				in.Rates = append(in.Rates, tender.Rate{ItemID: it.ID, Rate: 987654})
			}
		}
	}
	b := f.users["bidder"]
	sub, err := f.a.st.SubmitBid(ctx, id, b.ID, b.EntityID, in, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// A second bidder of the trade, with a draft half priced.
	b2 := f.a.user(authz.RoleBidder, "b2@example.com")
	if _, err := f.a.st.DB().Exec(`UPDATE users SET category_id = (SELECT id FROM categories WHERE name = 'Civil Works') WHERE id = $1`, b2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.st.SaveBidDraft(ctx, id, b2.ID, b2.EntityID, store.BidInput{Rates: in.Rates[:1]}, time.Time{}); err != nil {
		t.Fatal(err)
	}

	before := f.a.st.QueryCount()
	res := owner.get("/")
	teamQueries := f.a.st.QueryCount() - before
	body := res.Body
	for _, want := range []string{"Tenders closing in the next 14 days", "Substructure package", "1 bid submitted", "(1 this week)",
		"1 bidder invited", "Bids submitted in the last 7 days", b.EntityName, "revision 1", "closes in 2 days"} {
		if !strings.Contains(body, want) {
			t.Errorf("owner's dashboard lacks %q", want)
		}
	}
	for _, leak := range []string{"9,876.54", "987654", money.FormatCode(sub.Total, f.P.Currency), views.Thousands(sub.Total / 100)} {
		if strings.Contains(body, leak) {
			t.Errorf("owner's dashboard shows the sealed amount %q", leak)
		}
	}
	if body := f.clients["otherOwner"].get("/").Body; strings.Contains(body, "Substructure package") {
		t.Error("another owner sees the tender")
	}

	res = bidder.get("/")
	if !strings.Contains(res.Body, "Substructure package") || !strings.Contains(res.Body, "Submitted (revision 1)") ||
		!strings.Contains(res.Body, "Invited") || strings.Contains(res.Body, "Needs your attention") {
		t.Errorf("bidder's dashboard:\n%s", res.Body)
	}
	c2 := f.a.login("b2@example.com")
	res = c2.get("/")
	if !strings.Contains(res.Body, "Needs your attention") || !strings.Contains(res.Body, `data-todo="submit"`) ||
		!strings.Contains(res.Body, "Draft: not submitted") {
		t.Errorf("second bidder's dashboard:\n%s", res.Body)
	}

	// An addendum not yet acknowledged.
	if _, err := f.a.st.IssueAddendum(ctx, id, f.users["owner"].ID, store.AddendumInput{Text: "Site visit moved."}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	before = f.a.st.QueryCount()
	res = bidder.get("/")
	bidderQueries := f.a.st.QueryCount() - before
	if !strings.Contains(res.Body, `data-todo="acknowledge"`) || !strings.Contains(res.Body, "1 addendum to acknowledge") {
		t.Errorf("bidder's dashboard after an addendum:\n%s", res.Body)
	}

	// More tenders, same number of queries.
	for range 3 {
		id := draftTender(t, f, issuedSOQ(t, f))
		if res := owner.do("POST", "/api/tenders/"+id+"/open", nil); res.Code != http.StatusOK {
			t.Fatalf("open: %d %s", res.Code, res.Body)
		}
	}
	before = f.a.st.QueryCount()
	res = owner.get("/")
	if n := f.a.st.QueryCount() - before; n != teamQueries || strings.Count(res.Body, "Substructure package") != 4 {
		t.Errorf("team dashboard: %d queries with 4 tenders, %d with 1", n, teamQueries)
	}
	before = f.a.st.QueryCount()
	res = bidder.get("/")
	if n := f.a.st.QueryCount() - before; n != bidderQueries || strings.Count(res.Body, "Substructure package") < 4 {
		t.Errorf("bidder dashboard: %d queries with 4 tenders, %d with 1", n, bidderQueries)
	}
}
