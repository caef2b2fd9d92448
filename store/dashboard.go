package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/14build/14build/tender"
)

// What the dashboard shows of tenders: one query per list, whatever the number of tenders.
// The team's lists carry counts and times only, never a rate, amount or total, so they
// may be shown while bids are sealed.

// DashboardTenders is how many rows each dashboard list shows at most.
const DashboardTenders = 20

// TenderDue is an open tender closing soon, as the team's dashboard lists it.
type TenderDue struct {
	ID          string    `db:"id"`
	Title       string    `db:"title"`
	ProjectID   string    `db:"project_id"`
	ProjectName string    `db:"project_name"`
	TimeZone    string    `db:"time_zone"`
	ClosesAt    time.Time `db:"closes_at"`
	Invited     int       `db:"invited"`
	Bidding     int       `db:"bidding"`   // bidders who said they will bid
	Submitted   int       `db:"submitted"` // bids submitted and counting
	New         int       `db:"new"`       // of those, submitted since the dashboard's "since"
}

// tendersDueSQL is the open tenders of the projects in scope ($1: a user on their team,
// NULL for all) closing after $2 and by $3, soonest first, with their counts; $4 is since
// when a submission is new; at most $5.
const tendersDueDashSQL = `
SELECT t.id, t.title, t.project_id, p.name AS project_name, p.time_zone, t.closes_at,
       (SELECT count(*) FROM tender_invitees i WHERE i.tender_id = t.id) AS invited,
       (SELECT count(*) FROM tender_invitees i WHERE i.tender_id = t.id AND i.intent = 'bidding')
         + (SELECT count(*) FROM tender_intents n WHERE n.tender_id = t.id AND n.intent = 'bidding') AS bidding,
       (SELECT count(*) FROM bids b WHERE b.tender_id = t.id AND b.status = 'submitted') AS submitted,
       (SELECT count(*) FROM bids b WHERE b.tender_id = t.id AND b.status = 'submitted' AND b.submitted_at >= $4) AS new
FROM tenders t
JOIN projects p ON p.id = t.project_id
WHERE t.status = 'open' AND t.closes_at > $2 AND t.closes_at <= $3
  AND ($1::uuid IS NULL OR t.project_id IN (SELECT tm.project_id FROM team_members tm WHERE tm.user_id = $1))
ORDER BY t.closes_at, t.id
LIMIT $5`

// TendersClosingSoon lists the open tenders of the projects in scope closing after now
// and within window, soonest first (at most DashboardTenders), each with its counts of
// invitations, bidders bidding, and bids submitted (in all, and since since). One query.
func (s *Store) TendersClosingSoon(ctx context.Context, scope ProjectScope, now time.Time, window time.Duration, since time.Time) ([]TenderDue, error) {
	out := []TenderDue{}
	if scope.empty() {
		return out, nil
	}
	err := s.q.sel(ctx, &out, tendersDueDashSQL, scope.scopeUser(), now.UTC(), now.Add(window).UTC(), since.UTC(), DashboardTenders)
	return out, err
}

// RecentSubmission is a bid submitted lately, as the team's dashboard lists it: who, on
// which tender, which revision, when. No amount: the tender may be sealed.
type RecentSubmission struct {
	TenderID    string    `db:"tender_id"`
	TenderTitle string    `db:"tender_title"`
	ProjectName string    `db:"project_name"`
	TimeZone    string    `db:"time_zone"`
	EntityName  string    `db:"entity_name"`
	Revision    int       `db:"revision"`
	SubmittedAt time.Time `db:"submitted_at"`
}

// recentSubmissionsSQL is the bids submitted since $2 on tenders of the projects in scope
// ($1 as in tendersDueDashSQL) and still counting, newest first, at most $3.
const recentSubmissionsSQL = `
SELECT b.tender_id, t.title AS tender_title, p.name AS project_name, p.time_zone, e.name AS entity_name,
       b.revision, b.submitted_at
FROM bids b
JOIN tenders t ON t.id = b.tender_id
JOIN projects p ON p.id = t.project_id
JOIN entities e ON e.id = b.entity_id
WHERE b.status = 'submitted' AND b.submitted_at >= $2
  AND ($1::uuid IS NULL OR t.project_id IN (SELECT tm.project_id FROM team_members tm WHERE tm.user_id = $1))
ORDER BY b.submitted_at DESC, b.id
LIMIT $3`

