package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/store"
	"github.com/14build/14build/tender"
)

// Tenders on Harbour View, made through the store as people would (created, opened, bid,
// closed), so every step is in the project's ledger and the chain verifies:
//
//   - "Electrical package", open, closing in 5 days at 17:00 project time: Bea's bid
//     submitted, Bob's a draft with half its lines priced, Bea bidding, Cara declined;
//   - "Concrete package", closed three days ago with three submitted bids to level: Cara's
//     with a rate of 0 on one line, Stonecast's with one line at 4× the others, Kerbline's
//     front-loaded (preliminaries above 15% of its total).

// Tender titles, for tests and the README tour.
const (
	ElectricalTender = "Electrical package"
	ConcreteTender   = "Concrete package"
)

// concreteBidders are the two other companies bidding on the concrete package, beside
// Cara's Solidform (demo logins too, with the same password).
var concreteBidders = []Account{
	{"Kiri Kerbline", "kiri@kerbline.test", authz.RoleBidder, "Kerbline Civil", "Concrete"},
	{"Sam Stonecast", "sam@stonecast.test", authz.RoleBidder, "Stonecast Construction", "Concrete"},
}

// pricing is how one bidder prices a tender: per mille of the SOQ's estimate, on
// preliminaries and on every other priced line, varied by ±spread per mille line by line
// (deterministically, so the demo is the same every time); zero and high name lines
// (by reference) priced at 0 and at 4× the estimate.
type pricing struct {
	prelims, others, spread int64
	zero, high              string
}

func (p pricing) rate(it store.TenderItem, salt string) int64 {
	est := it.Rate.Int64
	if est == 0 {
		est = 1000 // not on the SOQ (cannot happen here): a token rate
	}
	switch it.Reference {
	case p.zero:
		return 0
	case p.high:
		return est * 4
	}
	base := p.others
	if it.Type == soq.Preliminaries {
		base = p.prelims
	}
	h := fnv.New32a()
	h.Write([]byte(salt + it.Reference))
	vary := int64(h.Sum32()%uint32(2*p.spread+1)) - p.spread
	return est * (base + vary) / 1000
}

// loadTenders makes the demo tenders on project (owned by owner) from its SOQ, issuing the SOQ
// first. ids maps the demo logins' emails to their ids; the concrete bidders are added
// with password hash pw.
func loadTenders(ctx context.Context, st *store.Store, projectID, soqID, owner string, ids map[string]string,
	cats map[string]int64, pw string, tz string) error {
	if err := st.SetSOQStatus(ctx, soqID, soq.Draft, soq.Issued); err != nil {
		return fmt.Errorf("issue the demo SOQ: %w", err)
	}
	for _, a := range concreteBidders {
		u, err := st.CreateUser(ctx, store.NewUser{Name: a.Name, Email: a.Email, PasswordHash: pw, Role: a.Role, Entity: a.Entity,
			CategoryID: cats[a.Category]})
		if err != nil {
			return fmt.Errorf("demo user %s: %w", a.Email, err)
		}
		ids[a.Email] = u.ID
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return err
	}
	today := time.Now().In(loc)
	at17 := func(days int) time.Time {
		d := today.AddDate(0, 0, days)
		return time.Date(d.Year(), d.Month(), d.Day(), 17, 0, 0, 0, loc)
	}
	// The awarded one first: the Tenders tab lists the newest first, so it comes last.
	if err := drivewayContract(ctx, st, projectID, soqID, owner, cats, at17(-30)); err != nil {
		return fmt.Errorf("demo contract: %w", err)
	}
	if err := concretePackage(ctx, st, projectID, soqID, owner, cats, at17(-3)); err != nil {
		return fmt.Errorf("demo concrete tender: %w", err)
	}
	if err := electricalPackage(ctx, st, projectID, soqID, owner, cats, at17(5)); err != nil {
		return fmt.Errorf("demo electrical tender: %w", err)
	}
	return nil
}

// bidder is a demo bidder's id and the company it bids for.
func bidder(ctx context.Context, st *store.Store, email string) (string, int64, error) {
	u, err := st.UserByEmail(ctx, email)
	return u.ID, u.EntityID, err
}

// priced returns the bid's rates for the tender's priced lines (the locked allowances are
// taken as the SOQ has them), the first n of them only when n ≥ 0.
func priced(lines []store.TenderSection, p pricing, salt string, n int) store.BidInput {
	var in store.BidInput
	for _, sec := range lines {
		for _, it := range sec.Items {
			if tender.Locked(it.Type) || (n >= 0 && len(in.Rates) >= n) {
				continue
			}
			in.Rates = append(in.Rates, tender.Rate{ItemID: it.ID, Rate: p.rate(it, salt)})
		}
	}
	return in
}

