package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/events"
	"github.com/14build/14build/tender"
)

// ErrTenderClosed refuses a bid, or a withdrawal, that arrives at or after the tender's
// closing instant (unless it allows late bids) or once the tender is closed (409).
var ErrTenderClosed = errors.New("the tender has closed")

// ErrTenderNotOpen refuses a bid on a tender that is not taking bids: a draft, a
// cancelled or an awarded tender (409).
var ErrTenderNotOpen = errors.New("the tender is not open for bids")

// BidNotEditable refuses saving a draft of a bid that is not a draft (409): a submitted
// bid changes only by submitting again, so its stored rates always match the content
// hash the ledger holds; a withdrawn bid does not come back.
type BidNotEditable struct{ Status tender.BidStatus }

func (e *BidNotEditable) Error() string {
	return fmt.Sprintf("the bid is %s: submit it again to change it", e.Status)
}

// RateRefusal is one refused rate: the item it was sent for and why, for people.
// Reference is "" when the item is not a line of the tender.
type RateRefusal struct {
	ItemID    string
	Reference string
	Message   string
}

// RatesRefused refuses a bid's rates (422), naming every refused line; nothing is written.
type RatesRefused struct{ Items []RateRefusal }

func (e *RatesRefused) Error() string {
	parts := make([]string, len(e.Items))
	for i, r := range e.Items {
		name := r.Reference
		if name == "" {
			name = r.ItemID
		}
		parts[i] = "line " + name + " " + r.Message
	}
	return "rates refused: " + strings.Join(parts, "; ")
}

// BidInput is what a bidder sends: rates to set (0 is a rate), items whose rate is
// cleared, and the bid's text. Rates for locked lines are accepted only at their
// allowance (tender.CheckRate) and are not stored: a locked line counts at its allowance
// whatever a bid holds.
type BidInput struct {
	Rates          []tender.Rate
	Cleared        []string
	Qualifications string
	Exclusions     string
	// KeepText leaves the stored qualifications and exclusions as they are: a draft save
	// of rates only (the grid's autosave), so it cannot undo a notes save that raced it.
	// SaveBidDraft only; a submission always states its text.
	KeepText bool
}

// Bid is a bidder's one bid on a tender, with its rates (in item id order).
type Bid struct {
	ID             string           `db:"id"`
	TenderID       string           `db:"tender_id"`
	BidderID       string           `db:"bidder_id"`
	EntityID       int64            `db:"entity_id"`
	Status         tender.BidStatus `db:"status"`
	Revision       int              `db:"revision"`
	Qualifications string           `db:"qualifications"`
	Exclusions     string           `db:"exclusions"`
	Total          int64            `db:"total"`
	ContentHash    []byte           `db:"content_hash"`
	ContentNonce   []byte           `db:"content_nonce"`
	SubmittedAt    sql.NullTime     `db:"submitted_at"`
	CreatedAt      time.Time        `db:"created_at"`
	UpdatedAt      time.Time        `db:"updated_at"`
	Rates          []tender.Rate    `db:"-"`
}

// BidSummary is what the owner's side may see of a bid while it is sealed: who, in which
// state, which revision, when. It has no total and no rates, so no page built from it
// can leak them.
type BidSummary struct {
	ID          string           `db:"id"`
	BidderID    string           `db:"bidder_id"`
	BidderName  string           `db:"bidder_name"`
	EntityID    int64            `db:"entity_id"`
	EntityName  string           `db:"entity_name"`
	Status      tender.BidStatus `db:"status"`
	Revision    int              `db:"revision"`
	SubmittedAt sql.NullTime     `db:"submitted_at"`
}

// BidWithTotal is a bid summary with its total, for the owner's side once the prices may
// be shown (tender.Seal.Shows): the caller decides that.
type BidWithTotal struct {
	BidSummary
	Total int64 `db:"total"`
}

