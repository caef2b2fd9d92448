package demo

import (
	"context"
	"testing"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/store"
)

// TestDemoContract: the awarded driveway tender's contract is split into three
// milestones adding up to its sum, the first paid, the second held in escrow, the third
// planned, all simulated; the ledger agrees with every escrow and the chain verifies.
func TestDemoContract(t *testing.T) {
	t.Parallel()
	st := store.New(testdb.New(t))
	ctx := context.Background()
	hash := func(string) (string, error) {
		return "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", nil
	}
	if loaded, err := Load(ctx, st, hash); err != nil || !loaded {
		t.Fatalf("Load: %v %v", loaded, err)
	}
	cara, err := st.UserByEmail(ctx, "cara@solidform.test")
	if err != nil {
		t.Fatal(err)
	}
	kiri, err := st.UserByEmail(ctx, "kiri@kerbline.test")
	if err != nil {
		t.Fatal(err)
	}
	var ks []store.ContractSummary
	for _, e := range []int64{cara.EntityID, kiri.EntityID} {
		list, err := st.ContractsOfEntity(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, list...)
	}
	if len(ks) != 1 || ks[0].TenderTitle != ContractTender {
		t.Fatalf("contracts: %+v", ks)
	}
	k := ks[0]
	ms, err := st.Milestones(ctx, k.ID)
	if err != nil || len(ms) != 3 {
		t.Fatalf("milestones: %+v %v", ms, err)
	}
	var total int64
	for _, m := range ms {
		total += m.Amount
	}
	want := []escrow.MilestoneStatus{escrow.MilestonePaid, escrow.MilestoneFunded, escrow.MilestonePlanned}
	for i, m := range ms {
		if m.Status != want[i] {
			t.Errorf("milestone %d %q is %s, want %s", i+1, m.Title, m.Status, want[i])
		}
	}
	if total != k.ContractSum || k.Paid != ms[0].Amount || k.InEscrow != ms[1].Amount {
		t.Errorf("sum %d of %d, paid %d, in escrow %d", total, k.ContractSum, k.Paid, k.InEscrow)
	}
	es, err := st.EscrowsOfContract(ctx, k.ID)
	if err != nil || len(es) != 2 {
		t.Fatalf("escrows: %+v %v", es, err)
	}
	ps, err := st.Postings(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	byEscrow := map[string][]escrow.Posting{}
	var all []escrow.Posting
	for _, p := range ps {
		all = append(all, p.Posting)
		byEscrow[p.EscrowID.String] = append(byEscrow[p.EscrowID.String], p.Posting)
	}
	if escrow.BalancesOf(all).Total() != 0 {
		t.Errorf("the ledger does not balance: %v", escrow.BalancesOf(all))
	}
	for _, e := range es {
		if !e.Simulated {
			t.Errorf("escrow %s not simulated", e.ID)
		}
		if err := escrow.CheckEscrow(e.Status, e.ReleaseState, e.Payout(), escrow.BalancesOf(byEscrow[e.ID])); err != nil {
			t.Error(err)
		}
	}
	owner, _ := st.UserByEmail(ctx, "olivia@harbourhomes.test")
	ps2, _, err := st.ListProjects(ctx, store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Page: 1, PerPage: 50, Query: "HVT-01"})
	if err != nil || len(ps2) != 1 {
		t.Fatalf("Harbour View: %v %v", ps2, err)
	}
	if check, err := st.VerifyActivity(ctx, ps2[0].ID); err != nil || !check.OK {
		t.Errorf("activity chain: %+v %v", check, err)
	}
}
