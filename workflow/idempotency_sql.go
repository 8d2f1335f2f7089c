package workflow

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
)

// claimIdempotencyKey serialises requests with the same key on a
// transaction-scoped advisory lock, then returns the case the key already
// created, if any. A concurrent twin waits for the first to commit and then
// finds its case, so one key never creates two cases.
func claimIdempotencyKey(ctx context.Context, tx prepared, userID int64, idem *Idempotency) (*Case, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, $2))`, idem.Key, userID); err != nil {
		return nil, err
	}
	var stored struct {
		RequestHash []byte `db:"request_hash"`
		Response    []byte `db:"response"`
	}
	err := tx.GetContext(ctx, &stored, `SELECT request_hash, response FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, idem.Key)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(stored.RequestHash, idem.RequestHash) {
		return nil, &Error{Code: ErrInvalid, Message: "this Idempotency-Key was used with another request body",
			Fields: []FieldError{{Field: "Idempotency-Key", Message: "already used with another request body"}}}
	}
	var c Case
	if err := json.Unmarshal(stored.Response, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// storeIdempotencyKey remembers the response to the first request with a key.
func storeIdempotencyKey(ctx context.Context, tx prepared, userID int64, idem *Idempotency, c *Case) error {
	response, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, case_id, response)
		VALUES ($1, $2, $3, $4, $5)`, userID, idem.Key, idem.RequestHash, c.ID, string(response))
	return err
}
