package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// newContractFixture awards a tender of the SOQ fixture to a bid of sum: the contract
// the escrow tests work on (bidder 1's company, entity 9101, is the contractor).
func newContractFixture(t *testing.T, sum int64) (*soqFixture, store.Contract) {
	t.Helper()
	ctx := context.Background()
	f, id := newTenderFixture(t, store.NewTender{})
	if err := f.st.OpenTender(ctx, id, testOwner, tenderNow); err != nil {
		t.Fatal(err)
	}
	bid, _ := f.insertBid(t, id, 1, tender.BidSubmitted, sum)
	if err := f.st.CloseTender(ctx, id, "", tenderNow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, err := f.st.AwardBid(ctx, id, bid, testOwner, tenderNow.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

// assertLedger checks a contract's ledger against its escrows' states: each escrow's
// postings balance as escrow.CheckEscrow says its state implies, the contract's postings
// of no escrow as its retention release implies, every posting in the contract's
// currency, the grand total zero, and the project's activity chain verifies.
func assertLedger(t *testing.T, st *store.Store, contractID string) {
	t.Helper()
	ctx := context.Background()
	c, err := st.Contract(ctx, contractID)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := st.Postings(ctx, contractID)
	if err != nil {
		t.Fatal(err)
	}
	es, err := st.EscrowsOfContract(ctx, contractID)
	if err != nil {
		t.Fatal(err)
	}
	byEscrow := map[string][]store.Posting{}
	for _, p := range ps {
		if p.Currency != c.Currency {
			t.Errorf("posting %d in %s, contract in %s", p.ID, p.Currency, c.Currency)
		}
		byEscrow[p.EscrowID.String] = append(byEscrow[p.EscrowID.String], p) // "" for the contract's own
	}
	var held int64
	for _, e := range es {
		if err := escrow.CheckEscrow(e.Status, e.ReleaseState, e.Payout(), store.PostingBalances(byEscrow[e.ID])); err != nil {
			t.Errorf("escrow %s: %v", e.ID, err)
		}
		if e.ReleaseState != escrow.ReleaseNone {
			held += e.Retention
		}
		delete(byEscrow, e.ID)
	}
	if err := escrow.CheckRetention(c.RetentionReleaseState, held, store.PostingBalances(byEscrow[""])); err != nil {
		t.Errorf("contract %s: %v", contractID, err)
	}
	delete(byEscrow, "")
	if len(byEscrow) > 0 {
		t.Errorf("postings of escrows not of the contract: %v", byEscrow)
	}
	if total := store.PostingBalances(ps).Total(); total != 0 {
		t.Errorf("the ledger's grand total is %d, want 0", total)
	}
	tid, err := projectOfContract(st, c)
	if err != nil {
		t.Fatal(err)
	}
	if check, err := st.VerifyActivity(ctx, tid); err != nil || !check.OK {
		t.Errorf("activity chain: %+v, %v", check, err)
	}
}

func projectOfContract(st *store.Store, c store.Contract) (string, error) {
	tn, err := st.Tender(context.Background(), c.TenderID)
	return tn.ProjectID, err
}

// addMilestones adds milestones of these amounts, failing the test on an error.
func addMilestones(t *testing.T, st *store.Store, contractID string, amounts ...int64) []store.Milestone {
	t.Helper()
	var out []store.Milestone
	for i, a := range amounts {
		m, err := st.AddMilestone(context.Background(), contractID, store.MilestoneInput{Title: fmt.Sprintf("Stage %d", i+1), Amount: a})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// fund opens the milestone's escrow with a payment intent and funds it by an event.
func fund(t *testing.T, st *store.Store, milestoneID string) store.Escrow {
	t.Helper()
	ctx := context.Background()
	e, _, err := st.OpenEscrow(ctx, milestoneID, true)
	if err != nil {
		t.Fatal(err)
	}
	pi := "pi_" + e.ID
	if err := st.SetPaymentIntent(ctx, e.ID, pi, "secret_"+e.ID); err != nil {
		t.Fatal(err)
	}
	e, changed, err := st.FundEscrow(ctx, "evt_"+e.ID, "payment_intent.succeeded", pi)
	if err != nil || !changed || e.Status != escrow.EscrowFunded {
		t.Fatalf("FundEscrow: %+v, %v, %v", e, changed, err)
	}
	return e
}

func fieldErr(err error, name string) string {
	var fr *store.FieldsRefused
	if errors.As(err, &fr) {
		return fr.Fields[name]
	}
	return ""
}

func stateErr(err error) string {
	var se *escrow.StateError
	if errors.As(err, &se) {
		return se.Message
	}
	return ""
}

func TestMilestonesSumAndEdit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c := newContractFixture(t, 100_000)
	st := f.st
	defer assertLedger(t, st, c.ID)

	if _, err := st.AddMilestone(ctx, c.ID, store.MilestoneInput{Title: " ", Amount: 0}); fieldErr(err, "title") == "" || fieldErr(err, "amount") == "" {
		t.Errorf("empty input: %v", err)
	}
	due := time.Date(2026, 5, 1, 15, 0, 0, 0, time.UTC)
	a, err := st.AddMilestone(ctx, c.ID, store.MilestoneInput{Title: " Slab ", Description: "Pour", DueDate: &due, Amount: 60_000})
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Slab" || a.Position != 1 || a.Status != escrow.MilestonePlanned || !a.DueDate.Valid || a.DueDate.Time.Day() != 1 || a.Version != 1 {
		t.Errorf("added %+v", a)
	}
	// 60,000 of 100,000 allocated: 50,000 more exceeds it by 10,000 with 40,000 remaining.
	_, err = st.AddMilestone(ctx, c.ID, store.MilestoneInput{Title: "Frame", Amount: 50_000})
	if msg := fieldErr(err, "amount"); !strings.Contains(msg, "$100.00") || !strings.Contains(msg, "remaining $400.00") {
		t.Errorf("over the sum: %v (%q)", err, msg)
	}
	b := addMilestones(t, st, c.ID, 30_000)[0]
	// Funding waits for the total to equal the sum exactly.
	if _, _, err := st.OpenEscrow(ctx, a.ID, true); !strings.Contains(stateErr(err), "$100.00 is left to allocate") {
		t.Errorf("funding short of the sum: %v", err)
	}
	if _, err := st.UpdateMilestone(ctx, b.ID, b.Version, store.MilestoneInput{Title: "Frame", Amount: 40_001}); fieldErr(err, "amount") == "" {
		t.Errorf("update over the sum: %v", err)
	}
	b2, err := st.UpdateMilestone(ctx, b.ID, b.Version, store.MilestoneInput{Title: "Frame", Amount: 40_000})
	if err != nil || b2.Amount != 40_000 || b2.Version != 2 {
		t.Fatalf("update: %+v, %v", b2, err)
	}
	if _, err := st.UpdateMilestone(ctx, b.ID, b.Version, store.MilestoneInput{Title: "Old", Amount: 1}); !strings.Contains(stateErr(err), "someone else") {
		t.Errorf("stale version: %v", err)
	}
	if _, err := st.UpdateMilestone(ctx, b.ID, b2.Version, store.MilestoneInput{Title: "Frame", Amount: 39_999}); err != nil {
		t.Fatal(err)
	}
	addMilestones(t, st, c.ID, 1)
	ms, err := st.Milestones(ctx, c.ID)
	if err != nil || len(ms) != 3 {
		t.Fatalf("milestones %+v, %v", ms, err)
	}
	// Reorder: the last to the top, then delete the middle; positions stay 1..n.
	if err := st.MoveMilestone(ctx, ms[2].ID, 0); err != nil {
		t.Fatal(err)
	}
	ms, _ = st.Milestones(ctx, c.ID)
	if ms[0].Amount != 1 || ms[1].ID != a.ID || ms[2].ID != b.ID || ms[2].Position != 3 {
		t.Errorf("after the move: %+v", ms)
	}
	if err := st.MoveMilestone(ctx, ms[0].ID, 99); err != nil {
		t.Fatal(err)
	}
	ms, _ = st.Milestones(ctx, c.ID)
	if ms[2].Amount != 1 || ms[0].ID != a.ID || ms[1].ID != b.ID {
		t.Errorf("after the move down: %+v", ms)
	}
	if err := st.DeleteMilestone(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	ms, _ = st.Milestones(ctx, c.ID)
	if len(ms) != 2 || ms[0].Position != 1 || ms[1].Position != 2 || ms[1].Amount != 1 {
		t.Errorf("after the delete: %+v", ms)
	}
	if err := st.DeleteMilestone(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete of nothing: %v", err)
	}

	// Retention: only before any escrow; 0..20 %.
	if err := st.SetRetention(ctx, c.ID, 2001); fieldErr(err, "retention") == "" {
		t.Errorf("retention 20.01 %%: %v", err)
	}
	if err := st.SetRetention(ctx, c.ID, 500); err != nil {
		t.Fatal(err)
	}
	addMilestones(t, st, c.ID, 39_999)
	e, created, err := st.OpenEscrow(ctx, a.ID, true)
	if err != nil || !created || e.Amount != 60_000 || e.Fee != 1500 || e.Retention != 3000 || e.Status != escrow.EscrowPending {
		t.Fatalf("OpenEscrow: %+v %v %v", e, created, err)
	}
	again, created, err := st.OpenEscrow(ctx, a.ID, true)
	if err != nil || created || again.ID != e.ID {
		t.Errorf("second OpenEscrow: %+v %v %v", again, created, err)
	}
	if err := st.SetRetention(ctx, c.ID, 1000); stateErr(err) == "" {
		t.Errorf("retention after an escrow: %v", err)
	}
	if _, err := st.UpdateMilestone(ctx, a.ID, a.Version, store.MilestoneInput{Title: "Slab", Amount: 59_000}); stateErr(err) == "" {
		t.Errorf("amount change with a pending escrow: %v", err)
	}
	if err := st.DeleteMilestone(ctx, a.ID); stateErr(err) == "" {
		t.Errorf("delete with a pending escrow: %v", err)
	}
	// Cancel, and the milestone may be edited and funded again.
	if err := st.CancelEscrow(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.CancelEscrow(ctx, a.ID); stateErr(err) == "" {
		t.Errorf("second cancel: %v", err)
	}
	if _, err := st.LiveEscrowOf(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("live escrow after cancel: %v", err)
	}
	e2, created, err := st.OpenEscrow(ctx, a.ID, false)
	if err != nil || !created || e2.ID == e.ID {
		t.Errorf("OpenEscrow after cancel: %+v %v %v", e2, created, err)
	}
	if got, _ := st.EscrowsOfProject(ctx, testProject); len(got) != 2 {
		t.Errorf("escrows of the project: %d", len(got))
	}
}

func TestEscrowLifecycle(t *testing.T) {
	t.Parallel()
	ctx := store.WithActor(context.Background(), testOwner)
	f, c := newContractFixture(t, 100_000)
	st := f.st
	defer assertLedger(t, st, c.ID)
	if err := st.SetRetention(ctx, c.ID, 1000); err != nil {
		t.Fatal(err)
	}
	ms := addMilestones(t, st, c.ID, 1999, 98_001)
	m := ms[0]
	e, _, err := st.OpenEscrow(ctx, m.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	// 1999: fee 49.975 → 50, retention 199.9 → 200, transfer 1749.
	if p := e.Payout(); p != (escrow.Payout{Amount: 1999, Fee: 50, Retention: 200, Transfer: 1749}) {
		t.Errorf("payout %+v", p)
	}
	if err := st.SetPaymentIntent(ctx, e.ID, "pi_1", "cs_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteMilestone(ctx, m.ID, "done"); stateErr(err) != "Only a funded milestone can be marked complete." {
		t.Errorf("complete before funding: %v", err)
	}
	// Unknown payment intent: no error, no change, but the event is recorded.
	if got, changed, err := st.FundEscrow(ctx, "evt_0", "payment_intent.succeeded", "pi_unknown"); err != nil || changed || got.ID != "" {
		t.Errorf("unknown PI: %+v %v %v", got, changed, err)
	}
	got, changed, err := st.FundEscrow(ctx, "evt_1", "payment_intent.succeeded", "pi_1")
	if err != nil || !changed || got.Status != escrow.EscrowFunded || !got.FundedAt.Valid {
		t.Fatalf("fund: %+v %v %v", got, changed, err)
	}
	assertLedger(t, st, c.ID)
	// The replay, and another event for the same payment: no change.
	for _, ev := range []string{"evt_1", "evt_2"} {
		if again, changed, err := st.FundEscrow(ctx, ev, "payment_intent.succeeded", "pi_1"); err != nil || changed || again.ID != e.ID {
			t.Errorf("fund again by %s: %v %v", ev, changed, err)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM ledger_postings WHERE escrow_id = $1`, e.ID); n != 1 {
		t.Errorf("%d postings after funding, want 1", n)
	}
	if got, _ := st.Milestone(ctx, m.ID); got.Status != escrow.MilestoneFunded {
		t.Errorf("milestone %s after funding", got.Status)
	}
	if _, _, err := st.RequestRelease(ctx, e.ID); stateErr(err) == "" {
		t.Errorf("release before approval: %v", err)
	}
	if _, err := st.CompleteMilestone(ctx, m.ID, " "); fieldErr(err, "note") == "" {
		t.Errorf("complete without a note: %v", err)
	}
	if got, err := st.CompleteMilestone(ctx, m.ID, "Slab poured"); err != nil || got.Status != escrow.MilestoneCompleted || got.CompletionNote != "Slab poured" {
		t.Fatalf("complete: %+v %v", got, err)
	}
	if got, err := st.ApproveMilestone(ctx, m.ID); err != nil || got.Status != escrow.MilestoneApproved || !got.ApprovedAt.Valid {
		t.Fatalf("approve: %+v %v", got, err)
	}
	if _, err := st.CompleteRelease(ctx, e.ID, "tr_1"); stateErr(err) == "" {
		t.Errorf("transfer before the release: %v", err)
	}
	if err := st.CancelEscrow(ctx, m.ID); stateErr(err) == "" {
		t.Errorf("cancel of a funded escrow: %v", err)
	}
	rel, changed, err := st.RequestRelease(ctx, e.ID)
	if err != nil || !changed || rel.ReleaseState != escrow.ReleaseRequested {
		t.Fatalf("release: %+v %v %v", rel, changed, err)
	}
	assertLedger(t, st, c.ID)
	if owed, err := st.ReleasesOwed(ctx, 10); err != nil || len(owed) != 1 || owed[0].ID != e.ID {
		t.Errorf("owed: %+v %v", owed, err)
	}
	if _, err := st.DisputeMilestone(ctx, m.ID, "late"); stateErr(err) == "" {
		t.Errorf("dispute after the release: %v", err)
	}
	if _, err := st.RequestRefund(ctx, e.ID); stateErr(err) == "" {
		t.Errorf("refund after the release: %v", err)
	}
	if _, changed, err := st.RequestRelease(ctx, e.ID); err != nil || changed {
		t.Errorf("second release: %v %v", changed, err)
	}
	done, err := st.CompleteRelease(ctx, e.ID, "tr_1")
	if err != nil || done.Status != escrow.EscrowReleased || done.ReleaseState != escrow.ReleaseSent || done.TransferID.String != "tr_1" {
		t.Fatalf("transfer: %+v %v", done, err)
	}
	if again, err := st.CompleteRelease(ctx, e.ID, "tr_2"); err != nil || again.TransferID.String != "tr_1" {
		t.Errorf("second transfer: %+v %v", again, err)
	}
	if got, _ := st.Milestone(ctx, m.ID); got.Status != escrow.MilestonePaid || !got.PaidAt.Valid {
		t.Errorf("milestone %s after the transfer", got.Status)
	}
	if owed, _ := st.ReleasesOwed(ctx, 10); len(owed) != 0 {
		t.Errorf("owed after the transfer: %+v", owed)
	}
	b := store.PostingBalances(mustPostings(t, st, c.ID))
	if b[escrow.AccountContractorPaid] != 1749 || b[escrow.AccountPlatformFees] != 50 || b[escrow.AccountRetentionHeld] != 200 ||
		b[escrow.AccountOwnerFunding] != -1999 {
		t.Errorf("balances %v", b)
	}

	// Retention waits for every milestone to be paid.
	if _, _, err := st.RequestRetentionRelease(ctx, c.ID); stateErr(err) == "" {
		t.Errorf("retention with a milestone unpaid: %v", err)
	}
	e2 := fund(t, st, ms[1].ID)
	st.CompleteMilestone(ctx, ms[1].ID, "ok")
	st.ApproveMilestone(ctx, ms[1].ID)
	if _, _, err := st.RequestRelease(ctx, e2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CompleteRelease(ctx, e2.ID, "tr_2"); err != nil {
		t.Fatal(err)
	}
	rc, changed, err := st.RequestRetentionRelease(ctx, c.ID)
	if err != nil || !changed || rc.RetentionReleaseState != escrow.ReleaseRequested {
		t.Fatalf("retention release: %+v %v %v", rc, changed, err)
	}
	assertLedger(t, st, c.ID)
	if owed, _ := st.RetentionReleasesOwed(ctx, 10); len(owed) != 1 {
		t.Errorf("retention owed: %+v", owed)
	}
	if _, changed, _ := st.RequestRetentionRelease(ctx, c.ID); changed {
		t.Error("second retention release changed")
	}
	rc2, err := st.CompleteRetentionRelease(ctx, c.ID, "tr_ret")
	if err != nil || rc2.RetentionReleaseState != escrow.ReleaseSent || rc2.RetentionTransferID.String != "tr_ret" {
		t.Fatalf("retention transfer: %+v %v", rc2, err)
	}
	b = store.PostingBalances(mustPostings(t, st, c.ID))
	if b[escrow.AccountContractorPaid] != 100_000-2500 || b[escrow.AccountPlatformFees] != 2500 || b[escrow.AccountRetentionHeld] != 0 ||
		b[escrow.AccountContractorPayable] != 0 || b[escrow.AccountEscrowHeld] != 0 {
		t.Errorf("balances at the end %v", b)
	}

	// The chain holds the money movements, with the actor.
	acts, _, err := st.ActivityOf(ctx, testProject, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[tender.Kind]int{}
	for _, a := range acts {
		kinds[a.Kind]++
		if a.Kind == tender.KindEscrowReleased && (a.ActorID != testOwner || a.Content["fee"] == "" || a.Content["amount"] == "") {
			t.Errorf("released entry %+v", a)
		}
	}
	for k, n := range map[tender.Kind]int{tender.KindMilestoneFunded: 2, tender.KindMilestoneCompleted: 2, tender.KindMilestoneApproved: 2,
		tender.KindEscrowReleased: 2, tender.KindEscrowTransferred: 3, tender.KindRetentionReleased: 1} {
		if kinds[k] != n {
			t.Errorf("%d %s entries, want %d", kinds[k], k, n)
		}
	}
	sums, err := st.ContractsOfEntity(ctx, c.ContractorEntityID)
	if err != nil || len(sums) != 1 || sums[0].Paid != 100_000 || sums[0].Milestones != 2 || sums[0].MilestonesTotal != 100_000 ||
		sums[0].ProjectID != testProject || sums[0].ContractorName == "" || sums[0].InEscrow != 0 {
		t.Errorf("contracts of the contractor: %+v %v", sums, err)
	}
	if sums, err := st.ContractsOfProject(ctx, testProject); err != nil || len(sums) != 1 || sums[0].ID != c.ID {
		t.Errorf("contracts of the project: %+v %v", sums, err)
	}
}

func mustPostings(t *testing.T, st *store.Store, contractID string) []store.Posting {
	t.Helper()
	ps, err := st.Postings(context.Background(), contractID)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestEscrowDisputeRefundAndOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c := newContractFixture(t, 10_000)
	st := f.st
	defer assertLedger(t, st, c.ID)
	ms := addMilestones(t, st, c.ID, 4000, 6000)

	// A funded event for a cancelled escrow: recorded, no error, no change.
	e, _, err := st.OpenEscrow(ctx, ms[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPaymentIntent(ctx, e.ID, "pi_late", ""); err != nil {
		t.Fatal(err)
	}
	if err := st.CancelEscrow(ctx, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	if got, changed, err := st.FundEscrow(ctx, "evt_late", "payment_intent.succeeded", "pi_late"); err != nil || changed || got.Status != escrow.EscrowCancelled {
		t.Errorf("funded event for a cancelled escrow: %+v %v %v", got, changed, err)
	}
	if n := f.count(t, `SELECT count(*) FROM stripe_events WHERE id = 'evt_late'`); n != 1 {
		t.Error("the out-of-order event was not recorded")
	}
	if err := st.SetPaymentIntent(ctx, e.ID, "pi_x", ""); stateErr(err) == "" {
		t.Errorf("payment intent for a cancelled escrow: %v", err)
	}

	// Disputed while the payment is under way: the payment still lands, the dispute holds.
	e2, _, err := st.OpenEscrow(ctx, ms[0].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	st.SetPaymentIntent(ctx, e2.ID, "pi_2", "")
	if _, err := st.DisputeMilestone(ctx, ms[0].ID, ""); fieldErr(err, "reason") == "" {
		t.Errorf("dispute without a reason: %v", err)
	}
	d, err := st.DisputeMilestone(ctx, ms[0].ID, "Wrong amount")
	if err != nil || d.Status != escrow.MilestoneDisputed || d.DisputedFrom.String != "planned" {
		t.Fatalf("dispute: %+v %v", d, err)
	}
	if _, err := st.DisputeMilestone(ctx, ms[0].ID, "again"); stateErr(err) == "" {
		t.Errorf("second dispute: %v", err)
	}
	if _, changed, err := st.FundEscrow(ctx, "evt_2", "payment_intent.succeeded", "pi_2"); err != nil || !changed {
		t.Fatalf("funding a disputed milestone: %v %v", changed, err)
	}
	if m, _ := st.Milestone(ctx, ms[0].ID); m.Status != escrow.MilestoneDisputed || m.DisputedFrom.String != "funded" {
		t.Errorf("after funding in dispute: %s from %s", m.Status, m.DisputedFrom.String)
	}
	if _, err := st.CompleteMilestone(ctx, ms[0].ID, "x"); stateErr(err) == "" {
		t.Errorf("complete while disputed: %v", err)
	}
	r, err := st.ResolveDispute(ctx, ms[0].ID)
	if err != nil || r.Status != escrow.MilestoneFunded || r.DisputedFrom.Valid {
		t.Fatalf("resolve: %+v %v", r, err)
	}
	if _, err := st.ResolveDispute(ctx, ms[0].ID); stateErr(err) == "" {
		t.Errorf("second resolve: %v", err)
	}
	// Dispute again after completion, then refund: the milestone is planned again.
	st.CompleteMilestone(ctx, ms[0].ID, "done")
	if _, err := st.DisputeMilestone(ctx, ms[0].ID, "Not done"); err != nil {
		t.Fatal(err)
	}
	if got, err := st.RequestRefund(ctx, e2.ID); err != nil || got.ID != e2.ID {
		t.Fatalf("request refund: %v", err)
	}
	ref, err := st.CompleteRefund(ctx, e2.ID, "re_1")
	if err != nil || ref.Status != escrow.EscrowRefunded || ref.RefundID.String != "re_1" {
		t.Fatalf("refund: %+v %v", ref, err)
	}
	if again, err := st.CompleteRefund(ctx, e2.ID, "re_2"); err != nil || again.RefundID.String != "re_1" {
		t.Errorf("second refund: %+v %v", again, err)
	}
	m, _ := st.Milestone(ctx, ms[0].ID)
	if m.Status != escrow.MilestonePlanned || m.DisputedFrom.Valid || m.CompletedAt.Valid {
		t.Errorf("after the refund: %+v", m)
	}
	assertLedger(t, st, c.ID)
	if err := st.DeleteMilestone(ctx, ms[0].ID); stateErr(err) == "" {
		t.Errorf("delete with a refunded payment in its history: %v", err)
	}
	// Funded again after the refund.
	e3 := fund(t, st, ms[0].ID)
	if e3.ID == e2.ID {
		t.Error("the refunded escrow was reused")
	}
	if _, err := st.CompleteRefund(ctx, e3.ID, "re_3"); err != nil {
		t.Fatal(err)
	}
}

func TestEscrowConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c := newContractFixture(t, 1_000_000)
	st := f.st
	defer assertLedger(t, st, c.ID)

	// 20 adds of 100,000 race for 1,000,000: exactly 10 fit, the total never exceeds it.
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = st.AddMilestone(ctx, c.ID, store.MilestoneInput{Title: fmt.Sprintf("M%d", i), Amount: 100_000})
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case fieldErr(err, "amount") != "":
			refused++
		default:
			t.Errorf("add: %v", err)
		}
	}
	if ok != 10 || refused != 10 {
		t.Errorf("%d added, %d refused; want 10 and 10", ok, refused)
	}
	ms, _ := st.Milestones(ctx, c.ID)
	var total int64
	for i, m := range ms {
		total += m.Amount
		if m.Position != i+1 {
			t.Errorf("positions %d at %d", m.Position, i)
		}
	}
	if total != 1_000_000 {
		t.Fatalf("total %d", total)
	}

	e := fund(t, st, ms[0].ID)
	st.CompleteMilestone(ctx, ms[0].ID, "done")
	st.ApproveMilestone(ctx, ms[0].ID)
	changed := make([]bool, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, changed[i], errs[i] = st.RequestRelease(ctx, e.ID)
		}()
	}
	wg.Wait()
	won := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("release %d: %v", i, errs[i])
		}
		if changed[i] {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d releases changed the escrow, want 1", won)
	}
	if got := f.count(t, `SELECT count(*) FROM ledger_postings WHERE escrow_id = $1 AND kind = 'release'`, e.ID); got != 1 {
		t.Errorf("%d release postings, want 1", got)
	}

	// 20 deliveries of one event at once: funded once.
	e2, _, err := st.OpenEscrow(ctx, ms[1].ID, true)
	if err != nil {
		t.Fatal(err)
	}
	st.SetPaymentIntent(ctx, e2.ID, "pi_race", "")
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, changed[i], errs[i] = st.FundEscrow(ctx, "evt_race", "payment_intent.succeeded", "pi_race")
		}()
	}
	wg.Wait()
	won = 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("fund %d: %v", i, errs[i])
		}
		if changed[i] {
			won++
		}
	}
	if won != 1 {
		t.Errorf("%d fundings changed the escrow, want 1", won)
	}
}

func TestPayoutAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c := newContractFixture(t, 1000)
	st := f.st
	if _, err := st.PayoutAccount(ctx, c.ContractorEntityID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no account yet: %v", err)
	}
	if err := st.UpsertPayoutAccount(ctx, store.PayoutAccount{EntityID: c.ContractorEntityID, StripeAccountID: "acct_1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAccountState(ctx, "acct_1", true, true); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAccountState(ctx, "acct_other", true, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	a, err := st.PayoutAccount(ctx, c.ContractorEntityID)
	if err != nil || a.StripeAccountID != "acct_1" || !a.DetailsSubmitted || !a.PayoutsEnabled {
		t.Errorf("account %+v %v", a, err)
	}
}
