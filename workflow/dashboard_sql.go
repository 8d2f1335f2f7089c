package workflow

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// figuresSQL computes every figure of a scope in one statement, so that they
// all come from one snapshot of the data, reading each table once: the
// scope's cases for the status counts (kind 'status'), their assignments for
// each department's open work, responses and completions (kind 'work'), and
// their ratings (kind 'rating'). {cases}, {assignments} and {rated-in-scope}
// stand for the scope: every row, or those of the cases in the CTE scope
// (figureScope.sql), reached by case (assignments_case, events_rate_case)
// rather than read in full. $1 is now, $2 the start of the period, $3 the
// end of "due soon", $4 ResponseWithin in seconds.
const figuresSQL = `
SELECT 'status' AS kind, 0::bigint AS department_id, c.status::text AS status,
		count(*) AS v1, 0::bigint AS v2, 0::bigint AS v3, 0::bigint AS v4, 0::bigint AS v5, 0::bigint AS v6, 0::bigint AS v7
	FROM {cases}
	GROUP BY c.status
UNION ALL
SELECT 'work', a.department_id, '',
		count(*) FILTER (WHERE a.status IN ('pending', 'in_progress')),
		count(*) FILTER (WHERE a.status IN ('pending', 'in_progress') AND a.due_at < $1),
		count(*) FILTER (WHERE a.status IN ('pending', 'in_progress') AND a.due_at >= $1 AND a.due_at < $3),
		-- Each assignment is made by its dispatch, at dispatched_at.
		count(*) FILTER (WHERE a.dispatched_at >= $2),
		count(*) FILTER (WHERE a.dispatched_at >= $2 AND a.accepted_at - a.dispatched_at <= $4 * interval '1 second'),
		-- Work returned for rework is no longer completed: it counts once it
		-- is completed (or confirmed) again, at its new completed_at.
		count(*) FILTER (WHERE a.status IN ('completed', 'confirmed') AND a.completed_at >= $2),
		count(*) FILTER (WHERE a.status IN ('completed', 'confirmed') AND a.completed_at >= $2 AND a.completed_at <= a.due_at)
	FROM {assignments}
	GROUP BY a.department_id
UNION ALL
-- A rating counts for every department whose work on the case was confirmed
-- before it, once per department.
SELECT 'rating', rated.department_id, '', count(*), sum(rated.score), 0, 0, 0, 0, 0
	FROM (SELECT DISTINCT e.id, a.department_id, (e.data->>'score')::int AS score
		FROM {rated}
		JOIN assignments a ON a.case_id = e.case_id AND a.status = 'confirmed' AND a.dispatched_at < e.at
		WHERE e.kind = 'rate' AND e.at >= $2) rated
	GROUP BY rated.department_id`

// figureRow is one row of figuresSQL.
type figureRow struct {
	Kind         string `db:"kind"`
	DepartmentID int64  `db:"department_id"`
	Status       string `db:"status"`
	V1           int    `db:"v1"`
	V2           int    `db:"v2"`
	V3           int    `db:"v3"`
	V4           int    `db:"v4"`
	V5           int    `db:"v5"`
	V6           int    `db:"v6"`
	V7           int    `db:"v7"`
}

// figuresQuery writes figuresSQL for a scope: the whole tables for every
// case, or the cases of the CTE scope, from which the rows are reached by
// their case (assignments_case, events_case) rather than read in full.
func figuresQuery(scopeCTE string) string {
	from := map[string]string{
		"{cases}":       "cases c",
		"{assignments}": "assignments a",
		"{rated}":       "events e",
	}
	if scopeCTE != "" {
		from = map[string]string{
			"{cases}":       "scope s JOIN cases c ON c.id = s.id",
			"{assignments}": "scope s JOIN assignments a ON a.case_id = s.id",
			"{rated}":       "scope s JOIN events e ON e.case_id = s.id",
		}
	}
	q := figuresSQL
	for k, v := range from {
		q = strings.ReplaceAll(q, k, v)
	}
	if scopeCTE != "" {
		q = "WITH scope AS MATERIALIZED (" + scopeCTE + ")" + q
	}
	return q
}

