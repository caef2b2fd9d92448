package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/soq"
)

// User is an account with its entity (company) and trade category.
type User struct {
	ID           string         `db:"id"`
	Name         string         `db:"name"`
	Email        string         `db:"email"`
	Role         authz.Role     `db:"role"`
	EntityID     int64          `db:"entity_id"`
	EntityName   string         `db:"entity_name"`
	CategoryID   sql.NullInt64  `db:"category_id"`
	CategoryName sql.NullString `db:"category_name"`
	Active       bool           `db:"active"`
	CreatedAt    time.Time      `db:"created_at"`
}

// Category is a trade category; its rules (how a trade is named) are package soq's.
type Category = soq.Category

// NewUser is what creating an account needs. Entity is a company name, found or created;
// CategoryID is optional (0 = none).
type NewUser struct {
	Name         string
	Email        string
	PasswordHash string
	Role         authz.Role
	Entity       string
	CategoryID   int64
}

// ErrEmailTaken is returned when the email already belongs to an account.
var ErrEmailTaken = errors.New("email already registered")

// userSQL is an account with its entity and category; the constants below add which one
// and how it is locked (each is still one static statement).
const userSQL = `
SELECT u.id, u.name, u.email::text AS email, u.role, u.entity_id, e.name AS entity_name,
       u.category_id, c.name AS category_name, u.active, u.created_at
FROM users u
JOIN entities e ON e.id = u.entity_id
LEFT JOIN categories c ON c.id = u.category_id`

// userByIDSQL is one account by id.
const userByIDSQL = userSQL + `
WHERE u.id = $1`

// userByEmailSQL is one account by email (citext: case-insensitive).
const userByEmailSQL = userSQL + `
WHERE u.email = $1`

// CreateUser creates an account, finding or creating its entity, in one transaction.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	var u User
	err := s.WithTx(ctx, func(tx *Tx) error {
		var err error
		u, err = tx.CreateUser(ctx, nu)
		return err
	})
	return u, err
}

const upsertEntitySQL = `INSERT INTO entities (name) VALUES (btrim($1))
ON CONFLICT (lower(btrim(name))) DO UPDATE SET name = entities.name
RETURNING id`

const insertUserSQL = `INSERT INTO users (name, email, password_hash, role, entity_id, category_id)
VALUES ($1, $2, $3, $4, $5, NULLIF($6, 0)) RETURNING id`

// CreateUser creates an account inside a transaction.
func (tx *Tx) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	var entityID int64
	if err := tx.q.get(ctx, &entityID, upsertEntitySQL, nu.Entity); err != nil {
		return User{}, fmt.Errorf("entity: %w", err)
	}
	var id string
	err := tx.q.get(ctx, &id, insertUserSQL, strings.TrimSpace(nu.Name), strings.TrimSpace(nu.Email), nu.PasswordHash, nu.Role, entityID, nu.CategoryID)
	if c, ok := uniqueViolation(err); ok && c == "users_email_key" {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return tx.userByID(ctx, id)
}

func (tx *Tx) userByID(ctx context.Context, id string) (User, error) {
	return oneUser(ctx, tx.q, userByIDSQL, id)
}

// oneUser reads one account by id with query (a plain read or a locking one); an id that
// is not a UUID is not found rather than a driver error.
func oneUser(ctx context.Context, q *counted, query, id string) (User, error) {
	if !validUUID(id) {
		return User{}, ErrNotFound
	}
	var u User
	err := q.get(ctx, &u, query, id)
	return u, err
}

// UserByID returns an account, active or not.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	return oneUser(ctx, s.q, userByIDSQL, id)
}

// UserByEmail returns an account by email (case-insensitive).
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.q.get(ctx, &u, userByEmailSQL, strings.TrimSpace(email))
	return u, err
}

// Credentials returns the id, password hash and active flag for a login attempt.
func (s *Store) Credentials(ctx context.Context, email string) (id, hash string, active bool, err error) {
	var row struct {
		ID     string `db:"id"`
		Hash   string `db:"password_hash"`
		Active bool   `db:"active"`
	}
	err = s.q.get(ctx, &row, `SELECT id, password_hash, active FROM users WHERE email = $1`, strings.TrimSpace(email))
	return row.ID, row.Hash, row.Active, err
}

// PasswordHash returns a user's password hash.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var h string
	err := s.q.get(ctx, &h, `SELECT password_hash FROM users WHERE id = $1`, userID)
	return h, err
}

