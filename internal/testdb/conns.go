package testdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"sync"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A new PostgreSQL connection costs a server process and its catalog caches: about 30 ms
// of CPU here, where 800 of them were a fifth of the handlers tests' time. So the physical
// connections to a pooled database outlive the test that opened them: a test's sql.DB
// dials through conns, and a connection it closes goes back, cleaned by DISCARD ALL, to the
// next test on that database instead of being closed.

// maxIdle is how many connections a database keeps between tests.
const maxIdle = 16

// pqConn is what lib/pq's connection implements, which the wrapper must pass through
// (database/sql looks for each interface; hiding one changes how queries are sent).
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.NamedValueChecker
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type conns struct {
	dsn  *pq.Connector
	mu   sync.Mutex
	idle []pqConn
}

var (
	connsMu sync.Mutex
	connsOf = map[string]*conns{}
)

// openDB opens u (a pooled database) through its kept connections.
func openDB(u string) (*sqlx.DB, error) {
	connsMu.Lock()
	defer connsMu.Unlock()
	c := connsOf[u]
	if c == nil {
		dsn, err := pq.NewConnector(u)
		if err != nil {
			return nil, err
		}
		c = &conns{dsn: dsn}
		connsOf[u] = c
	}
	return sqlx.NewDb(sql.OpenDB(c), "postgres"), nil
}

// forget closes u's kept connections (before the database is dropped).
func forget(u string) {
	connsMu.Lock()
	c := connsOf[u]
	delete(connsOf, u)
	connsMu.Unlock()
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, k := range c.idle {
			k.Close()
		}
		c.idle = nil
	}
}

func (c *conns) Driver() driver.Driver { return c.dsn.Driver() }

func (c *conns) Connect(ctx context.Context) (driver.Conn, error) {
	for {
		c.mu.Lock()
		if len(c.idle) == 0 {
			c.mu.Unlock()
			break
		}
		k := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		c.mu.Unlock()
		// A kept connection may have been ended by the server since (a test that
		// terminates backends).
		if k.Ping(ctx) == nil {
			return &keptConn{pqConn: k, c: c}, nil
		}
		k.Close()
	}
	k, err := c.dsn.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if pk, ok := k.(pqConn); ok {
		return &keptConn{pqConn: pk, c: c}, nil
	}
	return k, nil
}

// keptConn is a connection that Close returns to its database's idle list.
type keptConn struct {
	pqConn
	c *conns
}

func (k *keptConn) Close() error {
	// DISCARD ALL drops the session's prepared statements, settings, temporary tables and
	// advisory locks; it fails inside a transaction, and on a broken connection, which are
	// then closed for real.
	if !k.IsValid() {
		return k.pqConn.Close()
	}
	if _, err := k.ExecContext(context.Background(), `DISCARD ALL`, nil); err != nil {
		return k.pqConn.Close()
	}
	k.c.mu.Lock()
	if len(k.c.idle) < maxIdle {
		k.c.idle = append(k.c.idle, k.pqConn)
		k.c.mu.Unlock()
		return nil
	}
	k.c.mu.Unlock()
	return k.pqConn.Close()
}
