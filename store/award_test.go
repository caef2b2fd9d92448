package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// insertBid adds bidder i (a user of a company of their own) and their bid on tender id,
// in the given status and for total; a status other than draft has been submitted once.
// Rows go in by SQL: these tests are of the award, not of bidding.
func (f *soqFixture) insertBid(t *testing.T, tenderID string, i int, status tender.BidStatus, total int64) (bidID string, entityID int64) {
	t.Helper()
	entityID = int64(9100 + i)
	user := fmt.Sprintf("00000000-0000-0000-0000-%012d", 500+i)
	revision, hash, nonce, submitted := 0, []byte(nil), []byte(nil), any(nil)
	if status != tender.BidDraft {
		revision, hash, nonce, submitted = 1, make([]byte, 32), make([]byte, 32), tenderNow.Add(time.Minute)
		hash[0] = byte(i)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO entities (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING`, []any{entityID, fmt.Sprintf("Bidder %d Ltd", i)}},
		{`INSERT INTO users (id, name, email, password_hash, role, entity_id) VALUES ($1, $2, $3, 'x', 'bidder', $4) ON CONFLICT DO NOTHING`,
			[]any{user, fmt.Sprintf("B%d", i), fmt.Sprintf("b%d@example.com", i), entityID}},
	} {
		if _, err := f.db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	err := f.db.Get(&bidID, `
INSERT INTO bids (tender_id, bidder_id, entity_id, status, revision, total, content_hash, content_nonce, submitted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`, tenderID, user, entityID, status, revision, total, hash, nonce, submitted)
	if err != nil {
		t.Fatal(err)
	}
	return bidID, entityID
}

func (f *soqFixture) bidStatus(t *testing.T, id string) tender.BidStatus {
	t.Helper()
	var s tender.BidStatus
	if err := f.db.Get(&s, `SELECT status FROM bids WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAwardBid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{})
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	win, winEntity := f.insertBid(t, id, 1, tender.BidSubmitted, 123_456_78)
	lose, _ := f.insertBid(t, id, 2, tender.BidSubmitted, 99_000_00)
	gone, _ := f.insertBid(t, id, 3, tender.BidWithdrawn, 1_00)
	draft, _ := f.insertBid(t, id, 4, tender.BidDraft, 0)
	awardAt := tenderNow.Add(2 * time.Hour)

	var tr *tender.TransitionError
	if _, err := f.st.AwardBid(ctx, id, win, testOwner, awardAt); !errors.As(err, &tr) || tr.From != tender.Open || tr.To != tender.Awarded {
		t.Fatalf("award of an open tender: %v, want open → awarded refused", err)
	}
	if err := f.st.CloseTender(ctx, id, "", tenderNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	other, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "Other", ClosesAt: tenderNow.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AwardBid(ctx, other, win, testOwner, awardAt); !errors.As(err, &tr) || tr.From != tender.Draft {
		t.Errorf("award of a draft tender: %v", err)
	}
	if _, err := f.st.AwardBid(ctx, id, "not-a-uuid", testOwner, awardAt); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("award of no bid: %v, want ErrNotFound", err)
	}
	var btr *tender.BidTransitionError
	for _, b := range []string{gone, draft} {
		if _, err := f.st.AwardBid(ctx, id, b, testOwner, awardAt); !errors.As(err, &btr) || btr.To != tender.BidAwarded {
			t.Errorf("award of a %s bid: %v, want a bid transition error", f.bidStatus(t, b), err)
		}
	}

	c, err := f.st.AwardBid(ctx, id, win, testOwner, awardAt)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenderID != id || c.BidID != win || c.ContractorEntityID != winEntity || c.ContractSum != 123_456_78 ||
		c.Currency != "usd" || !c.CreatedAt.Equal(awardAt) || c.ID == "" {
		t.Errorf("contract %+v", c)
	}
	loaded, err := f.st.Contract(ctx, c.ID)
	if err != nil || loaded.ID != c.ID || loaded.ContractSum != c.ContractSum {
		t.Errorf("Contract: %+v, %v", loaded, err)
	}
	if byTender, err := f.st.ContractOfTender(ctx, id); err != nil || byTender.ID != c.ID {
		t.Errorf("ContractOfTender: %+v, %v", byTender, err)
	}
	if _, err := f.st.ContractOfTender(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ContractOfTender of a tender without one: %v", err)
	}
	for b, want := range map[string]tender.BidStatus{win: tender.BidAwarded, lose: tender.BidUnsuccessful,
		gone: tender.BidWithdrawn, draft: tender.BidDraft} {
		if got := f.bidStatus(t, b); got != want {
			t.Errorf("bid %s is %s, want %s", b, got, want)
		}
	}
	got, err := f.st.Tender(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tender.Awarded || !got.AwardedAt.Valid || !got.AwardedAt.Time.Equal(awardAt) {
		t.Errorf("tender after award: %s at %v", got.Status, got.AwardedAt)
	}

	page, _, err := f.st.ActivityOf(ctx, testProject, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e := page[0]; e.Kind != tender.KindAwarded || e.TenderID != id || e.ActorID != testOwner || e.Content["bid_id"] != win ||
		e.Content["contract_id"] != c.ID || e.Content["contract_sum"] != "12345678" || e.Content["revision"] != "1" {
		t.Errorf("awarded entry %+v", e)
	}
	if check := verifyChain(t, f); !check.OK || check.Entries != 5 {
		t.Errorf("chain after the award: %+v, want created, opened, closed, created, awarded", check)
	}

	if _, err := f.st.AwardBid(ctx, id, lose, testOwner, awardAt); !errors.As(err, &tr) || tr.From != tender.Awarded {
		t.Errorf("a second award: %v, want refused as already awarded", err)
	}
}

func TestAwardBidConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{})
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	const n = 20
	bids := make([]string, n)
	for i := range bids {
		bids[i], _ = f.insertBid(t, id, i, tender.BidSubmitted, int64(1000+i))
	}
	if err := f.st.CloseTender(ctx, id, "", tenderNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range bids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.st.AwardBid(ctx, id, bids[i], testOwner, tenderNow.Add(2*time.Hour))
		}()
	}
	wg.Wait()
	won, refused := -1, 0
	for i, err := range errs {
		var tr *tender.TransitionError
		switch {
		case err == nil:
			if won >= 0 {
				t.Errorf("bids %d and %d both won", won, i)
			}
			won = i
		case errors.As(err, &tr) && tr.From == tender.Awarded:
			refused++
		default:
			t.Errorf("award %d: %v", i, err)
		}
	}
	if won < 0 || refused != n-1 {
		t.Fatalf("one winner and %d refusals wanted; winner %d, %d refused", n-1, won, refused)
	}
	if got := f.count(t, `SELECT count(*) FROM contracts WHERE tender_id = $1`, id); got != 1 {
		t.Errorf("%d contracts, want 1", got)
	}
	if got := f.count(t, `SELECT count(*) FROM bids WHERE tender_id = $1 AND status = 'unsuccessful'`, id); got != n-1 {
		t.Errorf("%d unsuccessful bids, want %d", got, n-1)
	}
	if f.bidStatus(t, bids[won]) != tender.BidAwarded {
		t.Error("the winning bid is not awarded")
	}
	if check := verifyChain(t, f); !check.OK || check.Entries != 4 {
		t.Errorf("chain: %+v, want created, opened, closed, awarded", check)
	}
}
