package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/soq"
)

// ErrReferenceTaken is returned when an item reference is already used in the SOQ.
var ErrReferenceTaken = errors.New("item reference already used in this SOQ")

// ErrSectionCodeTaken is returned when a section code is already used in the SOQ.
var ErrSectionCodeTaken = errors.New("section code already used in this SOQ")

// SOQ is a schedule of quantities; Sections is filled by LoadSOQ.
type SOQ struct {
	ID        string    `db:"id"`
	ProjectID string    `db:"project_id"`
	Title     string    `db:"title"`
	Currency  string    `db:"currency"`
	Status    string    `db:"status"`
	ItemCount int       `db:"item_count"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
	Sections  []Section `db:"-"`
	// Total is the sum of the items' amounts, computed by package soq.
	Total int64 `db:"-"`
}

// Section is a group of items.
type Section struct {
	ID       string `db:"id"`
	SOQID    string `db:"soq_id"`
	Code     string `db:"code"`
	Title    string `db:"title"`
	Position int    `db:"position"`
	Items    []Item `db:"-"`
	Total    int64  `db:"-"`
}

// Item is an SOQ line. Amount is computed by package soq.
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
	Amount       int64          `db:"-"`
}

const soqColumns = `s.id, s.project_id, s.title, s.currency, s.status, s.created_at, s.updated_at,
	(SELECT count(*) FROM soq_items i WHERE i.soq_id = s.id) AS item_count`

// SOQsOf lists a project's SOQs with their totals: two queries, whatever their size.
func (s *Store) SOQsOf(ctx context.Context, projectID string) ([]SOQ, error) {
	var out []SOQ
	if err := s.q.sel(ctx, &out, `SELECT `+soqColumns+` FROM soqs s WHERE s.project_id = $1 ORDER BY s.created_at, s.id`, projectID); err != nil {
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
	var rows []struct {
		SOQID    string       `db:"soq_id"`
		Quantity soq.Quantity `db:"quantity"`
		Rate     int64        `db:"rate"`
	}
	if err := s.q.sel(ctx, &rows, `SELECT soq_id, (quantity * 1000)::bigint AS quantity, rate FROM soq_items WHERE soq_id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		a, err := soq.Amount(r.Quantity, r.Rate)
		if err != nil {
			return nil, err
		}
		q := &out[idx[r.SOQID]]
		if q.Total, err = soq.Sum(q.Total, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SOQHeader returns an SOQ without its sections (for access checks).
func (s *Store) SOQHeader(ctx context.Context, id string) (SOQ, error) {
	if !validUUID(id) {
		return SOQ{}, ErrNotFound
	}
	var q SOQ
	err := s.q.get(ctx, &q, `SELECT `+soqColumns+` FROM soqs s WHERE s.id = $1`, id)
	return q, err
}

const itemColumns = `i.id, i.soq_id, i.section_id, i.reference, i.description, i.unit, (i.quantity * 1000)::bigint AS quantity,
	i.rate, i.item_type, i.category_id, c.name AS category_name, i.position`

// ItemFilter narrows the items loaded with an SOQ.
type ItemFilter struct {
	SectionID  string
	CategoryID int64
	Type       soq.ItemType
	Query      string
}

// LoadSOQ fills an SOQ's sections and items (filtered), with amounts and totals.
// Section and SOQ totals always cover every item, whatever the filter shows.
func (s *Store) LoadSOQ(ctx context.Context, q *SOQ, f ItemFilter) error {
	if err := s.q.sel(ctx, &q.Sections, `SELECT id, soq_id, code, title, position FROM soq_sections WHERE soq_id = $1 ORDER BY position, id`, q.ID); err != nil {
		return err
	}
	var items []Item
	if err := s.q.sel(ctx, &items, `SELECT `+itemColumns+`
FROM soq_items i LEFT JOIN categories c ON c.id = i.category_id
WHERE i.soq_id = $1 ORDER BY i.position, i.id`, q.ID); err != nil {
		return err
	}
	var links []struct {
		ItemID string `db:"item_id"`
		UnitID string `db:"unit_id"`
	}
	if err := s.q.sel(ctx, &links, `SELECT l.item_id, l.unit_id FROM soq_item_units l JOIN soq_items i ON i.id = l.item_id WHERE i.soq_id = $1 ORDER BY l.item_id, l.unit_id`, q.ID); err != nil {
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
	q.Total = 0
	for _, it := range items {
		var err error
		if it.Amount, err = soq.Amount(it.Quantity, it.Rate); err != nil {
			return err
		}
		it.UnitIDs = byItem[it.ID]
		sec := &q.Sections[secIdx[it.SectionID]]
		if sec.Total, err = soq.Sum(sec.Total, it.Amount); err != nil {
			return err
		}
		if q.Total, err = soq.Sum(q.Total, it.Amount); err != nil {
			return err
		}
		if f.matches(it) {
			sec.Items = append(sec.Items, it)
		}
	}
	q.ItemCount = len(items)
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
	Title, Currency, Status string
	Sections                []NewSection
}

// CreateSOQ inserts an SOQ with its sections and items in one transaction, in a constant
// number of statements.
func (s *Store) CreateSOQ(ctx context.Context, projectID, userID string, in NewSOQ) (string, error) {
	id := newUUID()
	err := s.WithTx(ctx, func(tx *Tx) error {
		if in.Status == "" {
			in.Status = "draft"
		}
		if _, err := tx.q.exec(ctx, `INSERT INTO soqs (id, project_id, title, currency, status, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, projectID, in.Title, in.Currency, in.Status, userID); err != nil {
			return err
		}
		return tx.insertSections(ctx, id, projectID, in.Sections, 0, "")
	})
	return id, err
}

// ReplaceSOQ replaces an SOQ's title, status and whole content (PUT), in one transaction.
func (s *Store) ReplaceSOQ(ctx context.Context, id, projectID string, in NewSOQ) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.q.execOne(ctx, `UPDATE soqs SET title = $2, currency = $3, status = $4, updated_at = now() WHERE id = $1`,
			id, in.Title, in.Currency, in.Status); err != nil {
			return err
		}
		if _, err := tx.q.exec(ctx, `DELETE FROM soq_sections WHERE soq_id = $1`, id); err != nil {
			return err
		}
		return tx.insertSections(ctx, id, projectID, in.Sections, 0, "")
	})
}

// insertSections adds sections and their items. Positions start after startPos; importID,
// when set, marks the items as written by that import.
func (tx *Tx) insertSections(ctx context.Context, soqID, projectID string, secs []NewSection, startPos int, importID string) error {
	var sIDs, sCodes, sTitles []string
	var sPos []int64
	var iIDs, iSecs, iRefs, iDescs, iUnits, iQty, iTypes []string
	var iRates, iCats, iPos []int64
	var lItems, lUnits []string
	pos := startPos
	for si, sec := range secs {
		sid := newUUID()
		sIDs, sCodes, sTitles, sPos = append(sIDs, sid), append(sCodes, sec.Code), append(sTitles, sec.Title), append(sPos, int64(startPos+si+1))
		for _, it := range sec.Items {
			pos++
			iid := newUUID()
			iIDs, iSecs, iRefs, iDescs = append(iIDs, iid), append(iSecs, sid), append(iRefs, it.Reference), append(iDescs, it.Description)
			iUnits, iQty, iTypes = append(iUnits, it.Unit), append(iQty, it.Quantity.Fixed()), append(iTypes, string(it.Type))
			iRates, iCats, iPos = append(iRates, it.Rate), append(iCats, it.CategoryID), append(iPos, int64(pos))
			for _, u := range it.UnitIDs {
				lItems, lUnits = append(lItems, iid), append(lUnits, u)
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
	return tx.insertItems(ctx, soqID, projectID, importID, iIDs, iSecs, iRefs, iDescs, iUnits, iQty, iTypes, iRates, iCats, iPos, lItems, lUnits)
}

func (tx *Tx) insertItems(ctx context.Context, soqID, projectID, importID string, ids, secs, refs, descs, units, qty, types []string, rates, cats, pos []int64, lItems, lUnits []string) error {
	if len(ids) == 0 {
		return nil
	}
	var imp any
	if importID != "" {
		imp = importID
	}
	_, err := tx.q.exec(ctx, `INSERT INTO soq_items (id, soq_id, section_id, reference, description, unit, quantity, rate, item_type, category_id, position, import_id)
SELECT x.id, $1, x.sec, x.ref, x.descr, x.unit, x.qty::numeric, x.rate, x.typ, NULLIF(x.cat, 0), x.pos, $12
FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::bigint[], $11::int[])
	AS x(id, sec, ref, descr, unit, qty, rate, typ, cat, pos)`,
		soqID, pq.Array(ids), pq.Array(secs), pq.Array(refs), pq.Array(descs), pq.Array(units), pq.Array(qty), pq.Array(rates),
		pq.Array(types), pq.Array(cats), pq.Array(pos), imp)
	if c, ok := uniqueViolation(err); ok && c == "soq_items_reference_key" {
		return ErrReferenceTaken
	}
	if err != nil {
		return fmt.Errorf("insert items: %w", err)
	}
	if len(lItems) > 0 {
		// Only units of this SOQ's project may be linked; others are silently not found.
		res, err := tx.q.exec(ctx, `INSERT INTO soq_item_units (item_id, unit_id)
SELECT x.item, x.unit FROM unnest($1::uuid[], $2::uuid[]) AS x(item, unit) JOIN units u ON u.id = x.unit AND u.project_id = $3
ON CONFLICT DO NOTHING`, pq.Array(lItems), pq.Array(lUnits), projectID)
		if err != nil {
			return fmt.Errorf("link units: %w", err)
		}
		if n, _ := res.RowsAffected(); int(n) != len(lItems) {
			return ErrUnknownUnit
		}
	}
	_, err = tx.q.exec(ctx, `UPDATE soqs SET updated_at = now() WHERE id = $1`, soqID)
	return err
}

// ErrUnknownUnit is returned when an item names a unit that is not in the project.
var ErrUnknownUnit = errors.New("a unit served is not a unit of this project")

// DeleteSOQ removes an SOQ with everything in it.
func (s *Store) DeleteSOQ(ctx context.Context, id string) error {
	return s.q.execOne(ctx, `DELETE FROM soqs WHERE id = $1`, id)
}

// SOQItem returns one item of the SOQ, with its amount.
func (s *Store) SOQItem(ctx context.Context, soqID, itemID string) (Item, error) {
	if !validUUID(itemID) {
		return Item{}, ErrNotFound
	}
	var it Item
	if err := s.q.get(ctx, &it, `SELECT `+itemColumns+` FROM soq_items i LEFT JOIN categories c ON c.id = i.category_id
WHERE i.soq_id = $1 AND i.id = $2`, soqID, itemID); err != nil {
		return Item{}, err
	}
	var err error
	it.Amount, err = soq.Amount(it.Quantity, it.Rate)
	return it, err
}

// UpdateItem saves a checked item's values (an inline edit changes one field; the caller
// re-checks the whole item first).
func (s *Store) UpdateItem(ctx context.Context, soqID, itemID string, it soq.Item, categoryID int64) error {
	err := s.WithTx(ctx, func(tx *Tx) error {
		err := tx.q.execOne(ctx, `UPDATE soq_items SET reference = $3, description = $4, unit = $5, quantity = $6::numeric, rate = $7,
	item_type = $8, category_id = NULLIF($9, 0), updated_at = now() WHERE soq_id = $1 AND id = $2`,
			soqID, itemID, it.Reference, it.Description, it.Unit, it.Quantity.Fixed(), it.Rate, string(it.Type), categoryID)
		if err != nil {
			return err
		}
		_, err = tx.q.exec(ctx, `UPDATE soqs SET updated_at = now() WHERE id = $1`, soqID)
		return err
	})
	if c, ok := uniqueViolation(err); ok && c == "soq_items_reference_key" {
		return ErrReferenceTaken
	}
	return err
}

// AddItem appends an item to a section.
func (s *Store) AddItem(ctx context.Context, soqID, projectID, sectionID string, it NewItem) (string, error) {
	id := newUUID()
	err := s.WithTx(ctx, func(tx *Tx) error {
		var pos int64
		if err := tx.q.get(ctx, &pos, `SELECT COALESCE(max(position), 0) + 1 FROM soq_items WHERE soq_id = $1`, soqID); err != nil {
			return err
		}
		var ok bool
		if err := tx.q.get(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM soq_sections WHERE soq_id = $1 AND id = $2)`, soqID, sectionID); err != nil {
			return err
		}
		if !ok {
			return ErrNotFound
		}
		var lItems, lUnits []string
		for _, u := range it.UnitIDs {
			lItems, lUnits = append(lItems, id), append(lUnits, u)
		}
		return tx.insertItems(ctx, soqID, projectID, "", []string{id}, []string{sectionID}, []string{it.Reference}, []string{it.Description},
			[]string{it.Unit}, []string{it.Quantity.Fixed()}, []string{string(it.Type)}, []int64{it.Rate}, []int64{it.CategoryID}, []int64{pos}, lItems, lUnits)
	})
	return id, err
}

// DeleteItem removes an item.
func (s *Store) DeleteItem(ctx context.Context, soqID, itemID string) error {
	if !validUUID(itemID) {
		return ErrNotFound
	}
	return s.q.execOne(ctx, `DELETE FROM soq_items WHERE soq_id = $1 AND id = $2`, soqID, itemID)
}

// MoveItem swaps an item with its neighbour in the same section (dir -1 up, +1 down).
func (s *Store) MoveItem(ctx context.Context, soqID, itemID string, dir int) error {
	if !validUUID(itemID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		var sectionID string
		if err := tx.q.get(ctx, &sectionID, `SELECT section_id FROM soq_items WHERE soq_id = $1 AND id = $2`, soqID, itemID); err != nil {
			return err
		}
		return tx.swapWithNeighbour(ctx, "soq_items", "section_id", sectionID, itemID, dir)
	})
}

// AddSection appends a section.
func (s *Store) AddSection(ctx context.Context, soqID, code, title string) (string, error) {
	id := newUUID()
	_, err := s.q.exec(ctx, `INSERT INTO soq_sections (id, soq_id, code, title, position)
SELECT $1, $2, $3, $4, COALESCE(max(position), 0) + 1 FROM soq_sections WHERE soq_id = $2`, id, soqID, code, title)
	if c, ok := uniqueViolation(err); ok && c == "soq_sections_code_key" {
		return "", ErrSectionCodeTaken
	}
	return id, err
}

// DeleteSection removes a section with its items.
func (s *Store) DeleteSection(ctx context.Context, soqID, sectionID string) error {
	if !validUUID(sectionID) {
		return ErrNotFound
	}
	return s.q.execOne(ctx, `DELETE FROM soq_sections WHERE soq_id = $1 AND id = $2`, soqID, sectionID)
}

// MoveSection swaps a section with its neighbour (dir -1 up, +1 down).
func (s *Store) MoveSection(ctx context.Context, soqID, sectionID string, dir int) error {
	if !validUUID(sectionID) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		return tx.swapWithNeighbour(ctx, "soq_sections", "soq_id", soqID, sectionID, dir)
	})
}

