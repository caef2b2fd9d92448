package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/14build/14build/authz"
)

// SessionRow is one server-side session, with its user's account.
type SessionRow struct {
	UserID    *string
	User      *User // the account of UserID, read in the same query; nil without one
	Data      map[string]any
	ExpiresAt time.Time
}

// loadSessionSQL reads a live session and its user's account in one statement: every
// request that carries a cookie runs it, so it is one round trip, prepared once.
const loadSessionSQL = `
SELECT s.user_id, s.data, s.expires_at,
       u.id AS u_id, u.name AS u_name, u.email::text AS u_email, u.role AS u_role,
       u.entity_id AS u_entity_id, e.name AS u_entity_name,
       u.category_id AS u_category_id, c.name AS u_category_name,
       u.active AS u_active, u.created_at AS u_created_at
FROM sessions s
LEFT JOIN users u ON u.id = s.user_id
LEFT JOIN entities e ON e.id = u.entity_id
LEFT JOIN categories c ON c.id = u.category_id
WHERE s.id_hash = $1 AND s.expires_at > now()`

// LoadSession returns a live session by the hash of its id, with its user's account.
func (s *Store) LoadSession(ctx context.Context, idHash []byte) (SessionRow, error) {
	var row struct {
		UserID       *string             `db:"user_id"`
		Data         []byte              `db:"data"`
		ExpiresAt    time.Time           `db:"expires_at"`
		ID           sql.NullString      `db:"u_id"`
		Name         sql.NullString      `db:"u_name"`
		Email        sql.NullString      `db:"u_email"`
		Role         sql.NullString      `db:"u_role"`
		EntityID     sql.NullInt64       `db:"u_entity_id"`
		EntityName   sql.NullString      `db:"u_entity_name"`
		CategoryID   sql.NullInt64       `db:"u_category_id"`
		CategoryName sql.NullString      `db:"u_category_name"`
		Active       sql.NullBool        `db:"u_active"`
		CreatedAt    sql.Null[time.Time] `db:"u_created_at"`
	}
	if err := s.q.get(ctx, &row, loadSessionSQL, idHash); err != nil {
		return SessionRow{}, err
	}
	out := SessionRow{UserID: row.UserID, ExpiresAt: row.ExpiresAt, Data: map[string]any{}}
	if err := json.Unmarshal(row.Data, &out.Data); err != nil {
		return SessionRow{}, err
	}
	if row.ID.Valid {
		out.User = &User{ID: row.ID.String, Name: row.Name.String, Email: row.Email.String, Role: authz.Role(row.Role.String),
			EntityID: row.EntityID.Int64, EntityName: row.EntityName.String, CategoryID: row.CategoryID, CategoryName: row.CategoryName,
			Active: row.Active.Bool, CreatedAt: row.CreatedAt.V}
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
