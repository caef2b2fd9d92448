package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// ErrReferenceTaken is returned when an item reference is already used in the SOQ.
var ErrReferenceTaken = errors.New("item reference already used in this SOQ")

// ErrSectionCodeTaken is returned when a section code is already used in the SOQ.
var ErrSectionCodeTaken = errors.New("section code already used in this SOQ")

// VersionConflict is returned by a whole-object replace (PUT) whose version is not the
// row's current one: someone else wrote it since the caller read it.
type VersionConflict struct{ Current int64 }

func (e *VersionConflict) Error() string {
	return fmt.Sprintf("changed since it was read (now version %d)", e.Current)
}

// ItemRefused carries the item rules' messages (by field) from a field-level item write.
type ItemRefused struct{ Fields field.Errors }

func (e *ItemRefused) Error() string { return "item refused" }

// SOQ is a schedule of quantities; Sections is filled by LoadSOQ.
type SOQ struct {
	ID        string     `db:"id"`
	ProjectID string     `db:"project_id"`
	Title     string     `db:"title"`
	Currency  string     `db:"currency"`
	Status    soq.Status `db:"status"`
	ItemCount int        `db:"item_count"`
	Version   int64      `db:"version"`
	CreatedAt time.Time  `db:"created_at"`
	UpdatedAt time.Time  `db:"updated_at"`
	Sections  []Section  `db:"-"`
	// Total is the sum of the items' amounts, computed by package soq.
	Total int64 `db:"-"`
	// Overflow: stored values exceed what 14Build can hold; totals are capped.
	Overflow bool `db:"-"`
}

// Section is a group of items.
type Section struct {
	ID       string `db:"id"`
	SOQID    string `db:"soq_id"`
	Code     string `db:"code"`
	Title    string `db:"title"`
	Position int    `db:"position"`
	Items    []Item `db:"-"`
	Total    int64  `db:"total"` // the sum of its items' stored amounts
}

// Item is an SOQ line. Amount is computed by soq.Amount when the item is written, and stored.
type Item struct {
	ID           string         `db:"id"`
	SOQID        string         `db:"soq_id"`
	SectionID    string         `db:"section_id"`
	Reference    string         `db:"reference"`
	Description  string         `db:"description"`
	Unit         string         `db:"unit"`
	Quantity     soq.Quantity   `db:"quantity"`
	Rate         int64          `db:"rate"`
	Type         soq.ItemType   `db:"item_type"`
	CategoryID   sql.NullInt64  `db:"category_id"`
	CategoryName sql.NullString `db:"category_name"`
	Position     int            `db:"position"`
	UnitIDs      []string       `db:"-"`
	Amount       int64          `db:"amount"`
}

// soqsOfSQL is a project's SOQs ($1), oldest first, with their numbers of items.
const soqsOfSQL = `
SELECT s.id, s.project_id, s.title, s.currency, s.status, s.version, s.created_at, s.updated_at,
       (SELECT count(*) FROM soq_items i WHERE i.soq_id = s.id) AS item_count
FROM soqs s
WHERE s.project_id = $1
ORDER BY s.created_at, s.id`

// soqTotalsSQL is the sum of the stored amounts of each SOQ in $1 (uuid[]) that has items,
// clipped at $2.
const soqTotalsSQL = `
SELECT soq_id, LEAST(sum(amount), $2)::bigint AS total
FROM soq_items
WHERE soq_id = ANY($1)
GROUP BY soq_id`

// SOQsOf lists a project's SOQs with their totals: two queries, whatever their size.
func (s *Store) SOQsOf(ctx context.Context, projectID string) ([]SOQ, error) {
	var out []SOQ
	if err := s.q.sel(ctx, &out, soqsOfSQL, projectID); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, len(out))
	idx := map[string]int{}
	for i, q := range out {
		ids[i], idx[q.ID] = q.ID, i
	}
	// Totals are sums of the stored amounts (see soq_write.go), clipped just past the
	// money range: an SOQ over it reads as capped, with Overflow set.
	var rows []struct {
		SOQID string `db:"soq_id"`
		Total int64  `db:"total"`
	}
	if err := s.q.sel(ctx, &rows, soqTotalsSQL, pq.Array(ids), overLimit); err != nil {
		return nil, err
	}
	for _, r := range rows {
		i := idx[r.SOQID]
		out[i].Total, out[i].Overflow = capAmount(r.Total), r.Total > money.MaxMinor
	}
	return out, nil
}

