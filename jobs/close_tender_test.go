package jobs_test

import (
	"testing"
	"time"

	"github.com/14build/14build/jobs"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// openTender makes an issued SOQ of one line and an open tender on it closing at
// closesAt (opened an hour before it, so a closing time in the past is allowed).
func (w *world) openTender(t *testing.T, closesAt time.Time, allowLate bool) string {
	t.Helper()
	ctx := t.Context()
	q, err := w.st.CreateSOQ(ctx, w.project, w.userID, store.NewSOQ{Title: "Issued", Currency: "usd", Status: soq.Issued,
		Sections: []store.NewSection{{Code: "A", Title: "Works", Items: []store.NewItem{{Item: soq.Item{Reference: "A1",
			Description: "Excavate", Unit: "m3", Quantity: 42000, Rate: 1800, Type: soq.Measured}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := w.st.CreateTender(ctx, w.project, w.userID, store.NewTender{SOQID: q, Title: "Package", ClosesAt: closesAt,
		Sealed: true, AllowLateBids: allowLate, Invitees: []string{"b@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.st.OpenTender(ctx, id, w.userID, closesAt.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return id
}

func (w *world) status(t *testing.T, id string) tender.Status {
	t.Helper()
	tn, err := w.st.Tender(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tn.Status
}

// closedEntries counts the tender's "closed" ledger entries and checks the chain.
func (w *world) closedEntries(t *testing.T, id string) int {
	t.Helper()
	check, err := w.st.VerifyActivity(t.Context(), w.project)
	if err != nil || !check.OK {
		t.Fatalf("ledger: %+v %v", check, err)
	}
	return w.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = $2 AND actor_id IS NULL`, id, string(tender.KindClosed))
}

func TestCloseTenderJobIsIdempotent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	closesAt := time.Now().Add(time.Hour).Truncate(time.Second)
	id := w.openTender(t, closesAt, false)

	// Not yet due (a job at the old time after an addendum moved it later): no-op.
	if closed, err := jobs.CloseTender(ctx, w.st, id, closesAt.Add(-time.Millisecond)); err != nil || closed {
		t.Fatalf("before closing time: %v %v", closed, err)
	}
	if s := w.status(t, id); s != tender.Open {
		t.Fatalf("status %s before the closing time", s)
	}
	// Due at the closing instant itself.
	if closed, err := jobs.CloseTender(ctx, w.st, id, closesAt); err != nil || !closed {
		t.Fatalf("at closing time: %v %v", closed, err)
	}
	// Again (the job retried, or the sweep after it): no-op, one ledger entry.
	if closed, err := jobs.CloseTender(ctx, w.st, id, closesAt.Add(time.Minute)); err != nil || closed {
		t.Fatalf("second close: %v %v", closed, err)
	}
	if s := w.status(t, id); s != tender.Closed {
		t.Fatalf("status %s", s)
	}
	if n := w.closedEntries(t, id); n != 1 {
		t.Errorf("%d closed entries", n)
	}
	// Cancelled before its time: left cancelled.
	c := w.openTender(t, closesAt, false)
	if err := w.st.CancelTender(ctx, c, w.userID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if closed, err := jobs.CloseTender(ctx, w.st, c, closesAt.Add(time.Minute)); err != nil || closed {
		t.Fatalf("cancelled: %v %v", closed, err)
	}
	if s := w.status(t, c); s != tender.Cancelled {
		t.Errorf("cancelled tender is %s", s)
	}
	// Late bids allowed: open until the team closes it.
	late := w.openTender(t, closesAt, true)
	if closed, err := jobs.CloseTender(ctx, w.st, late, closesAt.Add(time.Minute)); err != nil || closed {
		t.Fatalf("late bids allowed: %v %v", closed, err)
	}
	if s := w.status(t, late); s != tender.Open {
		t.Errorf("late-bid tender is %s", s)
	}
}

func TestSweepClosesEveryTenderPastItsClosingTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	now := time.Now()
	past1 := w.openTender(t, now.Add(-2*time.Minute), false)
	past2 := w.openTender(t, now.Add(-time.Second), false)
	late := w.openTender(t, now.Add(-time.Minute), true)
	future := w.openTender(t, now.Add(time.Hour), false)

	n, err := jobs.SweepTenders(ctx, w.st, now)
	if err != nil || n != 2 {
		t.Fatalf("sweep closed %d: %v", n, err)
	}
	for id, want := range map[string]tender.Status{past1: tender.Closed, past2: tender.Closed, late: tender.Open, future: tender.Open} {
		if s := w.status(t, id); s != want {
			t.Errorf("tender %s is %s, want %s", id, s, want)
		}
	}
	if n, err := jobs.SweepTenders(ctx, w.st, now); err != nil || n != 0 {
		t.Fatalf("second sweep closed %d: %v", n, err)
	}
	if n := w.closedEntries(t, past1); n != 1 {
		t.Errorf("%d closed entries", n)
	}
}

// The River client runs the job scheduled at the closing time, and the sweep at start.
func TestCloseTenderJobRunsAtTheClosingTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	// Opened before the client starts and already past: the sweep run at start closes it.
	lost := w.openTender(t, time.Now().Add(-time.Minute), false)
	jc := w.client(t, nil, jobs.Config{CloseSweep: true})
	closesAt := time.Now().Add(500 * time.Millisecond)
	id := w.openTender(t, closesAt, false)
	if err := jc.ScheduleTenderClose(ctx, id, closesAt); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for w.status(t, id) != tender.Closed || w.status(t, lost) != tender.Closed {
		if time.Now().After(deadline) {
			t.Fatalf("not closed: scheduled %s, lost %s", w.status(t, id), w.status(t, lost))
		}
		time.Sleep(50 * time.Millisecond)
	}
	tn, err := w.st.Tender(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if tn.ClosedAt.Time.Before(closesAt) {
		t.Errorf("closed at %s, before its closing time %s", tn.ClosedAt.Time, closesAt)
	}
	if n := w.closedEntries(t, id); n != 1 {
		t.Errorf("%d closed entries", n)
	}
}
