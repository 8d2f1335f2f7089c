package workflow

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
)

// recordLoginAttempt stores one attempt as a failure until proven otherwise,
// and deletes the failures that have aged out of every window.
func recordLoginAttempt(ctx context.Context, db *sqlx.DB, login, client string, now, since time.Time) (int64, error) {
	const q = `WITH expired AS (DELETE FROM login_failures WHERE at <= $4)
		INSERT INTO login_failures (login, client, at) VALUES ($1, $2, $3) RETURNING id`
	var id int64
	err := db.GetContext(ctx, &id, q, login, client, now, since)
	return id, err
}

// throttledUntil returns zero when the attempt may proceed. Otherwise it
// returns the time of the failure whose ageing out lets the next attempt
// through: for each key over its limit, the limit-th newest other failure in
// the window, which must leave the window before fewer than limit remain.
func throttledUntil(ctx context.Context, db *sqlx.DB, attempt int64, login, client string, since time.Time, limits LoginLimits) (time.Time, error) {
	const q = `SELECT max(at) FROM (
			(SELECT at FROM login_failures WHERE login = $1 AND at > $3 AND id <> $4 ORDER BY at DESC OFFSET $5 LIMIT 1)
			UNION ALL
			(SELECT at FROM login_failures WHERE client = $2 AND at > $3 AND id <> $4 ORDER BY at DESC OFFSET $6 LIMIT 1)
		) over_limit`
	var at sql.NullTime
	err := db.GetContext(ctx, &at, q, login, client, since, attempt, limits.PerLogin-1, limits.PerClient-1)
	return at.Time, err
}

// forgetLoginAttempt deletes an attempt that turned out not to be a failure.
func forgetLoginAttempt(ctx context.Context, db *sqlx.DB, attempt int64) error {
	_, err := db.ExecContext(ctx, `DELETE FROM login_failures WHERE id = $1`, attempt)
	return err
}

// clearLoginFailures deletes a login's failures after it signed in.
func clearLoginFailures(ctx context.Context, db *sqlx.DB, login string) error {
	_, err := db.ExecContext(ctx, `DELETE FROM login_failures WHERE login = $1`, login)
	return err
}
