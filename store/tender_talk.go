package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/events"
	"github.com/14build/14build/field"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/tender"
)

// Addendum is a numbered change to an open tender. Acknowledged and AcknowledgedAt are
// the asking bidder's (Addenda with a bidderID); Acks counts every bidder's (team view).
type Addendum struct {
	ID             string       `db:"id"`
	TenderID       string       `db:"tender_id"`
	Number         int          `db:"number"`
	Text           string       `db:"text"`
	ClosesAt       sql.NullTime `db:"closes_at"` // the new closing time it set, if any
	CreatedAt      time.Time    `db:"created_at"`
	Changed        int          `db:"changed"`
	Added          int          `db:"added"`
	Removed        int          `db:"removed"`
	Acknowledged   bool         `db:"acknowledged"`
	AcknowledgedAt sql.NullTime `db:"acknowledged_at"`
	Acks           int          `db:"acks"`
}

// ItemChange alters one item of the frozen copy; nil fields are kept.
type ItemChange struct {
	ItemID      string
	Quantity    *soq.Quantity
	Description *string
}

// AddedItem is an item (NewItem is taken by the SOQ) an addendum adds to a section of the frozen copy. Allowance is the
// rate of a fixed allowance (provisional or prime cost sum) only.
type AddedItem struct {
	SectionID                    string
	Reference, Description, Unit string
	Quantity                     soq.Quantity
	Type                         soq.ItemType
	Allowance                    int64
}

// AddendumInput is what the team sends to issue an addendum. A zero ClosesAt keeps the
// closing time.
type AddendumInput struct {
	Text          string
	ClosesAt      time.Time
	Changes       []ItemChange
	Add           []AddedItem
	RemoveItemIDs []string
}

// Question is a bidder's clarification question and the team's answer.
type Question struct {
	ID         string         `db:"id"`
	TenderID   string         `db:"tender_id"`
	Text       string         `db:"question"`
	Answer     sql.NullString `db:"answer"`
	Published  bool           `db:"published"`
	AskedAt    time.Time      `db:"asked_at"`
	AnsweredAt sql.NullTime   `db:"answered_at"`
	Mine       bool           `db:"mine"`       // asked by the bidder viewing
	AskerName  string         `db:"asker_name"` // the team's view only; "" for bidders, always
}

// BidderIntent is one bidder the team sees on the tender page: invited, or having stated
// an intent or started a bid. No amounts.
type BidderIntent struct {
	BidderID    sql.NullString   `db:"bidder_id"`
	Name        string           `db:"name"`
	Email       string           `db:"email"`
	Company     string           `db:"company"`
	Invited     bool             `db:"invited"`
	Intent      tender.Intent    `db:"intent"`
	IntentAt    sql.NullTime     `db:"intent_at"`
	BidStatus   tender.BidStatus `db:"-"` // "" when no bid
	Revision    int              `db:"revision"`
	SubmittedAt sql.NullTime     `db:"submitted_at"`
}

// FieldsRefused refuses an addendum, a question or an answer whose content breaks a rule
// (422), naming each field as the API body names it ("changes[0].quantity"). Nothing is
// written.
type FieldsRefused struct{ Fields field.Errors }

func (e *FieldsRefused) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		parts = append(parts, k+" "+v)
	}
	sort.Strings(parts)
	return "refused: " + strings.Join(parts, "; ")
}

func refused(errs field.Errors) error {
	if len(errs) == 0 {
		return nil
	}
	return &FieldsRefused{Fields: errs}
}

// bidderTenderSQL reads what a bidder's write needs of tender $1 and whether it is open to
// bidder $2 (invited by account or email, or of one of its trades), holding the tender
// FOR SHARE until commit: bidders go side by side, while an addendum or the close
// (FOR UPDATE) waits for them.
const bidderTenderSQL = `
SELECT t.project_id, t.status, t.closes_at, t.allow_late_bids,
       EXISTS (SELECT 1 FROM tender_invitees i JOIN users u ON u.id = $2
               WHERE i.tender_id = t.id AND (i.user_id = u.id OR i.email = u.email))
       OR EXISTS (SELECT 1 FROM tender_categories c JOIN users u ON u.id = $2
                  WHERE c.tender_id = t.id AND c.category_id = u.category_id) AS open_to
FROM tenders t WHERE t.id = $1
FOR SHARE OF t`

type bidderTender struct {
	ProjectID string        `db:"project_id"`
	Status    tender.Status `db:"status"`
	ClosesAt  time.Time     `db:"closes_at"`
	AllowLate bool          `db:"allow_late_bids"`
	OpenTo    bool          `db:"open_to"`
}

