package demo

import (
	"context"
	"testing"
	"time"

	"github.com/14build/14build/internal/testdb"
	"github.com/14build/14build/money"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

func TestDemoTenders(t *testing.T) {
	t.Parallel()
	st := store.New(testdb.New(t))
	ctx := context.Background()
	hash := func(string) (string, error) {
		return "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", nil
	}
	if loaded, err := Load(ctx, st, hash); err != nil || !loaded {
		t.Fatalf("Load: %v %v", loaded, err)
	}
	owner, err := st.UserByEmail(ctx, "olivia@harbourhomes.test")
	if err != nil {
		t.Fatal(err)
	}
	ps, _, err := st.ListProjects(ctx, store.ProjectScope{UserID: owner.ID}, store.ProjectFilter{Page: 1, PerPage: 50, Query: "HVT-01"})
	if err != nil || len(ps) != 1 {
		t.Fatalf("Harbour View: %v %v", ps, err)
	}
	hv := ps[0]
	ts, err := st.TendersOfProject(ctx, hv.ID)
	if err != nil || len(ts) != 3 { // electrical, concrete and the awarded driveway (contract.go)
		t.Fatalf("tenders: %v %v", ts, err)
	}
	byTitle := map[string]store.Tender{}
	for _, tn := range ts {
		byTitle[tn.Title] = tn
	}
	email := map[string]string{} // bidder id → email
	for _, e := range []string{"bea@sparkelectrical.test", "bob@flowplumbing.test", "cara@solidform.test", "kiri@kerbline.test", "sam@stonecast.test"} {
		u, err := st.UserByEmail(ctx, e)
		if err != nil {
			t.Fatal(e, err)
		}
		email[u.ID] = e
	}

	// Electrical: open, closing in 5 days at 17:00 in Wellington.
	el := byTitle[ElectricalTender]
	loc, _ := time.LoadLocation("Pacific/Auckland")
	if el.Status != tender.Open || el.ClosesAt.In(loc).Hour() != 17 || el.ClosesAt.Sub(time.Now()) < 4*24*time.Hour ||
		el.ClosesAt.Sub(time.Now()) > 6*24*time.Hour {
		t.Errorf("electrical: %s closing %s", el.Status, el.ClosesAt.In(loc))
	}
	bea, err := st.BidOf(ctx, el.ID, idOf(email, "bea@sparkelectrical.test"))
	if err != nil || bea.Status != tender.BidSubmitted || bea.Total <= 0 {
		t.Errorf("Bea's bid: %+v %v", bea, err)
	}
	bob, err := st.BidOf(ctx, el.ID, idOf(email, "bob@flowplumbing.test"))
	if err != nil || bob.Status != tender.BidDraft || len(bob.Rates) == 0 || len(bob.Rates) >= len(bea.Rates) {
		t.Errorf("Bob's draft: %d rates (Bea %d) %v", len(bob.Rates), len(bea.Rates), err)
	}
	intents := map[string]tender.Intent{}
	for _, inv := range mustTender(t, st, el.ID).Invitees {
		intents[string(inv.Email)] = inv.Intent
	}
	if intents["bea@sparkelectrical.test"] != tender.Bidding || intents["cara@solidform.test"] != tender.Declined {
		t.Errorf("intents %v", intents)
	}

	// Concrete: closed, three submitted bids whose leveling shows each flag.
	cc := byTitle[ConcreteTender]
	if cc.Status != tender.Closed || !cc.ClosesAt.Before(time.Now()) {
		t.Fatalf("concrete: %s closing %s", cc.Status, cc.ClosesAt)
	}
	subs, err := st.BidsOfTender(ctx, cc.ID)
	if err != nil || len(subs) != 3 {
		t.Fatalf("concrete bids: %v %v", subs, err)
	}
	secs, err := st.TenderCopy(ctx, cc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []tender.Line
	for _, sec := range secs {
		for _, it := range sec.Items {
			lines = append(lines, tender.Line{ItemID: it.ID, Reference: it.Reference, Section: sec.Code, Type: it.Type,
				Quantity: it.Quantity, Allowance: it.Rate.Int64})
		}
	}
	rates := make([]map[string]int64, len(subs))
	for i, s := range subs {
		if s.Status != tender.BidSubmitted {
			t.Errorf("%s's bid is %s", email[s.BidderID], s.Status)
		}
		b, err := st.Bid(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		rates[i] = map[string]int64{}
		for _, r := range b.Rates {
			rates[i][r.ItemID] = r.Rate
		}
	}
	lv, err := tender.Level(lines, rates, money.Of(hv.Currency))
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]map[tender.Flag]int{} // email → flag → count
	for i, s := range subs {
		flags[email[s.BidderID]] = map[tender.Flag]int{}
		for _, f := range lv.Bids[i].Findings {
			flags[email[s.BidderID]][f.Flag]++
		}
	}
	for _, l := range lv.Lines {
		for i, fs := range l.Findings {
			for _, f := range fs {
				flags[email[subs[i].BidderID]][f.Flag]++
			}
		}
	}
	want := map[string]tender.Flag{"cara@solidform.test": tender.FlagZeroRate, "sam@stonecast.test": tender.FlagHighRate,
		"kiri@kerbline.test": tender.FlagFrontLoaded}
	for e, f := range want {
		if flags[e][f] != 1 {
			t.Errorf("%s: flags %v, want one %s", e, flags[e], f)
		}
		total := 0
		for _, n := range flags[e] {
			total += n
		}
		if total != 1 {
			t.Errorf("%s: flags %v, want only %s", e, flags[e], f)
		}
	}

	// The dashboard's lists (store/dashboard.go) on the demo data.
	now := time.Now()
	due, err := st.TendersClosingSoon(ctx, store.ProjectScope{UserID: owner.ID}, now, 14*24*time.Hour, now.AddDate(0, 0, -7))
	if err != nil || len(due) != 1 || due[0].ID != el.ID || due[0].Invited != 3 || due[0].Bidding != 1 || due[0].Submitted != 1 || due[0].New != 1 {
		t.Errorf("closing soon: %+v %v", due, err)
	}
	if due, _ := st.TendersClosingSoon(ctx, store.ProjectScope{UserID: owner.ID}, now, 24*time.Hour, now); len(due) != 0 {
		t.Errorf("closing within a day: %+v", due)
	}
	recent, err := st.RecentSubmissions(ctx, store.ProjectScope{UserID: owner.ID}, now.AddDate(0, 0, -7))
	if err != nil || len(recent) != 4 || recent[0].EntityName != "Spark Electrical" || recent[0].Revision != 1 {
		t.Errorf("recent submissions: %+v %v", recent, err)
	}
	if other, _ := st.RecentSubmissions(ctx, store.ProjectScope{UserID: idOf(email, "bea@sparkelectrical.test")}, now.AddDate(0, 0, -7)); len(other) != 0 {
		t.Errorf("a bidder's team scope: %+v", other)
	}
	for e, want := range map[string]tender.BidStatus{"bea@sparkelectrical.test": tender.BidSubmitted, "bob@flowplumbing.test": tender.BidDraft,
		"cara@solidform.test": ""} {
		bt, err := st.BidderTenders(ctx, idOf(email, e), now)
		if err != nil || len(bt) != 1 || bt[0].ID != el.ID || bt[0].Bid() != want || !bt[0].Invited || bt[0].Unacked != 0 {
			t.Errorf("%s's tenders: %+v %v", e, bt, err)
		}
	}
	if bt, _ := st.BidderTenders(ctx, idOf(email, "kiri@kerbline.test"), now); len(bt) != 0 {
		t.Errorf("Kiri sees %+v (the concrete package is closed)", bt)
	}

	// Every step went through the ledger.
	if check, err := st.VerifyActivity(ctx, hv.ID); err != nil || !check.OK || check.Entries < 10 {
		t.Errorf("ledger: %+v %v", check, err)
	}
}

func idOf(emails map[string]string, e string) string {
	for id, x := range emails {
		if x == e {
			return id
		}
	}
	return ""
}

func mustTender(t *testing.T, st *store.Store, id string) store.Tender {
	t.Helper()
	tn, err := st.Tender(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}
