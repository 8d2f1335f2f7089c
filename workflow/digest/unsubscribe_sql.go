package digest

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// setOptOut stops a user's mail; false means there is no such user.
func setOptOut(ctx context.Context, e sqlx.ExecerContext, userID int64) (bool, error) {
	res, err := e.ExecContext(ctx, `UPDATE users SET digest_opt_out = true, updated_at = now() WHERE id = $1`, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// selectOrCreateSecret returns the secret called name, storing fresh as it if there is none.
func selectOrCreateSecret(ctx context.Context, q sqlx.QueryerContext, name string, fresh []byte) ([]byte, error) {
	const query = `WITH created AS (
			INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING value)
		SELECT value FROM created UNION ALL SELECT value FROM app_secrets WHERE name = $1 LIMIT 1`
	var secret []byte
	err := sqlx.GetContext(ctx, q, &secret, query, name, fresh)
	return secret, err
}
