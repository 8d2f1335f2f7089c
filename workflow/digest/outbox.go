package digest

import (
	"context"
	"database/sql"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
)

// recipientSet is one digest of a week and who receives it: a department's
// address and members, or the coordinators and viewers.
type recipientSet struct {
	// key names the set in digest_runs: "overview" or "department:CODE".
	key        string
	kind       workflow.MailKind
	template   string
	digest     any
	department string
}

// overviewSetKey names the coordinators' and viewers' set in digest_runs.
const overviewSetKey = "overview"

func departmentSetKey(code string) string { return "department:" + code }

// recipientSet returns the set of the department with code, or the overview's for "".
func (f *weekFigures) recipientSet(code string) (recipientSet, error) {
	if code == "" {
		return recipientSet{key: overviewSetKey, kind: workflow.MailDigestOverview, template: "overview", digest: f.overview()}, nil
	}
	dd, err := f.department(code)
	return recipientSet{key: departmentSetKey(code), kind: workflow.MailDigestDepartment, template: "department",
		digest: dd, department: code}, err
}

// about is what the set's digests of week are about, for their dedupe keys.
func (s recipientSet) about(week Week) string {
	if s.department == "" {
		return week.String()
	}
	return week.String() + "/" + s.department
}

// recipients reads who receives the set now.
func (s recipientSet) recipients(ctx context.Context, q sqlx.QueryerContext) ([]workflow.Recipient, error) {
	if s.department == "" {
		return selectOverviewRecipients(ctx, q)
	}
	return workflow.DepartmentRecipients(ctx, q, s.department)
}

// Enqueue produces the digests of week that no instance has produced yet
// and queues them in the outbox; it returns how many messages it queued.
// Each recipient set (a department, the overview) is produced in one
// transaction with its digest_runs row, so whatever number of instances
// call Enqueue for the same week, each recipient gets its digest once. A
// week that is not over yet is refused: its figures would be incomplete.
func (d *Digester) Enqueue(ctx context.Context, week Week) (int, error) {
	if err := d.authorize(ctx, workflow.CapManage); err != nil {
		return 0, err
	}
	if d.now().Before(week.End(d.loc)) {
		return 0, invalid("week", week.String()+" is not over yet")
	}
	departments, err := d.svc.Departments(ctx)
	if err != nil {
		return 0, err
	}
	produced, err := selectProducedSets(ctx, d.db, week.String())
	if err != nil {
		return 0, workflow.DBError(err)
	}
	var pending []string
	for _, dept := range departments {
		if !produced[departmentSetKey(dept.Code)] {
			pending = append(pending, dept.Code)
		}
	}
	if !produced[overviewSetKey] {
		pending = append(pending, "")
	}
	if len(pending) == 0 {
		return 0, nil
	}
	f, err := d.collect(ctx, week)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, code := range pending {
		set, err := f.recipientSet(code)
		if err != nil {
			return queued, err
		}
		n, err := d.produce(ctx, week, set)
		queued += n
		if err != nil {
			return queued, err
		}
	}
	if queued > 0 {
		d.log.Info("digests queued", "week", week.String(), "messages", queued, "worker", d.workerID)
	}
	return queued, nil
}

// produce queues one set's digests of week, unless another producer has.
func (d *Digester) produce(ctx context.Context, week Week, set recipientSet) (int, error) {
	queued := 0
	err := inTx(ctx, d.db, func(tx *sqlx.Tx) error {
		// The key blocks a concurrent producer of the same set until this transaction ends.
		claimed, err := insertDigestRun(ctx, tx, week.String(), set.key, d.workerID)
		if err != nil || !claimed {
			return err
		}
		recipients, err := set.recipients(ctx, tx)
		if err != nil {
			return err
		}
		for _, r := range recipients {
			v := view{Digest: set.digest, Lang: r.Language}
			if r.UserID != nil {
				v.UnsubscribeURL = d.UnsubscribeURL(*r.UserID)
			}
			m, err := d.render.render(set.template, v)
			if err != nil {
				return err
			}
			key := workflow.DedupeKey(set.kind, set.about(week), r.Address)
			inserted, err := insertDigestMail(ctx, tx, set.kind, r, m, key, d.now())
			if err != nil {
				return err
			}
			if inserted {
				queued++
			}
		}
		return setDigestRunMessages(ctx, tx, week.String(), set.key, queued)
	})
	if err != nil {
		return 0, err
	}
	return queued, nil
}

// inTx runs fn in one transaction and commits when fn succeeds.
func inTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return workflow.DBError(err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return workflow.DBError(err)
	}
	return workflow.DBError(tx.Commit())
}

// OutboxRow is one email in the outbox, as administrators see it.
type OutboxRow struct {
	ID              int64             `json:"id" db:"id"`
	Kind            workflow.MailKind `json:"kind" db:"kind"`
	Recipient       string            `json:"recipient" db:"recipient"`
	RecipientUserID *int64            `json:"recipient_user_id" db:"recipient_user_id"`
	Language        string            `json:"language" db:"language"`
	Subject         string            `json:"subject" db:"subject"`
	MessageID       string            `json:"message_id" db:"message_id"`
	Status          string            `json:"status" db:"status"`
	Attempts        int               `json:"attempts" db:"attempts"`
	NextAttemptAt   time.Time         `json:"next_attempt_at" db:"next_attempt_at"`
	LastError       string            `json:"last_error" db:"last_error"`
	CreatedAt       time.Time         `json:"created_at" db:"created_at"`
	SentAt          *time.Time        `json:"sent_at" db:"sent_at"`
}

// Outbox statuses.
const (
	StatusQueued  = "queued"
	StatusSending = "sending"
	StatusSent    = "sent"
	StatusFailed  = "failed"
)

// OutboxFilter selects outbox rows; the zero value lists the newest of every status.
type OutboxFilter struct {
	// Status is one of the outbox statuses, or "" for all.
	Status string
	// Limit is 1..workflow.MaxLimit; 0 means workflow.DefaultLimit.
	Limit int
	// BeforeID pages on: only rows older than this id.
	BeforeID int64
}

// ListOutbox returns outbox rows, newest first (administrators only).
func (d *Digester) ListOutbox(ctx context.Context, f OutboxFilter) ([]OutboxRow, error) {
	if err := d.authorize(ctx, workflow.CapManage); err != nil {
		return nil, err
	}
	switch f.Status {
	case "", StatusQueued, StatusSending, StatusSent, StatusFailed:
	default:
		return nil, invalid("status", "must be queued, sending, sent or failed")
	}
	if f.Limit == 0 {
		f.Limit = workflow.DefaultLimit
	}
	if f.Limit < 1 || f.Limit > workflow.MaxLimit {
		return nil, invalid("limit", "must be between 1 and 200")
	}
	rows, err := selectOutbox(ctx, d.db, f)
	return rows, workflow.DBError(err)
}

// Resend queues a failed row again, with a fresh count of attempts (administrators only).
func (d *Digester) Resend(ctx context.Context, id int64) error {
	if err := d.authorize(ctx, workflow.CapManage); err != nil {
		return err
	}
	status, err := requeueFailed(ctx, d.db, id, d.now())
	switch {
	case err == sql.ErrNoRows:
		return workflow.Errorf(workflow.ErrNotFound, "outbox row %d not found", id)
	case err != nil:
		return workflow.DBError(err)
	case status != StatusFailed:
		return workflow.Errorf(workflow.ErrConflict, "outbox row %d is %s; only a failed row can be resent", id, status)
	}
	return nil
}