// soqHeaderSQL is one SOQ ($1) with its number of items.
const soqHeaderSQL = `
SELECT s.id, s.project_id, s.title, s.currency, s.status, s.version, s.created_at, s.updated_at,
       (SELECT count(*) FROM soq_items i WHERE i.soq_id = s.id) AS item_count
FROM soqs s
WHERE s.id = $1`

// SOQHeader returns an SOQ without its sections (for access checks).
func (s *Store) SOQHeader(ctx context.Context, id string) (SOQ, error) {
	if !validUUID(id) {
		return SOQ{}, ErrNotFound
	}
	var q SOQ
	err := s.q.get(ctx, &q, soqHeaderSQL, id)
	return q, err
}

// ItemFilter narrows the items loaded with an SOQ.
type ItemFilter struct {
	SectionID  string
	CategoryID int64
	Type       soq.ItemType
	Query      string
}

// soqSectionsSQL is an SOQ's sections ($1) in order, each with the sum of its items' stored
// amounts clipped at $2.
const soqSectionsSQL = `
SELECT s.id, s.soq_id, s.code, s.title, s.position,
       (SELECT LEAST(COALESCE(sum(i.amount), 0), $2) FROM soq_items i WHERE i.section_id = s.id)::bigint AS total
FROM soq_sections s
WHERE s.soq_id = $1
ORDER BY s.position, s.id`

// soqItemsSQL is every item of an SOQ ($1) in order, with its trade's name. Quantities are
// read in thousandths (soq.Quantity).
const soqItemsSQL = `
SELECT i.id, i.soq_id, i.section_id, i.reference, i.description, i.unit, (i.quantity * 1000)::bigint AS quantity,
       i.rate, i.item_type, i.category_id, c.name AS category_name, i.position, i.amount
FROM soq_items i
LEFT JOIN categories c ON c.id = i.category_id
WHERE i.soq_id = $1
ORDER BY i.position, i.id`

// soqItemUnitsSQL is the units each item of an SOQ ($1) serves.
const soqItemUnitsSQL = `
SELECT l.item_id, l.unit_id
FROM soq_item_units l
JOIN soq_items i ON i.id = l.item_id
WHERE i.soq_id = $1
ORDER BY l.item_id, l.unit_id`

// LoadSOQ fills an SOQ's sections and items (filtered), with amounts and totals.
// Section and SOQ totals always cover every item, whatever the filter shows.
func (s *Store) LoadSOQ(ctx context.Context, q *SOQ, f ItemFilter) error {
	// Section totals are sums of the stored amounts, of every item whatever the filter.
	if err := s.q.sel(ctx, &q.Sections, soqSectionsSQL, q.ID, overLimit); err != nil {
		return err
	}
	var items []Item
	if err := s.q.sel(ctx, &items, soqItemsSQL, q.ID); err != nil {
		return err
	}
	var links []struct {
		ItemID string `db:"item_id"`
		UnitID string `db:"unit_id"`
	}
	if err := s.q.sel(ctx, &links, soqItemUnitsSQL, q.ID); err != nil {
		return err
	}
	byItem := map[string][]string{}
	for _, l := range links {
		byItem[l.ItemID] = append(byItem[l.ItemID], l.UnitID)
	}
	secIdx := map[string]int{}
	for i, sec := range q.Sections {
		secIdx[sec.ID] = i
	}
	count := 0
	for _, it := range items {
		si, ok := secIdx[it.SectionID]
		if !ok {
			continue // its section was replaced between the two reads: it is not on this page
		}
		count++
		// Reads never fail on out-of-range values: they are capped.
		it.Amount = capAmount(it.Amount)
		it.UnitIDs = byItem[it.ID]
		if f.matches(it) {
			q.Sections[si].Items = append(q.Sections[si].Items, it)
		}
	}
	// The grand total adds the sections' sums; soq.Tally caps it and flags an overflow.
	lines := make([]soq.Line, len(q.Sections))
	for i, sec := range q.Sections {
		lines[i] = soq.Line{Section: sec.ID, Quantity: 1000, Rate: sec.Total}
		q.Sections[i].Total = capAmount(sec.Total)
	}
	t := soq.Tally(lines)
	q.Total, q.Overflow = t.Total, t.Overflow
	q.ItemCount = count
	return nil
}