// lockTenderForBidder locks tender for a bidder's write at now: a tender not open to the
// bidder (or still a draft, or cancelled) is ErrNotFound, as the routes answer it; one
// closed, or past its closing time, is ErrTenderClosed; an awarded one ErrTenderNotOpen.
func (tx *Tx) lockTenderForBidder(ctx context.Context, tenderID, bidderID string, now time.Time) (bidderTender, error) {
	var t bidderTender
	if !validUUID(tenderID) || !validUUID(bidderID) {
		return t, ErrNotFound
	}
	if err := tx.q.get(ctx, &t, bidderTenderSQL, tenderID, bidderID); err != nil {
		return t, err
	}
	switch {
	case !t.OpenTo || t.Status == tender.Draft || t.Status == tender.Cancelled:
		return t, ErrNotFound
	case t.Status == tender.Closed:
		return t, ErrTenderClosed
	case t.Status != tender.Open:
		return t, ErrTenderNotOpen
	case !tender.AcceptsBid(t.ClosesAt, now, t.AllowLate):
		return t, ErrTenderClosed
	}
	return t, nil
}

// lockTenderForTeamSQL locks tender $1 for a change by the team (an addendum, an answer).
const lockTenderForTeamSQL = `SELECT project_id, status, closes_at, allow_late_bids, true AS open_to FROM tenders WHERE id = $1 FOR UPDATE`

// lockOpenTender locks an open tender for the team's change at now: not open is
// ErrTenderClosed (closed or awarded) or ErrTenderNotOpen (draft, cancelled); past its
// closing time (the job may not have run yet) ErrTenderClosed.
func (tx *Tx) lockOpenTender(ctx context.Context, tenderID string, now time.Time) (bidderTender, error) {
	var t bidderTender
	if !validUUID(tenderID) {
		return t, ErrNotFound
	}
	if err := tx.q.get(ctx, &t, lockTenderForTeamSQL, tenderID); err != nil {
		return t, err
	}
	switch {
	case t.Status == tender.Closed || t.Status == tender.Awarded:
		return t, ErrTenderClosed
	case t.Status != tender.Open:
		return t, ErrTenderNotOpen
	case !tender.AcceptsBid(t.ClosesAt, now, t.AllowLate):
		return t, ErrTenderClosed
	}
	return t, nil
}

func orNow(now time.Time) time.Time {
	if now.IsZero() {
		return time.Now()
	}
	return now
}

// Intent

// intentOfSQL is bidder $2's intent on tender $1: its invitation's if it is invited, else
// the one it stated as a bidder of the trade, else undecided.
const intentOfSQL = `
SELECT COALESCE(
    (SELECT i.intent FROM tender_invitees i JOIN users u ON u.id = $2
     WHERE i.tender_id = $1 AND (i.user_id = u.id OR i.email = u.email) LIMIT 1),
    (SELECT intent FROM tender_intents WHERE tender_id = $1 AND bidder_id = $2),
    'undecided')`

// setInviteeIntentSQL sets the intent on bidder $2's invitation to tender $1 (linking the
// invitation to the account if it was by email only); no row when it is not invited.
const setInviteeIntentSQL = `
UPDATE tender_invitees i SET intent = $3, intent_at = $4, user_id = COALESCE(i.user_id, u.id)
FROM users u
WHERE u.id = $2 AND i.tender_id = $1 AND (i.user_id = u.id OR i.email = u.email)`

const setTradeIntentSQL = `
INSERT INTO tender_intents (tender_id, bidder_id, intent, at) VALUES ($1, $2, $3, $4)
ON CONFLICT (tender_id, bidder_id) DO UPDATE SET intent = EXCLUDED.intent, at = EXCLUDED.at`

// SetIntent records whether bidder means to bid on a tender open to it, while the tender
// is open (ErrNotFound, ErrTenderClosed or ErrTenderNotOpen otherwise, as
// lockTenderForBidder says), with an "intent" ledger entry when it changes. An invited
// bidder's intent is kept on its invitation, where closing early reads it; a bidder of
// the trade's in tender_intents. A zero now is the clock.
func (s *Store) SetIntent(ctx context.Context, tenderID, bidderID string, i tender.Intent, now time.Time) error {
	if !i.Valid() {
		return &FieldsRefused{Fields: field.Errors{"intent": "must be bidding, declined or undecided"}}
	}
	now = orNow(now)
	return s.WithTx(ctx, func(tx *Tx) error {
		t, err := tx.lockTenderForBidder(ctx, tenderID, bidderID, now)
		if err != nil {
			return err
		}
		var was tender.Intent
		if err := tx.q.get(ctx, &was, intentOfSQL, tenderID, bidderID); err != nil {
			return err
		}
		res, err := tx.q.exec(ctx, setInviteeIntentSQL, tenderID, bidderID, i, now.UTC())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := tx.q.exec(ctx, setTradeIntentSQL, tenderID, bidderID, i, now.UTC()); err != nil {
				return err
			}
		}
		if was == i {
			return nil // said again: nothing new for the ledger
		}
		if err := tx.appendActivity(ctx, t.ProjectID, tender.Entry{Kind: tender.KindIntent, TenderID: tenderID, ActorID: bidderID,
			At: now, Content: map[string]string{"intent": string(i)}}); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.IntentChanged, ProjectID: t.ProjectID, TenderID: tenderID,
			UserID: bidderID, Data: eventData(map[string]any{"intent": string(i)})})
	})
}

