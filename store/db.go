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
	"sync"
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
// tests and benchmarks can assert that a page costs a constant number of queries, and it
// prepares each statement once (see stmtCache).
type Store struct {
	db      *sqlx.DB
	q       *counted
	queries *atomic.Int64
	mail    *MailHooks // outbox.go: where mails link and how they are sent (SetMail)
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
	return &Store{db: db, q: &counted{ext: db, n: n, stmts: newStmtCache(db)}, queries: n}
}

// DB exposes the handle for infrastructure that needs it (goose, health checks).
func (s *Store) DB() *sqlx.DB { return s.db }

// Close closes the prepared statements and the pool.
func (s *Store) Close() error {
	s.q.stmts.close()
	return s.db.Close()
}

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
	q    *counted
	mail *MailHooks // the store's, for EnqueueMail
}

// WithTx runs fn inside a transaction, committing when fn returns nil and rolling back
// otherwise. The Commit error is returned, never dropped.
func (s *Store) WithTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqltx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	s.queries.Add(1)
	tx := &Tx{q: &counted{ext: sqltx, n: s.queries, stmts: s.q.stmts, tx: sqltx}, mail: s.mail}
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

// counted forwards to sqlx and counts each statement. Statements run prepared: lib/pq sends
// a query with arguments as an unnamed statement that PostgreSQL parses and plans anew each
// time (a third of the database time of GET /api/projects went to planning the same SQL);
// a prepared statement is parsed once per connection and its plan can be reused.
type counted struct {
	ext   sqlx.ExtContext
	n     *atomic.Int64
	stmts *stmtCache
	tx    *sqlx.Tx // set inside WithTx: statements run on its connection
}

// prepared returns q prepared for this handle, or nil: run it as is.
func (c *counted) prepared(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if c.tx == nil {
		return c.stmts.get(ctx, q)
	}
	st := c.stmts.cached(q)
	if st == nil {
		// Preparing needs a connection of the pool besides the transaction's own: with
		// every connection held by a transaction waiting for that, none would move on. So
		// this run goes unprepared and the statement is prepared aside for the next one.
		c.stmts.warm(q)
		return nil, nil
	}
	// database/sql reuses the statement already prepared on the transaction's connection,
	// or prepares it there once and keeps it for later transactions.
	return c.tx.StmtxContext(ctx, st), nil
}

func (c *counted) get(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	st, err := c.prepared(ctx, q)
	switch {
	case err != nil:
	case st != nil:
		err = st.GetContext(ctx, dest, args...)
	default:
		err = sqlx.GetContext(ctx, c.ext, dest, q, args...)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func (c *counted) sel(ctx context.Context, dest any, q string, args ...any) error {
	c.n.Add(1)
	st, err := c.prepared(ctx, q)
	if err != nil {
		return err
	}
	if st != nil {
		return st.SelectContext(ctx, dest, args...)
	}
	return sqlx.SelectContext(ctx, c.ext, dest, q, args...)
}

// query returns the rows for the caller to scan by hand, where sqlx's reflection per row
// shows in a profile (the hundreds of units of a project list).
func (c *counted) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	c.n.Add(1)
	st, err := c.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.ext.QueryContext(ctx, q, args...)
}

func (c *counted) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	c.n.Add(1)
	st, err := c.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	if st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.ext.ExecContext(ctx, q, args...)
}

// maxPrepared bounds the statement cache. Every query of the store is a constant, so the
// set of texts is small and fixed; the bound only keeps a query built at run time (which
// would be a bug) from growing the cache, and such a query still runs, unprepared.
const maxPrepared = 1000

// stmtCache holds one prepared statement per SQL text for the whole pool, prepared on first
// use. database/sql prepares it again on each connection that runs it (once per
// connection), and drops it with the connection. Tests and main migrate before they open the
// store, so no cached plan outlives a change of the tables it reads.
type stmtCache struct {
	db      *sqlx.DB
	mu      sync.RWMutex
	m       map[string]*sqlx.Stmt
	warming map[string]bool
	closed  bool
}

func newStmtCache(db *sqlx.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sqlx.Stmt), warming: make(map[string]bool)}
}

// cached returns the statement for q if it is prepared already.
func (c *stmtCache) cached(q string) *sqlx.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[q]
}

// warm prepares q in the background, once.
func (c *stmtCache) warm(q string) {
	c.mu.Lock()
	if c.closed || c.warming[q] || len(c.m) >= maxPrepared {
		c.mu.Unlock()
		return
	}
	c.warming[q] = true
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = c.get(ctx, q) // a failure leaves it unprepared; the query reports its own error
		c.mu.Lock()
		delete(c.warming, q)
		c.mu.Unlock()
	}()
}

// get returns the statement for q, preparing it the first time; nil when the cache is full.
func (c *stmtCache) get(ctx context.Context, q string) (*sqlx.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[q]
	full := c.closed || len(c.m) >= maxPrepared
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	if full {
		return nil, nil
	}
	// Prepared outside the lock: it is a round trip, and other statements must not wait.
	st, err := c.db.PreparexContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	cur, ok := c.m[q]
	keep := !ok && !c.closed
	if keep {
		c.m[q] = st
	}
	c.mu.Unlock()
	if !keep {
		// Another request prepared it meanwhile, or the store is closing. Closed outside
		// the lock: Stmt.Close waits for each connection the statement was prepared on,
		// and a connection may be busy with a query that waits on a row lock held by a
		// transaction that is itself waiting for this cache — a deadlock seen under load.
		_ = st.Close()
		return cur, nil
	}
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	stmts := make([]*sqlx.Stmt, 0, len(c.m))
	for q, st := range c.m {
		stmts = append(stmts, st)
		delete(c.m, q)
	}
	c.mu.Unlock()
	for _, st := range stmts { // outside the lock, as in get
		_ = st.Close()
	}
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
