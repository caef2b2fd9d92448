package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"
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