// lockTenderForBidSQL reads what a bid needs of its tender and holds the row FOR SHARE
// until commit: bids of many bidders go in side by side, while closing, an addendum or a
// cancellation (FOR UPDATE) waits for them, and they for it.
const lockTenderForBidSQL = `SELECT project_id, status, closes_at, allow_late_bids FROM tenders WHERE id = $1 FOR SHARE`

type tenderForBid struct {
	ProjectID string        `db:"project_id"`
	Status    tender.Status `db:"status"`
	ClosesAt  time.Time     `db:"closes_at"`
	AllowLate bool          `db:"allow_late_bids"`
}

func (tx *Tx) lockTenderForBid(ctx context.Context, id string) (tenderForBid, error) {
	var t tenderForBid
	if !validUUID(id) {
		return t, ErrNotFound
	}
	if err := tx.q.get(ctx, &t, lockTenderForBidSQL, id); err != nil {
		return t, err
	}
	switch t.Status {
	case tender.Open:
		return t, nil
	case tender.Closed:
		return t, ErrTenderClosed
	}
	return t, ErrTenderNotOpen
}

// upsertBidSQL creates the bidder's bid on tender $2 as a draft, or takes the one it has,
// and locks its row. The clock is read in RETURNING, after both the tender's and the
// bid's locks are held: a bid that waited behind the close is judged at the time it got
// through, so one a millisecond late is refused even before the closing job runs. $7, when
// set, stands in for the clock (tests).
const upsertBidSQL = `
INSERT INTO bids (id, tender_id, bidder_id, entity_id, qualifications, exclusions)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tender_id, bidder_id) DO UPDATE SET updated_at = bids.updated_at
RETURNING id, status, revision, COALESCE($7::timestamptz, clock_timestamp()) AS now`

type lockedBid struct {
	ID       string           `db:"id"`
	Status   tender.BidStatus `db:"status"`
	Revision int              `db:"revision"`
	Now      time.Time        `db:"now"`
}

// nullTime passes a zero time as NULL: the database's clock decides.
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()} }

// bidLinesSQL is every line of tender $1's frozen copy with bid $2's rate, if any, in
// the copy's order.
const bidLinesSQL = `
SELECT i.id, i.reference, i.section_id, i.item_type, (i.quantity * 1000)::bigint AS quantity,
       COALESCE(i.rate, 0) AS allowance, r.rate
FROM tender_items i
LEFT JOIN bid_rates r ON r.bid_id = $2 AND r.tender_item_id = i.id
WHERE i.tender_id = $1
ORDER BY i.position, i.id`

