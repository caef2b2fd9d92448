package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/14build/14build/migrations"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

const testOwner = "00000000-0000-0000-0000-0000000000a1"

var tenderNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// newTenderFixture is the SOQ fixture with its SOQ issued, and a draft tender of it.
func newTenderFixture(t *testing.T, in store.NewTender) (*soqFixture, string) {
	t.Helper()
	f := newSOQFixture(t)
	if err := f.st.SetSOQStatus(context.Background(), f.soqID, soq.Draft, soq.Issued); err != nil {
		t.Fatal(err)
	}
	in.SOQID = f.soqID
	if in.Title == "" {
		in.Title = "Package 1"
	}
	if in.ClosesAt.IsZero() {
		in.ClosesAt = tenderNow.Add(14 * 24 * time.Hour)
	}
	id, err := f.st.CreateTender(context.Background(), testProject, testOwner, in)
	if err != nil {
		t.Fatal(err)
	}
	return f, id
}

func (f *soqFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestTenderCreateLoadUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	closes := time.Date(2026, 4, 1, 5, 0, 0, 0, time.UTC)
	f, id := newTenderFixture(t, store.NewTender{Title: "Structure", Instructions: "Price every line.", ClosesAt: closes,
		Sealed: true, CategoryIDs: []int64{2, 1, 2}, Invitees: []string{"a@example.com", "B@example.com", "b@EXAMPLE.com", "O@example.com"}})
	before := f.st.QueryCount()
	if _, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "Twin", ClosesAt: closes,
		CategoryIDs: []int64{1, 2, 3, 4}, Invitees: []string{"x@example.com", "y@example.com", "z@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if n := f.st.QueryCount() - before; n != 10 {
		t.Errorf("create took %d statements, want 10 (begin, five, the ledger's three, commit) whatever its lists' lengths", n)
	}
	got, err := f.st.Tender(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Structure" || got.Instructions != "Price every line." || !got.ClosesAt.Equal(closes) || !got.Sealed ||
		got.AllowLateBids || got.ScopeByTrade || got.Status != tender.Draft || got.ProjectID != testProject || got.SOQID != f.soqID ||
		got.Version != 1 || got.CreatedBy.String != testOwner || got.OpenedAt.Valid {
		t.Errorf("loaded %+v", got)
	}
	if !slices.Equal(got.CategoryIDs, []int64{1, 2}) {
		t.Errorf("categories %v, want [1 2]", got.CategoryIDs)
	}
	emails := map[string]store.Invitee{}
	for _, in := range got.Invitees {
		emails[in.Email] = in
	}
	if len(got.Invitees) != 3 || emails["O@example.com"].UserID.String != testOwner || emails["a@example.com"].UserID.Valid ||
		emails["a@example.com"].Intent != tender.Undecided {
		t.Errorf("invitees %+v: want a, B (once) and O linked to its account, all undecided", got.Invitees)
	}

	list, err := f.st.TendersOfProject(ctx, testProject)
	if err != nil || len(list) != 2 || list[1].ID != id || !slices.Equal(list[1].CategoryIDs, []int64{1, 2}) {
		t.Errorf("TendersOfProject: %+v, %v", list, err)
	}
	if list, err := f.st.TendersOfProject(ctx, otherProj); err != nil || len(list) != 0 {
		t.Errorf("other project's tenders: %+v, %v", list, err)
	}

	// An update keeps the invitees still listed as they were (their intent too).
	if _, err := f.db.Exec(`UPDATE tender_invitees SET intent = 'bidding' WHERE email = 'a@example.com'`); err != nil {
		t.Fatal(err)
	}
	v := got.Version
	upd := store.NewTender{SOQID: f.soqID, Title: "Structure v2", ClosesAt: closes.Add(time.Hour), ScopeByTrade: true,
		CategoryIDs: []int64{3}, Invitees: []string{"A@example.com", "c@example.com"}}
	if err := f.st.UpdateDraftTender(ctx, id, &v, upd); err != nil {
		t.Fatal(err)
	}
	got, err = f.st.Tender(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Structure v2" || !got.ScopeByTrade || got.Sealed || got.Version != 2 || !slices.Equal(got.CategoryIDs, []int64{3}) {
		t.Errorf("updated %+v", got)
	}
	intents := map[string]tender.Intent{}
	for _, in := range got.Invitees {
		intents[in.Email] = in.Intent
	}
	if len(intents) != 2 || intents["a@example.com"] != tender.Bidding || intents["c@example.com"] != tender.Undecided {
		t.Errorf("invitees after update %v", intents)
	}

	var conflict *store.VersionConflict
	if err := f.st.UpdateDraftTender(ctx, id, &v, upd); !errors.As(err, &conflict) || conflict.Current != 2 {
		t.Errorf("stale version: %v", err)
	}
	upd.CategoryIDs = []int64{999}
	if err := f.st.UpdateDraftTender(ctx, id, nil, upd); !errors.Is(err, store.ErrUnknownCategory) {
		t.Errorf("unknown category: %v", err)
	}
	other, err := f.st.CreateSOQ(ctx, otherProj, testOwner, store.NewSOQ{Title: "Other", Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: other, Title: "X", ClosesAt: closes}); !errors.Is(err, store.ErrUnknownSOQ) {
		t.Errorf("another project's SOQ: %v", err)
	}
	if _, err := f.st.Tender(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing tender: %v", err)
	}
}

func TestTenderRefusesEditOnceOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{})

	// Not yet: the SOQ must be issued, the closing time ahead.
	if err := f.st.SetSOQStatus(ctx, f.soqID, soq.Issued, soq.Draft); err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); !errors.Is(err, store.ErrSOQNotIssued) {
		t.Errorf("open on a draft SOQ: %v", err)
	}
	if err := f.st.SetSOQStatus(ctx, f.soqID, soq.Draft, soq.Issued); err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow.Add(15*24*time.Hour)); !errors.Is(err, store.ErrClosingTimePassed) {
		t.Errorf("open after the closing time: %v", err)
	}
	var tr *tender.TransitionError
	if err := f.st.CloseTender(ctx, id, testOwner, tenderNow); !errors.As(err, &tr) {
		t.Errorf("close a draft: %v", err)
	}

	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Tender(ctx, id)
	if err != nil || got.Status != tender.Open || !got.OpenedAt.Time.Equal(tenderNow) {
		t.Fatalf("after open: %+v, %v", got, err)
	}
	var locked *store.TenderNotEditable
	if err := f.st.UpdateDraftTender(ctx, id, nil, store.NewTender{SOQID: f.soqID, Title: "Changed", ClosesAt: tenderNow.Add(time.Hour)}); !errors.As(err, &locked) || locked.Status != tender.Open {
		t.Errorf("update an open tender: %v", err)
	}
	if err := f.st.DeleteDraftTender(ctx, id); !errors.As(err, &locked) {
		t.Errorf("delete an open tender: %v", err)
	}
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); !errors.As(err, &tr) || tr.From != tender.Open {
		t.Errorf("open twice: %v", err)
	}
	if got, _ := f.st.Tender(ctx, id); got.Title != "Package 1" {
		t.Errorf("title %q after refused update", got.Title)
	}

	if err := f.st.CloseTender(ctx, id, testOwner, tenderNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CloseTender(ctx, id, testOwner, tenderNow.Add(time.Hour)); !errors.As(err, &tr) {
		t.Errorf("close twice: %v", err)
	}
	if got, _ := f.st.Tender(ctx, id); got.Status != tender.Closed || !got.ClosedAt.Time.Equal(tenderNow.Add(time.Hour)) {
		t.Errorf("after close: %+v", got)
	}
}

