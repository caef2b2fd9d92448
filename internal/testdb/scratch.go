package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/14build/14build/store"
)

// Scratch makes a fresh, empty database named prefix_<random> on admin's server, for a
// command that is not a test (the benchmarks), and returns its URL and the function that
// drops it.
func Scratch(ctx context.Context, admin, prefix string) (string, func() error, error) {
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		return "", nil, errors.New("TEST_DATABASE_URL must be a postgres:// URL")
	}
	db, err := sql.Open("postgres", admin)
	if err != nil {
		return "", nil, err
	}
	name := prefix + "_" + randHex(8)
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database on %s: %w", redact(admin), err)
	}
	drop := func() error {
		defer db.Close()
		// Not ctx: it may be the cancelled one that ended the command.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(dctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	return withDB(admin, name), drop, nil
}

// ScratchStore is what every benchmark command starts with: the admin URL from
// TEST_DATABASE_URL (or DATABASE_URL, or the project's private cluster), a scratch database
// named prefix_<random>, migrated, and a Store on it. done closes the store and drops the
// database.
func ScratchStore(ctx context.Context, getenv func(string) string, prefix string) (st *store.Store, dbURL string, done func() error, err error) {
	admin := getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = getenv("DATABASE_URL")
	}
	if admin == "" {
		if admin, err = LocalURL(ctx); err != nil {
			return nil, "", nil, err
		}
	}
	dbURL, drop, err := Scratch(ctx, admin, prefix)
	if err != nil {
		return nil, "", nil, err
	}
	if st, err = store.Open(ctx, dbURL); err != nil {
		return nil, "", nil, errors.Join(err, drop())
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, "", nil, errors.Join(err, drop())
	}
	done = func() error {
		st.Close()
		return drop()
	}
	return st, dbURL, done, nil
}