// IntentOf returns a bidder's intent on a tender (undecided when it has not said).
func (s *Store) IntentOf(ctx context.Context, tenderID, bidderID string) (tender.Intent, error) {
	if !validUUID(tenderID) || !validUUID(bidderID) {
		return tender.Undecided, nil
	}
	var i tender.Intent
	err := s.q.get(ctx, &i, intentOfSQL, tenderID, bidderID)
	return i, err
}

// biddersOfTenderSQL is everyone the team should see on tender $1's page: the invitees
// (by account, or by email only), the bidders of the trade who stated an intent, and those
// with a bid ever submitted (a draft never sent is the bidder's business). No amounts.
const biddersOfTenderSQL = `
WITH invited AS (
    SELECT COALESCE(i.user_id, u.id) AS bidder_id, i.email::text AS email, i.intent, i.intent_at, i.invited_at
    FROM tender_invitees i
    LEFT JOIN users u ON i.user_id IS NULL AND u.email = i.email
    WHERE i.tender_id = $1
), people AS (
    SELECT bidder_id, email, true AS invited, intent, intent_at, invited_at AS since FROM invited
    UNION ALL
    SELECT ti.bidder_id, u.email::text, false, ti.intent, ti.at, ti.at
    FROM tender_intents ti JOIN users u ON u.id = ti.bidder_id
    WHERE ti.tender_id = $1 AND ti.bidder_id NOT IN (SELECT bidder_id FROM invited WHERE bidder_id IS NOT NULL)
    UNION ALL
    SELECT b.bidder_id, u.email::text, false, 'undecided', NULL, b.submitted_at
    FROM bids b JOIN users u ON u.id = b.bidder_id
    WHERE b.tender_id = $1 AND b.revision > 0
      AND b.bidder_id NOT IN (SELECT bidder_id FROM invited WHERE bidder_id IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM tender_intents ti WHERE ti.tender_id = $1 AND ti.bidder_id = b.bidder_id)
)
SELECT p.bidder_id, COALESCE(u.name, '') AS name, p.email, COALESCE(e.name, '') AS company, p.invited,
       p.intent, p.intent_at, COALESCE(b.status, '') AS bid_status, COALESCE(b.revision, 0) AS revision, b.submitted_at
FROM people p
LEFT JOIN users u ON u.id = p.bidder_id
LEFT JOIN entities e ON e.id = u.entity_id
LEFT JOIN bids b ON b.tender_id = $1 AND b.bidder_id = p.bidder_id AND b.revision > 0
ORDER BY p.invited DESC, p.since, p.email`

// BiddersOfTender lists the bidders the team sees on a tender's page (see
// biddersOfTenderSQL), invitees first in the order invited: one query. It holds no amount,
// so it may be shown while the tender is sealed.
func (s *Store) BiddersOfTender(ctx context.Context, tenderID string) ([]BidderIntent, error) {
	out := []BidderIntent{}
	if !validUUID(tenderID) {
		return out, nil
	}
	var rows []struct {
		BidderIntent
		Status string `db:"bid_status"`
	}
	if err := s.q.sel(ctx, &rows, biddersOfTenderSQL, tenderID); err != nil {
		return nil, err
	}
	for _, r := range rows {
		b := r.BidderIntent
		b.BidStatus = tender.BidStatus(r.Status)
		out = append(out, b)
	}
	return out, nil
}

// Addenda

// addendumItemsSQL is tender $1's frozen items as an addendum checks and changes them.
const addendumItemsSQL = `
SELECT id, section_id, reference, description, unit, (quantity * 1000)::bigint AS quantity, item_type,
       COALESCE(rate, 0) AS allowance, position
FROM tender_items WHERE tender_id = $1
ORDER BY position, id`

type addendumItem struct {
	ID          string       `db:"id"`
	SectionID   string       `db:"section_id"`
	Reference   string       `db:"reference"`
	Description string       `db:"description"`
	Unit        string       `db:"unit"`
	Quantity    soq.Quantity `db:"quantity"`
	Type        soq.ItemType `db:"item_type"`
	Allowance   int64        `db:"allowance"`
	Position    int          `db:"position"`
}

