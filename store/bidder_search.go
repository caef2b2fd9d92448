package store

import (
	"context"
	"strings"
)

// BidderMatch is a bidder as the tender form's search lists it: who, which company, which
// trade, and the email the invitation goes to.
type BidderMatch struct {
	ID           string `db:"id"`
	Name         string `db:"name"`
	Email        string `db:"email"`
	EntityName   string `db:"entity_name"`
	CategoryName string `db:"category_name"`
}

// searchBiddersSQL is up to $2 active bidders whose name, email, company or trade holds
// $1 (a LIKE pattern, any case), by name.
const searchBiddersSQL = `
SELECT u.id, u.name, u.email::text AS email, e.name AS entity_name, COALESCE(c.name, '') AS category_name
FROM users u
JOIN entities e ON e.id = u.entity_id
LEFT JOIN categories c ON c.id = u.category_id
WHERE u.role = 'bidder' AND u.active
  AND (u.name ILIKE $1 OR u.email::text ILIKE $1 OR e.name ILIKE $1 OR c.name ILIKE $1)
ORDER BY u.name, u.id
LIMIT $2`

// SearchBidders finds bidders to invite to a tender by name, email, company or trade:
// one query, at most limit rows. An empty query finds no one (the form lists nothing
// until something is typed).
func (s *Store) SearchBidders(ctx context.Context, query string, limit int) ([]BidderMatch, error) {
	out := []BidderMatch{}
	query = strings.TrimSpace(query)
	if query == "" {
		return out, nil
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	// The person's text is matched literally: LIKE's wildcards in it are escaped.
	pattern := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(query) + "%"
	err := s.q.sel(ctx, &out, searchBiddersSQL, pattern, limit)
	return out, err
}

// submissionCountsSQL counts, for each tender of project $1, the bids that stand
// submitted (an addendum's redraft, or a withdrawal, takes one out): who has bid, never what.
const submissionCountsSQL = `
SELECT b.tender_id, count(*) AS n
FROM bids b JOIN tenders t ON t.id = b.tender_id
WHERE t.project_id = $1 AND b.status IN ('submitted', 'unsuccessful', 'awarded')
GROUP BY b.tender_id`

// SubmissionCounts maps each of a project's tenders to its number of submitted bids, for the Tenders tab: one query. A tender without bids is
// absent (0).
func (s *Store) SubmissionCounts(ctx context.Context, projectID string) (map[string]int, error) {
	out := map[string]int{}
	if !validUUID(projectID) {
		return out, nil
	}
	var rows []struct {
		TenderID string `db:"tender_id"`
		N        int    `db:"n"`
	}
	if err := s.q.sel(ctx, &rows, submissionCountsSQL, projectID); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.TenderID] = r.N
	}
	return out, nil
}
