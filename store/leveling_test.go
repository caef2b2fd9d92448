package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// LevelingOf: the copy's lines in order, the counting bids lowest first with their rates
// (a draft and a withdrawn bid left out), in the same number of queries whatever the bids.
func TestLevelingOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{})
	bs := f.bidders(t, 4)
	now := tenderNow.Add(time.Hour)
	submit := func(bidder string, a1, a2, b1 int) {
		t.Helper()
		if _, err := f.st.SubmitBid(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", a1, "A2", a2, "B1", b1)}, now); err != nil {
			t.Fatal(err)
		}
	}
	submit(bs[0], 400, 100, 100) // 1000 + 100 + 50 = 1150
	submit(bs[1], 100, 100, 100) // 250 + 100 + 50 = 400
	submit(bs[2], 200, 200, 200)
	if err := f.st.WithdrawBid(ctx, f.tenderID, mustBidOf(t, f, bs[2]), bs[2], now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bs[3], testEntity, store.BidInput{Rates: f.rates("A1", 1)}, now); err != nil {
		t.Fatal(err)
	}

	before := f.st.QueryCount()
	d, err := f.st.LevelingOf(ctx, f.tenderID)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.st.QueryCount() - before; n != 5 {
		t.Errorf("LevelingOf took %d queries, want 5", n)
	}
	if len(d.Lines) != 3 || d.Lines[0].Reference != "A1" || d.Lines[2].Reference != "B1" || len(d.Sections) != 2 {
		t.Fatalf("lines %+v sections %d", d.Lines, len(d.Sections))
	}
	if d.Lines[0].Section == d.Lines[2].Section || d.Lines[0].Section == "" {
		t.Errorf("sections of the lines: %q, %q", d.Lines[0].Section, d.Lines[2].Section)
	}
	if len(d.Bids) != 2 || d.Bids[0].BidderID != bs[1] || d.Bids[0].Total != 400 || d.Bids[1].Total != 1150 {
		t.Fatalf("bids %+v, want bidder 2 (400) then bidder 1 (1150)", d.Bids)
	}
	if d.Bids[1].Rates[f.items["A1"]] != 400 || len(d.Bids[1].Rates) != 3 {
		t.Errorf("rates of bidder 1: %v", d.Bids[1].Rates)
	}
	if d.Currency.Code == "" {
		t.Error("no currency")
	}
	rates := []map[string]int64{d.Bids[0].Rates, d.Bids[1].Rates}
	lv, err := tender.Level(d.Lines, rates, d.Currency)
	if err != nil {
		t.Fatal(err)
	}
	if lv.Bids[0].Totals.Total != d.Bids[0].Total || lv.Bids[1].Totals.Total != d.Bids[1].Total {
		t.Errorf("leveled totals %d, %d differ from the stored ones", lv.Bids[0].Totals.Total, lv.Bids[1].Totals.Total)
	}
	if _, err := f.st.LevelingOf(ctx, "00000000-0000-0000-0000-000000000000"); err != store.ErrNotFound {
		t.Errorf("unknown tender: %v", err)
	}
}

func mustBidOf(t *testing.T, f *bidFixture, bidder string) string {
	t.Helper()
	b, err := f.st.BidOf(context.Background(), f.tenderID, bidder)
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}
