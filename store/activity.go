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
