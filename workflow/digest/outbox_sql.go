package digest

import (
	"context"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
)

// selectProducedSets returns the recipient sets whose digests of week exist.
func selectProducedSets(ctx context.Context, q sqlx.QueryerContext, week string) (map[string]bool, error) {
	var sets []string
	if err := sqlx.SelectContext(ctx, q, &sets, `SELECT recipient_set FROM digest_runs WHERE week = $1`, week); err != nil {
		return nil, err
	}
	produced := make(map[string]bool, len(sets))
	for _, s := range sets {
		produced[s] = true
	}
	return produced, nil
}

// insertDigestRun takes the (week, set) key; false means another producer has it.
func insertDigestRun(ctx context.Context, tx *sqlx.Tx, week, set, worker string) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO digest_runs (week, recipient_set, produced_by) VALUES ($1, $2, $3)
		ON CONFLICT (week, recipient_set) DO NOTHING`, week, set, worker)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func setDigestRunMessages(ctx context.Context, tx *sqlx.Tx, week, set string, messages int) error {
	_, err := tx.ExecContext(ctx, `UPDATE digest_runs SET messages = $3 WHERE week = $1 AND recipient_set = $2`, week, set, messages)
	return err
}

// selectOverviewRecipients returns the active coordinators and viewers who
// have not opted out, one row per address.
func selectOverviewRecipients(ctx context.Context, q sqlx.QueryerContext) ([]workflow.Recipient, error) {
	const query = `SELECT DISTINCT ON (lower(u.email)) u.email AS address, u.id AS user_id, u.locale AS language
		FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role IN ('coordinator', 'viewer')
		WHERE u.active AND NOT u.digest_opt_out AND u.email <> ''
		ORDER BY lower(u.email), u.id`
	recipients := []workflow.Recipient{}
	err := sqlx.SelectContext(ctx, q, &recipients, query)
	return recipients, err
}

// insertDigestMail queues one rendered digest; false means the key was taken.
func insertDigestMail(ctx context.Context, tx *sqlx.Tx, kind workflow.MailKind, r workflow.Recipient, m message, dedupeKey string, now time.Time) (bool, error) {
	const q = `INSERT INTO outbox (kind, recipient, recipient_user_id, language, subject, body_text, body_html,
			message_id, dedupe_key, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT (dedupe_key) DO NOTHING`
	res, err := tx.ExecContext(ctx, q, kind, r.Address, r.UserID, r.Language, m.Subject, m.Text, m.HTML,
		workflow.MessageIDLocal(dedupeKey), dedupeKey, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// outboxMail is a claimed row, ready to send.
type outboxMail struct {
	ID              int64  `db:"id"`
	Recipient       string `db:"recipient"`
	RecipientUserID *int64 `db:"recipient_user_id"`
	Subject         string `db:"subject"`
	Text            string `db:"body_text"`
	HTML            string `db:"body_html"`
	MessageID       string `db:"message_id"`
	Attempts        int    `db:"attempts"`
}

// claimDue claims up to limit rendered rows that are due at now, or whose
// claim is older than staleBefore (a worker that died), for worker.
func claimDue(ctx context.Context, q sqlx.QueryerContext, worker string, now, staleBefore time.Time, limit int) ([]outboxMail, error) {
	const query = `UPDATE outbox o SET status = 'sending', claimed_at = $1, claimed_by = $2, attempts = o.attempts + 1
		WHERE o.id IN (
			SELECT id FROM outbox
			WHERE (status = 'queued' AND next_attempt_at <= $1 AND subject <> '')
			   OR (status = 'sending' AND claimed_at < $3)
			ORDER BY next_attempt_at, id
			LIMIT $4
			FOR UPDATE SKIP LOCKED)
		RETURNING o.id, o.recipient, o.recipient_user_id, o.subject, o.body_text, o.body_html, o.message_id, o.attempts`
	var rows []outboxMail
	err := sqlx.SelectContext(ctx, q, &rows, query, now, worker, staleBefore, limit)
	return rows, err
}

// markSent records a delivery; it holds whoever claimed the row since, for the message is out.
func markSent(ctx context.Context, e sqlx.ExecerContext, id int64, now time.Time) error {
	_, err := e.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = $2, claimed_at = NULL, claimed_by = NULL,
		last_error = '' WHERE id = $1`, id, now)
	return err
}

// markUnsent ends worker's claim on a row that was not delivered: status
// queued (to retry at next) or failed; attemptsBack undoes the claim's count
// when the worker stopped before trying.
func markUnsent(ctx context.Context, e sqlx.ExecerContext, id int64, worker, status string, next time.Time, lastError string, attemptsBack int) error {
	_, err := e.ExecContext(ctx, `UPDATE outbox SET status = $3, next_attempt_at = $4, last_error = $5,
			attempts = attempts - $6, claimed_at = NULL, claimed_by = NULL
		WHERE id = $1 AND claimed_by = $2 AND status = 'sending'`, id, worker, status, next, lastError, attemptsBack)
	return err
}

// unrenderedNotice is a queued notice still to be worded.
type unrenderedNotice struct {
	ID              int64  `db:"id"`
	Language        string `db:"language"`
	RecipientUserID *int64 `db:"recipient_user_id"`
	Data            []byte `db:"data"`
}

// selectUnrendered locks up to limit queued notices that have no text yet.
func selectUnrendered(ctx context.Context, tx *sqlx.Tx, limit int) ([]unrenderedNotice, error) {
	var rows []unrenderedNotice
	err := tx.SelectContext(ctx, &rows, `SELECT id, language, recipient_user_id, data FROM outbox
		WHERE status = 'queued' AND subject = '' ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`, limit)
	return rows, err
}

func saveRendered(ctx context.Context, tx *sqlx.Tx, id int64, m message) error {
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET subject = $2, body_text = $3, body_html = $4 WHERE id = $1`,
		id, m.Subject, m.Text, m.HTML)
	return err
}

func markUnrenderable(ctx context.Context, tx *sqlx.Tx, id int64, lastError string) error {
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', last_error = $2 WHERE id = $1`, id, lastError)
	return err
}

// selectOutbox lists rows for administrators, newest first.
func selectOutbox(ctx context.Context, q sqlx.QueryerContext, f OutboxFilter) ([]OutboxRow, error) {
	const query = `SELECT id, kind, recipient, recipient_user_id, language, subject, message_id, status, attempts,
			next_attempt_at, last_error, created_at, sent_at
		FROM outbox
		WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR id < $2)
		ORDER BY id DESC LIMIT $3`
	rows := []OutboxRow{}
	err := sqlx.SelectContext(ctx, q, &rows, query, f.Status, f.BeforeID, f.Limit)
	return rows, err
}

// requeueFailed queues row id again if it failed; it returns the status the row had.
func requeueFailed(ctx context.Context, q sqlx.QueryerContext, id int64, now time.Time) (string, error) {
	const query = `WITH old AS (SELECT id, status FROM outbox WHERE id = $1 FOR UPDATE),
		requeued AS (
			UPDATE outbox o SET status = 'queued', attempts = 0, next_attempt_at = $2, last_error = ''
			FROM old WHERE o.id = old.id AND old.status = 'failed' RETURNING o.id)
		SELECT status FROM old`
	var status string
	err := sqlx.GetContext(ctx, q, &status, query, id, now)
	return status, err
}
