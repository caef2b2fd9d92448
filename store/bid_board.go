package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/lib/pq"

	"github.com/14build/14build/tender"
)

// BidContext is what a bidder's pages show beside a tender: its project's name and time
// zone, the currency its SOQ is priced in, and the bidder's own bid's status and revision
// (Status "" when it has none). Never anything of another bidder.
type BidContext struct {
	TenderID    string           `db:"tender_id"`
	ProjectName string           `db:"project_name"`
	TimeZone    string           `db:"time_zone"`
	Currency    string           `db:"currency"`
	BidID       sql.NullString   `db:"bid_id"`
	Status      tender.BidStatus `db:"-"`
	StatusText  sql.NullString   `db:"bid_status"`
	Revision    int              `db:"revision"`
	SubmittedAt sql.NullTime     `db:"submitted_at"`
	Intent      tender.Intent    `db:"intent"`
	Unacked     int              `db:"unacked"` // addenda the bidder has not acknowledged
}

// bidContextsSQL reads BidContext for tenders $2 and bidder $1. The intent is where
// SetIntent keeps it: on the invitation of an invited bidder, else in tender_intents
// (as bidderTendersSQL reads it).
const bidContextsSQL = `
SELECT t.id AS tender_id, p.name AS project_name, p.time_zone, q.currency,
       b.id AS bid_id, b.status AS bid_status, COALESCE(b.revision, 0) AS revision, b.submitted_at,
       COALESCE(inv.intent, n.intent, 'undecided') AS intent,
       (SELECT count(*) FROM addenda a WHERE a.tender_id = t.id
          AND NOT EXISTS (SELECT 1 FROM addendum_acks k WHERE k.addendum_id = a.id AND k.bidder_id = u.id)) AS unacked
FROM tenders t
JOIN users u ON u.id = $1
JOIN projects p ON p.id = t.project_id
JOIN soqs q ON q.id = t.soq_id
LEFT JOIN LATERAL (SELECT i.intent FROM tender_invitees i
                   WHERE i.tender_id = t.id AND (i.user_id = u.id OR i.email = u.email) LIMIT 1) inv ON true
LEFT JOIN tender_intents n ON n.tender_id = t.id AND n.bidder_id = u.id
LEFT JOIN bids b ON b.tender_id = t.id AND b.bidder_id = u.id
WHERE t.id = ANY($2::uuid[])`

// BidContexts returns BidContext for each of tenderIDs (a bidder's board, or one bid
// page), keyed by tender id: one query whatever their number. Who may see the tenders is
// the caller's to decide.
func (s *Store) BidContexts(ctx context.Context, bidderID string, tenderIDs []string) (map[string]BidContext, error) {
	out := make(map[string]BidContext, len(tenderIDs))
	ids := make(pq.StringArray, 0, len(tenderIDs))
	for _, id := range tenderIDs {
		if validUUID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || !validUUID(bidderID) {
		return out, nil
	}
	var rows []BidContext
	if err := s.q.sel(ctx, &rows, bidContextsSQL, bidderID, ids); err != nil {
		return nil, err
	}
	for _, r := range rows {
		r.Status = tender.BidStatus(r.StatusText.String) // "" when no bid; the column's check admits only known ones
		out[r.TenderID] = r
	}
	return out, nil
}

// BidSubmission is one submission of a bid as the ledger recorded it.
type BidSubmission struct {
	Revision int       `db:"revision"`
	At       time.Time `db:"at"`
}

// bidSubmissionsSQL is bid $2's submissions on tender $1, from the ledger's
// "bid-submitted" entries, oldest first.
const bidSubmissionsSQL = `
SELECT (content->>'revision')::int AS revision, at
FROM activity
WHERE tender_id = $1 AND kind = 'bid-submitted' AND content->>'bid' = $2::text
ORDER BY seq`

// BidSubmissions lists a bid's submissions (revision and time), oldest first: one query,
// however many other bids the tender's ledger holds. Whose bid it is, is the caller's to
// check.
func (s *Store) BidSubmissions(ctx context.Context, tenderID, bidID string) ([]BidSubmission, error) {
	out := []BidSubmission{}
	if !validUUID(tenderID) || !validUUID(bidID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, bidSubmissionsSQL, tenderID, bidID)
	return out, err
}
