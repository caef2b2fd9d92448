package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/events"
	"github.com/14build/14build/soq"
	"github.com/14build/14build/tender"
)

// TenderNotEditable refuses an edit or a delete of a tender that has left Draft (409):
// opening froze what bidders price.
type TenderNotEditable struct{ Status tender.Status }

func (e *TenderNotEditable) Error() string {
	return fmt.Sprintf("the tender is %s: only a draft tender can be changed", e.Status)
}

// ErrUnknownSOQ is returned when a tender names an SOQ that is not one of its project's.
var ErrUnknownSOQ = errors.New("the SOQ is not one of this project's")

// ErrSOQNotIssued refuses to open a tender whose SOQ is still a draft: bidders price an
// issued SOQ only.
var ErrSOQNotIssued = errors.New("the SOQ must be issued before the tender opens")

// ErrClosingTimePassed refuses to open a tender whose closing time is not in the future.
var ErrClosingTimePassed = errors.New("the tender's closing time has passed")

// ErrNothingToTender refuses to open a tender whose copy would have no items (an empty
// SOQ, or no item of the tender's categories).
var ErrNothingToTender = errors.New("the tender would have no items to price")

// Tender is a tender's header. CategoryIDs are its trade categories (in id order);
// Invitees is filled by Tender only.
type Tender struct {
	ID            string         `db:"id"`
	ProjectID     string         `db:"project_id"`
	SOQID         string         `db:"soq_id"`
	Title         string         `db:"title"`
	Instructions  string         `db:"instructions"`
	ClosesAt      time.Time      `db:"closes_at"`
	Sealed        bool           `db:"sealed"`
	AllowLateBids bool           `db:"allow_late_bids"`
	ScopeByTrade  bool           `db:"scope_by_trade"`
	Status        tender.Status  `db:"status"`
	Version       int64          `db:"version"`
	CreatedBy     sql.NullString `db:"created_by"`
	CreatedAt     time.Time      `db:"created_at"`
	UpdatedAt     time.Time      `db:"updated_at"`
	OpenedAt      sql.NullTime   `db:"opened_at"`
	ClosedAt      sql.NullTime   `db:"closed_at"`
	AwardedAt     sql.NullTime   `db:"awarded_at"`
	CategoryIDs   pq.Int64Array  `db:"category_ids"`
	Invitees      []Invitee      `db:"-"`
}

// Invitee is a bidder invited to a tender by email; UserID is set when the address
// belongs to an account.
type Invitee struct {
	Email     string         `db:"email"`
	UserID    sql.NullString `db:"user_id"`
	Intent    tender.Intent  `db:"intent"`
	InvitedAt time.Time      `db:"invited_at"`
}

// NewTender is a tender's editable content, to create a draft or to replace one.
// Invitees are emails; one invited twice (in any case) is invited once.
type NewTender struct {
	SOQID         string
	Title         string
	Instructions  string
	ClosesAt      time.Time
	Sealed        bool
	AllowLateBids bool
	ScopeByTrade  bool
	CategoryIDs   []int64
	Invitees      []string
}

// tenderColumns are a tender's header columns as Tender scans them.
const tenderColumns = `t.id, t.project_id, t.soq_id, t.title, t.instructions, t.closes_at, t.sealed,
       t.allow_late_bids, t.scope_by_trade, t.status, t.version, t.created_by, t.created_at,
       t.updated_at, t.opened_at, t.closed_at, t.awarded_at,
       ARRAY(SELECT c.category_id FROM tender_categories c WHERE c.tender_id = t.id ORDER BY 1) AS category_ids`

const tenderSQL = `SELECT ` + tenderColumns + ` FROM tenders t WHERE t.id = $1`

// tenderInviteesSQL is a tender's ($1) invitees in the order they were invited.
const tenderInviteesSQL = `
SELECT email, user_id, intent, invited_at FROM tender_invitees
WHERE tender_id = $1
ORDER BY invited_at, email`

// Tender returns a tender with its categories and invitees: two queries.
func (s *Store) Tender(ctx context.Context, id string) (Tender, error) {
	var t Tender
	if !validUUID(id) {
		return t, ErrNotFound
	}
	if err := s.q.get(ctx, &t, tenderSQL, id); err != nil {
		return t, err
	}
	if err := s.q.sel(ctx, &t.Invitees, tenderInviteesSQL, id); err != nil {
		return t, err
	}
	return t, nil
}

