package workflow

import (
	"context"
	"encoding/json"

	"github.com/jmoiron/sqlx"
)

// DepartmentRecipients returns where a department's mail goes: its own
// address (in the default language) and each active member who has not opted
// out, one row per address, a member's row winning over the department's.
func DepartmentRecipients(ctx context.Context, q sqlx.QueryerContext, departmentCode string) ([]Recipient, error) {
	const query = `SELECT DISTINCT ON (lower(address)) address, user_id, language FROM (
			SELECT u.email AS address, u.id AS user_id, u.locale AS language
			FROM users u
			JOIN user_roles r ON r.user_id = u.id AND r.role IN ('dept_head', 'dept_officer')
			JOIN departments d ON d.id = r.department_id
			WHERE d.code = $1 AND u.active AND NOT u.digest_opt_out AND u.email <> ''
			UNION ALL
			SELECT d.email, NULL, $2 FROM departments d WHERE d.code = $1 AND d.email <> ''
		) r ORDER BY lower(address), user_id NULLS LAST`
	recipients := []Recipient{}
	err := sqlx.SelectContext(ctx, q, &recipients, query, departmentCode, Locales[0])
	return recipients, err
}

func departmentName(ctx context.Context, q sqlx.QueryerContext, code string) (string, error) {
	var name string
	err := sqlx.GetContext(ctx, q, &name, `SELECT name FROM departments WHERE code = $1`, code)
	return name, err
}

// insertNotice queues one notice to one recipient; the worker renders it.
func insertNotice(ctx context.Context, tx prepared, n Notice, r Recipient, dedupeKey string) error {
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	const q = `INSERT INTO outbox (kind, recipient, recipient_user_id, language, data, message_id, dedupe_key, next_attempt_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (dedupe_key) DO NOTHING`
	_, err = tx.ExecContext(ctx, q, n.Kind, r.Address, r.UserID, r.Language, string(data), MessageIDLocal(dedupeKey), dedupeKey, n.At)
	return err
}

// DiscardQueuedNotices deletes the notices still waiting in the outbox. It is
// for a backdated seed (casetrack seed demo), whose history never happened
// live: its notices describe weeks-old events and must not reach anyone.
func DiscardQueuedNotices(ctx context.Context, db *sqlx.DB) (int64, error) {
	res, err := db.ExecContext(ctx, `DELETE FROM outbox WHERE kind LIKE 'notice\_%' AND status = 'queued'`)
	if err != nil {
		return 0, dbError(err)
	}
	return res.RowsAffected()
}