// SetPassword replaces a user's password hash and ends their other access: every session
// but keepSessionHash (nil: all of them) and every API token.
func (s *Store) SetPassword(ctx context.Context, userID, hash string, keepSessionHash []byte) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		return tx.setPassword(ctx, userID, hash, keepSessionHash)
	})
}

// setPassword is the one place a password changes: the user's own change, an
// administrator's reset. A new password must lock out whoever held the old one, so it ends
// the other sessions and revokes the API tokens in the same transaction.
func (tx *Tx) setPassword(ctx context.Context, userID, hash string, keepSessionHash []byte) error {
	if err := tx.q.execOne(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, userID, hash); err != nil {
		return err
	}
	return tx.endOtherAccess(ctx, userID, keepSessionHash)
}

// UserFilter narrows the user list.
type UserFilter struct {
	Query   string // matches name, email or entity
	Role    authz.Role
	Page    int
	PerPage int
}

// listUsersSQL is one page of accounts, active first, with the total over all pages.
// $1 LIKE-escaped text in the name, email or entity (empty: any), $2 role (empty: any),
// $3 limit, $4 offset.
const listUsersSQL = `
SELECT u.id, u.name, u.email::text AS email, u.role, u.entity_id, e.name AS entity_name,
       u.category_id, c.name AS category_name, u.active, u.created_at,
       count(*) OVER () AS total
FROM users u
JOIN entities e ON e.id = u.entity_id
LEFT JOIN categories c ON c.id = u.category_id
WHERE ($1 = '' OR u.name ILIKE '%' || $1 || '%' OR u.email::text ILIKE '%' || $1 || '%' OR e.name ILIKE '%' || $1 || '%')
  AND ($2 = '' OR u.role = $2)
ORDER BY u.active DESC, u.name, u.id
LIMIT $3 OFFSET $4`

// ListUsers returns one page of users and the total count.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	var rows []struct {
		User
		Total int `db:"total"`
	}
	page, per := clampPage(f.Page, f.PerPage)
	if err := s.q.sel(ctx, &rows, listUsersSQL, escapeLike(f.Query), string(f.Role), per, (page-1)*per); err != nil {
		return nil, 0, err
	}
	users := make([]User, len(rows))
	total := 0
	for i, r := range rows {
		users[i] = r.User
		total = r.Total
	}
	if len(rows) == 0 && page > 1 {
		// Past the last page: still report the total.
		if err := s.q.get(ctx, &total, `SELECT count(*) FROM users`); err != nil {
			return nil, 0, err
		}
	}
	return users, total, nil
}

// UserUpdate is an administrator's edit of an account.
type UserUpdate struct {
	Name       string
	Email      string
	Role       authz.Role
	Entity     string
	CategoryID int64
	Active     bool
	// PasswordHash, when set, resets the password (ending all sessions and tokens).
	PasswordHash string
}

// UpdateUser applies an administrator's edit of an account, in tx. Deactivating ends the
// user's sessions and revokes their API tokens in the same transaction. Whether the new role
// is allowed is the caller's decision, taken first under LockUser (see authz.CanChangeRole).
func (tx *Tx) UpdateUser(ctx context.Context, id string, uu UserUpdate) (User, error) {
	if !validUUID(id) {
		return User{}, ErrNotFound
	}
	var entityID int64
	if err := tx.q.get(ctx, &entityID, upsertEntitySQL, uu.Entity); err != nil {
		return User{}, fmt.Errorf("entity: %w", err)
	}
	err := tx.q.execOne(ctx, `UPDATE users SET name = $2, email = $3, role = $4, entity_id = $5,
			category_id = NULLIF($6, 0), active = $7, updated_at = now() WHERE id = $1`,
		id, strings.TrimSpace(uu.Name), strings.TrimSpace(uu.Email), uu.Role, entityID, uu.CategoryID, uu.Active)
	if c, ok := uniqueViolation(err); ok && c == "users_email_key" {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, err
	}
	if !uu.Active {
		if err := tx.endAccess(ctx, id); err != nil {
			return User{}, err
		}
	}
	if uu.PasswordHash != "" {
		if err := tx.setPassword(ctx, id, uu.PasswordHash, nil); err != nil {
			return User{}, err
		}
	}
	return tx.userByID(ctx, id)
}

// lockUserSQL is userByIDSQL with the account's row locked for update.
const lockUserSQL = userByIDSQL + `
FOR UPDATE OF u`

