package store

import (
	"context"
	"encoding/json"
	"time"
)

// SessionRow is one server-side session.
type SessionRow struct {
	UserID    *string
	Data      map[string]any
	ExpiresAt time.Time
}

// LoadSession returns a live session by the hash of its id.
func (s *Store) LoadSession(ctx context.Context, idHash []byte) (SessionRow, error) {
	var row struct {
		UserID    *string   `db:"user_id"`
		Data      []byte    `db:"data"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := s.q.get(ctx, &row, `SELECT user_id, data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > now()`, idHash)
	if err != nil {
		return SessionRow{}, err
	}
	out := SessionRow{UserID: row.UserID, ExpiresAt: row.ExpiresAt, Data: map[string]any{}}
	if err := json.Unmarshal(row.Data, &out.Data); err != nil {
		return SessionRow{}, err
	}
	return out, nil
}

// CreateSession inserts a new session. Only signing in (login, registration, an accepted
// invitation) creates one; everything else may only update a live row (UpdateSession).
func (s *Store) CreateSession(ctx context.Context, idHash []byte, userID *string, data map[string]any, expires time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	_, err = s.q.exec(ctx, `INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4)`,
		idHash, userID, b, expires)
	return err
}

// UpdateSession saves a live session's data. It never recreates a row: a session deleted
// meanwhile (logout, password change, deactivation) stays deleted and the answer is
// ErrNotFound. The user must be the one the row was created for.
func (s *Store) UpdateSession(ctx context.Context, idHash []byte, userID *string, data map[string]any, expires time.Time) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return s.q.execOne(ctx, `UPDATE sessions SET data = $3, expires_at = $4
WHERE id_hash = $1 AND user_id IS NOT DISTINCT FROM $2::uuid AND expires_at > now()`, idHash, userID, b, expires)
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.q.exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.q.exec(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