func (tx *Tx) bidLines(ctx context.Context, tenderID, bidID string) ([]tender.Line, error) {
	rows, err := tx.q.query(ctx, bidLinesSQL, tenderID, bidID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tender.Line
	for rows.Next() {
		var l tender.Line
		var rate sql.NullInt64
		if err := rows.Scan(&l.ItemID, &l.Reference, &l.Section, &l.Type, &l.Quantity, &l.Allowance, &rate); err != nil {
			return nil, err
		}
		l.Rate, l.HasRate = rate.Int64, rate.Valid
		out = append(out, l)
	}
	return out, rows.Err()
}

// applyRates checks in's rates against the tender's lines and applies them to lines in
// memory. It returns the rates to store and the items to clear, deduplicated (the last
// sent wins), or *RatesRefused naming every refused line.
func applyRates(lines []tender.Line, in BidInput) (set []tender.Rate, cleared []string, err error) {
	at := make(map[string]int, len(lines))
	for i, l := range lines {
		at[l.ItemID] = i
	}
	var refused []RateRefusal
	setAt := map[string]int{}
	for _, r := range in.Rates {
		i, ok := at[r.ItemID]
		if !ok {
			refused = append(refused, RateRefusal{ItemID: r.ItemID, Message: "is not a line of this tender"})
			continue
		}
		l := &lines[i]
		if msg := tender.CheckRate(*l, r.Rate); msg != "" {
			refused = append(refused, RateRefusal{ItemID: r.ItemID, Reference: l.Reference, Message: msg})
			continue
		}
		if tender.Locked(l.Type) {
			continue // its allowance, sent back as shown: nothing to store
		}
		l.Rate, l.HasRate = r.Rate, true
		if j, ok := setAt[r.ItemID]; ok {
			set[j].Rate = r.Rate
			continue
		}
		setAt[r.ItemID] = len(set)
		set = append(set, r)
	}
	seen := map[string]bool{}
	for _, id := range in.Cleared {
		i, ok := at[id]
		if !ok {
			refused = append(refused, RateRefusal{ItemID: id, Message: "is not a line of this tender"})
			continue
		}
		if _, ok := setAt[id]; ok {
			refused = append(refused, RateRefusal{ItemID: id, Reference: lines[i].Reference, Message: "is both priced and cleared"})
			continue
		}
		if !seen[id] {
			seen[id] = true
			cleared = append(cleared, id)
			lines[i].Rate, lines[i].HasRate = 0, false
		}
	}
	if len(refused) > 0 {
		return nil, nil, &RatesRefused{Items: refused}
	}
	return set, cleared, nil
}

// writeBidRatesSQL clears bid $2's rates for items $5 and sets those of items $3 to
// rates $4, in one statement whatever the number of lines. The two sets are disjoint
// (applyRates), so the delete and the upsert never touch the same row.
const writeBidRatesSQL = `
WITH cleared AS (
    DELETE FROM bid_rates WHERE bid_id = $2 AND tender_item_id = ANY($5::uuid[])
)
INSERT INTO bid_rates (tender_id, bid_id, tender_item_id, rate)
SELECT $1, $2, x.item, x.rate FROM unnest($3::uuid[], $4::bigint[]) AS x(item, rate)
ON CONFLICT (bid_id, tender_item_id) DO UPDATE SET rate = EXCLUDED.rate`

func (tx *Tx) writeBidRates(ctx context.Context, tenderID, bidID string, set []tender.Rate, cleared []string) error {
	if len(set) == 0 && len(cleared) == 0 {
		return nil
	}
	items := make(pq.StringArray, len(set))
	rates := make(pq.Int64Array, len(set))
	for i, r := range set {
		items[i], rates[i] = r.ItemID, r.Rate
	}
	if cleared == nil {
		cleared = []string{}
	}
	_, err := tx.q.exec(ctx, writeBidRatesSQL, tenderID, bidID, items, rates, pq.StringArray(cleared))
	return err
}

// prepareBid is what saving and submitting share, under the tender's and the bid's
// locks: the tender open and in time, the bid's lines with in applied and its rates
// written. It returns the bid, the lines as they now stand and the tender.
func (tx *Tx) prepareBid(ctx context.Context, tenderID, bidderID string, entityID int64, in BidInput, now time.Time) (lockedBid, []tender.Line, tenderForBid, error) {
	var b lockedBid
	if !validUUID(bidderID) {
		return b, nil, tenderForBid{}, ErrNotFound
	}
	t, err := tx.lockTenderForBid(ctx, tenderID)
	if err != nil {
		return b, nil, t, err
	}
	if err := tx.q.get(ctx, &b, upsertBidSQL, newUUID(), tenderID, bidderID, entityID, in.Qualifications, in.Exclusions, nullTime(now)); err != nil {
		return b, nil, t, err
	}
	if !tender.AcceptsBid(t.ClosesAt, b.Now, t.AllowLate) {
		return b, nil, t, ErrTenderClosed
	}
	lines, err := tx.bidLines(ctx, tenderID, b.ID)
	if err != nil {
		return b, nil, t, err
	}
	set, cleared, err := applyRates(lines, in)
	if err != nil {
		return b, nil, t, err
	}
	if err := tx.writeBidRates(ctx, tenderID, b.ID, set, cleared); err != nil {
		return b, nil, t, fmt.Errorf("write rates: %w", err)
	}
	return b, lines, t, nil
}

const saveBidDraftSQL = `
UPDATE bids SET qualifications = CASE WHEN $6 THEN qualifications ELSE $2 END,
                exclusions = CASE WHEN $6 THEN exclusions ELSE $3 END, total = $4, updated_at = $5
WHERE id = $1`

// SaveBidDraft creates or updates bidder's one bid on a tender as a draft, with the
// entity it bids for, and returns its id. The tender must be open (else ErrTenderNotOpen,
// or ErrTenderClosed once closed) and the bid in time (ErrTenderClosed); only a draft is
// saved (*BidNotEditable); refused rates give *RatesRefused. The total kept is the
// draft's running one. The bid keeps the entity it was started for. A zero now is the database's clock, read under the locks.
// Nothing is written on a refusal.
func (s *Store) SaveBidDraft(ctx context.Context, tenderID, bidderID string, entityID int64, in BidInput, now time.Time) (string, error) {
	var id string
	err := s.WithTx(ctx, func(tx *Tx) error {
		b, lines, _, err := tx.prepareBid(ctx, tenderID, bidderID, entityID, in, now)
		if err != nil {
			return err
		}
		if b.Status != tender.BidDraft {
			return &BidNotEditable{Status: b.Status}
		}
		totals, err := tender.BidTotal(lines)
		if err != nil {
			return err
		}
		id = b.ID
		return tx.q.execOne(ctx, saveBidDraftSQL, b.ID, in.Qualifications, in.Exclusions, totals.Total, b.Now, in.KeepText)
	})
	return id, err
}

// bidAddendaSQL is tender $1's addenda, each with whether bidder $2 acknowledged it.
const bidAddendaSQL = `
SELECT a.number,
       EXISTS (SELECT 1 FROM addendum_acks k WHERE k.addendum_id = a.id AND k.bidder_id = $2) AS acknowledged
FROM addenda a
WHERE a.tender_id = $1
ORDER BY a.number`

const submitBidSQL = `
UPDATE bids SET status = $2, revision = $3, qualifications = $4, exclusions = $5, total = $6,
       content_hash = $7, content_nonce = $8, submitted_at = $9, updated_at = $9
WHERE id = $1`

// Submission is what a submission stored: the bid, its new revision and the content hash
// the ledger records.
type Submission struct {
	BidID       string
	Revision    int
	Total       int64
	ContentHash []byte
	SubmittedAt time.Time
}

// SubmitBid saves in on bidder's bid and submits it, in one transaction: the refusals of
// SaveBidDraft (a submitted bid may be submitted again: a new revision), then every
// priced line needs a rate and every addendum an acknowledgement (else tender.Blockers,
// 409). The total is computed here (tender.BidTotal), the revision counted up, a fresh
// nonce and the content hash stored, and a "bid-submitted" entry appended to the
// project's ledger with the hash, never the amounts. A zero now is the database's clock,
// read under the locks, so the closing instant is the database's.
func (s *Store) SubmitBid(ctx context.Context, tenderID, bidderID string, entityID int64, in BidInput, now time.Time) (Submission, error) {
	var sub Submission
	err := s.WithTx(ctx, func(tx *Tx) error {
		b, lines, t, err := tx.prepareBid(ctx, tenderID, bidderID, entityID, in, now)
		if err != nil {
			return err
		}
		next, err := b.Status.Submit()
		if err != nil {
			return err
		}
		var acks []struct {
			Number       int  `db:"number"`
			Acknowledged bool `db:"acknowledged"`
		}
		if err := tx.q.sel(ctx, &acks, bidAddendaSQL, tenderID, bidderID); err != nil {
			return err
		}
		addenda := make([]tender.Addendum, len(acks))
		for i, a := range acks {
			addenda[i] = tender.Addendum{Number: a.Number, Acknowledged: a.Acknowledged}
		}
		if m := tender.Missing(lines, addenda); !m.None() {
			return m
		}
		totals, err := tender.BidTotal(lines)
		if err != nil {
			return err
		}
		nonce, err := tender.NewNonce()
		if err != nil {
			return err
		}
		var rates []tender.Rate
		for _, l := range lines {
			if l.HasRate && !tender.Locked(l.Type) {
				rates = append(rates, tender.Rate{ItemID: l.ItemID, Rate: l.Rate})
			}
		}
		at := tender.LedgerTime(b.Now)
		sub = Submission{BidID: b.ID, Revision: b.Revision + 1, Total: totals.Total, SubmittedAt: at}
		sub.ContentHash = tender.BidContentHash(tender.BidContent{BidID: b.ID, Revision: sub.Revision, Rates: rates,
			Qualifications: in.Qualifications, Exclusions: in.Exclusions, Nonce: nonce})
		if err := tx.q.execOne(ctx, submitBidSQL, b.ID, next, sub.Revision, in.Qualifications, in.Exclusions, sub.Total,
			sub.ContentHash, nonce, at); err != nil {
			return err
		}
		if err := tx.appendActivity(ctx, t.ProjectID, tender.Entry{Kind: tender.KindBidSubmitted, TenderID: tenderID,
			ActorID: bidderID, At: at, Content: map[string]string{
				"bid": b.ID, "revision": strconv.Itoa(sub.Revision), "content_hash": hex.EncodeToString(sub.ContentHash)}}); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.BidSubmitted, ProjectID: t.ProjectID, TenderID: tenderID, BidID: b.ID,
			UserID: bidderID, Data: eventData(map[string]any{"revision": sub.Revision})})
	})
	if err != nil {
		return Submission{}, err
	}
	return sub, nil
}

