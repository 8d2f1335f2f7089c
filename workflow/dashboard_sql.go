package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Every query here starts with the actor's scope as $1..$3 (see visibleSQL),
// so that a count never includes a case the actor may not see.
var visibleFrom1 = fmt.Sprintf(visibleSQL, "$1", "$2", "$3")

// selectStatusCounts counts the visible cases in each state, in the order of a case's life.
func selectStatusCounts(ctx context.Context, q sqlx.QueryerContext, sc scope) ([]StatusCount, error) {
	query := `SELECT c.status, count(*) AS count FROM cases c WHERE ` + visibleFrom1 + ` GROUP BY c.status`
	var rows []struct {
		Status CaseStatus `db:"status"`
		Count  int        `db:"count"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, sc.args()...); err != nil {
		return nil, err
	}
	counts := make([]StatusCount, len(CaseStatuses))
	for i, st := range CaseStatuses {
		counts[i].Status = st
		for _, r := range rows {
			if r.Status == st {
				counts[i].Count = r.Count
			}
		}
	}
	return counts, nil
}

// selectDepartmentFigures computes every department's figures: the open
// work now, and the rates of the period [since, now]. The period's rows are
// found through the events of that period (events_at), the open work
// through the partial index on live assignments (assignments_live_due).
func selectDepartmentFigures(ctx context.Context, q sqlx.QueryerContext, sc scope, since, now time.Time) ([]DepartmentFigures, error) {
	openQuery := `SELECT d.code, d.name,
			count(a.id) AS open,
			count(a.id) FILTER (WHERE a.due_at < $4) AS overdue,
			count(a.id) FILTER (WHERE a.due_at >= $4 AND a.due_at < $5) AS due_soon
		FROM departments d
		LEFT JOIN (assignments a JOIN cases c ON c.id = a.case_id AND ` + visibleFrom1 + `)
			ON a.department_id = d.id AND a.status IN ('pending', 'in_progress')
		GROUP BY d.id, d.code, d.name
		ORDER BY d.code`
	var figures []DepartmentFigures
	var open []struct {
		Code    string `db:"code"`
		Name    string `db:"name"`
		Open    int    `db:"open"`
		Overdue int    `db:"overdue"`
		DueSoon int    `db:"due_soon"`
	}
	args := append(sc.args(), now, now.Add(DueSoonWithin))
	if err := sqlx.SelectContext(ctx, q, &open, openQuery, args...); err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, o := range open {
		figures = append(figures, DepartmentFigures{Code: o.Code, Name: o.Name, Open: o.Open, Overdue: o.Overdue, DueSoon: o.DueSoon})
		index[o.Code] = i
	}

	responseQuery := `SELECT d.code,
			count(*) AS n,
			count(*) FILTER (WHERE a.accepted_at - a.dispatched_at <= $5 * interval '1 second') AS m
		FROM events e
		JOIN assignments a ON a.id = e.assignment_id
		JOIN cases c ON c.id = a.case_id
		JOIN departments d ON d.id = a.department_id
		WHERE e.kind = 'dispatch' AND e.at >= $4 AND ` + visibleFrom1 + `
		GROUP BY d.code`
	err := selectPairs(ctx, q, responseQuery, append(sc.args(), since, int64(ResponseWithin/time.Second)), func(code string, n, m int) {
		if i, ok := index[code]; ok {
			figures[i].Dispatched, figures[i].Responded = n, m
		}
	})
	if err != nil {
		return nil, err
	}

	// A completion that was returned for rework no longer counts: the
	// assignment must still be completed (or confirmed) since the period began.
	completedQuery := `SELECT d.code,
			count(*) AS n,
			count(*) FILTER (WHERE a.completed_at <= a.due_at) AS m
		FROM (SELECT DISTINCT e.assignment_id FROM events e WHERE e.kind = 'complete' AND e.at >= $4) done
		JOIN assignments a ON a.id = done.assignment_id
		JOIN cases c ON c.id = a.case_id
		JOIN departments d ON d.id = a.department_id
		WHERE a.status IN ('completed', 'confirmed') AND a.completed_at >= $4 AND ` + visibleFrom1 + `
		GROUP BY d.code`
	err = selectPairs(ctx, q, completedQuery, append(sc.args(), since), func(code string, n, m int) {
		if i, ok := index[code]; ok {
			figures[i].Completed, figures[i].OnTime = n, m
		}
	})
	if err != nil {
		return nil, err
	}

	// A rating counts for every department whose work on the case was
	// confirmed before it, once per department.
	ratingQuery := `SELECT rated.code, count(*) AS n, sum(rated.score) AS m
		FROM (SELECT DISTINCT e.id, d.code, (e.data->>'score')::int AS score
			FROM events e
			JOIN cases c ON c.id = e.case_id
			JOIN assignments a ON a.case_id = e.case_id AND a.status = 'confirmed' AND a.dispatched_at < e.at
			JOIN departments d ON d.id = a.department_id
			WHERE e.kind = 'rate' AND e.at >= $4 AND ` + visibleFrom1 + `) rated
		GROUP BY rated.code`
	err = selectPairs(ctx, q, ratingQuery, append(sc.args(), since), func(code string, n, m int) {
		if i, ok := index[code]; ok {
			figures[i].Ratings, figures[i].RatingSum = n, m
		}
	})
	return figures, err
}

// selectPairs runs a query answering (code, n, m) rows and hands each to fn.
func selectPairs(ctx context.Context, q sqlx.QueryerContext, query string, args []any, fn func(code string, n, m int)) error {
	var rows []struct {
		Code string `db:"code"`
		N    int    `db:"n"`
		M    int    `db:"m"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return err
	}
	for _, r := range rows {
		fn(r.Code, r.N, r.M)
	}
	return nil
}

