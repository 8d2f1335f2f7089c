package digest

import (
	"context"
	"database/sql"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// selectHistories reads the events before asOf of every assignment that
// can matter from since on: one with an event since then, or one still
// pending, in progress or awaiting confirmation (its state has not changed since).
func selectHistories(ctx context.Context, q sqlx.QueryerContext, since, asOf time.Time) ([]*history, error) {
	const assignments = `SELECT a.id, a.case_id, c.ref, c.title, d.code AS department, d.name AS department_name, a.role, a.due_at
		FROM assignments a
		JOIN cases c ON c.id = a.case_id
		JOIN departments d ON d.id = a.department_id
		WHERE ` + relevantAssignment + ` ORDER BY a.id`
	var rows []struct {
		history
		DueAt time.Time `db:"due_at"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, assignments, since, asOf); err != nil {
		return nil, err
	}
	byID := make(map[int64]*history, len(rows))
	out := make([]*history, len(rows))
	for i := range rows {
		out[i] = &rows[i].history
		byID[rows[i].ID] = out[i]
	}
	// Only what the replay reads, scanned by hand: a busy district has millions of events.
	const events = `SELECT e.assignment_id, e.at, e.kind, e.to_state,
			CASE WHEN e.kind = 'dispatch' THEN coalesce((e.data->>'due_at')::timestamptz, a.due_at)
			     WHEN e.kind = 'grant_extension' THEN (e.data->>'due_at')::timestamptz END,
			CASE WHEN e.kind = 'request_extension' THEN (e.data->>'until')::timestamptz END,
			CASE WHEN e.kind = 'urge' THEN coalesce(e.data->>'note', '') ELSE '' END
		FROM assignments a JOIN events e ON e.assignment_id = a.id AND e.at < $2
		WHERE ` + relevantAssignment + ` ORDER BY e.assignment_id, e.at, e.id`
	er, err := q.QueryxContext(ctx, events, since, asOf)
	if err != nil {
		return nil, err
	}
	defer er.Close()
	for er.Next() {
		var id int64
		var e assignmentEvent
		var due, until sql.NullTime
		if err := er.Scan(&id, &e.At, &e.Kind, &e.To, &due, &until, &e.Note); err != nil {
			return nil, err
		}
		e.DueAt, e.Until = timePtr(due), timePtr(until)
		h := byID[id]
		h.Events = append(h.Events, e)
	}
	return out, er.Err()
}

// relevantAssignment is the predicate, on assignments a, of the assignments
// whose history matters from $1 on as of $2 (see selectHistories).
const relevantAssignment = `a.dispatched_at < $2 AND (a.status IN ('pending', 'in_progress', 'completed')
	OR EXISTS (SELECT 1 FROM events r WHERE r.assignment_id = a.id AND r.at >= $1))`

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// selectCaseHistories reads the status changes before asOf of every case
// that can matter from since on: one that changed since then, or one still
// waiting for triage or dispatch.
func selectCaseHistories(ctx context.Context, q sqlx.QueryerContext, since, asOf time.Time) ([]*caseHistory, error) {
	const query = `SELECT c.id, c.ref, c.title, e.at, e.to_state
		FROM cases c
		JOIN events e ON e.case_id = c.id AND e.assignment_id IS NULL AND e.to_state <> '' AND e.at < $2
		WHERE c.status IN ('submitted', 'triaged', 'reopened')
		   OR EXISTS (SELECT 1 FROM events r WHERE r.case_id = c.id AND r.at >= $1)
		ORDER BY c.id, e.at, e.id`
	var rows []struct {
		ID    int64     `db:"id"`
		Ref   string    `db:"ref"`
		Title string    `db:"title"`
		At    time.Time `db:"at"`
		To    string    `db:"to_state"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, since, asOf); err != nil {
		return nil, err
	}
	var out []*caseHistory
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, &caseHistory{ID: r.ID, Ref: r.Ref, Title: r.Title})
		}
		h := out[len(out)-1]
		h.Changes = append(h.Changes, caseChange{At: r.At, To: workflow.CaseStatus(r.To)})
	}
	return out, nil
}

// selectRatings reads the ratings given in [since, asOf), each with the
// departments whose assignment on the case had been confirmed by then.
func selectRatings(ctx context.Context, q sqlx.QueryerContext, since, asOf time.Time) ([]rating, error) {
	const query = `SELECT e.case_id, e.at, (e.data->>'score')::int AS score,
			coalesce(array_agg(DISTINCT d.code) FILTER (WHERE d.code IS NOT NULL), '{}') AS departments
		FROM events e
		LEFT JOIN assignments a ON a.case_id = e.case_id AND a.status = 'confirmed' AND EXISTS (
			SELECT 1 FROM events ce WHERE ce.assignment_id = a.id AND ce.kind = 'confirm' AND ce.at <= e.at)
		LEFT JOIN departments d ON d.id = a.department_id
		WHERE e.kind = 'rate' AND e.at >= $1 AND e.at < $2
		GROUP BY e.id
		ORDER BY e.at, e.id`
	var rows []struct {
		CaseID      int64          `db:"case_id"`
		At          time.Time      `db:"at"`
		Score       int            `db:"score"`
		Departments pq.StringArray `db:"departments"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, since, asOf); err != nil {
		return nil, err
	}
	out := make([]rating, len(rows))
	for i, r := range rows {
		out[i] = rating{CaseID: r.CaseID, At: r.At, Score: r.Score, Departments: r.Departments}
	}
	return out, nil
}