// tendersOfProjectSQL is a project's ($1) tenders, newest first.
const tendersOfProjectSQL = `SELECT ` + tenderColumns + ` FROM tenders t WHERE t.project_id = $1 ORDER BY t.created_at DESC, t.id`

// TendersOfProject lists a project's tenders, newest first, with their categories (not
// their invitees): one query.
func (s *Store) TendersOfProject(ctx context.Context, projectID string) ([]Tender, error) {
	out := []Tender{}
	if !validUUID(projectID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, tendersOfProjectSQL, projectID)
	return out, err
}

// tendersOpenToSQL is one page ($2 limit, $3 offset) of the tenders user $1 may bid on:
// opened (a draft is the team's business; a cancelled one is gone), and inviting the user by
// account or by email (citext: any case), or of the user's trade. Newest closing first;
// total is the count of all of them, read off the same rows.
const tendersOpenToSQL = `
SELECT ` + tenderColumns + `, count(*) OVER () AS total
FROM tenders t
JOIN users u ON u.id = $1
WHERE t.status IN ('open', 'closed', 'awarded')
  AND (EXISTS (SELECT 1 FROM tender_invitees i WHERE i.tender_id = t.id AND (i.user_id = u.id OR i.email = u.email))
       OR EXISTS (SELECT 1 FROM tender_categories c WHERE c.tender_id = t.id AND c.category_id = u.category_id))
ORDER BY t.closes_at DESC, t.id
LIMIT $2 OFFSET $3`

// TendersOpenTo returns one page (from 1; perPage 25 by default, at most 200) of the
// tenders open to a bidder (see tendersOpenToSQL), with their categories and not their
// invitees, and how many there are in all. One query; a page past the end asks again for
// the first row only, to count.
func (s *Store) TendersOpenTo(ctx context.Context, userID string, page, perPage int) ([]Tender, int, error) {
	out := []Tender{}
	if !validUUID(userID) {
		return out, 0, nil
	}
	page, per := clampPage(page, perPage)
	var rows []struct {
		Tender
		Total int `db:"total"`
	}
	if err := s.q.sel(ctx, &rows, tendersOpenToSQL, userID, per, (page-1)*per); err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 && page > 1 {
		if err := s.q.sel(ctx, &rows, tendersOpenToSQL, userID, 1, 0); err != nil || len(rows) == 0 {
			return out, 0, err
		}
		return out, rows[0].Total, nil
	}
	for _, r := range rows {
		out = append(out, r.Tender)
	}
	total := 0
	if len(rows) > 0 {
		total = rows[0].Total
	}
	return out, total, nil
}

const insertTenderSQL = `
INSERT INTO tenders (id, project_id, soq_id, title, instructions, closes_at, sealed, allow_late_bids, scope_by_trade, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// CreateTender inserts a draft tender with its categories and invitees, and its "created"
// ledger entry, in one transaction.
func (s *Store) CreateTender(ctx context.Context, projectID, userID string, in NewTender) (string, error) {
	if !validUUID(in.SOQID) {
		return "", ErrUnknownSOQ
	}
	id := newUUID()
	err := s.WithTx(ctx, func(tx *Tx) error {
		_, err := tx.q.exec(ctx, insertTenderSQL, id, projectID, in.SOQID, in.Title, in.Instructions, in.ClosesAt.UTC(),
			in.Sealed, in.AllowLateBids, in.ScopeByTrade, userID)
		if err := tenderWriteError(err); err != nil {
			return err
		}
		if err := tx.setTenderLists(ctx, id, in); err != nil {
			return err
		}
		return tx.appendActivity(ctx, projectID, tender.Entry{Kind: tender.KindCreated, TenderID: id, ActorID: userID,
			At: time.Now(), Content: map[string]string{"title": in.Title}})
	})
	return id, err
}

// The categories of tender $1 become those in $2 (bigint[]): the others are removed, the
// missing ones added.
const (
	deleteTenderCategoriesSQL = `DELETE FROM tender_categories WHERE tender_id = $1 AND category_id <> ALL($2::bigint[])`
	insertTenderCategoriesSQL = `
INSERT INTO tender_categories (tender_id, category_id)
SELECT $1, c FROM unnest($2::bigint[]) AS c
ON CONFLICT DO NOTHING`
)

// The invitees of tender $1 that are still in $2 (text[]) keep their intent and
// invitation time; the others are removed, and new ones linked to their account if any.
const (
	deleteTenderInviteesSQL = `DELETE FROM tender_invitees WHERE tender_id = $1 AND email <> ALL($2::citext[])`
	insertTenderInviteesSQL = `