// addendumPlan is what an addendum writes, decided in Go from the tender's items.
type addendumPlan struct {
	altered []addendumItem // with their new quantity and description
	removed []string
	added   []addendumItem // with new ids and positions after the last
	changes map[string]tender.Change
	items   []addendumItem // the copy as it stands afterwards
}

// planAddendum checks in against the tender's items and sections and says what to
// write, or the per-field refusals. A change that alters nothing (the same quantity and
// description) is dropped: the line keeps its rates.
func planAddendum(items []addendumItem, sections map[string]bool, in AddendumInput) (addendumPlan, field.Errors) {
	errs := field.Errors{}
	errs.Text("text", in.Text, 1, tender.MaxAddendumText)
	p := addendumPlan{changes: map[string]tender.Change{}}
	at := make(map[string]int, len(items))
	refs := map[string]bool{}
	maxPos := 0
	for i, it := range items {
		at[it.ID] = i
		maxPos = max(maxPos, it.Position)
	}
	removing := map[string]bool{}
	for k, id := range in.RemoveItemIDs {
		name := fmt.Sprintf("removeItemIds[%d]", k)
		switch _, ok := at[id]; {
		case !ok:
			errs.Add(name, "is not an item of this tender")
		case removing[id]:
			errs.Add(name, "is listed twice")
		default:
			removing[id] = true
			p.removed = append(p.removed, id)
			p.changes[id] = tender.Removed
		}
	}
	if len(items) > 0 && len(removing) == len(items) && len(in.Add) == 0 {
		errs.Add("removeItemIds", "would leave the tender with nothing to price")
	}
	next := slices.Clone(items)
	changed := map[string]bool{}
	for k, ch := range in.Changes {
		name := fmt.Sprintf("changes[%d]", k)
		i, ok := at[ch.ItemID]
		switch {
		case !ok:
			errs.Add(name+".itemId", "is not an item of this tender")
			continue
		case removing[ch.ItemID]:
			errs.Add(name+".itemId", "is also being removed")
			continue
		case changed[ch.ItemID]:
			errs.Add(name+".itemId", "is changed twice")
			continue
		case ch.Quantity == nil && ch.Description == nil:
			errs.Add(name, "changes neither the quantity nor the description")
			continue
		}
		changed[ch.ItemID] = true
		old := items[i]
		it := soq.Item{Reference: old.Reference, Description: old.Description, Unit: old.Unit, Quantity: old.Quantity,
			Rate: old.Allowance, Type: old.Type}
		if ch.Quantity != nil {
			it.Quantity = *ch.Quantity
		}
		if ch.Description != nil {
			it.Description = *ch.Description
		}
		if e := it.Check(); len(e) > 0 {
			for f, msg := range e {
				if f == "quantity" || f == "description" || f == "rate" {
					errs.Add(name+"."+f, msg)
				}
			}
			continue
		}
		if it.Quantity == old.Quantity && it.Description == old.Description {
			continue // alters nothing
		}
		n := old
		n.Quantity, n.Description = it.Quantity, it.Description
		next[i] = n
		p.altered = append(p.altered, n)
		p.changes[n.ID] = tender.Altered
	}
	for _, it := range next {
		if !removing[it.ID] {
			refs[strings.ToLower(it.Reference)] = true
		}
	}
	for k, a := range in.Add {
		name := fmt.Sprintf("addItems[%d]", k)
		if !sections[a.SectionID] {
			errs.Add(name+".sectionId", "is not a section of this tender")
		}
		it := soq.Item{Reference: a.Reference, Description: a.Description, Unit: a.Unit, Quantity: a.Quantity,
			Rate: a.Allowance, Type: a.Type}
		e := it.Check()
		if it.Type.Valid() && !it.Type.Fixed() && a.Allowance != 0 {
			e.Add("rate", "is for provisional and prime cost sums only: bidders price this line")
		}
		if _, ok := e["reference"]; !ok && refs[strings.ToLower(it.Reference)] {
			e.Add("reference", "is already a line of this tender")
		}
		for f, msg := range e {
			errs.Add(name+"."+f, msg)
		}
		if len(e) > 0 {
			continue
		}
		refs[strings.ToLower(it.Reference)] = true
		n := addendumItem{ID: newUUID(), SectionID: a.SectionID, Reference: it.Reference, Description: it.Description,
			Unit: it.Unit, Quantity: it.Quantity, Type: it.Type, Position: maxPos + 1 + len(p.added)}
		if it.Type.Fixed() {
			n.Allowance = it.Rate
		}
		p.added = append(p.added, n)
	}
	for _, it := range next {
		if !removing[it.ID] {
			p.items = append(p.items, it)
		}
	}
	p.items = append(p.items, p.added...)
	return p, errs
}