// estimates is the tender's lines with the SOQ's rates as the estimate each bidder's
// pricing starts from (the frozen copy keeps rates of allowances only).
func estimates(ctx context.Context, st *store.Store, tenderID, soqID string) ([]store.TenderSection, error) {
	lines, err := st.TenderCopy(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	sheet, err := st.SOQHeader(ctx, soqID)
	if err != nil {
		return nil, err
	}
	if err := st.LoadSOQ(ctx, &sheet, store.ItemFilter{}); err != nil {
		return nil, err
	}
	rate := map[string]int64{}
	for _, sec := range sheet.Sections {
		for _, it := range sec.Items {
			rate[it.ID] = it.Rate
		}
	}
	for i := range lines {
		for j := range lines[i].Items {
			it := &lines[i].Items[j]
			if !it.Rate.Valid && it.SourceItemID.Valid {
				it.Rate.Int64, it.Rate.Valid = rate[it.SourceItemID.String], true
			}
		}
	}
	return lines, nil
}

func concretePackage(ctx context.Context, st *store.Store, projectID, soqID, owner string, cats map[string]int64, closes time.Time) error {
	// The concrete lines and the main contractor's preliminaries (General Building) they
	// carry: scoped by trade, so the package holds only those.
	id, err := st.CreateTender(ctx, projectID, owner, store.NewTender{SOQID: soqID, Title: ConcreteTender,
		Instructions: "Price the concrete works: footings, slabs and the driveway, with your preliminaries. Rates exclude GST.",
		ClosesAt:     closes, Sealed: true, ScopeByTrade: true,
		CategoryIDs: []int64{cats["Concrete"], cats["General Building"]},
		Invitees:    []string{"cara@solidform.test", "kiri@kerbline.test", "sam@stonecast.test"}})
	if err != nil {
		return err
	}
	if err := st.OpenTender(ctx, id, owner, closes.AddDate(0, 0, -21)); err != nil {
		return err
	}
	lines, err := estimates(ctx, st, id, soqID)
	if err != nil {
		return err
	}
	bids := []struct {
		email string
		p     pricing
		days  int // submitted this many days before closing
		quals string
	}{
		{"cara@solidform.test", pricing{prelims: 280, others: 960, spread: 60, zero: firstOf(lines, "Under-slab insulation")}, 2,
			"Pump hire included. Excludes rock breaking."},
		{"sam@stonecast.test", pricing{prelims: 320, others: 1010, spread: 70, high: firstOf(lines, "Blinding concrete")}, 1,
			"Assumes continuous access for trucks from Quay Street."},
		{"kiri@kerbline.test", pricing{prelims: 650, others: 905, spread: 30}, 3,
			"Price valid for 60 days."},
	}
	for _, b := range bids {
		uid, ent, err := bidder(ctx, st, b.email)
		if err != nil {
			return err
		}
		in := priced(lines, b.p, b.email, -1)
		in.Qualifications = b.quals
		if _, err := st.SubmitBid(ctx, id, uid, ent, in, closes.AddDate(0, 0, -b.days)); err != nil {
			return fmt.Errorf("bid of %s: %w", b.email, err)
		}
	}
	return st.CloseTender(ctx, id, "", closes)
}

// firstOf is the reference of the first line whose description starts with desc.
func firstOf(lines []store.TenderSection, desc string) string {
	for _, sec := range lines {
		for _, it := range sec.Items {
			if len(it.Description) >= len(desc) && it.Description[:len(desc)] == desc {
				return it.Reference
			}
		}
	}
	return ""
}

func electricalPackage(ctx context.Context, st *store.Store, projectID, soqID, owner string, cats map[string]int64, closes time.Time) error {
	id, err := st.CreateTender(ctx, projectID, owner, store.NewTender{SOQID: soqID, Title: ElectricalTender,
		Instructions: "Price the electrical installation of all four blocks, temporary power and call-out rates. " +
			"Site visits by arrangement with Ivan.",
		ClosesAt: closes, Sealed: true, ScopeByTrade: true, CategoryIDs: []int64{cats["Electrical"]},
		Invitees: []string{"bea@sparkelectrical.test", "bob@flowplumbing.test", "cara@solidform.test"}})
	if err != nil {
		return err
	}
	if err := st.OpenTender(ctx, id, owner, time.Now().Add(-48*time.Hour).Truncate(time.Second)); err != nil {
		return err
	}
	lines, err := estimates(ctx, st, id, soqID)
	if err != nil {
		return err
	}
	bea, beaEnt, err := bidder(ctx, st, "bea@sparkelectrical.test")
	if err != nil {
		return err
	}
	if err := st.SetIntent(ctx, id, bea, tender.Bidding, time.Now().Add(-40*time.Hour)); err != nil {
		return err
	}
	in := priced(lines, pricing{prelims: 900, others: 1040, spread: 80}, "bea", -1)
	in.Qualifications = "Includes switchboards and testing certificates. Excludes heat pump electrical connection."
	if _, err := st.SubmitBid(ctx, id, bea, beaEnt, in, time.Time{}); err != nil {
		return fmt.Errorf("Bea's bid: %w", err)
	}
	bob, bobEnt, err := bidder(ctx, st, "bob@flowplumbing.test")
	if err != nil {
		return err
	}
	n := 0
	for _, sec := range lines {
		for _, it := range sec.Items {
			if !tender.Locked(it.Type) {
				n++
			}
		}
	}
	if _, err := st.SaveBidDraft(ctx, id, bob, bobEnt, priced(lines, pricing{prelims: 1000, others: 980, spread: 50}, "bob", n/2), time.Time{}); err != nil {
		return fmt.Errorf("Bob's draft: %w", err)
	}
	cara, _, err := bidder(ctx, st, "cara@solidform.test")
	if err != nil {
		return err
	}
	return st.SetIntent(ctx, id, cara, tender.Declined, time.Now().Add(-30*time.Hour))
}