func (f ItemFilter) matches(it Item) bool {
	if f.SectionID != "" && it.SectionID != f.SectionID {
		return false
	}
	if f.CategoryID != 0 && (!it.CategoryID.Valid || it.CategoryID.Int64 != f.CategoryID) {
		return false
	}
	if f.Type != "" && it.Type != f.Type {
		return false
	}
	if f.Query != "" && !containsFold(it.Reference+" "+it.Description, f.Query) {
		return false
	}
	return true
}

// NewItem is a checked item with its optional trade and units served.
type NewItem struct {
	soq.Item
	CategoryID int64
	UnitIDs    []string
}

// NewSection is a section with its items.
type NewSection struct {
	Code, Title string
	Items       []NewItem
}

// NewSOQ is a whole SOQ to create or to replace.
type NewSOQ struct {
	Title, Currency string
	Status          soq.Status // "" is soq.Draft
	Sections        []NewSection
}

// CreateSOQ inserts an SOQ with its sections and items in one transaction, in a constant
// number of statements.
func (s *Store) CreateSOQ(ctx context.Context, projectID, userID string, in NewSOQ) (string, error) {
	id := newUUID()
	err := s.WithTx(ctx, func(tx *Tx) error {
		if in.Status == "" {
			in.Status = soq.Draft
		}
		if _, err := tx.q.exec(ctx, `INSERT INTO soqs (id, project_id, title, currency, status, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, projectID, in.Title, in.Currency, in.Status, userID); err != nil {
			return err
		}
		if err := tx.CheckSOQTotals(ctx, id, SOQChange{ReplaceAll: true, Lines: in.lines()}); err != nil {
			return err
		}
		return tx.insertSections(ctx, id, projectID, in.Sections, 0)
	})
	return id, err
}

// lines are the body's items for the totals check, keyed by their path in the body.
func (in NewSOQ) lines() []soq.Line {
	var out []soq.Line
	for si, sec := range in.Sections {
		for ii, it := range sec.Items {
			out = append(out, soq.Line{Key: fmt.Sprintf("sections[%d].items[%d].rate", si, ii), Section: strconv.Itoa(si),
				Quantity: it.Quantity, Rate: it.Rate})
		}
	}
	return out
}

// SOQChange describes a write about to happen to an SOQ's items, for CheckSOQTotals.
type SOQChange struct {
	ReplaceAll bool       // the write replaces every item (PUT, or a new SOQ)
	Replaced   []string   // ids of stored items the write changes or removes
	Lines      []soq.Line // the values of the items it adds or changes
}

// CheckSOQTotals is the totals guard of the writes that replace or add many items in a
// transaction (a whole SOQ, an import), before writing: it locks the SOQ's row (so
// concurrent writers take turns and the totals read here stay true until commit), sums the
// stored amounts, and asks soq.CheckTotals whether the SOQ with the change applied still
// fits the money range. (A cell save, a paste and an add-row check the same way from their
// one read instead: see soq_write.go.) A refusal is a *soq.TotalError naming the changed
// line to blame (Line.Key).
func (tx *Tx) CheckSOQTotals(ctx context.Context, soqID string, ch SOQChange) error {
	kept, err := tx.keptLines(ctx, soqID, ch)
	if err != nil {
		return err
	}
	_, err = soq.CheckTotals(kept, ch.Lines)
	return err
}

// FitSOQTotals is CheckSOQTotals for a write that may leave lines out (an import keeping
// its valid rows): under the SOQ's lock it returns, in order, the lines of ch that fit
// and a refusal (*soq.TotalError, by Line.Key) for each that does not.
func (tx *Tx) FitSOQTotals(ctx context.Context, soqID string, ch SOQChange) ([]soq.Line, []*soq.TotalError, error) {
	kept, err := tx.keptLines(ctx, soqID, ch)
	if err != nil {
		return nil, nil, err
	}
	fit, refused := soq.Fit(kept, ch.Lines)
	return fit, refused, nil
}

// keptLines locks the SOQ and reads the stored items a change leaves as they are.
func (tx *Tx) keptLines(ctx context.Context, soqID string, ch SOQChange) ([]soq.Line, error) {
	if _, err := tx.lockSOQ(ctx, soqID); err != nil {
		return nil, err
	}
	if ch.ReplaceAll {
		return nil, nil
	}
	// One line per section carrying the sum of its stored amounts (quantity 1 × the sum),
	// not one per item; the sum is clipped just past the limit so it scans as int64 and
	// still reads as overflow.
	var rows []struct {
		SectionID string `db:"section_id"`
		Amount    int64  `db:"amount"`
	}
	if err := tx.q.sel(ctx, &rows, sectionAmountsSQL, soqID, pq.Array(ch.Replaced), overLimit); err != nil {
		return nil, err
	}
	kept := make([]soq.Line, 0, len(rows))
	for _, r := range rows {
		kept = append(kept, soq.Line{Key: "section:" + r.SectionID, Section: r.SectionID, Quantity: soq.Quantity(1000), Rate: r.Amount})
	}
	return kept, nil
}

const sectionAmountsSQL = `
SELECT section_id, LEAST(sum(amount), $3)::bigint AS amount
FROM soq_items
WHERE soq_id = $1 AND id <> ALL(COALESCE($2::uuid[], '{}'))
GROUP BY section_id`

// lockedSOQ is an SOQ's row as read under its lock.
type lockedSOQ struct {
	Status  soq.Status `db:"status"`
	Version int64      `db:"version"`
}

// lockSOQ locks an SOQ's row for the rest of the transaction. Every write to its items or
// sections takes this lock first, so they take turns: totals, positions and versions are
// then computed from what is committed, never from a stale read.
func (tx *Tx) lockSOQ(ctx context.Context, soqID string) (lockedSOQ, error) {
	var l lockedSOQ
	// NO KEY UPDATE: writers of one SOQ queue behind each other, while inserts elsewhere that
	// only reference the SOQ (an upload, a tender) are not held up by it.
	err := tx.q.get(ctx, &l, `SELECT status, version FROM soqs WHERE id = $1 FOR NO KEY UPDATE`, soqID)
	return l, err
}

// touchSOQ records a write to an SOQ: its version (for PUT's conflict check) and time.
func (tx *Tx) touchSOQ(ctx context.Context, soqID string) error {
	_, err := tx.q.exec(ctx, `UPDATE soqs SET version = version + 1, updated_at = now() WHERE id = $1`, soqID)
	return err
}

// ReplaceSOQ replaces an SOQ's title, status and whole content (PUT), in one transaction,
// if the SOQ is still at version (else *VersionConflict: nothing is written).
func (s *Store) ReplaceSOQ(ctx context.Context, id, projectID string, version int64, in NewSOQ) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		l, err := tx.lockSOQ(ctx, id)
		if err != nil {
			return err
		}
		if l.Version != version {
			return &VersionConflict{Current: l.Version}
		}
		if err := tx.CheckSOQTotals(ctx, id, SOQChange{ReplaceAll: true, Lines: in.lines()}); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `UPDATE soqs SET title = $2, currency = $3, status = $4, version = version + 1, updated_at = now() WHERE id = $1`,
			id, in.Title, in.Currency, in.Status); err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM soq_sections WHERE soq_id = $1`, id); err != nil {
			return err
		}
		return tx.insertSections(ctx, id, projectID, in.Sections, 0)
	})
}