// alterTenderItemsSQL sets the quantity ($3, thousandths) and description ($4) of tender
// $1's items $2; a fixed allowance's amount follows its quantity ($5).
const alterTenderItemsSQL = `
UPDATE tender_items t SET quantity = x.q::numeric / 1000, description = x.d,
       amount = CASE WHEN t.rate IS NULL THEN NULL ELSE x.amount END
FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::bigint[]) AS x(id, q, d, amount)
WHERE t.tender_id = $1 AND t.id = x.id`

// removeTenderItemsSQL removes tender $1's items $2; their bids' rates go with them
// (bid_rates' foreign key cascades).
const removeTenderItemsSQL = `DELETE FROM tender_items WHERE tender_id = $1 AND id = ANY($2::uuid[])`

// addTenderItemsSQL adds items to tender $1's copy; rate and amount are kept for the fixed
// allowances ($12) only, as the copy holds them.
const addTenderItemsSQL = `
INSERT INTO tender_items (id, tender_id, section_id, reference, description, unit, quantity, item_type, rate, amount, position)
SELECT x.id, $1, x.section, x.ref, x.descr, x.unit, x.q::numeric / 1000, x.typ,
       CASE WHEN x.typ = ANY($12::text[]) THEN x.rate END,
       CASE WHEN x.typ = ANY($12::text[]) THEN x.amount END, x.pos
FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[], $11::int[])
     AS x(id, section, ref, descr, unit, q, typ, rate, amount, pos)`

// dropAlteredRatesSQL clears every bid's rate for tender $1's altered items $2: the rate
// was for the old quantity or description (tender.KeptRates).
const dropAlteredRatesSQL = `DELETE FROM bid_rates WHERE tender_id = $1 AND tender_item_id = ANY($2::uuid[])`

// redraftBidsSQL sends tender $1's submitted bids back to draft (tender.BidStatus.Redraft,
// Submitted → Draft): their bidders acknowledge the addendum and submit again.
const redraftBidsSQL = `UPDATE bids SET status = $3, updated_at = $2 WHERE tender_id = $1 AND status = $4`

// tenderBidRatesSQL is every rate of every bid of tender $1 (a bid without one, once).
const tenderBidRatesSQL = `
SELECT b.id AS bid_id, r.tender_item_id AS item_id, r.rate
FROM bids b LEFT JOIN bid_rates r ON r.bid_id = b.id
WHERE b.tender_id = $1`

const setBidTotalsSQL = `
UPDATE bids b SET total = x.total
FROM unnest($2::uuid[], $3::bigint[]) AS x(id, total)
WHERE b.tender_id = $1 AND b.id = x.id AND b.total <> x.total`

const moveClosingSQL = `
UPDATE tenders SET closes_at = COALESCE($2, closes_at), updated_at = $3, version = version + 1 WHERE id = $1`

const insertAddendumSQL = `
INSERT INTO addenda (tender_id, number, text, closes_at, created_by, created_at, changed, added, removed)
SELECT $1, COALESCE(max(number), 0) + 1, $2, $3, $4, $5, $6, $7, $8 FROM addenda WHERE tender_id = $1
RETURNING id, tender_id, number, text, closes_at, created_at, changed, added, removed`

