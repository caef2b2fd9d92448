package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/14build/14build/tender"
)

// activityLockSQL serialises appends to one project's chain until commit. The head row
// cannot be locked FOR UPDATE when there is none yet (a project's first entry), and two
// appenders reading the same head would both chain after it; the primary key would refuse
// the second, but as an error, not a wait.
const activityLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('activity:' || $1::text, 0))`

// activityHeadSQL is the newest entry's seq and hash of project $1.
const activityHeadSQL = `SELECT seq, hash FROM activity WHERE project_id = $1 ORDER BY seq DESC LIMIT 1`

const insertActivitySQL = `
INSERT INTO activity (project_id, seq, kind, tender_id, actor_id, at, content, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// appendActivity appends e to its project's chain inside tx: a per-project transaction
// advisory lock, the head's hash and seq read, tender.EntryHash computed in Go, and the
// row inserted after the head. e.At is stored as tender.LedgerTime makes it, so the row
// read back hashes alike.
func (tx *Tx) appendActivity(ctx context.Context, projectID string, e tender.Entry) error {
	if !e.Kind.Valid() {
		return fmt.Errorf("append activity: unknown kind %q", string(e.Kind))
	}
	e.At = tender.LedgerTime(e.At)
	content := e.Content
	if content == nil {
		content = map[string]string{} // the column is NOT NULL; {} hashes as no pairs, like nil
	}
	body, err := json.Marshal(content)
	if err != nil {
		return fmt.Errorf("append activity: %w", err)
	}
	if _, err := tx.q.exec(ctx, activityLockSQL, projectID); err != nil {
		return fmt.Errorf("lock activity: %w", err)
	}
	var head struct {
		Seq  int64  `db:"seq"`
		Hash []byte `db:"hash"`
	}
	if err := tx.q.get(ctx, &head, activityHeadSQL, projectID); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("activity head: %w", err)
	}
	var prev any // NULL for the first entry, as the table's check demands
	if head.Seq > 0 {
		prev = head.Hash
	}
	hash := tender.EntryHash(head.Hash, e)
	_, err = tx.q.exec(ctx, insertActivitySQL, projectID, head.Seq+1, e.Kind, nullUUID(e.TenderID), nullUUID(e.ActorID),
		e.At, body, prev, hash)
	if err != nil {
		return fmt.Errorf("append activity: %w", err)
	}
	return nil
}

// nullUUID stores "" as NULL: an entry with no tender, or the system as its actor.
func nullUUID(id string) sql.NullString { return sql.NullString{String: id, Valid: id != ""} }

// Activity is a stored ledger entry with its place in its project's chain.
type Activity struct {
	Seq int64
	tender.Record
}

// activityColumns are an entry's columns as scanActivity reads them; "" for no tender or
// the system as actor, as the entry was hashed.
const activityColumns = `seq, kind, COALESCE(tender_id::text, ''), COALESCE(actor_id::text, ''), at, content, hash`

func scanActivity(r *sql.Rows, a *Activity) error {
	var body []byte
	if err := r.Scan(&a.Seq, &a.Kind, &a.TenderID, &a.ActorID, &a.At, &body, &a.Hash); err != nil {
		return err
	}
	a.At = a.At.UTC()
	if err := json.Unmarshal(body, &a.Content); err != nil {
		// Text values only (tender.Entry): anything else was not written here.
		return fmt.Errorf("activity %d: content: %w", a.Seq, err)
	}
	return nil
}

// activityPageSQL is one page of project $1's ledger, newest first: $2 limit, $3 offset.
const (
	activityCountSQL = `SELECT count(*) FROM activity WHERE project_id = $1`
	activityPageSQL  = `SELECT ` + activityColumns + ` FROM activity WHERE project_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3`
)

// ActivityOf returns one page (from 1; perPage 25 by default, at most 200) of a project's
// ledger, newest first, and the number of entries in all. Two queries.
func (s *Store) ActivityOf(ctx context.Context, projectID string, page, perPage int) ([]Activity, int, error) {
	if !validUUID(projectID) {
		return nil, 0, nil
	}
	var total int
	if err := s.q.get(ctx, &total, activityCountSQL, projectID); err != nil {
		return nil, 0, err
	}
	page, per := clampPage(page, perPage)
	out, err := scanRows(ctx, s.q, scanActivity, activityPageSQL, projectID, per, (page-1)*per)
	return out, total, err
}

// One page of tender $1's entries, newest first: $2 limit, $3 offset (activity_tender_idx).
const (
	tenderActivityCountSQL = `SELECT count(*) FROM activity WHERE tender_id = $1`
	tenderActivityPageSQL  = `SELECT ` + activityColumns + ` FROM activity WHERE tender_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3`
)

// ActivityOfTender is ActivityOf for one tender's entries, which its project's chain
// interleaves with other tenders'. Verification is of the whole chain (VerifyActivity).
func (s *Store) ActivityOfTender(ctx context.Context, tenderID string, page, perPage int) ([]Activity, int, error) {
	if !validUUID(tenderID) {
		return nil, 0, nil
	}
	var total int
	if err := s.q.get(ctx, &total, tenderActivityCountSQL, tenderID); err != nil {
		return nil, 0, err
	}
	page, per := clampPage(page, perPage)
	out, err := scanRows(ctx, s.q, scanActivity, tenderActivityPageSQL, tenderID, per, (page-1)*per)
	return out, total, err
}

// ActivityCheck is the result of verifying a project's chain.
type ActivityCheck struct {
	OK      bool
	Entries int
	// FirstBadSeq is the seq of the first entry whose hash does not hold (0 when OK): the
	// changed entry itself, or the one after a removed entry.
	FirstBadSeq int64
}

const activityChainSQL = `SELECT ` + activityColumns + ` FROM activity WHERE project_id = $1 ORDER BY seq`

// VerifyActivity reads a project's whole chain, oldest first, and recomputes every hash
// (tender.Verify). One query. Removing the newest entries leaves a valid shorter chain,
// which only a copy of the head kept elsewhere can show.
func (s *Store) VerifyActivity(ctx context.Context, projectID string) (ActivityCheck, error) {
	var check ActivityCheck
	if !validUUID(projectID) {
		return check, ErrNotFound
	}
	rows, err := scanRows(ctx, s.q, scanActivity, activityChainSQL, projectID)
	if err != nil {
		return check, err
	}
	records := make([]tender.Record, len(rows))
	for i, r := range rows {
		records[i] = r.Record
	}
	ok, bad := tender.Verify(records)
	check.OK, check.Entries = ok, len(rows)
	if !ok {
		check.FirstBadSeq = rows[bad].Seq
	}
	return check, nil
}
