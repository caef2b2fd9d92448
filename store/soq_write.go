package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/soq"
)

// The write paths of an SOQ's items. Each item's amount is computed in Go by soq.Amount
// when the item is written and stored with it, so totals are SQL sums of stored amounts.
//
// A cell save, a paste and an add-row each cost two statements, whatever the SOQ's size:
// one read (the SOQ's status and version, the items concerned, and the sums of the other
// items' amounts, all from one snapshot) and one write that bumps the SOQ's version only if
// it is still the version read (compare-and-set), changing the items in the same
// statement. Every writer of items bumps the version in the transaction that changes
// them, so an unchanged version proves that nothing the totals check read has changed
// since. When the version moved, the write changes nothing and the edit is read and
// checked again; after a few such races it takes the SOQ's row lock instead, so a busy SOQ
// cannot starve an edit.

// overLimit clips SQL sums of amounts just past the money range: they then scan as int64
// and still read as over the limit (rows stored before the totals check can exceed it).
const overLimit = money.MaxMinor + 1

// optimisticTries is how many compare-and-set attempts an edit makes before it locks.
const optimisticTries = 4

// errRaced is a compare-and-set write that found the SOQ's version changed.
var errRaced = errors.New("the SOQ changed between the read and the write")

// capAmount is a stored amount as pages show it: rows stored past the money range read as
// its largest amount (see soq.AmountOrMax).
func capAmount(a int64) int64 { return min(a, money.MaxMinor) }

// itemRow is an item as the writers send it to PostgreSQL: one JSON object per row, read
// by jsonb_to_recordset, or one COPY row. Quantity travels as exact text.
type itemRow struct {
	ID          string  `json:"id"`
	SectionID   string  `json:"section_id"`
	Reference   string  `json:"reference"`
	Description string  `json:"description"`
	Unit        string  `json:"unit"`
	Quantity    string  `json:"quantity"`
	Rate        int64   `json:"rate"`
	Type        string  `json:"item_type"`
	CategoryID  *int64  `json:"category_id"`
	Position    int64   `json:"position"`
	Amount      int64   `json:"amount"`
	ImportID    *string `json:"import_id"`
}

// newItemRow computes a checked item's amount. The item's rules and the totals check have
// passed before any writer gets here, so an amount out of range is a programming error.
func newItemRow(id, sectionID string, it soq.Item, categoryID int64, pos int64) (itemRow, error) {
	a, err := soq.Amount(it.Quantity, it.Rate)
	if err != nil {
		return itemRow{}, fmt.Errorf("item %s: %w", it.Reference, err)
	}
	r := itemRow{ID: id, SectionID: sectionID, Reference: it.Reference, Description: it.Description, Unit: it.Unit,
		Quantity: it.Quantity.Fixed(), Rate: it.Rate, Type: string(it.Type), Position: pos, Amount: a}
	if categoryID != 0 {
		r.CategoryID = &categoryID
	}
	return r, nil
}

// insertItemsSQL inserts rows given as one JSON array (see itemRow).
const insertItemsSQL = `
INSERT INTO soq_items (id, soq_id, section_id, reference, description, unit, quantity, rate, item_type, category_id, position, import_id, amount)
SELECT x.id, $1, x.section_id, x.reference, x.description, x.unit, x.quantity, x.rate, x.item_type, x.category_id, x.position, x.import_id, x.amount
FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, section_id uuid, reference text, description text, unit text, quantity numeric,
	rate bigint, item_type text, category_id bigint, position int, import_id uuid, amount bigint)`

// insertItemRows writes items in one statement.
func (tx *Tx) insertItemRows(ctx context.Context, soqID string, rows []itemRow) error {
	if len(rows) == 0 {
		return nil
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, insertItemsSQL, soqID, b)
	if c, ok := uniqueViolation(err); ok && c == "soq_items_reference_key" {
		return ErrReferenceTaken
	}
	if err != nil {
		return fmt.Errorf("insert items: %w", err)
	}
	return nil
}

