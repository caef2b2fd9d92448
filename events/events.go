// Package events carries live updates from a committed change to the pages and API clients
// that follow it, across any number of server instances (issue 12).
//
// A transaction announces its change with Emit: one row in the events table and a
// pg_notify of that row's id, both inside the transaction, so the event exists if and only
// if the change committed (PostgreSQL delivers NOTIFY at commit, and drops it on
// rollback). Every instance runs Listen: it LISTENs on Channel, loads each announced row,
// asks a Router (the handlers package: it knows the audiences and renders the fragments)
// for the messages of each audience stream, and publishes them to its Hub, which serves its
// own server-sent-event subscribers. Events name changes by ids only: the store never
// renders HTML, and no payload crosses NOTIFY's 8000-byte limit.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Channel is the NOTIFY channel every instance listens on; its payload is an events row id.
const Channel = "14build_events"

// The event names of issue 12.
const (
	BidSubmitted       = "bid-submitted"
	BidWithdrawn       = "bid-withdrawn"
	IntentChanged      = "intent-changed"
	AddendumIssued     = "addendum-issued"
	QuestionAnswered   = "question-answered"
	TenderClosed       = "tender-closed"
	TenderAwarded      = "tender-awarded"
	ProjectUpdated     = "project-updated"
	ImportProgress     = "import-progress"
	MilestoneCompleted = "milestone-completed"
)

// Change is what a transaction announces.
type Change struct {
	ID        int64  // the events row id (set by Emit)
	Kind      string // one of the event names above
	ProjectID string // "" if none
	TenderID  string // "" if none
	BidID     string // "" if none
	UserID    string // the actor or the user concerned ("" = system)
	// Data holds small extra facts (e.g. {"revision":2}, import progress). Never amounts:
	// the receiving instance loads what an audience may see.
	Data json.RawMessage
	At   time.Time
}

// Execer is what a transaction offers: *sql.Tx and *sqlx.Tx satisfy it; the store's Tx
// through a small adapter.
type Execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// emitSQL inserts the row and notifies its id in one round trip; NULLIF turns "" into NULL.
const emitSQL = `
WITH e AS (
    INSERT INTO events (kind, project_id, tender_id, bid_id, user_id, data)
    VALUES ($1, NULLIF($2, '')::uuid, NULLIF($3, '')::uuid, NULLIF($4, '')::uuid, NULLIF($5, '')::uuid, $6)
    RETURNING id, at
)
SELECT e.id, e.at FROM e CROSS JOIN LATERAL pg_notify('` + Channel + `', e.id::text) n`

// Emit records c in tx and notifies its id: the event is delivered at commit, and never if
// tx rolls back. It returns the row id (c.ID and c.At are set by the database).
func Emit(ctx context.Context, tx Execer, c Change) (int64, error) {
	if c.Kind == "" {
		return 0, errors.New("events: a change needs a kind")
	}
	data := []byte(c.Data)
	if len(data) == 0 {
		data = []byte("{}")
	}
	var id int64
	var at time.Time
	if err := tx.QueryRowContext(ctx, emitSQL, c.Kind, c.ProjectID, c.TenderID, c.BidID, c.UserID, string(data)).Scan(&id, &at); err != nil {
		return 0, fmt.Errorf("emit %s: %w", c.Kind, err)
	}
	return id, nil
}

const selectChange = `
SELECT id, kind, coalesce(project_id::text, ''), coalesce(tender_id::text, ''),
       coalesce(bid_id::text, ''), coalesce(user_id::text, ''), data, at
FROM events`

// Querier is what loading events needs (*sql.DB, *sqlx.DB).
type Querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Load returns the events with the given ids, in id order (missing ids are skipped: a
// pruned row).
func Load(ctx context.Context, db Querier, ids ...int64) ([]Change, error) {
	return query(ctx, db, selectChange+` WHERE id = ANY($1) ORDER BY id`, int64Array(ids))
}

// since returns the events after id or at/after from (whichever reaches further back),
// in id order: what a listener may have missed while its connection was down.
func since(ctx context.Context, db Querier, id int64, from time.Time) ([]Change, error) {
	return query(ctx, db, selectChange+` WHERE id > $1 OR at >= $2 ORDER BY id LIMIT 10000`, id, from)
}

func query(ctx context.Context, db Querier, q string, args ...any) ([]Change, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var data []byte
		if err := rows.Scan(&c.ID, &c.Kind, &c.ProjectID, &c.TenderID, &c.BidID, &c.UserID, &data, &c.At); err != nil {
			return nil, err
		}
		c.Data = data
		out = append(out, c)
	}
	return out, rows.Err()
}

// Prune deletes events older than keep; cheap (the BRIN index on at), run now and then by
// Listen. Replay beyond a few days is not wanted: a page reload shows the truth.
func Prune(ctx context.Context, db Execer, keep time.Duration) (int64, error) {
	r, err := db.ExecContext(ctx, `DELETE FROM events WHERE at < now() - $1 * interval '1 second'`, keep.Seconds())
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// int64Array formats ids as a PostgreSQL bigint[] literal (lib/pq's Int64Array without
// importing it into callers).
func int64Array(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*8)
	b = append(b, '{')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%d", id)
	}
	return string(append(b, '}'))
}
