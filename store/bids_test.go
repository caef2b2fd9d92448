package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// bidFixture is an open tender of the SOQ fixture (A1 2.5 m2, A2 1 m2, B1 0.5 m2, all
// measured unless a test changes them before opening), closing at tenderNow + 14 days.
type bidFixture struct {
	*soqFixture
	tenderID string
	closes   time.Time
	items    map[string]string // tender item id by reference
}

const testEntity = 9001

func newBidFixture(t *testing.T, in store.NewTender, beforeOpen ...string) *bidFixture {
	t.Helper()
	ctx := context.Background()
	f, id := newTenderFixture(t, in)
	for _, q := range beforeOpen {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	b := &bidFixture{soqFixture: f, tenderID: id, closes: tenderNow.Add(14 * 24 * time.Hour)}
	b.items = b.copyItems(t, id)
	return b
}

func (f *bidFixture) copyItems(t *testing.T, tenderID string) map[string]string {
	t.Helper()
	secs, err := f.st.TenderCopy(context.Background(), tenderID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range secs {
		for _, it := range s.Items {
			out[it.Reference] = it.ID
		}
	}
	return out
}

// bidders adds n bidder accounts of the fixture's entity.
func (f *bidFixture) bidders(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-0000-0000-0000000b%04d", i+1)
		if _, err := f.db.Exec(`INSERT INTO users (id, name, email, password_hash, role, entity_id) VALUES ($1, $2, $3, 'x', 'bidder', $4)`,
			ids[i], fmt.Sprintf("Bidder %d", i+1), fmt.Sprintf("b%d@example.com", i+1), testEntity); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func (f *bidFixture) rates(kv ...any) []tender.Rate {
	var out []tender.Rate
	for i := 0; i < len(kv); i += 2 {
		out = append(out, tender.Rate{ItemID: f.items[kv[i].(string)], Rate: int64(kv[i+1].(int))})
	}
	return out
}

func TestBidDraftSubmitResubmit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{},
		`UPDATE soq_items SET item_type = 'provisional_sum', quantity = 1, rate = 50000, amount = 50000 WHERE reference = 'B1'`)
	bidder := f.bidders(t, 1)[0]
	now := tenderNow.Add(time.Hour)

	id, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", 100), Qualifications: "Q"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if list, err := f.st.BidsOfTender(ctx, f.tenderID); err != nil || len(list) != 0 {
		t.Errorf("a draft is listed to the owner's side: %+v, %v", list, err)
	}
	// A save of rates only (the grid's autosave) keeps the notes another save wrote.
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", 100), KeepText: true}, now); err != nil {
		t.Fatal(err)
	}
	if b, err := f.st.Bid(ctx, id); err != nil || b.Qualifications != "Q" {
		t.Errorf("a rates-only save changed the qualifications to %q (%v)", b.Qualifications, err)
	}

	// A2 unpriced, an addendum unacknowledged: both named, nothing submitted.
	if _, err := f.db.Exec(`INSERT INTO addenda (tender_id, number, text) VALUES ($1, 1, 'Change')`, f.tenderID); err != nil {
		t.Fatal(err)
	}
	var m tender.Blockers
	_, err = f.st.SubmitBid(ctx, f.tenderID, bidder, testEntity, store.BidInput{Qualifications: "Q"}, now)
	if !errors.As(err, &m) || len(m.Lines) != 1 || m.Lines[0].Reference != "A2" || len(m.Addenda) != 1 || m.Addenda[0] != 1 {
		t.Fatalf("submit with A2 unpriced and addendum 1 unacknowledged: %v", err)
	}
	if _, err := f.db.Exec(`INSERT INTO addendum_acks (addendum_id, bidder_id) SELECT id, $2 FROM addenda WHERE tender_id = $1`, f.tenderID, bidder); err != nil {
		t.Fatal(err)
	}

	// B1 sent back at its allowance is accepted; the total is the server's.
	before := f.st.QueryCount()
	sub, err := f.st.SubmitBid(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A2", 200, "B1", 50000), Qualifications: "Q"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.st.QueryCount() - before; n != 12 {
		t.Errorf("submit took %d statements, want 12 (begin, tender, bid, lines, rates, addenda, update, the ledger's three, the event, commit) whatever the lines", n)
	}
	if sub.BidID != id || sub.Revision != 1 || sub.Total != 250+200+50000 {
		t.Errorf("first submission %+v, want bid %s revision 1 total 50450", sub, id)
	}
	sub, err = f.st.SubmitBid(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", 0), Qualifications: "Q2"}, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if sub.BidID != id || sub.Revision != 2 || sub.Total != 200+50000 {
		t.Errorf("resubmission %+v, want the same bid, revision 2, total 50200 (0 is a rate)", sub)
	}
	if n := f.count(t, `SELECT count(*) FROM bids WHERE tender_id = $1`, f.tenderID); n != 1 {
		t.Errorf("%d bids, want one per bidder", n)
	}

	b, err := f.st.BidOf(ctx, f.tenderID, bidder)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != id || b.Status != tender.BidSubmitted || b.Revision != 2 || b.Total != 50200 || b.Qualifications != "Q2" ||
		!b.SubmittedAt.Time.Equal(now.Add(time.Minute)) || len(b.Rates) != 2 {
		t.Errorf("stored bid %+v: want 2 rates (the locked line is not stored)", b)
	}
	want := tender.BidContentHash(tender.BidContent{BidID: id, Revision: 2, Rates: b.Rates, Qualifications: "Q2", Nonce: b.ContentNonce})
	if !bytes.Equal(b.ContentHash, want) || !bytes.Equal(sub.ContentHash, want) {
		t.Errorf("content hash does not match the stored content")
	}
	if again, err := f.st.Bid(ctx, id); err != nil || again.ID != id || len(again.Rates) != 2 {
		t.Errorf("Bid: %+v, %v", again, err)
	}

	var entries []struct {
		Content string `db:"content"`
	}
	if err := f.db.Select(&entries, `SELECT content::text AS content FROM activity WHERE tender_id = $1 AND kind = 'bid-submitted' ORDER BY seq`, f.tenderID); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("%d bid-submitted entries, want 2", len(entries))
	}
	for _, e := range entries {
		var c map[string]string
		if err := json.Unmarshal([]byte(e.Content), &c); err != nil || len(c) != 3 || c["bid"] != id || c["content_hash"] == "" || c["revision"] == "" {
			t.Errorf("ledger content %s: want the bid, its revision and hash, no amounts", e.Content)
		}
	}

	var notEditable *store.BidNotEditable
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", 5)}, now); !errors.As(err, &notEditable) {
		t.Errorf("draft save of a submitted bid: %v", err)
	}
	list, err := f.st.BidsOfTender(ctx, f.tenderID)
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Revision != 2 || list[0].BidderName != "Bidder 1" {
		t.Errorf("BidsOfTender: %+v, %v", list, err)
	}
	totals, err := f.st.BidsWithTotals(ctx, f.tenderID)
	if err != nil || len(totals) != 1 || totals[0].Total != 50200 {
		t.Errorf("BidsWithTotals: %+v, %v", totals, err)
	}
}