func TestOpenTenderFreezesCopy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{})
	// B1 becomes a provisional sum: its rate and amount go with the copy, the measured
	// lines' do not.
	if _, err := f.db.Exec(`UPDATE soq_items SET item_type = 'provisional_sum', quantity = 1, rate = 50000, amount = 50000 WHERE id = $1`, f.items["B1"]); err != nil {
		t.Fatal(err)
	}
	before := f.st.QueryCount()
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	if n := f.st.QueryCount() - before; n != 12 {
		t.Errorf("open took %d statements, want 12 (begin, five, the ledger's three, the tender and its bidders for the invitations (none here: no insert), commit)", n)
	}

	// Later SOQ edits: reopened, an item changed, one deleted, one added.
	if err := f.st.SetSOQStatus(ctx, f.soqID, soq.Issued, soq.Draft); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE soq_items SET description = 'Changed', quantity = 99, rate = 7, amount = 693 WHERE reference = 'A1'`,
		`DELETE FROM soq_items WHERE reference = 'A2'`,
		`UPDATE soq_sections SET title = 'Renamed' WHERE code = 'A'`,
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := f.st.AddItem(ctx, f.soqID, testProject, f.secs["A"], store.NewItem{Item: soq.Item{Reference: "A3", Description: "New", Unit: "m", Quantity: 1000, Rate: 1, Type: soq.Measured}}); err != nil {
		t.Fatal(err)
	}

	secs, err := f.st.TenderCopy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[0].Code != "A" || secs[0].Title != "Alpha" || secs[0].Position != 1 || secs[1].Code != "B" || secs[1].Position != 2 {
		t.Fatalf("sections %+v", secs)
	}
	var refs []string
	items := map[string]store.TenderItem{}
	for _, s := range secs {
		for _, it := range s.Items {
			refs, items[it.Reference] = append(refs, it.Reference), it
		}
	}
	if !slices.Equal(refs, []string{"A1", "A2", "B1"}) {
		t.Errorf("items %v, want the SOQ's at opening: A1 A2 B1", refs)
	}
	a1 := items["A1"]
	if a1.Description != "Item A1" || a1.Quantity != 2500 || a1.Unit != "m2" || a1.Type != soq.Measured || a1.Rate.Valid || a1.Amount.Valid ||
		a1.SourceItemID.String != f.items["A1"] || a1.Position != 1 {
		t.Errorf("A1 %+v: want the values at opening, no rate", a1)
	}
	if b1 := items["B1"]; b1.Type != soq.ProvisionalSum || b1.Rate.Int64 != 50000 || b1.Amount.Int64 != 50000 || b1.Position != 3 {
		t.Errorf("B1 %+v: want the allowance's rate and amount", b1)
	}
}

func TestOpenTenderScopeByTrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{ScopeByTrade: true, CategoryIDs: []int64{1, 3}})
	for ref, cat := range map[string]any{"A1": nil, "A2": 1, "B1": 2} {
		if _, err := f.db.Exec(`UPDATE soq_items SET category_id = $2 WHERE id = $1`, f.items[ref], cat); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing of the tender's trades: refused, and the tender stays a draft with no copy.
	empty, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "Glazing",
		ClosesAt: tenderNow.Add(time.Hour), ScopeByTrade: true, CategoryIDs: []int64{12}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenTender(ctx, empty, testOwner, tenderNow); !errors.Is(err, store.ErrNothingToTender) {
		t.Errorf("open with no item of its trades: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM tender_sections WHERE tender_id = $1`, empty); n != 0 {
		t.Errorf("%d sections copied by a refused open", n)
	}

	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	secs, err := f.st.TenderCopy(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 1 || secs[0].Code != "A" || len(secs[0].Items) != 1 || secs[0].Items[0].Reference != "A2" || secs[0].Items[0].CategoryID.Int64 != 1 {
		t.Errorf("scoped copy %+v: want section A with A2 only", secs)
	}
}

func TestOpenTenderConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{})
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f.st.OpenTender(ctx, id, testOwner, tenderNow)
		}()
	}
	close(start)
	wg.Wait()
	opened := 0
	for _, err := range errs {
		var tr *tender.TransitionError
		switch {
		case err == nil:
			opened++
		case !errors.As(err, &tr):
			t.Errorf("a concurrent open failed with %v, want a transition error", err)
		}
	}
	if opened != 1 {
		t.Errorf("%d opens succeeded, want exactly one", opened)
	}
	if c := f.count(t, `SELECT count(*) FROM tender_items WHERE tender_id = $1`, id); c != 3 {
		t.Errorf("%d items copied, want 3 (one copy)", c)
	}
}

func TestDeleteTenderCascades(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{CategoryIDs: []int64{1}, Invitees: []string{"a@example.com"}})
	if err := f.st.DeleteDraftTender(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Tender(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted tender: %v", err)
	}
	if err := f.st.DeleteDraftTender(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	if c := f.count(t, `SELECT (SELECT count(*) FROM tender_categories) + (SELECT count(*) FROM tender_invitees)`); c != 0 {
		t.Errorf("%d category and invitee rows left", c)
	}

	// An open tender, with its copy and a bid, goes with its project (the SOQ it was made
	// from goes in the same statement).
	open, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "T", ClosesAt: tenderNow.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenTender(ctx, open, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO bids (tender_id, bidder_id, entity_id) VALUES ($1, $2, 9001)`, open, testOwner); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`INSERT INTO bid_rates (tender_id, bid_id, tender_item_id, rate)
		SELECT b.tender_id, b.id, i.id, 100 FROM bids b JOIN tender_items i ON i.tender_id = b.tender_id`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`DELETE FROM projects WHERE id = $1`, testProject); err != nil {
		t.Fatal(err)
	}
	if c := f.count(t, `SELECT (SELECT count(*) FROM tenders) + (SELECT count(*) FROM tender_sections) + (SELECT count(*) FROM tender_items)
		+ (SELECT count(*) FROM bids) + (SELECT count(*) FROM bid_rates)`); c != 0 {
		t.Errorf("%d tender rows left after deleting the project", c)
	}
}

// Migration 00010 goes down and up again over tenders that hold data.
func TestMigration00010DownUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{CategoryIDs: []int64{1}, Invitees: []string{"a@example.com"}})
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, f.db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 9); err != nil {
		t.Fatalf("down: %v", err)
	}
	if c := f.count(t, `SELECT count(*) FROM pg_tables WHERE tablename IN ('tenders', 'tender_items', 'bids', 'activity', 'contracts')`); c != 0 {
		t.Errorf("%d tender tables left after down", c)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
}

func TestCancelTender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var tr *tender.TransitionError

	f, draft := newTenderFixture(t, store.NewTender{})
	if err := f.st.CancelTender(ctx, draft, testOwner, tenderNow); err != nil {
		t.Fatalf("cancel a draft: %v", err)
	}
	if got, _ := f.st.Tender(ctx, draft); got.Status != tender.Cancelled || got.Version != 2 {
		t.Errorf("after cancel: status %s, version %d", got.Status, got.Version)
	}
	if err := f.st.CancelTender(ctx, draft, testOwner, tenderNow); !errors.As(err, &tr) || tr.From != tender.Cancelled {
		t.Errorf("cancel twice: %v", err)
	}
	if err := f.st.OpenTender(ctx, draft, testOwner, tenderNow); !errors.As(err, &tr) {
		t.Errorf("open a cancelled tender: %v", err)
	}

	open, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "Package 2",
		ClosesAt: tenderNow.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.OpenTender(ctx, open, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CancelTender(ctx, open, testOwner, tenderNow); err != nil {
		t.Fatalf("cancel an open tender: %v", err)
	}
	if got, _ := f.st.Tender(ctx, open); got.Status != tender.Cancelled || !got.OpenedAt.Valid {
		t.Errorf("after cancelling an open tender: %+v", got)
	}
	// The cancellation is the tender's latest ledger entry, by its actor, and the chain holds.
	if acts, _, err := f.st.ActivityOfTender(ctx, open, 1, 1); err != nil || len(acts) != 1 ||
		acts[0].Kind != tender.KindCancelled || acts[0].ActorID != testOwner {
		t.Errorf("latest entry after cancelling: %+v, %v", acts, err)
	}
	if chk, err := f.st.VerifyActivity(ctx, testProject); err != nil || !chk.OK {
		t.Errorf("chain after cancelling: %+v, %v", chk, err)
	}
	if err := f.st.CancelTender(ctx, "00000000-0000-0000-0000-00000000dead", testOwner, tenderNow); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cancel a missing tender: %v", err)
	}
}

// TestTendersOpenTo: a bidder's list holds the opened tenders inviting it (by email, in
// any case) or of its trade, newest closing first; never drafts, never others'.
func TestTendersOpenTo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, invited := newTenderFixture(t, store.NewTender{CategoryIDs: []int64{1}, Invitees: []string{"Inv@Example.com"}})
	const (
		invUser   = "00000000-0000-0000-0000-0000000000b1"
		tradeUser = "00000000-0000-0000-0000-0000000000b2"
		noneUser  = "00000000-0000-0000-0000-0000000000b3"
	)
	for _, q := range []string{
		`INSERT INTO users (id, name, email, password_hash, role, entity_id, category_id) VALUES ('` + invUser + `', 'I', 'inv@example.com', 'x', 'bidder', 9001, 3)`,
		`INSERT INTO users (id, name, email, password_hash, role, entity_id, category_id) VALUES ('` + tradeUser + `', 'T', 't@example.com', 'x', 'bidder', 9001, 2)`,
		`INSERT INTO users (id, name, email, password_hash, role, entity_id, category_id) VALUES ('` + noneUser + `', 'N', 'n@example.com', 'x', 'bidder', 9001, 4)`,
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	create := func(in store.NewTender, open bool) string {
		t.Helper()
		in.SOQID, in.Title = f.soqID, "Package"
		if in.ClosesAt.IsZero() {
			in.ClosesAt = tenderNow.Add(14 * 24 * time.Hour)
		}
		id, err := f.st.CreateTender(ctx, testProject, testOwner, in)
		if err != nil {
			t.Fatal(err)
		}
		if open {
			if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	if err := f.st.OpenTender(ctx, invited, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	trade := create(store.NewTender{CategoryIDs: []int64{2}}, true)
	later := create(store.NewTender{CategoryIDs: []int64{2}, ClosesAt: tenderNow.Add(30 * 24 * time.Hour)}, true)
	create(store.NewTender{CategoryIDs: []int64{2, 3}, Invitees: []string{"inv@example.com"}}, false) // a draft
	cancelled := create(store.NewTender{CategoryIDs: []int64{2}}, true)
	if err := f.st.CancelTender(ctx, cancelled, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}

	ids := func(ts []store.Tender) []string {
		out := []string{}
		for _, x := range ts {
			out = append(out, x.ID)
		}
		return out
	}
	for _, tc := range []struct {
		user string
		want []string
	}{
		{invUser, []string{invited}},
		{tradeUser, []string{later, trade}},
		{noneUser, []string{}},
		{"not-a-uuid", []string{}},
	} {
		got, total, err := f.st.TendersOpenTo(ctx, tc.user, 1, 25)
		if err != nil || !slices.Equal(ids(got), tc.want) || total != len(tc.want) {
			t.Errorf("%s: %v (total %d), %v; want %v", tc.user, ids(got), total, err, tc.want)
		}
		for _, x := range got {
			if x.Invitees != nil {
				t.Errorf("%s: invitees listed %v", tc.user, x.Invitees)
			}
		}
	}
	// Paged: one a page, and past the end still counted.
	if got, total, err := f.st.TendersOpenTo(ctx, tradeUser, 2, 1); err != nil || !slices.Equal(ids(got), []string{trade}) || total != 2 {
		t.Errorf("page 2: %v (total %d), %v", ids(got), total, err)
	}
	if got, total, err := f.st.TendersOpenTo(ctx, tradeUser, 3, 1); err != nil || len(got) != 0 || total != 2 {
		t.Errorf("page 3: %v (total %d), %v", ids(got), total, err)
	}
}