// RecentSubmissions lists the bids submitted since since on the projects in scope that
// still count (a withdrawn or redrafted bid does not), newest first, at most
// DashboardTenders. One query.
func (s *Store) RecentSubmissions(ctx context.Context, scope ProjectScope, since time.Time) ([]RecentSubmission, error) {
	out := []RecentSubmission{}
	if scope.empty() {
		return out, nil
	}
	err := s.q.sel(ctx, &out, recentSubmissionsSQL, scope.scopeUser(), since.UTC(), DashboardTenders)
	return out, err
}

// BidderTender is an open tender as a bidder's dashboard lists it: its deadline, whether
// the bidder was invited, its intent, the state of its own bid, and the addenda it has
// not acknowledged.
type BidderTender struct {
	ID          string         `db:"id"`
	Title       string         `db:"title"`
	ProjectName string         `db:"project_name"`
	TimeZone    string         `db:"time_zone"`
	ClosesAt    time.Time      `db:"closes_at"`
	AllowLate   bool           `db:"allow_late_bids"`
	Invited     bool           `db:"invited"`
	Intent      tender.Intent  `db:"intent"`
	BidStatus   sql.NullString `db:"bid_status"` // NULL: no bid started
	Revision    int            `db:"revision"`
	Unacked     int            `db:"unacked"` // addenda not acknowledged
}

// Bid is the state of the bidder's own bid ("" when it has none).
func (b BidderTender) Bid() tender.BidStatus { return tender.BidStatus(b.BidStatus.String) }

// bidderTendersSQL is the open tenders user $1 may bid on (tendersOpenToSQL's rule) that
// still take its bid at $2 (before the closing time, or allowing late bids), soonest
// closing first, at most $3.
const bidderTendersSQL = `
SELECT t.id, t.title, p.name AS project_name, p.time_zone, t.closes_at, t.allow_late_bids,
       inv.intent IS NOT NULL AS invited,
       COALESCE(inv.intent, n.intent, 'undecided') AS intent,
       b.status AS bid_status, COALESCE(b.revision, 0) AS revision,
       (SELECT count(*) FROM addenda a WHERE a.tender_id = t.id
          AND NOT EXISTS (SELECT 1 FROM addendum_acks k WHERE k.addendum_id = a.id AND k.bidder_id = u.id)) AS unacked
FROM tenders t
JOIN users u ON u.id = $1
JOIN projects p ON p.id = t.project_id
LEFT JOIN LATERAL (SELECT i.intent FROM tender_invitees i
                   WHERE i.tender_id = t.id AND (i.user_id = u.id OR i.email = u.email) LIMIT 1) inv ON true
LEFT JOIN tender_intents n ON n.tender_id = t.id AND n.bidder_id = u.id
LEFT JOIN bids b ON b.tender_id = t.id AND b.bidder_id = u.id
WHERE t.status = 'open' AND (t.closes_at > $2 OR t.allow_late_bids)
  AND (inv.intent IS NOT NULL
       OR EXISTS (SELECT 1 FROM tender_categories c WHERE c.tender_id = t.id AND c.category_id = u.category_id))
ORDER BY t.closes_at, t.id
LIMIT $3`

// BidderTenders lists the open tenders a bidder may still bid on at now, soonest closing
// first (at most DashboardTenders), each with the bidder's own state. One query.
func (s *Store) BidderTenders(ctx context.Context, userID string, now time.Time) ([]BidderTender, error) {
	out := []BidderTender{}
	if !validUUID(userID) {
		return out, nil
	}
	err := s.q.sel(ctx, &out, bidderTendersSQL, userID, now.UTC(), DashboardTenders)
	return out, err
}
