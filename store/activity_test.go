package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// newLedgerFixture is a tender created, opened and closed: three entries in the project's
// chain.
func newLedgerFixture(t *testing.T) (*soqFixture, string) {
	t.Helper()
	f, id := newTenderFixture(t, store.NewTender{})
	ctx := context.Background()
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CloseTender(ctx, id, "", tenderNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return f, id
}

func verifyChain(t *testing.T, f *soqFixture) store.ActivityCheck {
	t.Helper()
	c, err := f.st.VerifyActivity(context.Background(), testProject)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestActivityChainVerifies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, id := newLedgerFixture(t)
	// A second tender interleaves its entries in the same project's chain.
	if _, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "Second",
		ClosesAt: tenderNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if c := verifyChain(t, f); !c.OK || c.Entries != 4 || c.FirstBadSeq != 0 {
		t.Fatalf("verify %+v, want 4 entries that hold", c)
	}

	page, total, err := f.st.ActivityOf(ctx, testProject, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 || len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 3 {
		t.Fatalf("page 1 of 2: total %d, %+v", total, page)
	}
	closed := page[1]
	if closed.Kind != tender.KindClosed || closed.TenderID != id || closed.ActorID != "" ||
		!closed.At.Equal(tenderNow.Add(time.Hour)) || len(closed.Hash) != 32 {
		t.Errorf("closed entry %+v", closed)
	}
	page, _, err = f.st.ActivityOf(ctx, testProject, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].Kind != tender.KindOpened || page[1].Kind != tender.KindCreated ||
		page[0].ActorID != testOwner || page[1].Content["title"] != "Package 1" {
		t.Errorf("page 2 of 2: %+v", page)
	}
	// Each hash is that of its entry after the one before: the chain read back as stored.
	all, _, err := f.st.ActivityOf(ctx, testProject, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := tender.EntryHash(all[1].Hash, all[0].Entry); string(got) != string(all[0].Hash) {
		t.Error("the newest entry is not chained to the one before")
	}

	mine, total, err := f.st.ActivityOfTender(ctx, id, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(mine) != 3 || mine[0].Seq != 3 || mine[2].Seq != 1 {
		t.Errorf("the first tender's entries: total %d, %+v", total, mine)
	}

	if c, err := f.st.VerifyActivity(ctx, otherProj); err != nil || !c.OK || c.Entries != 0 {
		t.Errorf("an empty chain: %+v, %v", c, err)
	}
}

func TestActivityChangedEntryIsFirstBad(t *testing.T) {
	t.Parallel()
	f, _ := newLedgerFixture(t)
	if _, err := f.db.Exec(`UPDATE activity SET content = '{"title": "Package 2"}' WHERE project_id = $1 AND seq = 1`, testProject); err != nil {
		t.Fatal(err)
	}
	if c := verifyChain(t, f); c.OK || c.FirstBadSeq != 1 || c.Entries != 3 {
		t.Errorf("after changing entry 1's content: %+v, want entry 1 first bad", c)
	}
}

func TestActivityChangedTimeIsFirstBad(t *testing.T) {
	t.Parallel()
	f, _ := newLedgerFixture(t)
	if _, err := f.db.Exec(`UPDATE activity SET at = at - interval '1 microsecond' WHERE project_id = $1 AND seq = 2`, testProject); err != nil {
		t.Fatal(err)
	}
	if c := verifyChain(t, f); c.OK || c.FirstBadSeq != 2 {
		t.Errorf("after moving entry 2's time: %+v, want entry 2 first bad", c)
	}
}

func TestActivityDeletedEntryIsDetected(t *testing.T) {
	t.Parallel()
	f, _ := newLedgerFixture(t)
	if _, err := f.db.Exec(`DELETE FROM activity WHERE project_id = $1 AND seq = 2`, testProject); err != nil {
		t.Fatal(err)
	}
	// The entry after the removed one was chained to its hash.
	if c := verifyChain(t, f); c.OK || c.FirstBadSeq != 3 || c.Entries != 2 {
		t.Errorf("after deleting entry 2: %+v, want entry 3 first bad", c)
	}
}

func TestActivityConcurrentAppendsChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSOQFixture(t)
	const n = 10
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := f.st.CreateTender(ctx, testProject, testOwner, store.NewTender{SOQID: f.soqID, Title: "T",
				ClosesAt: tenderNow.Add(time.Hour)})
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The advisory lock makes appenders take turns: no seq taken twice, no fork.
	if c := verifyChain(t, f); !c.OK || c.Entries != n {
		t.Errorf("after %d concurrent creates: %+v", n, c)
	}
}
