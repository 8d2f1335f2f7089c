package workflow

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// selectDepartment returns the department with code and its row id, or ErrNotFound.
func selectDepartment(ctx context.Context, q sqlx.QueryerContext, code string) (*Department, int64, error) {
	var row struct {
		ID int64 `db:"id"`
		Department
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT id, code, name, email FROM departments WHERE code = $1`, code)
	if err == sql.ErrNoRows {
		return nil, 0, Errorf(ErrNotFound, "no department %q", code)
	}
	if err != nil {
		return nil, 0, err
	}
	return &row.Department, row.ID, nil
}

// selectOpenWork reads a department's pending and in-progress assignments
// with their cases, soonest due first, through the partial index on live
// assignments; returned says whether the assignment was ever sent back.
// It reads one row more than DepartmentQueueLimit, to tell a cut list.
func selectOpenWork(ctx context.Context, q sqlx.QueryerContext, sc scope, deptID int64, now time.Time) ([]*QueueEntry, error) {
	query := `SELECT ` + assignmentColumns + `,
			c.ref, c.title, c.status AS case_status, c.priority,
			EXISTS (SELECT 1 FROM events e WHERE e.case_id = a.case_id AND e.assignment_id = a.id AND e.kind = 'return') AS returned
		FROM assignments a
		JOIN departments d ON d.id = a.department_id
		JOIN cases c ON c.id = a.case_id
		WHERE a.department_id = $4 AND a.status IN ('pending', 'in_progress')
			AND ` + fmt.Sprintf(visibleSQL, "$1", "$2", "$3") + `
		ORDER BY a.due_at, a.id
		LIMIT $5`
	var rows []struct {
		assignmentRow
		Ref        string `db:"ref"`
		Title      string `db:"title"`
		CaseStatus string `db:"case_status"`
		Priority   string `db:"priority"`
		Returned   bool   `db:"returned"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, append(sc.args(), deptID, DepartmentQueueLimit+1)...); err != nil {
		return nil, err
	}
	entries := make([]*QueueEntry, len(rows))
	for i := range rows {
		r := &rows[i]
		entries[i] = &QueueEntry{CaseID: r.CaseID, Ref: r.Ref, Title: r.Title, CaseStatus: CaseStatus(r.CaseStatus),
			Priority: Priority(r.Priority), Assignment: r.toAssignment(now), Returned: r.Returned}
	}
	return entries, nil
}