// swapWithNeighbour swaps the position of row id with the next row (dir > 0) or the
// previous one within the rows of table whose scope column equals scope. At either end it
// does nothing. table and scope column are constants of this package, never input.
func (tx *Tx) swapWithNeighbour(ctx context.Context, table, scopeCol, scope, id string, dir int) error {
	var pos int
	if err := tx.q.get(ctx, &pos, `SELECT position FROM `+table+` WHERE `+scopeCol+` = $1 AND id = $2 FOR UPDATE`, scope, id); err != nil {
		return err
	}
	cmp, order := "<", "DESC"
	if dir > 0 {
		cmp, order = ">", "ASC"
	}
	var other struct {
		ID       string `db:"id"`
		Position int    `db:"position"`
	}
	err := tx.q.get(ctx, &other, `SELECT id, position FROM `+table+` WHERE `+scopeCol+` = $1 AND position `+cmp+` $2
ORDER BY position `+order+` LIMIT 1 FOR UPDATE`, scope, pos)
	if errors.Is(err, ErrNotFound) {
		return nil // already first or last
	}
	if err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, `UPDATE `+table+` SET position = CASE id WHEN $1::uuid THEN $2::int ELSE $3::int END WHERE id IN ($1, $4)`,
		id, other.Position, pos, other.ID)
	return err
}

// SetSOQStatus changes draft/issued.
func (s *Store) SetSOQStatus(ctx context.Context, id, status string) error {
	return s.q.execOne(ctx, `UPDATE soqs SET status = $2, updated_at = now() WHERE id = $1`, id, status)
}
