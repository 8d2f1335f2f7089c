package digest

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A case waits for triage while submitted, and for dispatch while triaged
// or reopened. How many waited at an instant is how many wait now, less
// the cases created since and the changes into waiting since, plus the
// changes out of waiting since: the changes of a case's status are events
// whose from_state is the status they leave.

// waitingChanges is the predicate, on events e, of the changes of a case's
// status into or out of waiting, filing aside; the index events_waiting
// holds them by time.
const waitingChanges = `e.assignment_id IS NULL AND e.from_state <> e.to_state AND e.from_state <> ''
	AND (e.from_state IN ('submitted', 'triaged', 'reopened') OR e.to_state IN ('submitted', 'triaged', 'reopened'))`

// waitingCounts is what the counts of waiting cases are derived from.
type waitingCounts struct {
	// now counts the cases by status, as they stand.
	now map[string]int
	// createdSinceStart and createdSinceAsOf count the cases created since the week began and since its as-of.
	createdSinceStart, createdSinceAsOf int
	changes                             []waitingChange
}

// waitingChange counts the changes from one status to another since the week began and since its as-of.
type waitingChange struct {
	From       string `db:"from_state"`
	To         string `db:"to_state"`
	SinceStart int    `db:"since_start"`
	SinceAsOf  int    `db:"since_as_of"`
}

func selectWaitingCounts(ctx context.Context, q sqlx.QueryerContext, b bounds) (*waitingCounts, error) {
	var now []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	err := sqlx.SelectContext(ctx, q, &now, `SELECT status, count(*) AS n FROM cases
		WHERE status IN ('submitted', 'triaged', 'reopened') GROUP BY status`)
	if err != nil {
		return nil, err
	}
	out := &waitingCounts{now: map[string]int{}}
	for _, r := range now {
		out.now[r.Status] = r.N
	}
	row := q.QueryRowxContext(ctx, `SELECT count(*), count(*) FILTER (WHERE created_at >= $2) FROM cases WHERE created_at >= $1`,
		b.start, b.asOf)
	if err := row.Scan(&out.createdSinceStart, &out.createdSinceAsOf); err != nil {
		return nil, err
	}
	query := `SELECT e.from_state, e.to_state, count(*) AS since_start, count(*) FILTER (WHERE e.at >= $2) AS since_as_of
		FROM events e WHERE e.at >= $1 AND ` + waitingChanges + ` GROUP BY 1, 2`
	err = sqlx.SelectContext(ctx, q, &out.changes, query, b.start, b.asOf)
	return out, err
}

// waitingRow is a case waiting at the as-of, and since when.
type waitingRow struct {
	CaseID int64     `db:"case_id"`
	Ref    string    `db:"ref"`
	Title  string    `db:"title"`
	Status string    `db:"status"`
	Since  time.Time `db:"since"`
}

// selectWaitingUnchanged returns the cases waiting now whose status has
// not changed since the as-of that can make the first ItemsShown of each
// kind, longest-waiting first. A submitted case waits since it was filed;
// a triaged or reopened one since its last change (updated_at: the Service
// moves it with every change of status and at no other time).
func selectWaitingUnchanged(ctx context.Context, q sqlx.QueryerContext, asOf time.Time) ([]waitingRow, error) {
	const query = `(SELECT c.id AS case_id, c.ref, c.title, c.status, c.created_at AS since FROM cases c
			WHERE c.status = 'submitted' AND c.created_at < $1 ORDER BY c.created_at FETCH FIRST $2 ROWS WITH TIES)
		UNION ALL
		(SELECT c.id, c.ref, c.title, c.status, c.updated_at FROM cases c
			WHERE c.status IN ('triaged', 'reopened') AND c.updated_at < $1 ORDER BY c.updated_at FETCH FIRST $2 ROWS WITH TIES)`
	var out []waitingRow
	err := sqlx.SelectContext(ctx, q, &out, query, asOf, ItemsShown)
	return out, err
}

// selectWaitingChanged returns the cases filed by filedBy that waited at
// the as-of and have changed since: those whose first change since the
// as-of leaves waiting. Status is the status they waited in; Since is when
// they were filed, which bounds when they began to wait.
func selectWaitingChanged(ctx context.Context, q sqlx.QueryerContext, asOf, filedBy time.Time) ([]waitingRow, error) {
	query := `SELECT w.case_id, c.ref, c.title, w.status, c.created_at AS since
		FROM (
			SELECT DISTINCT ON (e.case_id) e.case_id, e.from_state AS status
			FROM events e
			WHERE e.at >= $1 AND ` + waitingChanges + `
				AND e.case_id IN (SELECT id FROM cases WHERE created_at < $1 AND created_at <= $2)
			ORDER BY e.case_id, e.at, e.id
		) w
		JOIN cases c ON c.id = w.case_id
		WHERE w.status IN ('submitted', 'triaged', 'reopened')`
	var out []waitingRow
	err := sqlx.SelectContext(ctx, q, &out, query, asOf, filedBy)
	return out, err
}

// selectWaitingSince returns when each case began to wait in its status
// before the as-of: its last change into that status.
func selectWaitingSince(ctx context.Context, q sqlx.QueryerContext, ids pq.Int64Array, statuses pq.StringArray, asOf time.Time) (map[int64]time.Time, error) {
	const query = `SELECT w.id, max(e.at) AS since
		FROM unnest($1::bigint[], $2::text[]) AS w(id, status)
		JOIN events e ON e.case_id = w.id AND e.assignment_id IS NULL AND e.to_state = w.status
			AND e.from_state <> e.to_state AND e.at < $3
		GROUP BY w.id`
	var rows []struct {
		ID    int64     `db:"id"`
		Since time.Time `db:"since"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, ids, statuses, asOf); err != nil {
		return nil, err
	}
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Since
	}
	return out, nil
}