// lockOwnBidSQL locks bid $1 of tender $2 if bidder $3 owns it. A no-op update rather
// than SELECT … FOR UPDATE so the clock in RETURNING is read after the lock (see
// upsertBidSQL); $4 stands in for it when set.
const lockOwnBidSQL = `
UPDATE bids SET updated_at = updated_at
WHERE id = $1 AND tender_id = $2 AND bidder_id = $3
RETURNING id, status, revision, COALESCE($4::timestamptz, clock_timestamp()) AS now`

// WithdrawBid withdraws bidder's own bid before closing (tender.BidStatus.Withdraw) and,
// if it was ever submitted, appends "bid-withdrawn" to the ledger. Another bidder's bid,
// or one not of the tender, is ErrNotFound; a late withdrawal ErrTenderClosed. A zero now
// is the database's clock.
func (s *Store) WithdrawBid(ctx context.Context, tenderID, bidID, bidderID string, now time.Time) error {
	if !validUUID(bidID) || !validUUID(bidderID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		t, err := tx.lockTenderForBid(ctx, tenderID)
		if err != nil {
			return err
		}
		var b lockedBid
		if err := tx.q.get(ctx, &b, lockOwnBidSQL, bidID, tenderID, bidderID, nullTime(now)); err != nil {
			return err
		}
		if !tender.AcceptsBid(t.ClosesAt, b.Now, t.AllowLate) {
			return ErrTenderClosed
		}
		next, err := b.Status.Withdraw()
		if err != nil {
			return err
		}
		at := tender.LedgerTime(b.Now)
		if err := tx.q.execOne(ctx, `UPDATE bids SET status = $2, updated_at = $3 WHERE id = $1`, b.ID, next, at); err != nil {
			return err
		}
		if b.Revision == 0 {
			return nil // a draft never submitted was never a bid the team was told of
		}
		if err := tx.appendActivity(ctx, t.ProjectID, tender.Entry{Kind: tender.KindBidWithdrawn, TenderID: tenderID,
			ActorID: bidderID, At: at, Content: map[string]string{"bid": b.ID, "revision": strconv.Itoa(b.Revision)}}); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.BidWithdrawn, ProjectID: t.ProjectID, TenderID: tenderID, BidID: b.ID,
			UserID: bidderID, Data: eventData(map[string]any{"revision": b.Revision})})
	})
}