// IssueAddendum issues the next numbered addendum of an open tender (under its row lock,
// so numbers are 1, 2, 3… whatever the concurrency), in one transaction: its changes to
// the frozen copy (altered quantities or descriptions, added items, removed items), its
// new closing time if any (after now, else a refusal on closesAt), every submitted bid back
// to draft keeping each unchanged line's rate (altered lines lose theirs, removed lines'
// rates go with the item), every bid's stored total recomputed (tender.BidTotal), and an
// "addendum" ledger entry. A tender not open is ErrTenderClosed or ErrTenderNotOpen;
// content breaking a rule *FieldsRefused. Constant statements whatever the bids and items.
// A zero now is the clock.
func (s *Store) IssueAddendum(ctx context.Context, tenderID, actorID string, in AddendumInput, now time.Time) (Addendum, error) {
	now = orNow(now)
	var a Addendum
	err := s.WithTx(ctx, func(tx *Tx) error {
		t, err := tx.lockOpenTender(ctx, tenderID, now)
		if err != nil {
			return err
		}
		var items []addendumItem
		if err := tx.q.sel(ctx, &items, addendumItemsSQL, tenderID); err != nil {
			return err
		}
		sections := map[string]bool{}
		if len(in.Add) > 0 {
			var ids []string
			if err := tx.q.sel(ctx, &ids, `SELECT id FROM tender_sections WHERE tender_id = $1`, tenderID); err != nil {
				return err
			}
			for _, id := range ids {
				sections[id] = true
			}
		}
		p, errs := planAddendum(items, sections, in)
		if !in.ClosesAt.IsZero() && !in.ClosesAt.After(now) {
			errs.Add("closesAt", "must be in the future")
		}
		if err := refused(errs); err != nil {
			return err
		}
		if err := tx.writeAddendumItems(ctx, tenderID, p); err != nil {
			return err
		}
		if len(p.altered) > 0 {
			if _, err := tx.q.exec(ctx, dropAlteredRatesSQL, tenderID, pq.StringArray(itemIDs(p.altered))); err != nil {
				return err
			}
		}
		redraft, err := tender.BidSubmitted.Redraft()
		if err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, redraftBidsSQL, tenderID, now.UTC(), redraft, tender.BidSubmitted); err != nil {
			return err
		}
		if len(p.altered)+len(p.removed)+len(p.added) > 0 {
			if err := tx.recomputeBidTotals(ctx, tenderID, p.items); err != nil {
				return err
			}
		}
		if _, err := tx.q.exec(ctx, moveClosingSQL, tenderID, nullTime(in.ClosesAt), now.UTC()); err != nil {
			return err
		}
		if err := tx.q.get(ctx, &a, insertAddendumSQL, tenderID, strings.TrimSpace(in.Text), nullTime(in.ClosesAt), nullUUID(actorID),
			now.UTC(), len(p.altered), len(p.added), len(p.removed)); err != nil {
			return err
		}
		content := map[string]string{"number": strconv.Itoa(a.Number), "changed": strconv.Itoa(a.Changed),
			"added": strconv.Itoa(a.Added), "removed": strconv.Itoa(a.Removed)}
		if a.ClosesAt.Valid {
			content["closes_at"] = a.ClosesAt.Time.UTC().Format(time.RFC3339)
		}
		if err := tx.appendActivity(ctx, t.ProjectID, tender.Entry{Kind: tender.KindAddendum, TenderID: tenderID, ActorID: actorID,
			At: now, Content: content}); err != nil {
			return err
		}
		// The bidders hear of it; a moved closing time gets its reminders again (outbox.go).
		if err := tx.mailAddendum(ctx, tenderID, a.Number, strings.TrimSpace(in.Text), in.ClosesAt); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.AddendumIssued, ProjectID: t.ProjectID, TenderID: tenderID,
			UserID: actorID, Data: eventData(map[string]any{"number": a.Number})})
	})
	if err != nil {
		return Addendum{}, err
	}
	return a, nil
}

