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
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/14build/14build/migrations"
	"github.com/14build/14build/store"
)

var (
	once     sync.Once
	adminURL string
	tmplName string
	// poolPrefix names the pooled test databases of this migration set.
	poolPrefix string
	setupErr   error
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
//
// The database is one of a pool that outlives the test run: t14_p<migrations>_<n>, claimed
// for the test by a session advisory lock on an admin connection (so test binaries of
// several packages, and runs after them, share the pool) and emptied on claim by
// t14test.reset(), which the template carries. Emptying ~20 tables costs a few
// milliseconds; a new FILE_COPY clone cost a checkpoint and ~9 MB of copying (60 s of the
// server's time over the handlers tests), and a new database's first connections rebuilt
// their catalog caches.
func NewWithURL(t testing.TB) (string, *sqlx.DB) {
	t.Helper()
	URL(t)
	ctx := context.Background()
	name, release, err := claim(ctx)
	if err != nil {
		t.Fatalf("test database: %v", err)
	}
	t.Cleanup(release)
	u := withDB(adminURL, name)
	db, err := open(ctx, u)
	if err != nil {
		// Not what the template made (a test migrated it down and not back up, or
		// changed the database): clone it anew.
		forget(u)
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Fatalf("drop test database: %v", err)
		}
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s%s`, name, tmplName, strategy)); err != nil {
			t.Fatalf("create test database: %v", err)
		}
		if db, err = open(ctx, u); err != nil {
			t.Fatalf("test database: %v", err)
		}
	}
	t.Cleanup(func() {
		// Everything the test started has ended by now (this cleanup was registered
		// first, so it runs last): a connection still in use is a leaked Rows or
		// transaction, which under the pool's limit would in time block every request.
		n := db.Stats().InUse
		for deadline := time.Now().Add(3 * time.Second); n > 0 && time.Now().Before(deadline); n = db.Stats().InUse {
			time.Sleep(10 * time.Millisecond)
		}
		if n > 0 {
			t.Errorf("%d database connections still in use when the test ended (a Rows not closed, or a transaction not ended)", n)
		}
		db.Close()
	})
	return u, db
}

// open connects to a pooled database and empties it.
func open(ctx context.Context, u string) (*sqlx.DB, error) {
	db, err := openDB(u)
	if err != nil {
		return nil, err
	}
	// The application's pool limits: 25 connections at most (a test's burst of requests
	// queues for them as the app's would), all kept while the test runs.
	store.ConfigurePool(db)
	if _, err := db.ExecContext(ctx, `SELECT t14test.reset()`); err != nil {
		db.Close()
		return nil, fmt.Errorf("reset: %w", err)
	}
	return db, nil
}

// claim locks the first free pooled database, cloning it from the template when it does
// not exist yet. release unlocks it.
func claim(ctx context.Context) (name string, release func(), err error) {
	for n := 0; ; n++ {
		name = fmt.Sprintf("%s_%d", poolPrefix, n)
		conn, err := admin.Connx(ctx)
		if err != nil {
			return "", nil, err
		}
		var ok bool
		if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock(hashtext($1))`, name); err != nil {
			conn.Close()
			return "", nil, err
		}
		if !ok {
			conn.Close()
			continue
		}
		release = func() {
			_, _ = conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtext($1))`, name)
			conn.Close()
		}
		var exists bool
		err = conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name)
		if err == nil && !exists {
			err = clone(ctx, conn, name)
		}
		if err != nil {
			release()
			return "", nil, fmt.Errorf("create test database: %w", err)
		}
		return name, release, nil
	}
}

// clone creates name from the template. Another checkout's run on the same server, with
// other migrations, may have dropped the template as stale: then it is built again.
func clone(ctx context.Context, conn *sqlx.Conn, name string) error {
	create := fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s%s`, name, tmplName, strategy)
	_, err := conn.ExecContext(ctx, create)
	if pqErr, ok := errors.AsType[*pq.Error](err); ok && pqErr.Code == "3D000" { // invalid_catalog_name
		if err = ensureTemplate(); err == nil {
			_, err = conn.ExecContext(ctx, create)
		}
	}
	return err
}