// computeFigures computes the figures of a scope at now.
func computeFigures(ctx context.Context, q sqlx.QueryerContext, fs figureScope, now time.Time) (*DashboardFigures, error) {
	start := time.Now()
	since := now.Add(-DashboardPeriod)
	cte, scopeArg := fs.sql()
	args := []any{now, since, now.Add(DueSoonWithin), int64(ResponseWithin / time.Second)}
	if cte != "" {
		args = append(args, scopeArg)
	}
	var rows []figureRow
	if err := sqlx.SelectContext(ctx, q, &rows, figuresQuery(cte), args...); err != nil {
		return nil, err
	}
	var depts []struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
		Name string `db:"name"`
	}
	if err := sqlx.SelectContext(ctx, q, &depts, `SELECT id, code, name FROM departments ORDER BY code`); err != nil {
		return nil, err
	}
	f := &DashboardFigures{TakenAt: now, Since: since, StatusCounts: make([]StatusCount, len(CaseStatuses))}
	for i, st := range CaseStatuses {
		f.StatusCounts[i].Status = st
	}
	index := map[int64]int{}
	for i, d := range depts {
		f.Departments = append(f.Departments, DepartmentFigures{Code: d.Code, Name: d.Name})
		index[d.ID] = i
	}
	for _, r := range rows {
		if r.Kind == "status" {
			for i := range f.StatusCounts {
				if string(f.StatusCounts[i].Status) == r.Status {
					f.StatusCounts[i].Count = r.V1
				}
			}
			continue
		}
		i, ok := index[r.DepartmentID]
		if !ok {
			continue // a department created after the statement's snapshot
		}
		d := &f.Departments[i]
		switch r.Kind {
		case "work":
			d.Open, d.Overdue, d.DueSoon = r.V1, r.V2, r.V3
			d.Dispatched, d.Responded = r.V4, r.V5
			d.Completed, d.OnTime = r.V6, r.V7
		case "rating":
			d.Ratings, d.RatingSum = r.V1, r.V2
		}
	}
	f.Took = time.Since(start)
	return f, nil
}

// The coordinator's queues, shown only to those who see every case. Each
// reads its items oldest first from an index holding only what waits, and
// stops after one item more than it shows ($1), which tells whether more wait.

// awaitingTriageSQL: submitted cases, oldest first (cases_status_created).
const awaitingTriageSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		0 AS assignment_id, '' AS department, '' AS department_name,
		NULL::timestamptz AS due_at, NULL::timestamptz AS extension_until, c.created_at AS at
	FROM cases c
	WHERE c.status = 'submitted'
	ORDER BY c.created_at, c.id LIMIT $1`

// leadDeclinedSQL: open cases whose lead of this round declined and that
// have no live lead since, longest waiting first (cases_lead_wanted), each
// with its newest declined lead.
const leadDeclinedSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		NULL::timestamptz AS due_at, NULL::timestamptz AS extension_until, c.lead_wanted_since AS at
	FROM cases c
	JOIN LATERAL (SELECT l.id, l.department_id FROM assignments l
		WHERE l.case_id = c.id AND l.round = c.round AND l.role = 'lead' AND l.status = 'declined'
		ORDER BY l.updated_at DESC, l.id DESC LIMIT 1) a ON true
	JOIN departments d ON d.id = a.department_id
	WHERE c.lead_wanted_since IS NOT NULL
	ORDER BY c.lead_wanted_since, c.id LIMIT $1`

// awaitingConfirmationSQL: completed assignments, longest waiting first
// (assignments_awaiting_confirmation).
const awaitingConfirmationSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		a.due_at, NULL::timestamptz AS extension_until, a.completed_at AS at
	FROM assignments a
	JOIN cases c ON c.id = a.case_id
	JOIN departments d ON d.id = a.department_id
	WHERE a.status = 'completed'
	ORDER BY a.completed_at, a.id LIMIT $1`

// extensionRequestsSQL: pending requests for more time on live work, asked
// for longest ago first (assignments_extension_requested).
const extensionRequestsSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		a.due_at, a.extension_until, a.extension_requested_at AS at
	FROM assignments a
	JOIN cases c ON c.id = a.case_id
	JOIN departments d ON d.id = a.department_id
	WHERE a.status IN ('pending', 'in_progress') AND a.extension_status = 'pending'
	ORDER BY a.extension_requested_at, a.id LIMIT $1`

// overdueSQL: live assignments past their due date at $2, longest overdue
// first (assignments_live_due).
const overdueSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		a.due_at, a.extension_until, a.due_at AS at
	FROM assignments a
	JOIN cases c ON c.id = a.case_id
	JOIN departments d ON d.id = a.department_id
	WHERE a.status IN ('pending', 'in_progress') AND a.due_at < $2
	ORDER BY a.due_at, a.id LIMIT $1`

// selectQueue runs one of the queue queries with the arguments after the limit.
func selectQueue(ctx context.Context, q sqlx.QueryerContext, query string, more ...any) (Queue, error) {
	items := []QueueItem{}
	args := append([]any{QueueLimit + 1}, more...)
	if err := sqlx.SelectContext(ctx, q, &items, query, args...); err != nil {
		return Queue{}, err
	}
	if len(items) > QueueLimit {
		return Queue{Items: items[:QueueLimit], More: true}, nil
	}
	return Queue{Items: items}, nil
}
