package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/14build/14build/store"
)

// TestMilestoneMails: a milestone's notices are written with its changes — funded and
// paid to the contractor's people, marked complete to the project's owner — once each: a
// replayed payment event and a refused step write none.
func TestMilestoneMails(t *testing.T) {
	t.Parallel()
	ctx := store.WithActor(context.Background(), testOwner)
	f, c := newContractFixture(t, 50_000)
	st := f.st
	defer assertLedger(t, st, c.ID)
	mails := func() []string {
		t.Helper()
		var got []string
		err := st.DB().Select(&got, `SELECT array_to_string(to_addrs, ',') || ' | ' || subject FROM outbox
			WHERE kind = 'milestone' AND tender_id = $1 ORDER BY id`, c.TenderID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	m := addMilestones(t, st, c.ID, 50_000)[0]
	if _, err := st.CompleteMilestone(ctx, m.ID, "too early"); stateErr(err) == "" {
		t.Fatalf("complete before funding: %v", err)
	}
	if got := mails(); len(got) != 0 {
		t.Fatalf("mails before any change: %q", got)
	}
	e := fund(t, st, m.ID)
	if _, changed, err := st.FundEscrow(ctx, "evt_"+e.ID, "payment_intent.succeeded", e.PaymentIntentID.String); err != nil || changed {
		t.Fatalf("replay: %v %v", changed, err)
	}
	if _, err := st.CompleteMilestone(ctx, m.ID, "Slab poured"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ApproveMilestone(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.RequestRelease(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteRelease(ctx, e.ID, "tr_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteRelease(ctx, e.ID, "tr_1"); err != nil { // idempotent: no second notice
		t.Fatal(err)
	}
	got := mails()
	want := []struct{ to, what string }{{"b1@example.com", "funded"}, {"", "marked complete"}, {"b1@example.com", "paid"}}
	if len(got) != len(want) {
		t.Fatalf("mails %q, want %d", got, len(want))
	}
	for i, w := range want {
		to, subject, _ := strings.Cut(got[i], " | ")
		if w.to != "" && to != w.to || w.to == "" && (to == "" || to == "b1@example.com") {
			t.Errorf("mail %d to %q (%s)", i, to, w.what)
		}
		if !strings.Contains(subject, w.what) || !strings.Contains(subject, m.Title) {
			t.Errorf("mail %d subject %q, want %q and the milestone", i, subject, w.what)
		}
	}
}