func itemIDs(items []addendumItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

// writeAddendumItems alters, removes and adds the plan's items: a statement each, at most.
func (tx *Tx) writeAddendumItems(ctx context.Context, tenderID string, p addendumPlan) error {
	if n := len(p.altered); n > 0 {
		qs, ds, amounts := make(pq.Int64Array, n), make(pq.StringArray, n), make(pq.Int64Array, n)
		for i, it := range p.altered {
			qs[i], ds[i] = int64(it.Quantity), it.Description
			amounts[i], _ = soq.Amount(it.Quantity, it.Allowance) // checked by planAddendum
		}
		if _, err := tx.q.exec(ctx, alterTenderItemsSQL, tenderID, pq.StringArray(itemIDs(p.altered)), qs, ds, amounts); err != nil {
			return fmt.Errorf("alter items: %w", err)
		}
	}
	if len(p.removed) > 0 {
		if _, err := tx.q.exec(ctx, removeTenderItemsSQL, tenderID, pq.StringArray(p.removed)); err != nil {
			return fmt.Errorf("remove items: %w", err)
		}
	}
	if n := len(p.added); n > 0 {
		var secs, refs, descs, units, types pq.StringArray
		var qs, rates, amounts pq.Int64Array
		var pos pq.Int64Array
		for _, it := range p.added {
			amount, _ := soq.Amount(it.Quantity, it.Allowance)
			secs, refs, descs = append(secs, it.SectionID), append(refs, it.Reference), append(descs, it.Description)
			units, types = append(units, it.Unit), append(types, string(it.Type))
			qs, rates, amounts = append(qs, int64(it.Quantity)), append(rates, it.Allowance), append(amounts, amount)
			pos = append(pos, int64(it.Position))
		}
		if _, err := tx.q.exec(ctx, addTenderItemsSQL, tenderID, pq.StringArray(itemIDs(p.added)), secs, refs, descs, units, qs,
			types, rates, amounts, pos, fixedItemTypes); err != nil {
			return fmt.Errorf("add items: %w", err)
		}
	}
	return nil
}

// recomputeBidTotals stores every bid's total over the copy as it now stands (items, in
// order), each through tender.BidTotal as saving and submitting compute it: one read of
// every rate, one write of the totals that changed. A total past the money range refuses
// the addendum.
func (tx *Tx) recomputeBidTotals(ctx context.Context, tenderID string, items []addendumItem) error {
	rows, err := tx.q.query(ctx, tenderBidRatesSQL, tenderID)
	if err != nil {
		return err
	}
	defer rows.Close()
	rates := map[string]map[string]int64{}
	var bids []string
	for rows.Next() {
		var bid string
		var item sql.NullString
		var rate sql.NullInt64
		if err := rows.Scan(&bid, &item, &rate); err != nil {
			return err
		}
		if _, ok := rates[bid]; !ok {
			rates[bid] = map[string]int64{}
			bids = append(bids, bid)
		}
		if item.Valid {
			rates[bid][item.String] = rate.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bids) == 0 {
		return nil
	}
	totals := make(pq.Int64Array, len(bids))
	lines := make([]tender.Line, len(items))
	for k, bid := range bids {
		for i, it := range items {
			r, ok := rates[bid][it.ID]
			lines[i] = tender.Line{ItemID: it.ID, Reference: it.Reference, Section: it.SectionID, Type: it.Type,
				Quantity: it.Quantity, Allowance: it.Allowance, Rate: r, HasRate: ok}
		}
		t, err := tender.BidTotal(lines)
		if err != nil {
			return &FieldsRefused{Fields: field.Errors{"changes": "would take a bid's total past the largest amount 14Build holds"}}
		}
		totals[k] = t.Total
	}
	_, err = tx.q.exec(ctx, setBidTotalsSQL, tenderID, pq.StringArray(bids), totals)
	return err
}

// addendaSQL is tender $1's addenda with bidder $2's acknowledgement (none when $2 is
// NULL) and, for the team ($2 NULL) only, how many bidders acknowledged each: a bidder
// learns nothing of the others.
const addendaSQL = `
SELECT a.id, a.tender_id, a.number, a.text, a.closes_at, a.created_at, a.changed, a.added, a.removed,
       k.acknowledged_at IS NOT NULL AS acknowledged, k.acknowledged_at,
       CASE WHEN $2::uuid IS NULL THEN (SELECT count(*) FROM addendum_acks x WHERE x.addendum_id = a.id) ELSE 0 END AS acks
FROM addenda a
LEFT JOIN addendum_acks k ON k.addendum_id = a.id AND k.bidder_id = $2::uuid
WHERE a.tender_id = $1
ORDER BY a.number`

// Addenda lists a tender's addenda in number order: for bidderID with its own
// acknowledgement, for the team (bidderID "") with the count of acknowledgements. One query.
func (s *Store) Addenda(ctx context.Context, tenderID, bidderID string) ([]Addendum, error) {
	out := []Addendum{}
	if !validUUID(tenderID) || (bidderID != "" && !validUUID(bidderID)) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, addendaSQL, tenderID, nullUUID(bidderID))
	return out, err
}

// acknowledgeSQL records bidder $3's acknowledgement of tender $1's addendum $2, once:
// found says whether the addendum exists.
const acknowledgeSQL = `
WITH a AS (SELECT id FROM addenda WHERE tender_id = $1 AND number = $2),
ins AS (
    INSERT INTO addendum_acks (addendum_id, bidder_id, acknowledged_at)
    SELECT id, $3, $4 FROM a
    ON CONFLICT (addendum_id, bidder_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM a)`

// AcknowledgeAddendum records that bidder has read addendum number of a tender open to
// it, while the tender is open (as lockTenderForBidder refuses); an unknown number is
// ErrNotFound. Acknowledging again changes nothing. A zero now is the clock.
func (s *Store) AcknowledgeAddendum(ctx context.Context, tenderID string, number int, bidderID string, now time.Time) error {
	now = orNow(now)
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockTenderForBidder(ctx, tenderID, bidderID, now); err != nil {
			return err
		}
		var found bool
		if err := tx.q.get(ctx, &found, acknowledgeSQL, tenderID, number, bidderID, now.UTC()); err != nil {
			return err
		}
		if !found {
			return ErrNotFound
		}
		return nil
	})
}

// Questions

const questionColumns = `q.id, q.tender_id, q.question, q.answer, q.published, q.asked_at, q.answered_at`

const insertQuestionSQL = `
INSERT INTO questions AS q (tender_id, asked_by, question, asked_at) VALUES ($1, $2, $3, $4)
RETURNING ` + questionColumns + `, true AS mine, '' AS asker_name`