// dropStale drops pooled databases and templates of other migration sets, and the
// one-test databases of earlier versions of this package, that no run is using (their lock
// is free), so the cluster does not fill with old copies.
func dropStale(ctx context.Context) error {
	var names []string
	if err := admin.SelectContext(ctx, &names, `SELECT datname FROM pg_database
		WHERE (datname LIKE 't14\_p%' OR datname LIKE 't14\_tmpl\_%' OR datname ~ '^t14_[0-9a-f]{16}$')
			AND datname NOT LIKE $1 AND datname <> $2 AND datname NOT LIKE '%\_build'`,
		poolPrefix+`\_%`, tmplName); err != nil {
		return err
	}
	for _, name := range names {
		conn, err := admin.Connx(ctx)
		if err != nil {
			return err
		}
		var ok bool
		if err := conn.GetContext(ctx, &ok, `SELECT pg_try_advisory_lock(hashtext($1))`, name); err == nil && ok {
			_, _ = conn.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name))
			_, _ = conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext($1))`, name)
		}
		conn.Close()
	}
	return nil
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
	h.Write([]byte(resetSQL))
	sum := hex.EncodeToString(h.Sum(nil))
	tmplName = "t14_tmpl_" + sum[:16]
	poolPrefix = "t14_p" + sum[:12]
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
	if setupErr == nil {
		setupErr = dropStale(context.Background())
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
	err = store.Migrate(ctx, db.DB)
	if err == nil {
		_, err = db.ExecContext(ctx, resetSQL)
	}
	db.Close()
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, tmplName))
	return err
}

// resetSQL gives the template t14test.reset(), which empties a database cloned from it
// back to what the migrations left: every table emptied (but the migration records), the
// rows the migrations inserted (trade categories) put back, every sequence where it was.
// It refuses a database whose schema is not the template's (then cloned anew).
const resetSQL = `
CREATE SCHEMA t14test;
CREATE TABLE t14test.seed (tbl text PRIMARY KEY, rows json NOT NULL);
CREATE TABLE t14test.seqs (seq text PRIMARY KEY, val bigint NOT NULL, called boolean NOT NULL);
-- The schema's objects by name (tables and their columns, indexes, sequences, constraints,
-- functions, triggers, schemas): a test that adds a trigger or a table, or migrates down and
-- not back up, leaves a database that no emptying makes the template's again.
CREATE FUNCTION t14test.fingerprint() RETURNS text LANGUAGE sql STABLE AS $$
	SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
		SELECT 'n:' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
		UNION ALL SELECT 'c:' || c.relname || ':' || c.relkind::text FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
		UNION ALL SELECT 'a:' || c.relname || '.' || a.attname || ':' || a.atttypid::regtype::text FROM pg_attribute a
			JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL SELECT 'k:' || conname FROM pg_constraint k
			JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = 'public'
		UNION ALL SELECT 'f:' || p.proname FROM pg_proc p
			JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
		UNION ALL SELECT 't:' || tgname FROM pg_trigger WHERE NOT tgisinternal
	) s(x)
$$;
CREATE TABLE t14test.version AS SELECT t14test.fingerprint() AS fingerprint;
DO $$
DECLARE r record; n bigint;
BEGIN
	FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		AND tablename NOT IN ('goose_db_version', 'river_migration') LOOP
		EXECUTE format('SELECT count(*) FROM public.%I', r.tablename) INTO n;
		IF n > 0 THEN
			EXECUTE format('INSERT INTO t14test.seed SELECT %L, json_agg(t) FROM public.%I t', r.tablename, r.tablename);
		END IF;
	END LOOP;
END $$;
INSERT INTO t14test.seqs
	SELECT format('public.%I', sequencename), COALESCE(last_value, start_value), last_value IS NOT NULL
	FROM pg_sequences WHERE schemaname = 'public'
		-- Not the migration records' own: a test that migrates down and up moved it on.
		AND sequencename NOT LIKE 'goose\_db\_version%' AND sequencename NOT LIKE 'river\_migration%';
CREATE FUNCTION t14test.reset() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record; tables text; written boolean;
BEGIN
	IF t14test.fingerprint() IS DISTINCT FROM (SELECT fingerprint FROM t14test.version) THEN
		RAISE EXCEPTION 'the schema differs from the template''s';
	END IF;
	-- A connection a test left open in a transaction would hold locks the TRUNCATE waits
	-- for: give up, and the database is cloned anew.
	SET LOCAL lock_timeout = '5s';
	-- Only the tables a test changed: truncating each costs new files, and truncating the
	-- seeded categories would cascade to every table that refers to them.
	FOR r IN SELECT t.tablename, s.rows FROM pg_tables t LEFT JOIN t14test.seed s ON s.tbl = t.tablename
		WHERE t.schemaname = 'public' AND t.tablename NOT IN ('goose_db_version', 'river_migration') LOOP
		IF r.rows IS NULL THEN
			EXECUTE format('SELECT EXISTS (SELECT 1 FROM public.%I)', r.tablename) INTO written;
		ELSE
			EXECUTE format('SELECT (SELECT count(*) FROM public.%I) <> json_array_length($1) OR EXISTS (
				SELECT * FROM public.%I EXCEPT SELECT * FROM json_populate_recordset(NULL::public.%I, $1))',
				r.tablename, r.tablename, r.tablename) INTO written USING r.rows;
		END IF;
		IF written THEN
			tables := concat_ws(', ', tables, format('public.%I', r.tablename));
		END IF;
	END LOOP;
	IF tables IS NOT NULL THEN
		EXECUTE 'TRUNCATE ' || tables || ' CASCADE';
	END IF;
	FOR r IN SELECT tbl, rows FROM t14test.seed LOOP
		EXECUTE format('INSERT INTO public.%I SELECT * FROM json_populate_recordset(NULL::public.%I, $1)
			WHERE NOT EXISTS (SELECT 1 FROM public.%I)', r.tbl, r.tbl, r.tbl) USING r.rows;
	END LOOP;
	PERFORM setval(seq, val, called) FROM t14test.seqs;
END $$;
`

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