// The coordinator's queues. Each takes the scope ($1..$3) and the number of
// items to return ($4), the overdue queue also the time now ($5); each counts
// the whole queue with a window function.

// awaitingTriageSQL: submitted cases, oldest first (cases_status_created).
var awaitingTriageSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		0 AS assignment_id, '' AS department, '' AS department_name,
		NULL::timestamptz AS due_at, NULL::timestamptz AS extension_until,
		c.created_at AS at, count(*) OVER () AS total
	FROM cases c
	WHERE c.status = 'submitted' AND ` + visibleFrom1 + `
	ORDER BY c.created_at, c.id LIMIT $4`

// leadDeclinedSQL: open cases whose lead of this round declined and that
// have no active lead since; the decline is the newest one.
var leadDeclinedSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		NULL::timestamptz AS due_at, NULL::timestamptz AS extension_until,
		a.updated_at AS at, count(*) OVER () AS total
	FROM cases c
	JOIN LATERAL (SELECT * FROM assignments l WHERE l.case_id = c.id AND l.round = c.round
		AND l.role = 'lead' AND l.status = 'declined' ORDER BY l.updated_at DESC LIMIT 1) a ON true
	JOIN departments d ON d.id = a.department_id
	WHERE c.status IN ('triaged', 'dispatched', 'in_progress') AND ` + visibleFrom1 + `
		AND NOT EXISTS (SELECT 1 FROM assignments l WHERE l.case_id = c.id AND l.round = c.round
			AND l.role = 'lead' AND l.status IN ('pending', 'in_progress', 'completed', 'confirmed'))
	ORDER BY a.updated_at, c.id LIMIT $4`

// awaitingConfirmationSQL: completed assignments, longest waiting first.
// Completed work always belongs to an in-progress case (a case resolves only
// once every live assignment is confirmed), which lets the case status index
// find them.
var awaitingConfirmationSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		a.due_at, NULL::timestamptz AS extension_until,
		a.completed_at AS at, count(*) OVER () AS total
	FROM cases c
	JOIN assignments a ON a.case_id = c.id AND a.status = 'completed'
	JOIN departments d ON d.id = a.department_id
	WHERE c.status = 'in_progress' AND ` + visibleFrom1 + `
	ORDER BY a.completed_at, a.id LIMIT $4`

// extensionRequestsSQL: pending requests for more time, oldest first
// (extensions are asked for live work: assignments_live_due).
var extensionRequestsSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		a.due_at, a.extension_until,
		a.updated_at AS at, count(*) OVER () AS total
	FROM assignments a
	JOIN cases c ON c.id = a.case_id
	JOIN departments d ON d.id = a.department_id
	WHERE a.status IN ('pending', 'in_progress') AND a.extension_status = 'pending' AND ` + visibleFrom1 + `
	ORDER BY a.updated_at, a.id LIMIT $4`

// overdueSQL: live assignments past their due date, longest overdue first (assignments_live_due).
var overdueSQL = `SELECT c.id AS case_id, c.ref, c.title, c.status AS case_status,
		a.id AS assignment_id, d.code AS department, d.name AS department_name,
		a.due_at, a.extension_until,
		a.due_at AS at, count(*) OVER () AS total
	FROM assignments a
	JOIN cases c ON c.id = a.case_id
	JOIN departments d ON d.id = a.department_id
	WHERE a.status IN ('pending', 'in_progress') AND a.due_at < $5 AND ` + visibleFrom1 + `
	ORDER BY a.due_at, a.id LIMIT $4`

// selectQueue runs one of the queue queries with the arguments after the limit.
func selectQueue(ctx context.Context, q sqlx.QueryerContext, sc scope, query string, more ...any) (Queue, error) {
	items := []QueueItem{}
	args := append(append(sc.args(), QueueLimit), more...)
	if err := sqlx.SelectContext(ctx, q, &items, query, args...); err != nil {
		return Queue{}, err
	}
	queue := Queue{Items: items}
	if len(items) > 0 {
		queue.Total = items[0].Total
	}
	return queue, nil
}