// copyItemRows writes many items with COPY (an import's rows: 50,000 of them in a fraction
// of the time an INSERT of the same rows takes), inside the transaction.
func (tx *Tx) copyItemRows(ctx context.Context, soqID string, rows []itemRow) error {
	if len(rows) == 0 {
		return nil
	}
	p, ok := tx.q.ext.(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return errors.New("copy items: the transaction cannot prepare statements")
	}
	tx.q.n.Add(1)
	stmt, err := p.PrepareContext(ctx, pq.CopyIn("soq_items", "id", "soq_id", "section_id", "reference", "description", "unit",
		"quantity", "rate", "item_type", "category_id", "position", "import_id", "amount"))
	if err != nil {
		return fmt.Errorf("copy items: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		var cat, imp any
		if r.CategoryID != nil {
			cat = *r.CategoryID
		}
		if r.ImportID != nil {
			imp = *r.ImportID
		}
		if _, err := stmt.ExecContext(ctx, r.ID, soqID, r.SectionID, r.Reference, r.Description, r.Unit, r.Quantity, r.Rate, r.Type,
			cat, r.Position, imp, r.Amount); err != nil {
			return fmt.Errorf("copy items: %w", err)
		}
	}
	_, err = stmt.ExecContext(ctx)
	if c, ok := uniqueViolation(err); ok && c == "soq_items_reference_key" {
		return ErrReferenceTaken
	}
	if err != nil {
		return fmt.Errorf("copy items: %w", err)
	}
	return nil
}

// sqlTx is the transaction itself, for code that writes through another driver in it
// (River's enqueue of an import job).
func (tx *Tx) sqlTx() (*sql.Tx, error) {
	if t, ok := tx.q.ext.(*sqlx.Tx); ok {
		return t.Tx, nil
	}
	return nil, errors.New("not a database/sql transaction")
}

// linkUnits links items to units of the project; a unit of another project (or none) is
// ErrUnknownUnit.
func (tx *Tx) linkUnits(ctx context.Context, projectID string, items, units []string) error {
	if len(items) == 0 {
		return nil
	}
	res, err := tx.q.exec(ctx, `INSERT INTO soq_item_units (item_id, unit_id)
SELECT x.item, x.unit FROM unnest($1::uuid[], $2::uuid[]) AS x(item, unit) JOIN units u ON u.id = x.unit AND u.project_id = $3
ON CONFLICT DO NOTHING`, pq.Array(items), pq.Array(units), projectID)
	if err != nil {
		return fmt.Errorf("link units: %w", err)
	}
	if n, _ := res.RowsAffected(); int(n) != len(items) {
		return ErrUnknownUnit
	}
	return nil
}

// ItemsRefused carries the item rules' messages for a write of several items, by item id
// and then by field.
type ItemsRefused struct{ Items map[string]field.Errors }

func (e *ItemsRefused) Error() string { return "items refused" }

// ItemsMissing names items of a write that are not (or no longer) in the SOQ.
type ItemsMissing struct{ IDs []string }

func (e *ItemsMissing) Error() string { return "items not in this SOQ" }

// Patched is what a field-level write of items left: the items as stored (in the order
// asked for), the totals of the sections they are in, the grand total, and the SOQ's
// version after the write.
type Patched struct {
	SOQ      SOQ // status, currency and version (after the write)
	Items    []Item
	Sections map[string]int64
	Total    int64
	Version  int64
}

// patchReadSQL reads, from one snapshot, an SOQ's status and version (if it belongs to the
// project), the items $3 with their stored values, and the sums of the amounts of the SOQ's
// other items: in each item's section, and in all. Without any item of $3 in the SOQ it
// still answers one row, with an empty id.
const patchReadSQL = `
WITH others AS (
	SELECT section_id, sum(amount) AS amount FROM soq_items
	WHERE soq_id = $1 AND id <> ALL($3::uuid[])
	GROUP BY section_id
)
SELECT s.status, s.version, s.currency,
	COALESCE(i.id::text, '') AS id, s.id AS soq_id, COALESCE(i.section_id::text, '') AS section_id,
	COALESCE(i.reference, '') AS reference, COALESCE(i.description, '') AS description, COALESCE(i.unit, '') AS unit,
	COALESCE((i.quantity * 1000)::bigint, 0) AS quantity, COALESCE(i.rate, 0) AS rate, COALESCE(i.item_type, '') AS item_type,
	i.category_id, c.name AS category_name, COALESCE(i.position, 0) AS position, COALESCE(i.amount, 0) AS amount,
	ARRAY(SELECT l.unit_id::text FROM soq_item_units l WHERE l.item_id = i.id ORDER BY l.unit_id) AS unit_ids,
	COALESCE((SELECT LEAST(o.amount, $4) FROM others o WHERE o.section_id = i.section_id), 0)::bigint AS section_others,
	(SELECT LEAST(COALESCE(sum(o.amount), 0), $4) FROM others o)::bigint AS total_others
FROM soqs s
LEFT JOIN soq_items i ON i.soq_id = s.id AND i.id = ANY($3::uuid[])
LEFT JOIN categories c ON c.id = i.category_id
WHERE s.id = $1 AND s.project_id = $2
ORDER BY i.position, i.id`

// patchWriteSQL bumps the SOQ's version if it is still $2 and, in the same statement,
// writes the items given as one JSON array. No row comes back when the version moved.
const patchWriteSQL = `
WITH soq AS (
	UPDATE soqs SET version = version + 1, updated_at = now()
	WHERE id = $1 AND version = $2
	RETURNING id, version
), changed AS (
	SELECT * FROM jsonb_to_recordset($3::jsonb) AS x(id uuid, reference text, description text, unit text, quantity numeric,
		rate bigint, item_type text, category_id bigint, amount bigint)
), written AS (
	UPDATE soq_items i SET reference = c.reference, description = c.description, unit = c.unit, quantity = c.quantity,
		rate = c.rate, item_type = c.item_type, category_id = c.category_id, amount = c.amount, updated_at = now()
	FROM soq, changed c
	WHERE i.soq_id = soq.id AND i.id = c.id
	RETURNING i.id, i.category_id
)
SELECT soq.version, COALESCE(w.id::text, '') AS id, cat.name AS category_name
FROM soq LEFT JOIN written w ON true LEFT JOIN categories cat ON cat.id = w.category_id`

type patchReadRow struct {
	Item
	Status        soq.Status     `db:"status"`
	Version       int64          `db:"version"`
	Currency      string         `db:"currency"`
	UnitIDs       pq.StringArray `db:"unit_ids"`
	SectionOthers int64          `db:"section_others"`
	TotalOthers   int64          `db:"total_others"`
}

// PatchItems is a field-level edit of items of one SOQ (a cell save, a paste, an API
// PATCH), all or nothing. apply receives the SOQ (status, currency, version) and the items
// as stored now, in the order of ids, and changes the fields the caller sent; it returns an
// error to refuse the edit. Each changed item is then checked whole by its rules (refusal:
// *ItemsRefused) and the SOQ's totals with the change (refusal: *soq.TotalError whose Key
// is "itemID.field", the field being "rate", or "quantity" when only the quantity changed).
// An SOQ not of projectID is ErrNotFound; an issued one ErrSOQIssued; ids not in the SOQ
// *ItemsMissing. Edits of different fields of one item by different people all survive:
// each edit is applied to the item as the latest write left it.
func (s *Store) PatchItems(ctx context.Context, soqID, projectID string, ids []string, apply func(q SOQ, items []*Item) error) (Patched, error) {
	if !validUUID(soqID) {
		return Patched{}, ErrNotFound
	}
	var missing []string
	for _, id := range ids {
		if !validUUID(id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return Patched{}, &ItemsMissing{IDs: missing}
	}
	for try := 1; ; try++ {
		var out Patched
		var err error
		if try <= optimisticTries {
			out, err = s.patchOnce(ctx, s.q, soqID, projectID, ids, apply)
		} else {
			err = s.WithTx(ctx, func(tx *Tx) error {
				if _, err := tx.lockSOQ(ctx, soqID); err != nil {
					return err
				}
				out, err = s.patchOnce(ctx, tx.q, soqID, projectID, ids, apply)
				return err
			})
		}
		if !errors.Is(err, errRaced) {
			return out, err
		}
	}
}

func (s *Store) patchOnce(ctx context.Context, q *counted, soqID, projectID string, ids []string, apply func(SOQ, []*Item) error) (Patched, error) {
	var rows []patchReadRow
	if err := q.sel(ctx, &rows, patchReadSQL, soqID, projectID, pq.Array(ids), overLimit); err != nil {
		return Patched{}, err
	}
	if len(rows) == 0 {
		return Patched{}, ErrNotFound
	}
	head := SOQ{ID: soqID, ProjectID: projectID, Status: rows[0].Status, Version: rows[0].Version, Currency: rows[0].Currency}
	if !head.Status.Editable() {
		return Patched{}, ErrSOQIssued
	}
	byID := make(map[string]int, len(rows))
	for i, r := range rows {
		if r.ID != "" {
			byID[r.ID] = i
		}
	}
	var missing []string
	items := make([]*Item, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		i, ok := byID[strings.ToLower(id)]
		if !ok {
			missing = append(missing, id)
			continue
		}
		if seen[rows[i].ID] {
			continue // an item named twice is edited once, by every change to it
		}
		seen[rows[i].ID] = true
		it := rows[i].Item
		it.UnitIDs = rows[i].UnitIDs
		items = append(items, &it)
	}
	if len(missing) > 0 {
		return Patched{}, &ItemsMissing{IDs: missing}
	}
	if err := apply(head, items); err != nil {
		return Patched{}, err
	}

	refused := map[string]field.Errors{}
	var changed []itemRow
	var kept, lines []soq.Line
	secOthers := map[string]int64{}
	var touched int64
	for _, it := range items {
		cur := rows[byID[it.ID]].Item
		if _, ok := secOthers[cur.SectionID]; !ok {
			secOthers[cur.SectionID] = rows[byID[it.ID]].SectionOthers
			touched += rows[byID[it.ID]].SectionOthers
		}
		checked := soq.Item{Reference: it.Reference, Description: it.Description, Unit: it.Unit, Quantity: it.Quantity, Rate: it.Rate, Type: it.Type}
		if errs := checked.Check(); len(errs) > 0 {
			refused[it.ID] = errs
			continue
		}
		it.Reference, it.Description, it.Unit = checked.Reference, checked.Description, checked.Unit
		if !it.CategoryID.Valid {
			it.CategoryID = sql.NullInt64{}
		}
		if sameItem(*it, cur) {
			kept = append(kept, soq.Line{Key: it.ID, Section: it.SectionID, Quantity: 1000, Rate: it.Amount})
			continue
		}
		if it.Quantity != cur.Quantity || it.Rate != cur.Rate {
			blame := "rate"
			if it.Rate == cur.Rate {
				blame = "quantity"
			}
			lines = append(lines, soq.Line{Key: it.ID + "." + blame, Section: it.SectionID, Quantity: it.Quantity, Rate: it.Rate})
		} else {
			kept = append(kept, soq.Line{Key: it.ID, Section: it.SectionID, Quantity: 1000, Rate: it.Amount})
		}
		a, err := soq.Amount(it.Quantity, it.Rate)
		if err != nil {
			a = money.MaxMinor // refused by the totals check below, which names the field
		}
		it.Amount = a
		r := itemRow{ID: it.ID, Reference: it.Reference, Description: it.Description, Unit: it.Unit, Quantity: it.Quantity.Fixed(),
			Rate: it.Rate, Type: string(it.Type), Amount: a}
		if it.CategoryID.Valid {
			r.CategoryID = &it.CategoryID.Int64
		}
		changed = append(changed, r)
	}
	if len(refused) > 0 {
		return Patched{}, &ItemsRefused{Items: refused}
	}
	// The other items count as one line per section the edit touches, carrying its sum,
	// and one more for all the rest: enough for the section totals and the grand total.
	for sec, a := range secOthers {
		kept = append(kept, soq.Line{Key: "section:" + sec, Section: sec, Quantity: 1000, Rate: a})
	}
	rest := rows[0].TotalOthers - touched
	if rows[0].TotalOthers > money.MaxMinor {
		rest = overLimit
	}
	kept = append(kept, soq.Line{Key: "others", Section: "", Quantity: 1000, Rate: max(rest, 0)})
	t, err := soq.CheckTotals(kept, lines)
	if err != nil {
		return Patched{}, err
	}
	out := Patched{SOQ: head, Items: make([]Item, len(items)), Sections: map[string]int64{}, Total: t.Total, Version: head.Version}
	for sec := range secOthers {
		out.Sections[sec] = t.Sections[sec]
	}
	for i, it := range items {
		it.Amount = capAmount(it.Amount)
		out.Items[i] = *it
	}
	if len(changed) == 0 {
		return out, nil // nothing changed: nothing to write
	}
	b, err := json.Marshal(changed)
	if err != nil {
		return Patched{}, err
	}
	var written []struct {
		Version      int64          `db:"version"`
		ID           string         `db:"id"`
		CategoryName sql.NullString `db:"category_name"`
	}
	err = q.sel(ctx, &written, patchWriteSQL, soqID, head.Version, b)
	if c, ok := uniqueViolation(err); ok && c == "soq_items_reference_key" {
		return Patched{}, ErrReferenceTaken
	}
	var fk *pq.Error
	if errors.As(err, &fk) && fk.Code == "23503" && fk.Constraint == "soq_items_category_id_fkey" {
		return Patched{}, ErrUnknownCategory
	}
	if err != nil {
		return Patched{}, err
	}
	if len(written) == 0 {
		return Patched{}, errRaced
	}
	out.Version = written[0].Version
	out.SOQ.Version = out.Version
	names := make(map[string]sql.NullString, len(written))
	for _, w := range written {
		names[w.ID] = w.CategoryName
	}
	for i := range out.Items {
		if n, ok := names[out.Items[i].ID]; ok {
			out.Items[i].CategoryName = n
		}
	}
	return out, nil
}

// ErrItemNotFound is an edit of an item that is not (or no longer) in the SOQ. It is an
// ErrNotFound, told apart from the SOQ itself not being found.
var ErrItemNotFound = fmt.Errorf("item %w", ErrNotFound)

// ErrUnknownCategory is a write naming a trade category that does not exist.
var ErrUnknownCategory = errors.New("not a trade category")

// sameItem reports whether an edit leaves an item's stored columns as they are.
func sameItem(a, b Item) bool {
	return a.Reference == b.Reference && a.Description == b.Description && a.Unit == b.Unit && a.Quantity == b.Quantity &&
		a.Rate == b.Rate && a.Type == b.Type && a.CategoryID.Valid == b.CategoryID.Valid && (!a.CategoryID.Valid || a.CategoryID.Int64 == b.CategoryID.Int64)
}

// PatchItem is PatchItems for one item: a deleted item is ErrItemNotFound, a refusal by the
// item's rules *ItemRefused, and a total overflow a *soq.TotalError keyed by the field.
func (s *Store) PatchItem(ctx context.Context, soqID, projectID, itemID string, apply func(q SOQ, it *Item) field.Errors) (Patched, error) {
	p, err := s.PatchItems(ctx, soqID, projectID, []string{itemID}, func(q SOQ, items []*Item) error {
		if errs := apply(q, items[0]); len(errs) > 0 {
			return &ItemRefused{Fields: errs}
		}
		return nil
	})
	var missing *ItemsMissing
	var refused *ItemsRefused
	var over *soq.TotalError
	switch {
	case errors.As(err, &missing):
		return p, ErrItemNotFound
	case errors.As(err, &refused):
		return p, &ItemRefused{Fields: refused.Items[strings.ToLower(itemID)]}
	case errors.As(err, &over):
		_, f, _ := strings.Cut(over.Key, ".")
		return p, &soq.TotalError{Key: f, Which: over.Which, Section: over.Section}
	}
	return p, err
}

// addReadSQL reads, from one snapshot, what adding an item to a section needs: the SOQ's
// status and version (if it belongs to the project), whether the section is the SOQ's, the
// sums of the section's and of all items' amounts, and the next item position.
const addReadSQL = `
SELECT s.status, s.version,
	EXISTS (SELECT 1 FROM soq_sections x WHERE x.soq_id = s.id AND x.id = $3) AS section_found,
	(SELECT LEAST(COALESCE(sum(i.amount), 0), $4) FROM soq_items i WHERE i.section_id = $3)::bigint AS section_total,
	(SELECT LEAST(COALESCE(sum(i.amount), 0), $4) FROM soq_items i WHERE i.soq_id = s.id)::bigint AS total,
	(SELECT COALESCE(max(i.position), 0) + 1 FROM soq_items i WHERE i.soq_id = s.id) AS position
FROM soqs s WHERE s.id = $1 AND s.project_id = $2`

// addWriteSQL bumps the SOQ's version if it is still $2 and inserts the item (one JSON
// row) in the same statement. No row comes back when the version moved.
const addWriteSQL = `
WITH soq AS (
	UPDATE soqs SET version = version + 1, updated_at = now()
	WHERE id = $1 AND version = $2
	RETURNING id, version
), added AS (
	INSERT INTO soq_items (id, soq_id, section_id, reference, description, unit, quantity, rate, item_type, category_id, position, amount)
	SELECT x.id, soq.id, x.section_id, x.reference, x.description, x.unit, x.quantity, x.rate, x.item_type, x.category_id, x.position, x.amount
	FROM soq, jsonb_to_record($3::jsonb) AS x(id uuid, section_id uuid, reference text, description text, unit text, quantity numeric,
		rate bigint, item_type text, category_id bigint, position int, amount bigint)
	RETURNING id, category_id
)
SELECT soq.version, c.name AS category_name FROM soq CROSS JOIN added LEFT JOIN categories c ON c.id = added.category_id`

// Added is an item added to a section, with the section's total, the grand total and the
// SOQ's version after the write.
type Added struct {
	ID           string
	Amount       int64 // as stored
	CategoryName sql.NullString
	Position     int64
	SectionTotal int64
	Total        int64
	Version      int64
}

// AddItem appends a checked item to a section (two statements; with units served, the
// links take a transaction of their own statements). An SOQ not of projectID or a section
// not of the SOQ is ErrNotFound, an issued SOQ ErrSOQIssued, a total past the money range
// a *soq.TotalError keyed "rate".
func (s *Store) AddItem(ctx context.Context, soqID, projectID, sectionID string, it NewItem) (Added, error) {
	if !validUUID(soqID) || !validUUID(sectionID) {
		return Added{}, ErrNotFound
	}
	if len(it.UnitIDs) > 0 {
		return s.addItemWithUnits(ctx, soqID, projectID, sectionID, it)
	}
	for try := 1; ; try++ {
		var out Added
		var err error
		if try <= optimisticTries {
			out, err = s.addOnce(ctx, s.q, soqID, projectID, sectionID, it)
		} else {
			err = s.WithTx(ctx, func(tx *Tx) error {
				if _, err := tx.lockSOQ(ctx, soqID); err != nil {
					return err
				}
				out, err = s.addOnce(ctx, tx.q, soqID, projectID, sectionID, it)
				return err
			})
		}
		if !errors.Is(err, errRaced) {
			return out, err
		}
	}
}

type addRead struct {
	Status       soq.Status `db:"status"`
	Version      int64      `db:"version"`
	SectionFound bool       `db:"section_found"`
	SectionTotal int64      `db:"section_total"`
	Total        int64      `db:"total"`
	Position     int64      `db:"position"`
}

// addCheck reads what an add needs and checks the SOQ's state and totals.
func addCheck(ctx context.Context, q *counted, soqID, projectID, sectionID string, it NewItem) (addRead, soq.Totals, error) {
	var r addRead
	if err := q.get(ctx, &r, addReadSQL, soqID, projectID, sectionID, overLimit); err != nil {
		return r, soq.Totals{}, err
	}
	if !r.Status.Editable() {
		return r, soq.Totals{}, ErrSOQIssued
	}
	if !r.SectionFound {
		return r, soq.Totals{}, ErrNotFound
	}
	rest := r.Total - r.SectionTotal
	if r.Total > money.MaxMinor {
		rest = overLimit
	}
	t, err := soq.CheckTotals([]soq.Line{
		{Key: "section", Section: sectionID, Quantity: 1000, Rate: r.SectionTotal},
		{Key: "others", Section: "", Quantity: 1000, Rate: max(rest, 0)},
	}, []soq.Line{{Key: "rate", Section: sectionID, Quantity: it.Quantity, Rate: it.Rate}})
	return r, t, err
}

func (s *Store) addOnce(ctx context.Context, q *counted, soqID, projectID, sectionID string, it NewItem) (Added, error) {
	r, t, err := addCheck(ctx, q, soqID, projectID, sectionID, it)
	if err != nil {
		return Added{}, err
	}
	row, err := newItemRow(newUUID(), sectionID, it.Item, it.CategoryID, r.Position)
	if err != nil {
		return Added{}, err
	}
	b, err := json.Marshal(row)
	if err != nil {
		return Added{}, err
	}
	var written []struct {
		Version      int64          `db:"version"`
		CategoryName sql.NullString `db:"category_name"`
	}
	err = q.sel(ctx, &written, addWriteSQL, soqID, r.Version, b)
	if c, ok := uniqueViolation(err); ok && c == "soq_items_reference_key" {
		return Added{}, ErrReferenceTaken
	}
	if err != nil {
		return Added{}, err
	}
	var fk *pq.Error
	if errors.As(err, &fk) && fk.Code == "23503" && fk.Constraint == "soq_items_category_id_fkey" {
		return Added{}, ErrUnknownCategory
	}
	if err != nil {
		return Added{}, err
	}
	if len(written) == 0 {
		return Added{}, errRaced
	}
	return Added{ID: row.ID, Amount: row.Amount, CategoryName: written[0].CategoryName, Position: r.Position,
		SectionTotal: t.Sections[sectionID], Total: t.Total, Version: written[0].Version}, nil
}

// addItemWithUnits adds an item that serves units: the item and its links are written in
// one transaction under the SOQ's lock.
func (s *Store) addItemWithUnits(ctx context.Context, soqID, projectID, sectionID string, it NewItem) (Added, error) {
	var out Added
	err := s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.lockSOQ(ctx, soqID); err != nil {
			return err
		}
		r, t, err := addCheck(ctx, tx.q, soqID, projectID, sectionID, it)
		if err != nil {
			return err
		}
		row, err := newItemRow(newUUID(), sectionID, it.Item, it.CategoryID, r.Position)
		if err != nil {
			return err
		}
		if err := tx.insertItemRows(ctx, soqID, []itemRow{row}); err != nil {
			return err
		}
		units := dedupe(it.UnitIDs)
		items := make([]string, len(units))
		for i := range units {
			items[i] = row.ID
		}
		if err := tx.linkUnits(ctx, projectID, items, units); err != nil {
			return err
		}
		var after struct {
			Version      int64          `db:"version"`
			CategoryName sql.NullString `db:"category_name"`
		}
		if err := tx.q.get(ctx, &after, `UPDATE soqs SET version = version + 1, updated_at = now() WHERE id = $1
RETURNING version, (SELECT name FROM categories WHERE id = $2) AS category_name`, soqID, row.CategoryID); err != nil {
			return err
		}
		out = Added{ID: row.ID, Amount: row.Amount, CategoryName: after.CategoryName, Position: r.Position,
			SectionTotal: t.Sections[sectionID], Total: t.Total, Version: after.Version}
		return nil
	})
	return out, err
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		k := strings.ToLower(id)
		if !seen[k] {
			seen[k] = true
			out = append(out, id)
		}
	}
	return out
}
