package workflow

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// assignmentRow is an assignment as stored, with its department's code and name.
type assignmentRow struct {
	ID              int64          `db:"id"`
	CaseID          int64          `db:"case_id"`
	DepartmentID    int64          `db:"department_id"`
	Department      string         `db:"department"`
	DepartmentName  string         `db:"department_name"`
	Role            string         `db:"role"`
	Round           int            `db:"round"`
	Instructions    string         `db:"instructions"`
	Status          string         `db:"status"`
	DueAt           time.Time      `db:"due_at"`
	ExtensionUntil  sql.NullTime   `db:"extension_until"`
	ExtensionReason sql.NullString `db:"extension_reason"`
	ExtensionStatus sql.NullString `db:"extension_status"`
	Resolution      string         `db:"resolution"`
	DispatchedAt    time.Time      `db:"dispatched_at"`
	AcceptedAt      sql.NullTime   `db:"accepted_at"`
	CompletedAt     sql.NullTime   `db:"completed_at"`
	Version         int            `db:"version"`
}

func (r *assignmentRow) toAssignment(now time.Time) *Assignment {
	a := &Assignment{
		ID: r.ID, CaseID: r.CaseID, Department: r.Department, DepartmentName: r.DepartmentName,
		Role: AssignmentRole(r.Role), Round: r.Round, Instructions: r.Instructions,
		Status: AssignmentStatus(r.Status), DueAt: r.DueAt, Resolution: r.Resolution,
		DispatchedAt: r.DispatchedAt, Version: r.Version, departmentID: r.DepartmentID,
		AllowedActions: []Action{},
	}
	a.Overdue = a.Status.open() && now.After(a.DueAt)
	if r.ExtensionStatus.Valid {
		a.Extension = &Extension{Until: r.ExtensionUntil.Time, Reason: r.ExtensionReason.String, Status: r.ExtensionStatus.String}
	}
	if r.AcceptedAt.Valid {
		a.AcceptedAt = &r.AcceptedAt.Time
	}
	if r.CompletedAt.Valid {
		a.CompletedAt = &r.CompletedAt.Time
	}
	return a
}

const assignmentColumns = `a.id, a.case_id, a.department_id, d.code AS department, d.name AS department_name,
	a.role, a.round, a.instructions, a.status, a.due_at, a.extension_until, a.extension_reason,
	a.extension_status, a.resolution, a.dispatched_at, a.accepted_at, a.completed_at, a.version`

// fields returns the destinations of assignmentColumns, in their order.
func (r *assignmentRow) fields() []any {
	return []any{&r.ID, &r.CaseID, &r.DepartmentID, &r.Department, &r.DepartmentName,
		&r.Role, &r.Round, &r.Instructions, &r.Status, &r.DueAt, &r.ExtensionUntil, &r.ExtensionReason,
		&r.ExtensionStatus, &r.Resolution, &r.DispatchedAt, &r.AcceptedAt, &r.CompletedAt, &r.Version}
}

const (
	selectAssignmentsFrom = `SELECT ` + assignmentColumns + ` FROM assignments a JOIN departments d ON d.id = a.department_id`
	assignmentsOfCase     = selectAssignmentsFrom + ` WHERE a.case_id = $1 ORDER BY a.id`
	assignmentsOfCases    = selectAssignmentsFrom + ` WHERE a.case_id = ANY($1) ORDER BY a.id`
)

// selectAssignments reads the assignments of the given cases, oldest first.
// One case's are read with = rather than = ANY: PostgreSQL's generic plan
// for = ANY reckons with an array of several ids and costs more than a plan
// made for one, so, prepared, it was planned again on every execution.
func selectAssignments(ctx context.Context, q sqlx.QueryerContext, caseIDs []int64, now time.Time) ([]*Assignment, error) {
	query, arg := assignmentsOfCases, any(pq.Int64Array(caseIDs))
	if len(caseIDs) == 1 {
		query, arg = assignmentsOfCase, caseIDs[0]
	}
	rows, err := scanRows[assignmentRow](ctx, q, query, arg)
	if err != nil {
		return nil, err
	}
	out := make([]*Assignment, 0, len(rows))
	for _, row := range rows {
		out = append(out, row.toAssignment(now))
	}
	return out, nil
}

func insertAssignment(ctx context.Context, tx prepared, caseID, departmentID int64, in Dispatch, round int, dueAt, now time.Time) (int64, error) {
	const q = `INSERT INTO assignments (case_id, department_id, role, round, instructions, status, due_at, dispatched_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7, $7) RETURNING id`
	var id int64
	err := tx.GetContext(ctx, &id, q, caseID, departmentID, in.Role, round, in.Instructions, dueAt, now)
	return id, err
}

// updateAssignment writes every mutable field of a, moves its version on,
// and reads the row back into a as stored (times at the database's
// precision and zone, the new version), as a read after commit would. A
// request for more time that starts pending records when it was made, for
// the coordinator's queue. A column that an action leaves as it was keeps
// its value, and no index holds updated_at or version, so an update that
// changes no indexed column (progress, most of all) stays HOT: it writes
// no index entry (migration 00011).
func updateAssignment(ctx context.Context, tx prepared, a *Assignment, now time.Time) error {
	var until, reason, status any
	if a.Extension != nil {
		until, reason, status = a.Extension.Until, a.Extension.Reason, a.Extension.Status
	}
	const q = `UPDATE assignments AS a SET status = $2, due_at = $3, extension_until = $4, extension_reason = $5,
		extension_status = $6, resolution = $7, accepted_at = $8, completed_at = $9,
		extension_requested_at = CASE WHEN $6 = 'pending' AND a.extension_status IS DISTINCT FROM 'pending'
			THEN $10 ELSE a.extension_requested_at END,
		updated_at = $10, version = version + 1 WHERE id = $1
		RETURNING a.id, a.case_id, a.department_id, a.role, a.round, a.instructions, a.status, a.due_at,
			a.extension_until, a.extension_reason, a.extension_status, a.resolution, a.dispatched_at,
			a.accepted_at, a.completed_at, a.version`
	row := assignmentRow{Department: a.Department, DepartmentName: a.DepartmentName}
	err := tx.GetContext(ctx, &row, q, a.ID, a.Status, a.DueAt, until, reason, status, a.Resolution,
		a.AcceptedAt, a.CompletedAt, now)
	if err != nil {
		return err
	}
	*a = *row.toAssignment(now)
	return nil
}