func TestBidClosingInstant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{})
	bs := f.bidders(t, 3)
	all := store.BidInput{Rates: f.rates("A1", 1, "A2", 2, "B1", 3)}

	if _, err := f.st.SubmitBid(ctx, f.tenderID, bs[0], testEntity, all, f.closes); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("submit at the closing instant: %v", err)
	}
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bs[0], testEntity, all, f.closes); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("draft at the closing instant: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM bids WHERE tender_id = $1`, f.tenderID); n != 0 {
		t.Errorf("a refused bid left %d rows", n)
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, bs[0], testEntity, all, f.closes.Add(-time.Millisecond)); err != nil {
		t.Errorf("submit 1 ms before closing: %v", err)
	}

	// The database's clock: past the closing time, the tender still open (the job has not
	// run), refused all the same.
	if _, err := f.db.Exec(`UPDATE tenders SET closes_at = clock_timestamp() - interval '1 millisecond' WHERE id = $1`, f.tenderID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, bs[1], testEntity, all, time.Time{}); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("submit after the closing time, before the job: %v", err)
	}
	if err := f.st.WithdrawBid(ctx, f.tenderID, mustBid(t, f, bs[0]), bs[0], time.Time{}); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("withdraw after the closing time: %v", err)
	}
	// Late bids allowed: taken.
	if _, err := f.db.Exec(`UPDATE tenders SET allow_late_bids = true WHERE id = $1`, f.tenderID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, bs[1], testEntity, all, time.Time{}); err != nil {
		t.Errorf("late bid on a tender that allows them: %v", err)
	}
	if err := f.st.CloseTender(ctx, f.tenderID, testOwner, tenderNow.Add(15*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, bs[2], testEntity, all, time.Time{}); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("bid on a closed tender: %v", err)
	}
}

func mustBid(t *testing.T, f *bidFixture, bidder string) string {
	t.Helper()
	b, err := f.st.BidOf(context.Background(), f.tenderID, bidder)
	if err != nil {
		t.Fatal(err)
	}
	return b.ID
}

func TestBidRatesRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{},
		`UPDATE soq_items SET item_type = 'prime_cost_sum', quantity = 1, rate = 50000, amount = 50000 WHERE reference = 'B1'`)
	bidder := f.bidders(t, 1)[0]
	now := tenderNow.Add(time.Hour)

	other, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "Other", ClosesAt: f.closes})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenTender(ctx, other, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	foreign := f.copyItems(t, other)["A1"]

	in := store.BidInput{Rates: append(f.rates("A1", 10, "B1", 49999), tender.Rate{ItemID: foreign, Rate: 5})}
	var refused *store.RatesRefused
	_, err = f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, in, now)
	if !errors.As(err, &refused) || len(refused.Items) != 2 {
		t.Fatalf("locked line repriced and another tender's item: %v", err)
	}
	if r := refused.Items[0]; r.Reference != "B1" || r.ItemID != f.items["B1"] {
		t.Errorf("first refusal %+v, want B1 (a prime cost sum)", r)
	}
	if r := refused.Items[1]; r.ItemID != foreign || r.Reference != "" {
		t.Errorf("second refusal %+v, want the other tender's item", r)
	}
	if n := f.count(t, `SELECT count(*) FROM bids`); n != 0 {
		t.Errorf("a refused save left %d bids", n)
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: []tender.Rate{{ItemID: "x", Rate: 1}}}, now); !errors.As(err, &refused) {
		t.Errorf("an item id that is no uuid: %v", err)
	}
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", -1)}, now); !errors.As(err, &refused) {
		t.Errorf("a negative rate: %v", err)
	}
	// Cleared and priced at once is ambiguous.
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", 1), Cleared: []string{f.items["A1"]}}, now); !errors.As(err, &refused) {
		t.Errorf("priced and cleared: %v", err)
	}
	// Clearing a rate takes it out.
	before := f.st.QueryCount()
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Rates: f.rates("A1", 1, "A2", 2)}, now); err != nil {
		t.Fatal(err)
	}
	if n := f.st.QueryCount() - before; n != 7 {
		t.Errorf("draft save took %d statements, want 7 (begin, tender, bid, lines, rates, update, commit)", n)
	}
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bidder, testEntity, store.BidInput{Cleared: []string{f.items["A1"]}}, now); err != nil {
		t.Fatal(err)
	}
	if b, err := f.st.BidOf(ctx, f.tenderID, bidder); err != nil || len(b.Rates) != 1 || b.Rates[0].ItemID != f.items["A2"] || b.Total != 2+50000 {
		t.Errorf("after clearing A1: %+v, %v", b, err)
	}
}

func TestWithdrawBid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{})
	bs := f.bidders(t, 2)
	now := tenderNow.Add(time.Hour)
	sub, err := f.st.SubmitBid(ctx, f.tenderID, bs[0], testEntity, store.BidInput{Rates: f.rates("A1", 1, "A2", 2, "B1", 3)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.WithdrawBid(ctx, f.tenderID, sub.BidID, bs[1], now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("withdraw by another bidder: %v", err)
	}
	if err := f.st.WithdrawBid(ctx, f.tenderID, sub.BidID, bs[0], now); err != nil {
		t.Fatal(err)
	}
	var tr *tender.BidTransitionError
	if err := f.st.WithdrawBid(ctx, f.tenderID, sub.BidID, bs[0], now); !errors.As(err, &tr) {
		t.Errorf("withdraw twice: %v", err)
	}
	if b, err := f.st.Bid(ctx, sub.BidID); err != nil || b.Status != tender.BidWithdrawn || b.Revision != 1 {
		t.Errorf("after withdrawal %+v, %v", b, err)
	}
	var notEditable *store.BidNotEditable
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, bs[0], testEntity, store.BidInput{}, now); !errors.As(err, &notEditable) {
		t.Errorf("draft save of a withdrawn bid: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = 'bid-withdrawn'`, f.tenderID); n != 1 {
		t.Errorf("%d bid-withdrawn entries, want 1", n)
	}
	// A draft withdrawn was never a bid: the ledger does not mention it.
	draft, err := f.st.SaveBidDraft(ctx, f.tenderID, bs[1], testEntity, store.BidInput{Rates: f.rates("A1", 1)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.WithdrawBid(ctx, f.tenderID, draft, bs[1], now); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = 'bid-withdrawn'`, f.tenderID); n != 1 {
		t.Errorf("%d bid-withdrawn entries after a draft's withdrawal, want 1", n)
	}
	if list, _ := f.st.BidsWithTotals(ctx, f.tenderID); len(list) != 0 {
		t.Errorf("a withdrawn bid counts: %+v", list)
	}
}

func TestSubmitBidConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newBidFixture(t, store.NewTender{})
	const n = 50
	bs := f.bidders(t, n)
	now := tenderNow.Add(time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, b := range bs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.st.SubmitBid(ctx, f.tenderID, b, testEntity, store.BidInput{Rates: f.rates("A1", i+1, "A2", 2, "B1", 3)}, now)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("bidder %d: %v", i+1, err)
		}
	}
	if got := f.count(t, `SELECT count(*) FROM bids WHERE tender_id = $1 AND status = 'submitted' AND revision = 1`, f.tenderID); got != n {
		t.Errorf("%d submitted bids, want %d", got, n)
	}
	if got := f.count(t, `SELECT count(*) FROM bid_rates WHERE tender_id = $1`, f.tenderID); got != 3*n {
		t.Errorf("%d rates, want %d", got, 3*n)
	}
	if got := f.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = 'bid-submitted'`, f.tenderID); got != n {
		t.Errorf("%d ledger entries, want %d", got, n)
	}
	if list, err := f.st.BidsOfTender(ctx, f.tenderID); err != nil || len(list) != n {
		t.Errorf("BidsOfTender: %d, %v", len(list), err)
	}
}