// insertSections adds sections and their items. Positions start after startPos.
func (tx *Tx) insertSections(ctx context.Context, soqID, projectID string, secs []NewSection, startPos int) error {
	var sIDs, sCodes, sTitles []string
	var sPos []int64
	var rows []itemRow
	var lItems, lUnits []string
	pos := int64(startPos)
	for si, sec := range secs {
		sid := newUUID()
		sIDs, sCodes, sTitles, sPos = append(sIDs, sid), append(sCodes, sec.Code), append(sTitles, sec.Title), append(sPos, int64(startPos+si+1))
		for _, it := range sec.Items {
			pos++
			r, err := newItemRow(newUUID(), sid, it.Item, it.CategoryID, pos)
			if err != nil {
				return err
			}
			rows = append(rows, r)
			for _, u := range dedupe(it.UnitIDs) {
				lItems, lUnits = append(lItems, r.ID), append(lUnits, u)
			}
		}
	}
	if len(sIDs) > 0 {
		_, err := tx.q.exec(ctx, `INSERT INTO soq_sections (id, soq_id, code, title, position)
SELECT x.id, $1, x.code, x.title, x.pos FROM unnest($2::uuid[], $3::text[], $4::text[], $5::int[]) AS x(id, code, title, pos)`,
			soqID, pq.Array(sIDs), pq.Array(sCodes), pq.Array(sTitles), pq.Array(sPos))
		if c, ok := uniqueViolation(err); ok && c == "soq_sections_code_key" {
			return ErrSectionCodeTaken
		}
		if err != nil {
			return fmt.Errorf("insert sections: %w", err)
		}
	}
	if err := tx.insertItemRows(ctx, soqID, rows); err != nil {
		return err
	}
	if err := tx.linkUnits(ctx, projectID, lItems, lUnits); err != nil {
		return err
	}
	return tx.touchSOQ(ctx, soqID)
}

