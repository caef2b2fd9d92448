package store

import (
	"context"
	"time"
)

// APIToken is a personal access token (only its hash is stored).
type APIToken struct {
	ID         int64      `db:"id"`
	Name       string     `db:"name"`
	Prefix     string     `db:"prefix"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
}

// CreateAPIToken stores a new token's hash.
func (s *Store) CreateAPIToken(ctx context.Context, userID, name string, hash []byte, prefix string) (APIToken, error) {
	var t APIToken
	err := s.q.get(ctx, &t, `INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES ($1, $2, $3, $4)
RETURNING id, name, prefix, created_at, last_used_at`, userID, name, hash, prefix)
	return t, err
}

// APITokens lists a user's tokens, newest first.
func (s *Store) APITokens(ctx context.Context, userID string) ([]APIToken, error) {
	var ts []APIToken
	err := s.q.sel(ctx, &ts, `SELECT id, name, prefix, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	return ts, err
}

// DeleteAPIToken revokes one of the user's tokens.
func (s *Store) DeleteAPIToken(ctx context.Context, userID string, id int64) error {
	return s.q.execOne(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND id = $2`, userID, id)
}

// userByTokenSQL notes a token's use and returns its active user's account.
const userByTokenSQL = `
WITH t AS (
  UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 RETURNING user_id
)
SELECT u.id, u.name, u.email::text AS email, u.role, u.entity_id, e.name AS entity_name,
       u.category_id, c.name AS category_name, u.active, u.created_at
FROM users u
JOIN t ON t.user_id = u.id
JOIN entities e ON e.id = u.entity_id
LEFT JOIN categories c ON c.id = u.category_id
WHERE u.active`

// UserByToken resolves a bearer token's hash to its active user, noting the use.
func (s *Store) UserByToken(ctx context.Context, hash []byte) (User, error) {
	var u User
	err := s.q.get(ctx, &u, userByTokenSQL, hash)
	return u, err
}
