package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/14build/14build/payments"
	"github.com/14build/14build/payouts"
	"github.com/14build/14build/store"
)

// The demo's contract (issue 14): "Driveway and paths", tendered to two concrete firms a
// month ago and awarded to the lower bid, split into three milestones that add up to the
// contract sum, through the payment simulator: the first paid (funded, completed, approved,
// released), the second funded and held in escrow, the third planned. Every step goes
// through the store and the payouts service as people would, so the ledger balances and
// the project's activity chain verifies. The concrete package stays closed, for leveling
// and the award.

// ContractTender is the awarded demo tender's title.
const ContractTender = "Driveway and paths"

// contractMilestones split the contract sum: shares in per cent, the last takes the rest.
var contractMilestones = []struct {
	title, description string
	share              int64 // per cent of the contract sum (0: the remainder)
	dueDays            int   // due this many days from today
}{
	{"Excavation and base course", "Strip topsoil, excavate to level, 150 mm compacted basecourse.", 30, -10},
	{"Driveway slab", "100 mm reinforced slab, broom finish, saw cuts.", 45, 14},
	{"Paths and making good", "Paths to the blocks' entries, edgings, reinstatement.", 0, 35},
}

func drivewayContract(ctx context.Context, st *store.Store, projectID, soqID, owner string, cats map[string]int64, closes time.Time) error {
	id, err := st.CreateTender(ctx, projectID, owner, store.NewTender{SOQID: soqID, Title: ContractTender,
		Instructions: "Price the concrete works with your preliminaries; the driveway and paths are let first.",
		ClosesAt:     closes, Sealed: true, ScopeByTrade: true, CategoryIDs: []int64{cats["Concrete"]},
		Invitees: []string{"cara@solidform.test", "kiri@kerbline.test"}})
	if err != nil {
		return err
	}
	if err := st.OpenTender(ctx, id, owner, closes.AddDate(0, 0, -14)); err != nil {
		return err
	}
	lines, err := estimates(ctx, st, id, soqID)
	if err != nil {
		return err
	}
	var lowest store.Submission
	for _, b := range []struct {
		email string
		p     pricing
	}{
		{"cara@solidform.test", pricing{prelims: 300, others: 940, spread: 40}},
		{"kiri@kerbline.test", pricing{prelims: 420, others: 990, spread: 30}},
	} {
		uid, ent, err := bidder(ctx, st, b.email)
		if err != nil {
			return err
		}
		sub, err := st.SubmitBid(ctx, id, uid, ent, priced(lines, b.p, "driveway"+b.email, -1), closes.AddDate(0, 0, -2))
		if err != nil {
			return fmt.Errorf("bid of %s: %w", b.email, err)
		}
		if lowest.BidID == "" || sub.Total < lowest.Total {
			lowest = sub
		}
	}
	if err := st.CloseTender(ctx, id, "", closes); err != nil {
		return err
	}
	k, err := st.AwardBid(ctx, id, lowest.BidID, owner, closes.AddDate(0, 0, 2))
	if err != nil {
		return err
	}
	return contractMoney(ctx, st, k, owner)
}

// contractMoney splits contract k into the demo milestones and moves the first two
// through the simulator.
func contractMoney(ctx context.Context, st *store.Store, k store.Contract, owner string) error {
	octx := store.WithActor(ctx, owner)
	svc := &payouts.Service{Store: st, Provider: payments.NewSimulator()}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var ids []string
	var given int64
	for _, m := range contractMilestones {
		amount := k.ContractSum * m.share / 100
		if m.share == 0 {
			amount = k.ContractSum - given
		}
		given += amount
		due := today.AddDate(0, 0, m.dueDays)
		ms, err := st.AddMilestone(octx, k.ID, store.MilestoneInput{Title: m.title, Description: m.description, DueDate: &due, Amount: amount})
		if err != nil {
			return fmt.Errorf("milestone %q: %w", m.title, err)
		}
		ids = append(ids, ms.ID)
	}
	// The contractor's payouts (simulated: enabled at once), then the first two milestones
	// paid into escrow.
	if _, err := svc.Onboard(ctx, k.ContractorEntityID, k.ID); err != nil {
		return fmt.Errorf("payout account: %w", err)
	}
	for _, mid := range ids[:2] {
		e, err := svc.Fund(octx, mid)
		if err != nil {
			return fmt.Errorf("fund: %w", err)
		}
		if _, err := svc.SimulatePayment(octx, e.ID); err != nil {
			return fmt.Errorf("simulated payment: %w", err)
		}
	}
	// The first: completed by the contractor, approved and released by the owner.
	contractor, err := contractorUser(ctx, st, k)
	if err != nil {
		return err
	}
	if _, err := svc.Complete(store.WithActor(ctx, contractor), ids[0], "Basecourse compacted and levels checked by the engineer."); err != nil {
		return fmt.Errorf("complete: %w", err)
	}
	if _, err := svc.Approve(octx, ids[0]); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	e, err := st.LiveEscrowOf(ctx, ids[0])
	if err != nil {
		return err
	}
	if _, err := svc.Release(octx, e.ID); err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// contractorUser is a bidder of the contract's company (the one who bid).
func contractorUser(ctx context.Context, st *store.Store, k store.Contract) (string, error) {
	b, err := st.Bid(ctx, k.BidID)
	if err != nil {
		return "", err
	}
	return b.BidderID, nil
}