// ErrUnknownUnit is returned when an item names a unit that is not in the project.
var ErrUnknownUnit = errors.New("a unit served is not a unit of this project")

// DeleteSOQ removes an SOQ with everything in it.
func (s *Store) DeleteSOQ(ctx context.Context, id string) error {
	err := s.q.execOne(ctx, `DELETE FROM soqs WHERE id = $1`, id)
	var fk *pq.Error
	if errors.As(err, &fk) && fk.Code == "23503" && fk.Constraint == "tenders_project_id_soq_id_fkey" {
		return ErrSOQTendered
	}
	return err
}

// ErrSOQTendered refuses to delete an SOQ that a tender was made from: the tender, its
// frozen copy and its bids depend on it.
var ErrSOQTendered = errors.New("store: the SOQ has tenders")

// soqItemSQL is one item ($2) of an SOQ ($1), as soqItemsSQL reads it.
const soqItemSQL = `
SELECT i.id, i.soq_id, i.section_id, i.reference, i.description, i.unit, (i.quantity * 1000)::bigint AS quantity,
       i.rate, i.item_type, i.category_id, c.name AS category_name, i.position, i.amount
FROM soq_items i
LEFT JOIN categories c ON c.id = i.category_id
WHERE i.soq_id = $1 AND i.id = $2`

// SOQItem returns one item of the SOQ, with its amount.
func (s *Store) SOQItem(ctx context.Context, soqID, itemID string) (Item, error) {
	if !validUUID(itemID) {
		return Item{}, ErrNotFound
	}
	var it Item
	if err := s.q.get(ctx, &it, soqItemSQL, soqID, itemID); err != nil {
		return Item{}, err
	}
	it.Amount = capAmount(it.Amount)
	return it, nil
}

// DeleteItem removes an item.
func (s *Store) DeleteItem(ctx context.Context, soqID, itemID string) error {
	if !validUUID(itemID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockSOQ(ctx, soqID); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `DELETE FROM soq_items WHERE soq_id = $1 AND id = $2`, soqID, itemID); err != nil {
			return err
		}
		return tx.touchSOQ(ctx, soqID)
	})
}

// MoveItem swaps an item with its neighbour in the same section (dir -1 up, +1 down).
func (s *Store) MoveItem(ctx context.Context, soqID, itemID string, dir int) error {
	if !validUUID(itemID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockSOQ(ctx, soqID); err != nil {
			return err
		}
		var sectionID string
		if err := tx.q.get(ctx, &sectionID, `SELECT section_id FROM soq_items WHERE soq_id = $1 AND id = $2`, soqID, itemID); err != nil {
			return err
		}
		if err := tx.swapWithNeighbour(ctx, itemPositionSQL, sectionID, itemID, dir); err != nil {
			return err
		}
		return tx.touchSOQ(ctx, soqID)
	})
}

// AddSection appends a section; the SOQ's lock gives concurrent adds distinct positions.
func (s *Store) AddSection(ctx context.Context, soqID, code, title string) (string, error) {
	id := newUUID()
	err := s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockSOQ(ctx, soqID); err != nil {
			return err
		}
		_, err := tx.q.exec(ctx, `INSERT INTO soq_sections (id, soq_id, code, title, position)
SELECT $1, $2, $3, $4, COALESCE(max(position), 0) + 1 FROM soq_sections WHERE soq_id = $2`, id, soqID, code, title)
		if c, ok := uniqueViolation(err); ok && c == "soq_sections_code_key" {
			return ErrSectionCodeTaken
		}
		if err != nil {
			return err
		}
		return tx.touchSOQ(ctx, soqID)
	})
	return id, err
}

