package store

import (
	"context"

	"github.com/14build/14build/money"
	"github.com/14build/14build/tender"
)

// LevelingBid is a bid that counts at leveling, with its rates by tender item id (an
// absent item is a line it did not price).
type LevelingBid struct {
	BidWithTotal
	Rates map[string]int64
}

// LevelingData is what leveling a tender needs: its frozen copy, its lines as the rules
// take them, and the bids that count with their rates.
type LevelingData struct {
	Sections []TenderSection // the frozen copy, items in order
	Lines    []tender.Line   // one per item, in order; Section is the section's code, else its title
	Bids     []LevelingBid   // submitted (after the award awarded and unsuccessful), lowest total first
	Currency money.Currency  // the SOQ's currency
}

// levelingCurrencySQL is the currency of tender $1's SOQ; no row when there is no tender.
const levelingCurrencySQL = `SELECT q.currency FROM tenders t JOIN soqs q ON q.id = t.soq_id WHERE t.id = $1`

// levelingRatesSQL is every rate of the bids of tender $1 that count (as bidsWithTotalsSQL).
const levelingRatesSQL = `
SELECT r.bid_id, r.tender_item_id, r.rate
FROM bid_rates r JOIN bids b ON b.id = r.bid_id
WHERE b.tender_id = $1 AND b.status IN ('submitted', 'unsuccessful', 'awarded')`

// LevelingOf loads what leveling tender tenderID needs in five queries, whatever the
// number of bids and items. It shows prices: only for when tender.Seal.Shows lets the
// owner's side see them. ErrNotFound when there is no such tender.
func (s *Store) LevelingOf(ctx context.Context, tenderID string) (LevelingData, error) {
	var d LevelingData
	if !validUUID(tenderID) {
		return d, ErrNotFound
	}
	var code string
	if err := s.q.get(ctx, &code, levelingCurrencySQL, tenderID); err != nil {
		return d, err
	}
	d.Currency = money.Of(code)
	secs, err := s.TenderCopy(ctx, tenderID)
	if err != nil {
		return d, err
	}
	d.Sections = secs
	d.Lines = []tender.Line{}
	for _, sec := range secs {
		name := sec.Code
		if name == "" {
			name = sec.Title
		}
		for _, it := range sec.Items {
			d.Lines = append(d.Lines, tender.Line{ItemID: it.ID, Reference: it.Reference, Section: name,
				Type: it.Type, Quantity: it.Quantity, Allowance: it.Rate.Int64})
		}
	}
	bids, err := s.BidsWithTotals(ctx, tenderID)
	if err != nil {
		return d, err
	}
	d.Bids = make([]LevelingBid, len(bids))
	at := make(map[string]int, len(bids))
	for i, b := range bids {
		d.Bids[i] = LevelingBid{BidWithTotal: b, Rates: map[string]int64{}}
		at[b.ID] = i
	}
	rows, err := s.q.query(ctx, levelingRatesSQL, tenderID)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var bid, item string
		var rate int64
		if err := rows.Scan(&bid, &item, &rate); err != nil {
			return d, err
		}
		if i, ok := at[bid]; ok {
			d.Bids[i].Rates[item] = rate
		}
	}
	return d, rows.Err()
}