// AskQuestion records bidder's question on a tender open to it, while the tender is open
// (as lockTenderForBidder refuses), with a "question" ledger entry. The text is checked
// as tender.CheckQuestion says (*FieldsRefused). A zero now is the clock.
func (s *Store) AskQuestion(ctx context.Context, tenderID, bidderID, text string, now time.Time) (Question, error) {
	now = orNow(now)
	text = strings.TrimSpace(text)
	if err := refused(tender.CheckQuestion(text)); err != nil {
		return Question{}, err
	}
	var q Question
	err := s.WithTx(ctx, func(tx *Tx) error {
		t, err := tx.lockTenderForBidder(ctx, tenderID, bidderID, now)
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &q, insertQuestionSQL, tenderID, bidderID, text, now.UTC()); err != nil {
			return err
		}
		return tx.appendActivity(ctx, t.ProjectID, tender.Entry{Kind: tender.KindQuestion, TenderID: tenderID, ActorID: bidderID,
			At: now, Content: map[string]string{"question": q.ID, "event": "asked"}})
	})
	if err != nil {
		return Question{}, err
	}
	return q, nil
}

// answerQuestionSQL answers tender $1's question $2.
const answerQuestionSQL = `
UPDATE questions q SET answer = $3, published = $4, answered_by = $5, answered_at = $6
WHERE q.tender_id = $1 AND q.id = $2
RETURNING ` + questionColumns + `, false AS mine,
       COALESCE((SELECT u.name FROM users u WHERE u.id = q.asked_by), '') AS asker_name`

// AnswerQuestion answers (or answers again) a question of an open tender (else
// ErrTenderClosed or ErrTenderNotOpen): published, every bidder of the tender sees the
// question and answer, never who asked; not, only the asker does. An unknown question is
// ErrNotFound; the text is checked as tender.CheckAnswer says (*FieldsRefused). A
// "question" ledger entry records it. A zero now is the clock.
func (s *Store) AnswerQuestion(ctx context.Context, tenderID, questionID, actorID, text string, publish bool, now time.Time) (Question, error) {
	now = orNow(now)
	text = strings.TrimSpace(text)
	if err := refused(tender.CheckAnswer(text)); err != nil {
		return Question{}, err
	}
	if !validUUID(questionID) {
		return Question{}, ErrNotFound
	}
	var q Question
	err := s.WithTx(ctx, func(tx *Tx) error {
		t, err := tx.lockOpenTender(ctx, tenderID, now)
		if err != nil {
			return err
		}
		if err := tx.q.get(ctx, &q, answerQuestionSQL, tenderID, questionID, text, publish, nullUUID(actorID), now.UTC()); err != nil {
			return err
		}
		if err := tx.appendActivity(ctx, t.ProjectID, tender.Entry{Kind: tender.KindQuestion, TenderID: tenderID, ActorID: actorID,
			At: now, Content: map[string]string{"question": q.ID, "event": "answered", "published": strconv.FormatBool(publish)}}); err != nil {
			return err
		}
		// The asker is named so that a private answer reaches its stream only.
		var asker string
		if err := tx.q.get(ctx, &asker, `SELECT COALESCE(asked_by::text, '') FROM questions WHERE id = $1`, q.ID); err != nil {
			return err
		}
		if publish { // the bidders hear of a published answer (outbox.go)
			if err := tx.mailAnswer(ctx, tenderID, q.Text, text); err != nil {
				return err
			}
		}
		return tx.emit(ctx, events.Change{Kind: events.QuestionAnswered, ProjectID: t.ProjectID, TenderID: tenderID,
			UserID: actorID, Data: eventData(map[string]any{"questionId": q.ID, "published": publish, "askedBy": asker})})
	})
	if err != nil {
		return Question{}, err
	}
	return q, nil
}

const questionsForTeamSQL = `
SELECT ` + questionColumns + `, false AS mine, COALESCE(u.name, '') AS asker_name
FROM questions q LEFT JOIN users u ON u.id = q.asked_by
WHERE q.tender_id = $1
ORDER BY q.asked_at, q.id`

// QuestionsForTeam lists every question of a tender with its asker's name, first asked
// first: one query.
func (s *Store) QuestionsForTeam(ctx context.Context, tenderID string) ([]Question, error) {
	out := []Question{}
	if !validUUID(tenderID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, questionsForTeamSQL, tenderID)
	return out, err
}

// questionsForBidderSQL is what bidder $2 sees of tender $1's questions: the published
// ones and its own, never anyone's name.
const questionsForBidderSQL = `
SELECT ` + questionColumns + `, q.asked_by IS NOT DISTINCT FROM $2::uuid AS mine, '' AS asker_name
FROM questions q
WHERE q.tender_id = $1 AND (q.published OR q.asked_by = $2::uuid)
ORDER BY q.asked_at, q.id`

// QuestionsForBidder lists the questions a bidder sees on a tender: the published ones
// (without who asked) and its own (Mine), first asked first. One query.
func (s *Store) QuestionsForBidder(ctx context.Context, tenderID, bidderID string) ([]Question, error) {
	out := []Question{}
	if !validUUID(tenderID) || !validUUID(bidderID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, questionsForBidderSQL, tenderID, bidderID)
	return out, err
}