const bidColumns = `id, tender_id, bidder_id, entity_id, status, revision, qualifications, exclusions, total,
       content_hash, content_nonce, submitted_at, created_at, updated_at`

const (
	bidSQL      = `SELECT ` + bidColumns + ` FROM bids WHERE id = $1`
	bidOfSQL    = `SELECT ` + bidColumns + ` FROM bids WHERE tender_id = $1 AND bidder_id = $2`
	bidRatesSQL = `SELECT tender_item_id, rate FROM bid_rates WHERE bid_id = $1 ORDER BY tender_item_id`
)

// Bid returns a bid with its rates: two queries. Who may see it is the caller's to
// decide (tender.Seal).
func (s *Store) Bid(ctx context.Context, id string) (Bid, error) {
	if !validUUID(id) {
		return Bid{}, ErrNotFound
	}
	return s.loadBid(ctx, bidSQL, id)
}

// BidOf returns bidder's bid on a tender with its rates, ErrNotFound when it has none.
func (s *Store) BidOf(ctx context.Context, tenderID, bidderID string) (Bid, error) {
	if !validUUID(tenderID) || !validUUID(bidderID) {
		return Bid{}, ErrNotFound
	}
	return s.loadBid(ctx, bidOfSQL, tenderID, bidderID)
}

