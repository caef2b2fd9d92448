// Package store holds all SQL. Every method takes a context; not-found is ErrNotFound;
// multi-row writes go through WithTx.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/14build/14build/migrations"
)

// ErrNotFound is returned when a row does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a write collides with a unique constraint.
var ErrConflict = errors.New("conflict")

// Store is the application's database access. It counts the statements it sends so that
// tests and benchmarks can assert that a page costs a constant number of queries.
type Store struct {
	db      *sqlx.DB
	q       *counted
	queries *atomic.Int64
}

// connectTimeout bounds how long opening a connection may take, so that while PostgreSQL
// is unreachable a request fails fast (503) instead of hanging on the TCP connect.
const connectTimeout = 5

// Open connects to Postgres and checks the connection.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sqlx.Open("postgres", WithConnectTimeout(url, connectTimeout))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	ConfigurePool(db)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return New(db), nil
}

// ConfigurePool sets the pool's limits: a bounded number of connections, and connections
// recycled so that a failover or restart of PostgreSQL is picked up without a restart here
// (database/sql drops a broken connection and dials a new one on the next query).
func ConfigurePool(db *sqlx.DB) {
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(25)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
}

// WithConnectTimeout adds lib/pq's connect_timeout (seconds) to a connection string, URL or
// key=value form, unless it already sets one.
func WithConnectTimeout(dsn string, seconds int) string {
	if strings.Contains(dsn, "connect_timeout") {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := neturl.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set("connect_timeout", strconv.Itoa(seconds))
		u.RawQuery = q.Encode()
		return u.String()
	}
	return strings.TrimSpace(dsn+" connect_timeout=") + strconv.Itoa(seconds)
}

// New wraps an open database handle.
func New(db *sqlx.DB) *Store {
	n := new(atomic.Int64)
	return &Store{db: db, q: &counted{ext: db, n: n}, queries: n}
}

// DB exposes the handle for infrastructure that needs it (goose, health checks).
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// QueryCount is the number of statements sent since the store was opened.
func (s *Store) QueryCount() int64 { return s.queries.Load() }

// Migrate applies pending migrations.
func (s *Store) Migrate(ctx context.Context) error {
	return Migrate(ctx, s.db.DB)
}

// Migrate applies the embedded goose migrations to db, then River's own schema (the
// background jobs' tables), so every database that has ours has River's too.
func Migrate(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	m, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	return nil
}

// Tx is a store bound to one transaction.
type Tx struct {
	q *counted
}

// WithTx runs fn inside a transaction, committing when fn returns nil and rolling back
// otherwise. The Commit error is returned, never dropped.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqltx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	s.queries.Add(1)
	tx := &Tx{q: &counted{ext: sqltx, n: s.queries}}
	if err := fn(tx); err != nil {
		_ = sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.queries.Add(1)
	return nil
}

// counted forwards to sqlx and counts each statement.
type counted struct {
	ext sqlx.ExtContext
	n   *atomic.Int64
}

func (c *counted) get(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	err := sqlx.GetContext(ctx, c.ext, dest, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func (c *counted) sel(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	return sqlx.SelectContext(ctx, c.ext, dest, q, args...)
}

func (c *counted) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	return c.ext.ExecContext(ctx, q, args...)
}

// execOne runs a statement that must touch exactly one row.
func (c *counted) execOne(ctx context.Context, q string, args ...any) error {
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// uniqueViolation reports whether err is a unique-constraint violation, and on which constraint.
func uniqueViolation(err error) (string, bool) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return pqErr.Constraint, true
	}
	return "", false
}
