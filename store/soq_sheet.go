package store

import (
	"context"

	"github.com/14build/14build/soq"
)

// SOQTotals are an SOQ's totals without its items: per section and overall.
type SOQTotals struct {
	Sections map[string]int64
	Total    int64
}

// SOQTotals sums an SOQ's stored amounts per section and overall, in one query: what an
// inline edit needs to refresh.
func (s *Store) SOQTotals(ctx context.Context, soqID string) (SOQTotals, error) {
	t := SOQTotals{Sections: map[string]int64{}}
	var rows []struct {
		SectionID string `db:"section_id"`
		Total     int64  `db:"total"`
	}
	if err := s.q.sel(ctx, &rows, `SELECT section_id, LEAST(sum(amount), $2)::bigint AS total FROM soq_items WHERE soq_id = $1 GROUP BY section_id`,
		soqID, overLimit); err != nil {
		return t, err
	}
	lines := make([]soq.Line, len(rows))
	for i, r := range rows {
		lines[i] = soq.Line{Section: r.SectionID, Quantity: 1000, Rate: r.Total}
	}
	// Reads never fail on out-of-range values: they are capped (see soq.Tally).
	tl := soq.Tally(lines)
	t.Sections, t.Total = tl.Sections, tl.Total
	return t, nil
}

// sectionItemsSQL is every item of one section ($2) of an SOQ ($1), in order, as
// soqItemsSQL reads them.
const sectionItemsSQL = `
SELECT i.id, i.soq_id, i.section_id, i.reference, i.description, i.unit, (i.quantity * 1000)::bigint AS quantity,
       i.rate, i.item_type, i.category_id, c.name AS category_name, i.position, i.amount
FROM soq_items i
LEFT JOIN categories c ON c.id = i.category_id
WHERE i.soq_id = $1 AND i.section_id = $2
ORDER BY i.position, i.id`

// SectionItems returns the items of one section that match f (f.SectionID is ignored), in
// order, with their amounts: offset and limit page through them; matched counts every
// match. One query, whatever the section's size.
func (s *Store) SectionItems(ctx context.Context, soqID, sectionID string, f ItemFilter, offset, limit int) (items []Item, matched int, err error) {
	if !validUUID(sectionID) {
		return nil, 0, ErrNotFound
	}
	var all []Item
	if err := s.q.sel(ctx, &all, sectionItemsSQL, soqID, sectionID); err != nil {
		return nil, 0, err
	}
	f.SectionID = ""
	for _, it := range all {
		if !f.matches(it) {
			continue
		}
		matched++
		if matched <= offset || len(items) == limit {
			continue
		}
		it.Amount = capAmount(it.Amount)
		items = append(items, it)
	}
	return items, matched, nil
}

// SOQSection returns one section of an SOQ with its number of items.
func (s *Store) SOQSection(ctx context.Context, soqID, sectionID string) (Section, int, error) {
	if !validUUID(sectionID) {
		return Section{}, 0, ErrNotFound
	}
	var row struct {
		Section
		Count int `db:"items"`
	}
	err := s.q.get(ctx, &row, `SELECT s.id, s.soq_id, s.code, s.title, s.position,
	(SELECT count(*) FROM soq_items i WHERE i.section_id = s.id) AS items
FROM soq_sections s WHERE s.soq_id = $1 AND s.id = $2`, soqID, sectionID)
	return row.Section, row.Count, err
}

// ValidID reports whether s has the shape of a row id (a UUID), so that a malformed id in
// a URL is a 404 rather than a database error.
func ValidID(s string) bool { return validUUID(s) }