// DeleteSection removes a section with its items.
func (s *Store) DeleteSection(ctx context.Context, soqID, sectionID string) error {
	if !validUUID(sectionID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockSOQ(ctx, soqID); err != nil {
			return err
		}
		if err := tx.q.execOne(ctx, `DELETE FROM soq_sections WHERE soq_id = $1 AND id = $2`, soqID, sectionID); err != nil {
			return err
		}
		return tx.touchSOQ(ctx, soqID)
	})
}

// MoveSection swaps a section with its neighbour (dir -1 up, +1 down).
func (s *Store) MoveSection(ctx context.Context, soqID, sectionID string, dir int) error {
	if !validUUID(sectionID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockSOQ(ctx, soqID); err != nil {
			return err
		}
		if err := tx.swapWithNeighbour(ctx, sectionPositionSQL, soqID, sectionID, dir); err != nil {
			return err
		}
		return tx.touchSOQ(ctx, soqID)
	})
}

// positionSQL are the statements that move a row one place among its siblings: items
// within their section, sections within their SOQ ($1 is the section or SOQ). Each row
// taking part is locked before positions are read from it.
type positionSQL struct {
	lock  string // $2's position, locked
	above string // the sibling just before position $2, locked
	below string // the sibling just after position $2, locked
	swap  string // row $1 takes position $2, row $4 position $3
}

var itemPositionSQL = positionSQL{
	lock: `SELECT position FROM soq_items WHERE section_id = $1 AND id = $2 FOR UPDATE`,
	above: `
SELECT id, position FROM soq_items
WHERE section_id = $1 AND position < $2
ORDER BY position DESC
LIMIT 1 FOR UPDATE`,
	below: `
SELECT id, position FROM soq_items
WHERE section_id = $1 AND position > $2
ORDER BY position ASC
LIMIT 1 FOR UPDATE`,
	swap: `UPDATE soq_items SET position = CASE id WHEN $1::uuid THEN $2::int ELSE $3::int END WHERE id IN ($1, $4)`,
}

var sectionPositionSQL = positionSQL{
	lock: `SELECT position FROM soq_sections WHERE soq_id = $1 AND id = $2 FOR UPDATE`,
	above: `
SELECT id, position FROM soq_sections
WHERE soq_id = $1 AND position < $2
ORDER BY position DESC
LIMIT 1 FOR UPDATE`,
	below: `
SELECT id, position FROM soq_sections
WHERE soq_id = $1 AND position > $2
ORDER BY position ASC
LIMIT 1 FOR UPDATE`,
	swap: `UPDATE soq_sections SET position = CASE id WHEN $1::uuid THEN $2::int ELSE $3::int END WHERE id IN ($1, $4)`,
}

// swapWithNeighbour swaps the position of row id with the next sibling (dir > 0) or the
// previous one, within scope (a section's items or an SOQ's sections, by q). At either
// end it does nothing.
func (tx *Tx) swapWithNeighbour(ctx context.Context, q positionSQL, scope, id string, dir int) error {
	var pos int
	if err := tx.q.get(ctx, &pos, q.lock, scope, id); err != nil {
		return err
	}
	neighbour := q.above
	if dir > 0 {
		neighbour = q.below
	}
	var other struct {
		ID       string `db:"id"`
		Position int    `db:"position"`
	}
	err := tx.q.get(ctx, &other, neighbour, scope, pos)
	if errors.Is(err, ErrNotFound) {
		return nil // already first or last
	}
	if err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, q.swap, id, other.Position, pos, other.ID)
	return err
}

// ErrStatusChanged is returned by SetSOQStatus when the SOQ's status is no longer the one
// the transition was decided from (someone else issued or reopened it meanwhile).
var ErrStatusChanged = errors.New("the SOQ's status changed meanwhile")

// SetSOQStatus stores the status a soq.Status transition (Issue or Reopen) decided, if
// the SOQ is still in the status it was decided from.
func (s *Store) SetSOQStatus(ctx context.Context, id string, from, to soq.Status) error {
	err := s.q.execOne(ctx, `UPDATE soqs SET status = $3, version = version + 1, updated_at = now() WHERE id = $1 AND status = $2`, id, from, to)
	if errors.Is(err, ErrNotFound) {
		if _, herr := s.SOQHeader(ctx, id); herr == nil {
			return ErrStatusChanged
		}
	}
	return err
}