// shareLockUserSQL is userByIDSQL with the account's row share-locked.
const shareLockUserSQL = userByIDSQL + `
FOR SHARE OF u`

// LockUser reads an account and locks its row for update until tx ends, for a change that
// depends on what the account owns (a role change): a project insert or transfer naming it
// as owner takes a key-share lock on the row, so it waits, and what CountOwnedProjects
// reads stays true until commit.
func (tx *Tx) LockUser(ctx context.Context, id string) (User, error) {
	return oneUser(ctx, tx.q, lockUserSQL, id)
}

// ShareLockUser reads an account and share-locks its row until tx ends, for a write that
// depends on the account's role staying as read (making it a project's owner): a role
// change (LockUser) waits for tx, then sees what tx wrote.
func (tx *Tx) ShareLockUser(ctx context.Context, id string) (User, error) {
	return oneUser(ctx, tx.q, shareLockUserSQL, id)
}

// CountOwnedProjects counts the projects a user owns.
func (tx *Tx) CountOwnedProjects(ctx context.Context, userID string) (int, error) {
	var n int
	err := tx.q.get(ctx, &n, `SELECT count(*) FROM projects WHERE owner_id = $1`, userID)
	return n, err
}

// UpdateProfile lets a user change their own name, entity and category.
func (s *Store) UpdateProfile(ctx context.Context, id, name, entity string, categoryID int64) (User, error) {
	var u User
	err := s.WithTx(ctx, func(tx *Tx) error {
		var entityID int64
		if err := tx.q.get(ctx, &entityID, upsertEntitySQL, entity); err != nil {
			return fmt.Errorf("entity: %w", err)
		}
		if err := tx.q.execOne(ctx, `UPDATE users SET name = $2, entity_id = $3, category_id = NULLIF($4, 0), updated_at = now() WHERE id = $1`,
			id, strings.TrimSpace(name), entityID, categoryID); err != nil {
			return err
		}
		var err error
		u, err = tx.userByID(ctx, id)
		return err
	})
	return u, err
}

// DeactivateUser marks an account inactive and ends all its sessions and tokens.
func (s *Store) DeactivateUser(ctx context.Context, id string) error {
	if !validUUID(id) {
		return ErrNotFound
	}
	return s.WithTx(ctx, func(tx *Tx) error {
		if err := tx.q.execOne(ctx, `UPDATE users SET active = false, updated_at = now() WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.endAccess(ctx, id)
	})
}

func (tx *Tx) endAccess(ctx context.Context, userID string) error {
	return tx.endOtherAccess(ctx, userID, nil)
}

const (
	deleteSessionsSQL      = `DELETE FROM sessions WHERE user_id = $1`
	deleteOtherSessionsSQL = `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`
	deleteAPITokensSQL     = `DELETE FROM api_tokens WHERE user_id = $1`
)

// endOtherAccess deletes the user's sessions except keepSessionHash (nil keeps none) and
// revokes all their API tokens.
func (tx *Tx) endOtherAccess(ctx context.Context, userID string, keepSessionHash []byte) error {
	var err error
	if keepSessionHash == nil {
		_, err = tx.q.exec(ctx, deleteSessionsSQL, userID)
	} else {
		_, err = tx.q.exec(ctx, deleteOtherSessionsSQL, userID, keepSessionHash)
	}
	if err != nil {
		return err
	}
	_, err = tx.q.exec(ctx, deleteAPITokensSQL, userID)
	return err
}

// Categories lists the trade categories by name.
func (s *Store) Categories(ctx context.Context) ([]Category, error) {
	var cs []Category
	err := s.q.sel(ctx, &cs, `SELECT id, name FROM categories ORDER BY name`)
	return cs, err
}

// CountAdmins returns the number of active administrators.
func (s *Store) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.q.get(ctx, &n, `SELECT count(*) FROM users WHERE role = $1 AND active`, authz.RoleAdmin)
	return n, err
}

func clampPage(page, per int) (int, int) {
	if page < 1 {
		page = 1
	}
	if per < 1 {
		per = 25
	}
	if per > 200 {
		per = 200
	}
	return page, per
}

// escapeLike escapes LIKE wildcards so a search for "50%" means the text "50%".
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.TrimSpace(s))
}

// validUUID avoids sending ids Postgres would reject as uuid syntax (a 404, not a 500).
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// containsFold reports whether s contains sub, ignoring case.
func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(strings.TrimSpace(sub)))
}