INSERT INTO tender_invitees (tender_id, email, user_id)
SELECT $1, e.email, u.id
FROM unnest($2::citext[]) AS e(email)
LEFT JOIN users u ON u.email = e.email
ON CONFLICT DO NOTHING`
)

// setTenderLists makes a tender's categories and invitees those of in: four statements
// whatever their number.
func (tx *Tx) setTenderLists(ctx context.Context, id string, in NewTender) error {
	cats := pq.Array(in.CategoryIDs)
	if in.CategoryIDs == nil {
		cats = pq.Array([]int64{}) // <> ALL of NULL would keep everything
	}
	emails := pq.Array(in.Invitees)
	if in.Invitees == nil {
		emails = pq.Array([]string{})
	}
	if _, err := tx.q.exec(ctx, deleteTenderCategoriesSQL, id, cats); err != nil {
		return err
	}
	if _, err := tx.q.exec(ctx, insertTenderCategoriesSQL, id, cats); err != nil {
		return tenderWriteError(err)
	}
	if _, err := tx.q.exec(ctx, deleteTenderInviteesSQL, id, emails); err != nil {
		return err
	}
	_, err := tx.q.exec(ctx, insertTenderInviteesSQL, id, emails)
	return tenderWriteError(err)
}

// tenderWriteError names the refusals a tender write can meet; other errors pass as they are.
func tenderWriteError(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23503" {
		switch pqErr.Constraint {
		case "tenders_project_id_soq_id_fkey":
			return ErrUnknownSOQ
		case "tender_categories_category_id_fkey":
			return ErrUnknownCategory
		}
	}
	return err
}

// lockedTender is what a tender write decides from, read under the row's lock.
type lockedTender struct {
	ProjectID    string        `db:"project_id"`
	Status       tender.Status `db:"status"`
	Version      int64         `db:"version"`
	SOQID        string        `db:"soq_id"`
	ScopeByTrade bool          `db:"scope_by_trade"`
	ClosesAt     time.Time     `db:"closes_at"`
}

// lockTenderSQL locks a tender's row for the rest of the transaction: writes and
// transitions of one tender take turns, and each decides from the status the one before
// it committed (two opens at once: the second sees Open and is refused).
const lockTenderSQL = `SELECT project_id, status, version, soq_id, scope_by_trade, closes_at FROM tenders WHERE id = $1 FOR UPDATE`

func (tx *Tx) lockTender(ctx context.Context, id string) (lockedTender, error) {
	var l lockedTender
	if !validUUID(id) {
		return l, ErrNotFound
	}
	err := tx.q.get(ctx, &l, lockTenderSQL, id)
	return l, err
}

// lockEditable locks a tender that must still be a draft, at version if one is given.
func (tx *Tx) lockEditable(ctx context.Context, id string, version *int64) error {
	l, err := tx.lockTender(ctx, id)
	if err != nil {
		return err
	}
	if !l.Status.Editable() {
		return &TenderNotEditable{Status: l.Status}
	}
	if version != nil && *version != l.Version {
		return &VersionConflict{Current: l.Version}
	}
	return nil
}

const updateTenderSQL = `
UPDATE tenders SET soq_id = $2, title = $3, instructions = $4, closes_at = $5, sealed = $6,
       allow_late_bids = $7, scope_by_trade = $8, version = version + 1, updated_at = now()
