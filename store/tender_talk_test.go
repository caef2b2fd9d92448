package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// talkFixture is an open tender inviting b1 and b2 (by email, before their accounts
// exist); b3 is a bidder it is not open to.
func newTalkFixture(t *testing.T) (*bidFixture, []string) {
	t.Helper()
	f := newBidFixture(t, store.NewTender{Invitees: []string{"b1@example.com", "b2@example.com"}})
	return f, f.bidders(t, 3)
}

func (f *bidFixture) sectionID(t *testing.T, code string) string {
	t.Helper()
	secs, err := f.st.TenderCopy(context.Background(), f.tenderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secs {
		if s.Code == code {
			return s.ID
		}
	}
	t.Fatalf("no section %s", code)
	return ""
}

func (f *bidFixture) bidRates(t *testing.T, bidder string) (store.Bid, map[string]int64) {
	t.Helper()
	b, err := f.st.BidOf(context.Background(), f.tenderID, bidder)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for ref, id := range f.items {
		byID[id] = ref
	}
	out := map[string]int64{}
	for _, r := range b.Rates {
		out[byID[r.ItemID]] = r.Rate
	}
	return b, out
}

func TestAddendumRedraftsBidsKeepingUnchangedRates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, b := newTalkFixture(t)
	now := tenderNow.Add(time.Hour)
	// b1 submitted: 2.5×100 + 1×200 + 0.5×300 = 600. b2 has a draft pricing A1 only.
	if _, err := f.st.SubmitBid(ctx, f.tenderID, b[0], testEntity, store.BidInput{Rates: f.rates("A1", 100, "A2", 200, "B1", 300)}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SaveBidDraft(ctx, f.tenderID, b[1], testEntity, store.BidInput{Rates: f.rates("A1", 100, "B1", 300)}, now); err != nil {
		t.Fatal(err)
	}

	two := soq.Quantity(2000)
	newClose := f.closes.Add(48 * time.Hour)
	a, err := f.st.IssueAddendum(ctx, f.tenderID, testOwner, store.AddendumInput{Text: "A2 doubles, B1 goes, A3 comes",
		ClosesAt: newClose, Changes: []store.ItemChange{{ItemID: f.items["A2"], Quantity: &two}},
		Add:           []store.AddedItem{{SectionID: f.sectionID(t, "A"), Reference: "A3", Description: "New", Unit: "m2", Quantity: 1000, Type: soq.Measured}},
		RemoveItemIDs: []string{f.items["B1"]}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Number != 1 || a.Changed != 1 || a.Added != 1 || a.Removed != 1 || !a.ClosesAt.Valid || !a.ClosesAt.Time.Equal(newClose) {
		t.Errorf("addendum %+v", a)
	}
	bid, rates := f.bidRates(t, b[0])
	if bid.Status != tender.BidDraft || bid.Revision != 1 || len(rates) != 1 || rates["A1"] != 100 || bid.Total != 250 {
		t.Errorf("b1 after the addendum: %s rev %d total %d rates %v; want draft rev 1 total 250, A1 kept only", bid.Status, bid.Revision, bid.Total, rates)
	}
	bid, rates = f.bidRates(t, b[1])
	if bid.Status != tender.BidDraft || len(rates) != 1 || bid.Total != 250 {
		t.Errorf("b2's draft after the addendum: total %d rates %v", bid.Total, rates)
	}
	got, err := f.st.Tender(ctx, f.tenderID)
	if err != nil || !got.ClosesAt.Equal(newClose) {
		t.Errorf("closing time %v, want %v (%v)", got.ClosesAt, newClose, err)
	}
	secs, _ := f.st.TenderCopy(ctx, f.tenderID)
	refs := map[string]soq.Quantity{}
	for _, s := range secs {
		for _, it := range s.Items {
			refs[it.Reference] = it.Quantity
		}
	}
	if len(refs) != 3 || refs["A2"] != 2000 || refs["A3"] != 1000 {
		t.Errorf("copy after the addendum: %v", refs)
	}
	f.items = f.copyItems(t, f.tenderID)

	// A text-only addendum is number 2; the statements do not grow with the bids.
	before := f.st.QueryCount()
	if a, err := f.st.IssueAddendum(ctx, f.tenderID, testOwner, store.AddendumInput{Text: "Site visit moved"}, now); err != nil || a.Number != 2 {
		t.Fatalf("second addendum: %+v, %v", a, err)
	}
	if n := f.st.QueryCount() - before; n > 15 { // 12, and the mail to the bidders: 3
		t.Errorf("a text-only addendum took %d statements", n)
	}

	// Submitting needs both acknowledged, and A2, A3 priced.
	var m tender.Blockers
	_, err = f.st.SubmitBid(ctx, f.tenderID, b[0], testEntity, store.BidInput{}, now)
	if !errors.As(err, &m) || len(m.Addenda) != 2 || len(m.Lines) != 2 {
		t.Fatalf("resubmit without acknowledging: %v", err)
	}
	for _, n := range []int{1, 2, 2} { // twice: idempotent
		if err := f.st.AcknowledgeAddendum(ctx, f.tenderID, n, b[0], now); err != nil {
			t.Fatalf("acknowledge %d: %v", n, err)
		}
	}
	if err := f.st.AcknowledgeAddendum(ctx, f.tenderID, 3, b[0], now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("acknowledge an unknown addendum: %v", err)
	}
	if err := f.st.AcknowledgeAddendum(ctx, f.tenderID, 1, b[2], now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("acknowledge by a bidder the tender is not open to: %v", err)
	}
	sub, err := f.st.SubmitBid(ctx, f.tenderID, b[0], testEntity, store.BidInput{Rates: f.rates("A2", 200, "A3", 50)}, now)
	if err != nil || sub.Revision != 2 || sub.Total != 250+400+50 {
		t.Fatalf("resubmit after acknowledging: %+v, %v", sub, err)
	}

	team, err := f.st.Addenda(ctx, f.tenderID, "")
	if err != nil || len(team) != 2 || team[0].Acks != 1 || team[1].Acks != 1 || team[0].Acknowledged {
		t.Errorf("team's addenda: %+v, %v", team, err)
	}
	mine, _ := f.st.Addenda(ctx, f.tenderID, b[0])
	other, _ := f.st.Addenda(ctx, f.tenderID, b[1])
	if len(mine) != 2 || !mine[0].Acknowledged || !mine[0].AcknowledgedAt.Valid || mine[0].Acks != 0 || other[0].Acknowledged {
		t.Errorf("bidders' addenda: mine %+v, other %+v", mine, other)
	}
	if n := f.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = 'addendum'`, f.tenderID); n != 2 {
		t.Errorf("%d addendum ledger entries, want 2", n)
	}
}

func TestAddendumRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, b := newTalkFixture(t)
	now := tenderNow.Add(time.Hour)
	if _, err := f.st.SubmitBid(ctx, f.tenderID, b[0], testEntity, store.BidInput{Rates: f.rates("A1", 100, "A2", 200, "B1", 300)}, now); err != nil {
		t.Fatal(err)
	}
	neg := soq.Quantity(-1)
	var fr *store.FieldsRefused
	for name, tc := range map[string]struct {
		in    store.AddendumInput
		field string
	}{
		"no text":      {store.AddendumInput{}, "text"},
		"past closing": {store.AddendumInput{Text: "x", ClosesAt: now.Add(-time.Minute)}, "closesAt"},
		"unknown item": {store.AddendumInput{Text: "x", Changes: []store.ItemChange{{ItemID: f.soqID}}}, "changes[0].itemId"},
		"negative":     {store.AddendumInput{Text: "x", Changes: []store.ItemChange{{ItemID: f.items["A1"], Quantity: &neg}}}, "changes[0].quantity"},
		"all removed":  {store.AddendumInput{Text: "x", RemoveItemIDs: []string{f.items["A1"], f.items["A2"], f.items["B1"]}}, "removeItemIds"},
		"bad section":  {store.AddendumInput{Text: "x", Add: []store.AddedItem{{SectionID: f.soqID, Reference: "Z", Description: "Z", Unit: "m2", Type: soq.Measured}}}, "addItems[0].sectionId"},
		"taken ref":    {store.AddendumInput{Text: "x", Add: []store.AddedItem{{SectionID: f.sectionID(t, "A"), Reference: "a1", Description: "Z", Unit: "m2", Type: soq.Measured}}}, "addItems[0].reference"},
	} {
		if _, err := f.st.IssueAddendum(ctx, f.tenderID, testOwner, tc.in, now); !errors.As(err, &fr) || fr.Fields[tc.field] == "" {
			t.Errorf("%s: %v, want a refusal of %s", name, err, tc.field)
		}
	}
	// Nothing was written by the refusals.
	if bid, _ := f.bidRates(t, b[0]); bid.Status != tender.BidSubmitted || bid.Total != 600 {
		t.Errorf("bid after refused addenda: %s %d", bid.Status, bid.Total)
	}
	if n := f.count(t, `SELECT count(*) FROM addenda WHERE tender_id = $1`, f.tenderID); n != 0 {
		t.Errorf("%d addenda after refusals", n)
	}
	// Past the closing time (the job not yet run), and once closed: 409s.
	if _, err := f.st.IssueAddendum(ctx, f.tenderID, testOwner, store.AddendumInput{Text: "late"}, f.closes); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("addendum at the closing instant: %v", err)
	}
	if err := f.st.CloseTender(ctx, f.tenderID, testOwner, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.IssueAddendum(ctx, f.tenderID, testOwner, store.AddendumInput{Text: "late"}, now); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("addendum to a closed tender: %v", err)
	}
	if _, err := f.st.IssueAddendum(ctx, f.soqID, testOwner, store.AddendumInput{Text: "x"}, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("addendum to an unknown tender: %v", err)
	}
}

func TestQuestionsAreAnonymous(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, b := newTalkFixture(t)
	now := tenderNow.Add(time.Hour)
	qa, err := f.st.AskQuestion(ctx, f.tenderID, b[0], "  Is the slab reinforced?  ", now)
	if err != nil || qa.Text != "Is the slab reinforced?" || !qa.Mine || qa.AskerName != "" {
		t.Fatalf("ask: %+v, %v", qa, err)
	}
	qb, err := f.st.AskQuestion(ctx, f.tenderID, b[1], "Working hours?", now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AskQuestion(ctx, f.tenderID, b[2], "Me too?", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a bidder the tender is not open to asks: %v", err)
	}
	var fr *store.FieldsRefused
	if _, err := f.st.AskQuestion(ctx, f.tenderID, b[0], "   ", now); !errors.As(err, &fr) || fr.Fields["text"] == "" {
		t.Errorf("empty question: %v", err)
	}

	// b2 sees only its own, unanswered, before any answer.
	if qs, err := f.st.QuestionsForBidder(ctx, f.tenderID, b[1]); err != nil || len(qs) != 1 || qs[0].ID != qb.ID || !qs[0].Mine {
		t.Errorf("b2's questions: %+v, %v", qs, err)
	}
	// b1's answered privately, b2's published.
	if ans, err := f.st.AnswerQuestion(ctx, f.tenderID, qa.ID, testOwner, "Yes, see drawing S-1.", false, now); err != nil || ans.Published || ans.AskerName != "Bidder 1" {
		t.Fatalf("answer privately: %+v, %v", ans, err)
	}
	if _, err := f.st.AnswerQuestion(ctx, f.tenderID, qb.ID, testOwner, "7am to 6pm.", true, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AnswerQuestion(ctx, f.tenderID, f.soqID, testOwner, "x", true, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("answer an unknown question: %v", err)
	}
	qs, _ := f.st.QuestionsForBidder(ctx, f.tenderID, b[1])
	if len(qs) != 1 || qs[0].ID != qb.ID || qs[0].AskerName != "" {
		t.Errorf("b2 sees %+v; want its own only (b1's is private)", qs)
	}
	qs, _ = f.st.QuestionsForBidder(ctx, f.tenderID, b[0])
	if len(qs) != 2 || !qs[0].Mine || qs[0].Answer.String != "Yes, see drawing S-1." || qs[1].Mine || qs[1].AskerName != "" || !qs[1].Published {
		t.Errorf("b1 sees %+v; want its own answered and b2's published without a name", qs)
	}
	team, _ := f.st.QuestionsForTeam(ctx, f.tenderID)
	if len(team) != 2 || team[0].AskerName != "Bidder 1" || team[1].AskerName != "Bidder 2" {
		t.Errorf("team sees %+v", team)
	}
	if n := f.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = 'question'`, f.tenderID); n != 4 {
		t.Errorf("%d question ledger entries, want 4", n)
	}
	if err := f.st.CloseTender(ctx, f.tenderID, testOwner, now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AskQuestion(ctx, f.tenderID, b[0], "Late?", now); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("ask on a closed tender: %v", err)
	}
}

func TestIntentToBid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, b := newTalkFixture(t)
	now := tenderNow.Add(time.Hour)
	// b3 becomes a bidder of the tender's trade.
	for _, q := range []string{
		`INSERT INTO categories (id, name) VALUES (7701, 'Talk trade')`,
		`INSERT INTO tender_categories (tender_id, category_id) VALUES ('` + f.tenderID + `', 7701)`,
		`UPDATE users SET category_id = 7701 WHERE id = '` + b[2] + `'`,
	} {
		if _, err := f.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if i, err := f.st.IntentOf(ctx, f.tenderID, b[0]); err != nil || i != tender.Undecided {
		t.Errorf("intent before saying: %q, %v", i, err)
	}
	for _, c := range []struct {
		bidder string
		i      tender.Intent
	}{{b[0], tender.Bidding}, {b[0], tender.Bidding}, {b[1], tender.Declined}, {b[2], tender.Bidding}} {
		if err := f.st.SetIntent(ctx, f.tenderID, c.bidder, c.i, now); err != nil {
			t.Fatal(err)
		}
	}
	if i, _ := f.st.IntentOf(ctx, f.tenderID, b[2]); i != tender.Bidding {
		t.Errorf("b3's intent %q", i)
	}
	// Invitees carry theirs on the invitation, where closing early reads it.
	got, _ := f.st.Tender(ctx, f.tenderID)
	if len(got.Invitees) != 2 || got.Invitees[0].Intent != tender.Bidding || got.Invitees[1].Intent != tender.Declined {
		t.Errorf("invitees %+v", got.Invitees)
	}
	if n := f.count(t, `SELECT count(*) FROM activity WHERE tender_id = $1 AND kind = 'intent'`, f.tenderID); n != 3 {
		t.Errorf("%d intent entries, want 3 (the repeat is not one)", n)
	}
	if _, err := f.st.SubmitBid(ctx, f.tenderID, b[0], testEntity, store.BidInput{Rates: f.rates("A1", 100, "A2", 200, "B1", 300)}, now); err != nil {
		t.Fatal(err)
	}
	list, err := f.st.BiddersOfTender(ctx, f.tenderID)
	if err != nil || len(list) != 3 {
		t.Fatalf("bidders of the tender: %+v, %v", list, err)
	}
	if l := list[0]; !l.Invited || l.Name != "Bidder 1" || l.Company != "E" || l.Intent != tender.Bidding || !l.IntentAt.Valid ||
		l.BidStatus != tender.BidSubmitted || l.Revision != 1 || !l.SubmittedAt.Valid {
		t.Errorf("b1's row %+v", l)
	}
	if l := list[1]; !l.Invited || l.Intent != tender.Declined || l.BidStatus != "" {
		t.Errorf("b2's row %+v", l)
	}
	if l := list[2]; l.Invited || l.Name != "Bidder 3" || l.Intent != tender.Bidding {
		t.Errorf("b3's row %+v", l)
	}
	var fr *store.FieldsRefused
	if err := f.st.SetIntent(ctx, f.tenderID, b[0], "maybe", now); !errors.As(err, &fr) {
		t.Errorf("unknown intent: %v", err)
	}
	if err := f.st.SetIntent(ctx, f.tenderID, testOwner, tender.Bidding, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("intent of someone the tender is not open to: %v", err)
	}
	if err := f.st.SetIntent(ctx, f.tenderID, b[0], tender.Declined, f.closes); !errors.Is(err, store.ErrTenderClosed) {
		t.Errorf("intent at the closing instant: %v", err)
	}
}

func TestAddendaNumberedUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, b := newTalkFixture(t)
	now := tenderNow.Add(time.Hour)
	if _, err := f.st.SubmitBid(ctx, f.tenderID, b[0], testEntity, store.BidInput{Rates: f.rates("A1", 100, "A2", 200, "B1", 300)}, now); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := f.st.IssueAddendum(ctx, f.tenderID, testOwner, store.AddendumInput{Text: "Notice"}, now)
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	list, err := f.st.Addenda(ctx, f.tenderID, "")
	if err != nil || len(list) != n {
		t.Fatalf("%d addenda, %v", len(list), err)
	}
	for i, a := range list {
		if a.Number != i+1 {
			t.Errorf("addendum %d is numbered %d", i, a.Number)
		}
	}
	// A text-only addendum changes no line: the redrafted bid keeps every rate and its total.
	if bid, rates := f.bidRates(t, b[0]); bid.Status != tender.BidDraft || len(rates) != 3 || bid.Total != 600 {
		t.Errorf("bid after text-only addenda: %s %d %v", bid.Status, bid.Total, rates)
	}
}