func (s *Store) loadBid(ctx context.Context, q string, args ...any) (Bid, error) {
	var b Bid
	if err := s.q.get(ctx, &b, q, args...); err != nil {
		return Bid{}, err
	}
	rows, err := s.q.query(ctx, bidRatesSQL, b.ID)
	if err != nil {
		return Bid{}, err
	}
	defer rows.Close()
	b.Rates = []tender.Rate{}
	for rows.Next() {
		var r tender.Rate
		if err := rows.Scan(&r.ItemID, &r.Rate); err != nil {
			return Bid{}, err
		}
		b.Rates = append(b.Rates, r)
	}
	return b, rows.Err()
}

const bidSummaryColumns = `b.id, b.bidder_id, u.name AS bidder_name, b.entity_id, e.name AS entity_name,
       b.status, b.revision, b.submitted_at`

// bidsOfTenderSQL lists the bids of tender $1 that were ever submitted: a draft never
// sent is the bidder's business, not yet a bid the owner's side is told of.
const bidsOfTenderSQL = `
SELECT ` + bidSummaryColumns + `
FROM bids b JOIN users u ON u.id = b.bidder_id JOIN entities e ON e.id = b.entity_id
WHERE b.tender_id = $1 AND b.revision > 0
ORDER BY b.submitted_at, b.id`

// BidsOfTender lists a tender's submitted (or once submitted) bids, first submitted
// first, as the sealed rule lets the owner's side see them at any time: one query.
func (s *Store) BidsOfTender(ctx context.Context, tenderID string) ([]BidSummary, error) {
	out := []BidSummary{}
	if !validUUID(tenderID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, bidsOfTenderSQL, tenderID)
	return out, err
}

// bidsWithTotalsSQL lists the bids of tender $1 that count (submitted, then awarded or
// unsuccessful), lowest total first.
const bidsWithTotalsSQL = `
SELECT ` + bidSummaryColumns + `, b.total
FROM bids b JOIN users u ON u.id = b.bidder_id JOIN entities e ON e.id = b.entity_id
WHERE b.tender_id = $1 AND b.status IN ('submitted', 'unsuccessful', 'awarded')
ORDER BY b.total, b.submitted_at, b.id`

// BidsWithTotals lists a tender's counting bids with their totals, lowest first: one
// query. Only for when tender.Seal.Shows lets the owner's side see prices.
func (s *Store) BidsWithTotals(ctx context.Context, tenderID string) ([]BidWithTotal, error) {
	out := []BidWithTotal{}
	if !validUUID(tenderID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, bidsWithTotalsSQL, tenderID)
	return out, err
}