WHERE id = $1`

// UpdateDraftTender replaces a draft tender's content, categories and invitees (invitees
// kept keep their intent). A tender that has left Draft is refused (*TenderNotEditable);
// with a version, the tender must still be at it (else *VersionConflict). Nothing is
// written on a refusal.
func (s *Store) UpdateDraftTender(ctx context.Context, id string, version *int64, in NewTender) error {
	if !validUUID(in.SOQID) {
		return ErrUnknownSOQ
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.lockEditable(ctx, id, version); err != nil {
			return err
		}
		_, err := tx.q.exec(ctx, updateTenderSQL, id, in.SOQID, in.Title, in.Instructions, in.ClosesAt.UTC(),
			in.Sealed, in.AllowLateBids, in.ScopeByTrade)
		if err := tenderWriteError(err); err != nil {
			return err
		}
		return tx.setTenderLists(ctx, id, in)
	})
}

// DeleteDraftTender removes a draft tender with its categories and invitees; a tender
// that has left Draft is refused (*TenderNotEditable).
func (s *Store) DeleteDraftTender(ctx context.Context, id string) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.lockEditable(ctx, id, nil); err != nil {
			return err
		}
		return tx.q.execOne(ctx, `DELETE FROM tenders WHERE id = $1`, id)
	})
}

// shareSOQSQL reads an SOQ's status and keeps it (and its content) as read until commit:
// FOR SHARE waits for the SOQ's writers, which lock it FOR NO KEY UPDATE, and holds off
// the next ones (and a reopen) while the copy is made.
const shareSOQSQL = `SELECT status FROM soqs WHERE id = $1 FOR SHARE`

// copyTenderSectionsSQL copies the sections of SOQ $2 into tender $1, numbered 1… in
// their order. With $3 (scope by trade), only sections holding an item of the tender's
// categories.
const copyTenderSectionsSQL = `
INSERT INTO tender_sections (id, tender_id, source_section_id, code, title, position)
SELECT gen_random_uuid(), $1, s.id, s.code, s.title, row_number() OVER (ORDER BY s.position, s.id)
FROM soq_sections s
WHERE s.soq_id = $2
  AND (NOT $3 OR EXISTS (
      SELECT 1 FROM soq_items i JOIN tender_categories c ON c.tender_id = $1 AND c.category_id = i.category_id
      WHERE i.soq_id = $2 AND i.section_id = s.id))`

// copyTenderItemsSQL copies the items of SOQ $2 into tender $1's copied sections (all, or
// with $3 only those of the tender's categories), numbered 1… in the SOQ's order. Rate and amount are copied for the
// fixed allowances ($4, item types) only: the owner's estimate of a line bidders price is
// not theirs to see.
const copyTenderItemsSQL = `
INSERT INTO tender_items (id, tender_id, section_id, source_item_id, reference, description, unit, quantity,
                          item_type, rate, amount, category_id, position)
SELECT gen_random_uuid(), $1, ts.id, i.id, i.reference, i.description, i.unit, i.quantity, i.item_type,
       CASE WHEN i.item_type = ANY($4::text[]) THEN i.rate END,
       CASE WHEN i.item_type = ANY($4::text[]) THEN i.amount END,
       i.category_id, row_number() OVER (ORDER BY ts.position, i.position)
