package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/14build/14build/events"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// eventsOf lists the kinds announced for the fixture's tender, oldest first.
func eventsOf(t *testing.T, f *bidFixture) []string {
	t.Helper()
	var kinds []string
	if err := f.db.Select(&kinds, `SELECT kind FROM events WHERE tender_id = $1 ORDER BY id`, f.tenderID); err != nil {
		t.Fatal(err)
	}
	return kinds
}

// Every change a live page follows is announced in its own transaction: once when it
// happens, never when it is refused or changes nothing.
func TestTenderChangesEmitEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, bidders := newTalkFixture(t)
	b1 := bidders[0]
	now := tenderNow.Add(time.Hour)

	if err := f.st.SetIntent(ctx, f.tenderID, b1, tender.Bidding, now); err != nil {
		t.Fatal(err)
	}
	if err := f.st.SetIntent(ctx, f.tenderID, b1, tender.Bidding, now); err != nil { // said again
		t.Fatal(err)
	}
	// Refused (nothing priced): no event.
	if _, err := f.st.SubmitBid(ctx, f.tenderID, b1, testEntity, store.BidInput{}, now); err == nil {
		t.Fatal("an unpriced bid was accepted")
	}
	sub, err := f.st.SubmitBid(ctx, f.tenderID, b1, testEntity, store.BidInput{Rates: f.rates("A1", 100, "A2", 200, "B1", 50000)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.WithdrawBid(ctx, f.tenderID, sub.BidID, b1, now); err != nil {
		t.Fatal(err)
	}
	// Not due yet: nothing; due: closed, once.
	if closed, err := f.st.CloseTenderIfDue(ctx, f.tenderID, now); err != nil || closed {
		t.Fatalf("closed early: %v %v", closed, err)
	}
	if closed, err := f.st.CloseTenderIfDue(ctx, f.tenderID, f.closes.Add(time.Second)); err != nil || !closed {
		t.Fatalf("due: %v %v", closed, err)
	}
	want := []string{events.IntentChanged, events.BidSubmitted, events.BidWithdrawn, events.TenderClosed}
	got := eventsOf(t, f)
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	// The bid's events name it and its bidder, with no amount.
	var c struct {
		BidID, UserID, ProjectID string
		Data                     []byte
	}
	if err := f.db.QueryRow(`SELECT bid_id::text, user_id::text, project_id::text, data FROM events WHERE kind = $1`, events.BidSubmitted).
		Scan(&c.BidID, &c.UserID, &c.ProjectID, &c.Data); err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	_ = json.Unmarshal(c.Data, &data)
	if c.BidID != sub.BidID || c.UserID != b1 || c.ProjectID == "" || len(data) != 1 || data["revision"] != 1.0 {
		t.Errorf("bid-submitted %+v %v", c, data)
	}
}
