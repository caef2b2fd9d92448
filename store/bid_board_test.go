package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// TestBidContextsAndSubmissions: a bidder's context on a tender (project, currency, its
// own bid, intent, addenda to acknowledge), for many tenders in one statement, and its
// bid's submissions from the ledger, never another bidder's.
func TestBidContextsAndSubmissions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{})
	bs := f.bidders(t, 2)
	me, other := bs[0], bs[1]
	now := tenderNow.Add(time.Hour)

	before := f.st.QueryCount()
	got, err := f.st.BidContexts(ctx, me, []string{f.tenderID, "not-a-uuid"})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.st.QueryCount() - before; n != 1 {
		t.Errorf("%d statements", n)
	}
	c := got[f.tenderID]
	if len(got) != 1 || c.ProjectName == "" || c.Currency == "" || c.BidID.Valid || c.Status != "" || c.Intent != tender.Undecided || c.Unacked != 0 {
		t.Fatalf("before bidding: %+v", got)
	}

	all := f.rates("A1", 100, "A2", 200, "B1", 300)
	for _, b := range []string{me, other} {
		if _, err := f.st.SubmitBid(ctx, f.tenderID, b, testEntity, store.BidInput{Rates: all}, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, me, testEntity, store.BidInput{Rates: all}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The intent of a bidder reached by trade (these bidders are not invited).
	if _, err := f.db.Exec(`INSERT INTO tender_intents (tender_id, bidder_id, intent) VALUES ($1, $2, 'bidding')`, f.tenderID, me); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO addenda (tender_id, number, text) VALUES ($1, 1, 'Change')`, f.tenderID); err != nil {
		t.Fatal(err)
	}
	got, err = f.st.BidContexts(ctx, me, []string{f.tenderID})
	if err != nil {
		t.Fatal(err)
	}
	c = got[f.tenderID]
	if !c.BidID.Valid || c.Status != tender.BidSubmitted || c.Revision != 2 || c.Intent != tender.Bidding || c.Unacked != 1 {
		t.Errorf("after bidding: %+v", c)
	}

	subs, err := f.st.BidSubmissions(ctx, f.tenderID, c.BidID.String)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 2 || subs[0].Revision != 1 || subs[1].Revision != 2 || !subs[1].At.After(subs[0].At) {
		t.Errorf("submissions %+v", subs)
	}
}
