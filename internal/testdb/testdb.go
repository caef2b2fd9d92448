// Package testdb gives each test its own PostgreSQL database, cloned from a template that
// the real migrations built (the pgtestdb pattern): isolated, fast, and the migrations are
// what is tested.
//
// It connects with TEST_DATABASE_URL (make test sets it); when unset it starts the
// project's private cluster with scripts/pg.sh.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the driver

	"github.com/14build/14build/migrations"
	"github.com/14build/14build/store"
)

var (
	once     sync.Once
	adminURL string
	tmplName string
	setupErr error
	// strategy is " STRATEGY FILE_COPY" on PostgreSQL 15 and later, whose default
	// (WAL_LOG) writes the whole template through the WAL: copying the files costs a third
	// of the server's CPU per test database, and dropping it a sixth.
	strategy string
	// admin creates and drops the test databases: one pool for the whole run, not two
	// new connections per test.
	admin *sqlx.DB
)

// URL returns the admin connection string the tests use.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("test database: %v", setupErr)
	}
	return adminURL
}

// New returns a connection to a fresh, migrated database that is dropped after the test.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	_, db := NewWithURL(t)
	return db
}

// NewWithURL is New that also returns the database's connection string.
func NewWithURL(t testing.TB) (string, *sqlx.DB) {
	t.Helper()
	URL(t)
	name := "t14_" + randHex(8)
	if _, err := admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s%s`, name, tmplName, strategy)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	u := withDB(adminURL, name)
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		t.Fatal(err)
	}
	// As store.Open's pool keeps them: database/sql's default of 2 idle connections closed
	// and reopened one per burst of requests, and a new server process on a new database
	// builds its catalog caches anew, which was most of the server's CPU in the tests.
	db.SetMaxIdleConns(25)
	t.Cleanup(func() {
		db.Close()
		_, _ = admin.Exec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
	})
	return u, db
}

func setup() {
	adminURL = os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL, setupErr = LocalURL(context.Background())
		if setupErr != nil {
			return
		}
	}
	h := sha256.New()
	_ = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := migrations.FS.ReadFile(p)
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	tmplName = "t14_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	if setupErr = ensureTemplate(); setupErr != nil {
		return
	}
	if admin, setupErr = sqlx.Open("postgres", adminURL); setupErr != nil {
		return
	}
	var version int
	if setupErr = admin.Get(&version, `SELECT current_setting('server_version_num')::int`); setupErr == nil && version >= 150000 {
		strategy = " STRATEGY FILE_COPY"
	}
}

// ensureTemplate builds the template once per migration set; an advisory lock keeps
// test binaries of several packages, running at once, from racing.
func ensureTemplate() error {
	ctx := context.Background()
	admin, err := sqlx.Open("postgres", adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	conn, err := admin.Connx(ctx)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(adminURL), err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(14014)`); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(14014)`)
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tmplName); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := tmplName + "_build"
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return err
	}
	db, err := sqlx.Open("postgres", withDB(adminURL, building))
	if err != nil {
		return err
	}
	if err := store.Migrate(ctx, db.DB); err != nil {
		db.Close()
		return err
	}
	db.Close()
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, tmplName))
	return err
}

// LocalURL starts (or reuses) the project's private cluster with scripts/pg.sh, found
// from the working directory upwards, and returns the URL of its postgres database.
func LocalURL(ctx context.Context) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "pg.sh")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("TEST_DATABASE_URL is unset and scripts/pg.sh was not found")
		}
		dir = parent
	}
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "scripts", "pg.sh"), "postgres").Output()
	if err != nil {
		return "", fmt.Errorf("scripts/pg.sh: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func withDB(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
