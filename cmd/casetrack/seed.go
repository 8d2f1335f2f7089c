package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"
)

// seedLockKey names the advisory lock that serialises seeders, so that two
// `make run`s starting at once cannot both find the database empty.
const seedLockKey int64 = 0x63617365_73656564 // "caseseed"

// seedDemoCommand loads the demo data into an empty database. It refuses a
// database that holds anything; with --if-empty it leaves one alone and succeeds.
func seedDemoCommand(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("seed demo")
	ifEmpty := fs.Bool("if-empty", false, "do nothing, successfully, when the database already holds data")
	cfg, err := parseFlags(fs, args, e)
	if err != nil {
		return err
	}
	return withBackend(ctx, cfg, func(b *backend) error { return seedDemoOnce(ctx, b, *ifEmpty, e.stdout) })
}

// seedDemoOnce loads the demo data if the database is empty. Otherwise it
// fails, or with ifEmpty says so on out and succeeds.
func seedDemoOnce(ctx context.Context, b *backend, ifEmpty bool, out io.Writer) error {
	unlock, err := lockSeeding(ctx, b.db)
	if err != nil {
		return err
	}
	defer unlock()
	held, err := heldData(ctx, b.db)
	if err != nil {
		return err
	}
	if held != "" {
		if ifEmpty {
			fmt.Fprintf(out, "the database already holds data (%s); demo data not loaded\n", held)
			return nil
		}
		return fmt.Errorf("the database already holds data (%s); seed demo loads only into an empty database", held)
	}
	loaded, err := seedDemo(ctx, b, time.Now())
	if err != nil {
		return fmt.Errorf("loading the demo data: %s", reason(err))
	}
	fmt.Fprintf(out, "loaded the demo data: %s; every password is %s\n", loaded, demoPassword)
	return nil
}

// lockSeeding takes the seed lock for as long as the returned unlock is not
// called. The lock belongs to a transaction on a connection of its own,
// without a statement timeout, because it waits while another seeder runs.
func lockSeeding(ctx context.Context, db *sqlx.DB) (unlock func(), err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		_ = tx.Rollback()
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLockKey); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("waiting for another seeder: %w", err)
	}
	return func() { _ = tx.Rollback() }, nil
}

// heldData describes what the database holds, or returns "" when it is empty.
func heldData(ctx context.Context, db *sqlx.DB) (string, error) {
	var n struct {
		Departments int `db:"departments"`
		Users       int `db:"users"`
		Cases       int `db:"cases"`
	}
	const q = `SELECT (SELECT count(*) FROM departments) AS departments,
		(SELECT count(*) FROM users) AS users, (SELECT count(*) FROM cases) AS cases`
	if err := db.GetContext(ctx, &n, q); err != nil {
		return "", err
	}
	if n.Departments+n.Users+n.Cases == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d departments, %d users, %d cases", n.Departments, n.Users, n.Cases), nil
}
