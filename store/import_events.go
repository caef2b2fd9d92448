package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/14build/14build/events"
)

// ImportProgress records how far an import's check has come on tx and announces it
// ("import-progress" to the person who started it), so the event exists only if the
// progress committed (issue 12). An unknown import is left alone, as before.
func (tx *Tx) ImportProgress(ctx context.Context, id string, total, processed int) error {
	if _, err := tx.q.exec(ctx, `UPDATE soq_imports SET total_rows = $2, processed_rows = $3, updated_at = now() WHERE id = $1`, id, total, processed); err != nil {
		return err
	}
	return tx.emitImport(ctx, id)
}

// emitImport announces the import's state as it stands in tx: its ids and progress only
// (the receiving instance loads and renders the rest). The person concerned is its
// uploader (or, for one without, whoever queued it); the router tells the project's team
// too (its jobs page).
func (tx *Tx) emitImport(ctx context.Context, id string) error {
	var r struct {
		SOQID     string `db:"soq_id"`
		ProjectID string `db:"project_id"`
		UserID    string `db:"user_id"`
		Status    string `db:"status"`
		Total     int    `db:"total_rows"`
		Processed int    `db:"processed_rows"`
	}
	err := tx.q.get(ctx, &r, `SELECT soq_id, project_id, coalesce(coalesce(created_by, queued_by)::text, '') AS user_id, status, total_rows, processed_rows
FROM soq_imports WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return tx.emit(ctx, events.Change{Kind: events.ImportProgress, ProjectID: r.ProjectID, UserID: r.UserID,
		Data: eventData(map[string]any{"importId": id, "soqId": r.SOQID, "processed": r.Processed, "total": r.Total, "state": r.Status})})
}