FROM soq_items i
JOIN tender_sections ts ON ts.tender_id = $1 AND ts.source_section_id = i.section_id
WHERE i.soq_id = $2
  AND (NOT $3 OR i.category_id IN (SELECT category_id FROM tender_categories WHERE tender_id = $1))`

// fixedItemTypes are the item types whose rate bidders take as it is (soq.ItemType.Fixed).
var fixedItemTypes = func() pq.StringArray {
	var out pq.StringArray
	for _, t := range soq.ItemTypes {
		if t.Fixed() {
			out = append(out, string(t))
		}
	}
	return out
}()

// OpenTender opens a draft tender at now: in one transaction, the tender.Status.Open
// transition (else *tender.TransitionError), its SOQ issued (else ErrSOQNotIssued) and
// its closing time after now (else ErrClosingTimePassed), then the frozen copy of the
// SOQ, and the "opened" ledger entry by actorID. Eight statements whatever the SOQ's size.
func (s *Store) OpenTender(ctx context.Context, id, actorID string, now time.Time) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		l, err := tx.lockTender(ctx, id)
		if err != nil {
			return err
		}
		next, err := l.Status.Open()
		if err != nil {
			return err
		}
		if !l.ClosesAt.After(now) {
			return ErrClosingTimePassed
		}
		var st soq.Status
		if err := tx.q.get(ctx, &st, shareSOQSQL, l.SOQID); err != nil {
			return err
		}
		if st != soq.Issued {
			return ErrSOQNotIssued
		}
		if _, err := tx.q.exec(ctx, copyTenderSectionsSQL, id, l.SOQID, l.ScopeByTrade); err != nil {
			return fmt.Errorf("copy sections: %w", err)
		}
		res, err := tx.q.exec(ctx, copyTenderItemsSQL, id, l.SOQID, l.ScopeByTrade, fixedItemTypes)
		if err != nil {
			return fmt.Errorf("copy items: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNothingToTender
		}
		if err := tx.q.execOne(ctx, `UPDATE tenders SET status = $2, opened_at = $3, updated_at = $3, version = version + 1 WHERE id = $1`,
			id, next, now.UTC()); err != nil {
			return err
		}
		if err := tx.appendActivity(ctx, l.ProjectID, tender.Entry{Kind: tender.KindOpened, TenderID: id, ActorID: actorID, At: now,
			Content: map[string]string{"closes_at": l.ClosesAt.UTC().Format(time.RFC3339), "items": strconv.FormatInt(n, 10)}}); err != nil {
			return err
		}
		return tx.mailTenderOpened(ctx, id) // invitations to bid, closing reminders (outbox.go)
	})
}

// CloseTender closes an open tender at now (at its closing time, or early): the
// tender.Status.Close transition, else *tender.TransitionError, and the "closed" ledger
// entry by actorID ("" for the system: the closing job).
func (s *Store) CloseTender(ctx context.Context, id, actorID string, now time.Time) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		l, err := tx.lockTender(ctx, id)
		if err != nil {
			return err
		}
		next, err := l.Status.Close()
		if err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `UPDATE tenders SET status = $2, closed_at = $3, updated_at = $3, version = version + 1 WHERE id = $1`,
			id, next, now.UTC()); err != nil {
			return err
		}
		if err := tx.appendActivity(ctx, l.ProjectID, tender.Entry{Kind: tender.KindClosed, TenderID: id, ActorID: actorID, At: now}); err != nil {
			return err
		}
		if err := tx.mailTenderClosed(ctx, id); err != nil {
			return err
		}
		return tx.emit(ctx, events.Change{Kind: events.TenderClosed, ProjectID: l.ProjectID, TenderID: id, UserID: actorID})
	})
}

const cancelTenderSQL = `UPDATE tenders SET status = $2, updated_at = $3, version = version + 1 WHERE id = $1`

// CancelTender cancels a draft, open or closed tender: the tender.Status.Cancel transition,
// else *tender.TransitionError. The ledger has no kind for a cancellation yet, so none is
// recorded: the status and updated_at are the record until one is agreed.
func (s *Store) CancelTender(ctx context.Context, id, actorID string, now time.Time) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		l, err := tx.lockTender(ctx, id)
		if err != nil {
			return err
		}
		next, err := l.Status.Cancel()
		if err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, cancelTenderSQL, id, next, now.UTC()); err != nil {
			return err
		}
		return tx.appendActivity(ctx, l.ProjectID, tender.Entry{Kind: tender.KindCancelled, TenderID: id, ActorID: actorID, At: now})
	})
}

// TenderSection is a section of a tender's frozen copy, with its items.
type TenderSection struct {
	ID       string       `db:"id"`
	Code     string       `db:"code"`
	Title    string       `db:"title"`
	Position int          `db:"position"`
	Items    []TenderItem `db:"-"`
}

// TenderItem is a line of a tender's frozen copy. Rate and Amount are set for fixed
// allowances only; SourceItemID is the SOQ item it was copied from.
type TenderItem struct {
	ID           string         `db:"id"`
	SectionID    string         `db:"section_id"`
	SourceItemID sql.NullString `db:"source_item_id"`
	Reference    string         `db:"reference"`
	Description  string         `db:"description"`
	Unit         string         `db:"unit"`
	Quantity     soq.Quantity   `db:"quantity"`
	Type         soq.ItemType   `db:"item_type"`
	Rate         sql.NullInt64  `db:"rate"`
	Amount       sql.NullInt64  `db:"amount"`
	CategoryID   sql.NullInt64  `db:"category_id"`
	Position     int            `db:"position"`
}

const (
	tenderSectionsSQL = `SELECT id, code, title, position FROM tender_sections WHERE tender_id = $1 ORDER BY position`
	tenderItemsSQL    = `
SELECT id, section_id, source_item_id, reference, description, unit, (quantity * 1000)::bigint AS quantity,
       item_type, rate, amount, category_id, position
FROM tender_items
WHERE tender_id = $1
ORDER BY position, id`
)

// TenderCopy returns a tender's frozen copy of its SOQ, sections in order with their
// items: two queries. A tender that has not opened has none.
func (s *Store) TenderCopy(ctx context.Context, id string) ([]TenderSection, error) {
	secs := []TenderSection{}
	if !validUUID(id) {
		return secs, nil
	}
	if err := s.q.sel(ctx, &secs, tenderSectionsSQL, id); err != nil {
		return nil, err
	}
	var items []TenderItem
	if err := s.q.sel(ctx, &items, tenderItemsSQL, id); err != nil {
		return nil, err
	}
	at := make(map[string]int, len(secs))
	for i, sec := range secs {
		at[sec.ID] = i
	}
	for _, it := range items {
		i := at[it.SectionID]
		secs[i].Items = append(secs[i].Items, it)
	}
	return secs, nil
}
