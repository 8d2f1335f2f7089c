package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"casetrack/migrations"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// newMigrator returns goose's provider for the embedded migrations. A
// PostgreSQL session lock lets several instances run migrate at once: one
// applies, the others wait and then find nothing to do.
func newMigrator(db *sqlx.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS, goose.WithSessionLocker(locker))
}

// withMigrator runs fn with goose's provider on the database of cfg. The
// database is opened without a statement timeout, which would cut off a long
// migration (an index on a large table) half way.
func withMigrator(ctx context.Context, cfg *Config, fn func(*goose.Provider) error) error {
	dsn, err := connString(cfg.DatabaseURL, 0)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	migrator, err := newMigrator(db)
	if err != nil {
		return err
	}
	return fn(migrator)
}

// migrateCommand applies every pending migration.
func migrateCommand(ctx context.Context, e env, args []string) error {
	cfg, err := parseFlags(newFlagSet("migrate"), args, e)
	if err != nil {
		return err
	}
	return withMigrator(ctx, cfg, func(migrator *goose.Provider) error { return migrate(ctx, migrator, e.stdout) })
}

// migrate applies the pending migrations and reports each on out.
func migrate(ctx context.Context, migrator *goose.Provider, out io.Writer) error {
	results, err := migrator.Up(ctx)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		results = partial.Applied
	}
	for _, r := range results {
		fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Millisecond))
	}
	if partial != nil {
		return fmt.Errorf("migration %s failed: %w", partial.Failed.Source.Path, partial.Err)
	}
	if err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	version, err := migrator.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "the database is at version %d\n", version)
	return nil
}

// migrateStatusCommand lists every migration and whether it is applied.
func migrateStatusCommand(ctx context.Context, e env, args []string) error {
	cfg, err := parseFlags(newFlagSet("migrate status"), args, e)
	if err != nil {
		return err
	}
	return withMigrator(ctx, cfg, func(migrator *goose.Provider) error {
		statuses, err := migrator.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range statuses {
			applied := "-"
			if s.State == goose.StateApplied {
				applied = s.AppliedAt.In(cfg.Location).Format(time.DateTime)
			}
			fmt.Fprintf(e.stdout, "%-8s %-19s %s\n", s.State, applied, s.Source.Path)
		}
		return nil
	})
}

// checkMigrated refuses a database that lacks some of this binary's
// migrations: serving or seeding it would fail in confusing ways later.
func checkMigrated(ctx context.Context, db *sqlx.DB) error {
	migrator, err := newMigrator(db)
	if err != nil {
		return err
	}
	pending, err := migrator.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("checking migrations: %w", err)
	}
	if pending {
		return errors.New("the database lacks migrations: run `casetrack migrate` first")
	}
	return nil
}
