package digest

import (
	"context"
	"database/sql"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A regular assignment is one whose row tells where it stood at any moment
// since the week before began: it has no event since then that its row
// does not record the time of. The row records when it was dispatched
// (dispatched_at), accepted (accepted_at, set once), completed (completed_at,
// the last completion) and finished (updated_at of a confirmed, declined
// or cancelled one, which no action changes afterwards), its due date and
// its pending extension request. The replayed actions change an assignment
// in ways its row does not date; an assignment with one of them since the
// week before began is irregular, and its events are replayed instead.
var replayedActions = pq.StringArray{string(workflow.ActionReturn), string(workflow.ActionGrantExtension),
	string(workflow.ActionDenyExtension)}

// finishingActions are dated by the row, as updated_at, but the lists of
// work open at the as-of read the statuses as they are now: an assignment
// declined or cancelled since the as-of is irregular too. (One confirmed
// since is read by its updated_at: see selectAwaitingCandidates.)
var finishingActions = pq.StringArray{string(workflow.ActionDecline), string(workflow.ActionCancel)}

// departmentRow is a department with its id, which the figures' queries return.
type departmentRow struct {
	ID int64 `db:"id"`
	workflow.Department
}

func selectDepartments(ctx context.Context, q sqlx.QueryerContext) ([]departmentRow, error) {
	var rows []departmentRow
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, code, name, email FROM departments ORDER BY code`)
	return rows, err
}

// selectIrregular returns the assignments with an event since since that
// their row does not record (replayedActions), or finished since asOf
// (finishingActions).
func selectIrregular(ctx context.Context, q sqlx.QueryerContext, since, asOf time.Time) (pq.Int64Array, error) {
	// Two index-only scans of events_digest: with OR, a bitmap scan of the table.
	const query = `SELECT assignment_id FROM events WHERE kind = ANY($1) AND at >= $2 AND assignment_id IS NOT NULL
		UNION SELECT assignment_id FROM events WHERE kind = ANY($3) AND at >= $4 AND assignment_id IS NOT NULL`
	ids := pq.Int64Array{}
	err := sqlx.SelectContext(ctx, q, &ids, query, replayedActions, since, finishingActions, asOf)
	return ids, err
}

// selectHistories reads the assignments ids dispatched before asOf, with
// their events before asOf, for the replay, and hands each history to each
// as soon as it is read, so that no more than one is held at a time;
// departments names the assignments' departments by id. The events are read
// assignment by assignment through events_assignment_at, which holds them
// in the replay's order: joined to the assignments as a set, they were found
// by reading every event of the table and sorting the irregular ones' (on
// disk). An assignment with no event before asOf has nothing to replay and
// is left out.
func selectHistories(ctx context.Context, q sqlx.QueryerContext, ids pq.Int64Array, asOf time.Time,
	departments map[int64]workflow.Department, each func(*history)) error {
	// Only what the replay reads, scanned by hand. The subquery's ORDER BY
	// keeps it a lateral one, looked up once per assignment.
	const events = `SELECT a.id, a.case_id, a.department_id, a.role, e.at, e.kind, e.to_state,
			CASE WHEN e.kind = 'dispatch' THEN coalesce((e.data->>'due_at')::timestamptz, a.due_at)
			     WHEN e.kind = 'grant_extension' THEN (e.data->>'due_at')::timestamptz END,
			CASE WHEN e.kind = 'request_extension' THEN (e.data->>'until')::timestamptz END,
			CASE WHEN e.kind = 'urge' THEN coalesce(e.data->>'note', '') ELSE '' END
		FROM assignments a
		CROSS JOIN LATERAL (SELECT e.id, e.at, e.kind, e.to_state, e.data FROM events e
			WHERE e.assignment_id = a.id AND e.at < $2 ORDER BY e.at, e.id) e
		WHERE a.id = ANY($1) AND a.dispatched_at < $2 ORDER BY a.id, e.at, e.id`
	rows, err := q.QueryxContext(ctx, events, ids, asOf)
	if err != nil {
		return err
	}
	defer rows.Close()
	var h *history
	for rows.Next() {
		var id, caseID, departmentID int64
		var role string
		var e assignmentEvent
		var due, until sql.NullTime
		if err := rows.Scan(&id, &caseID, &departmentID, &role, &e.At, &e.Kind, &e.To, &due, &until, &e.Note); err != nil {
			return err
		}
		if h == nil || h.ID != id {
			if h != nil {
				each(h)
			}
			dept := departments[departmentID]
			h = &history{ID: id, CaseID: caseID, Department: dept.Code, DepartmentName: dept.Name, Role: role}
		}
		e.DueAt, e.Until = timePtr(due), timePtr(until)
		h.Events = append(h.Events, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if h != nil {
		each(h)
	}
	return nil
}

// nameCases gives the items of stats' lists their case's reference, title
// and link. The cases are read apart, by primary key: joined to the events
// in selectHistories, the planner read the whole table of cases instead.
func (c collector) nameCases(ctx context.Context, q sqlx.QueryerContext, stats ...map[string]*deptStats) error {
	var items []*Item
	for _, byCode := range stats {
		for _, s := range byCode {
			for _, l := range s.lists() {
				for i := range l.list.Items {
					items = append(items, &l.list.Items[i])
				}
			}
		}
	}
	ids := make(pq.Int64Array, len(items))
	for i, it := range items {
		ids[i] = it.CaseID
	}
	var cases []struct {
		ID    int64  `db:"id"`
		Ref   string `db:"ref"`
		Title string `db:"title"`
	}
	if err := sqlx.SelectContext(ctx, q, &cases, `SELECT id, ref, title FROM cases WHERE id = ANY($1)`, ids); err != nil {
		return err
	}
	type name struct{ ref, title string }
	names := make(map[int64]name, len(cases))
	for _, row := range cases {
		names[row.ID] = name{row.Ref, row.Title}
	}
	for _, it := range items {
		n := names[it.CaseID]
		it.Ref, it.Title, it.URL = n.ref, n.title, c.caseURL(it.CaseID)
	}
	return nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// bounds are the instants the week's figures are computed against.
type bounds struct {
	// prevStart, start and asOf are the starts of the week before and of
	// the week, and when the week is counted up to.
	prevStart, start, asOf time.Time
	dueBands               dueBands
}

// selectAssignmentPhases counts the regular assignments that can matter to
// the week or the week before (dispatched before the as-of and not
// finished before the week before), by department and by the phases of
// their times. One pass over the table, whatever the number of departments.
func selectAssignmentPhases(ctx context.Context, q sqlx.QueryerContext, b bounds, irregular pq.Int64Array) ([]assignmentPhases, error) {
	const query = `SELECT a.department_id,
			CASE WHEN a.dispatched_at < $1 THEN 0 WHEN a.dispatched_at < $2 THEN 1 WHEN a.dispatched_at < $3 THEN 2 ELSE 3 END AS dispatched,
			CASE WHEN a.accepted_at IS NULL THEN 4 WHEN a.accepted_at < $1 THEN 0 WHEN a.accepted_at < $2 THEN 1
			     WHEN a.accepted_at < $3 THEN 2 ELSE 3 END AS accepted,
			CASE WHEN a.completed_at IS NULL THEN 4 WHEN a.completed_at < $1 THEN 0 WHEN a.completed_at < $2 THEN 1
			     WHEN a.completed_at < $3 THEN 2 ELSE 3 END AS completed,
			CASE WHEN a.status NOT IN ('confirmed', 'declined', 'cancelled') THEN 4 WHEN a.updated_at < $1 THEN 0
			     WHEN a.updated_at < $2 THEN 1 WHEN a.updated_at < $3 THEN 2 ELSE 3 END AS finished,
			CASE WHEN a.due_at < $4 THEN 0 WHEN a.due_at < $5 THEN 1 WHEN a.due_at < $6 THEN 2 WHEN a.due_at < $7 THEN 3 ELSE 4 END AS due_band,
			coalesce(a.accepted_at <= a.dispatched_at + $8 * interval '1 second', false) AS quick,
			coalesce(a.completed_at <= a.due_at, false) AS on_time,
			count(*) AS n
		FROM assignments a
		WHERE a.dispatched_at < $3 AND NOT (a.status IN ('confirmed', 'declined', 'cancelled') AND a.updated_at < $1)
			AND a.id <> ALL($9)
		GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`
	var out []assignmentPhases
	err := sqlx.SelectContext(ctx, q, &out, query, b.prevStart, b.start, b.asOf,
		b.dueBands[0], b.dueBands[1], b.dueBands[2], b.dueBands[3], ResponseWithin.Seconds(), irregular)
	return out, err
}

// candidate is a regular assignment that can make one of the week's
// lists: section names the list, At is when its event happened (or nil),
// Note is an urge's note.
type candidate struct {
	Section string     `db:"section"`
	ID      int64      `db:"id"`
	At      *time.Time `db:"at"`
	Note    string     `db:"note"`
}

// selectDepartmentCandidates returns, for each department, the regular
// assignments that can make the first ItemsShown items of the week's
// sections: dispatched, accepted and completed in the week, and open at
// the as-of by due date. Each is read from an index in its order (the first
// items, and those tied with the last), so the cost does not grow with the
// department's work. Work open at the as-of but completed since is read by
// its completion instead, and ranked.
func selectDepartmentCandidates(ctx context.Context, q sqlx.QueryerContext, b bounds, irregular pq.Int64Array) ([]candidate, error) {
	const query = `SELECT s.section, s.id, s.at
		FROM departments d
		CROSS JOIN LATERAL (
			(SELECT 'dispatched' AS section, x.id, x.dispatched_at AS at FROM assignments x
			 WHERE x.department_id = d.id AND x.dispatched_at >= $1 AND x.dispatched_at < $2 AND x.id <> ALL($4)
			 ORDER BY x.dispatched_at FETCH FIRST $5 ROWS WITH TIES)
			UNION ALL
			(SELECT 'accepted', x.id, x.accepted_at FROM assignments x
			 WHERE x.department_id = d.id AND x.accepted_at >= $1 AND x.accepted_at < $2 AND x.id <> ALL($4)
			 ORDER BY x.accepted_at FETCH FIRST $5 ROWS WITH TIES)
			UNION ALL
			(SELECT 'completed', x.id, x.completed_at FROM assignments x
			 WHERE x.department_id = d.id AND x.completed_at >= $1 AND x.completed_at < $2 AND x.id <> ALL($4)
			 ORDER BY x.completed_at FETCH FIRST $5 ROWS WITH TIES)
			UNION ALL
			(SELECT 'overdue', x.id, NULL FROM assignments x
			 WHERE x.department_id = d.id AND x.status IN ('pending', 'in_progress') AND x.due_at < $2
			   AND x.dispatched_at < $2 AND x.id <> ALL($4)
			 ORDER BY x.due_at FETCH FIRST $5 ROWS WITH TIES)
			UNION ALL
			(SELECT 'due_soon', x.id, NULL FROM assignments x
			 WHERE x.department_id = d.id AND x.status IN ('pending', 'in_progress') AND x.due_at >= $2 AND x.due_at < $3
			   AND x.dispatched_at < $2 AND x.id <> ALL($4)
			 ORDER BY x.due_at FETCH FIRST $5 ROWS WITH TIES)
			UNION ALL
			(SELECT 'later', x.id, NULL FROM assignments x
			 WHERE x.department_id = d.id AND x.status IN ('pending', 'in_progress') AND x.due_at >= $3
			   AND x.dispatched_at < $2 AND x.id <> ALL($4)
			 ORDER BY x.due_at FETCH FIRST $5 ROWS WITH TIES)
			UNION ALL
			(SELECT m.section, m.id, NULL FROM (
				SELECT x.id, x.section, rank() OVER (PARTITION BY x.section ORDER BY x.due_at) AS rank
				FROM (SELECT x.id, x.due_at,
						CASE WHEN x.due_at < $2 THEN 'overdue' WHEN x.due_at < $3 THEN 'due_soon' ELSE 'later' END AS section
					FROM assignments x
					WHERE x.department_id = d.id AND x.completed_at >= $2 AND x.dispatched_at < $2 AND x.id <> ALL($4)) x
			 ) m WHERE m.rank <= $5)
		) s`
	var out []candidate
	err := sqlx.SelectContext(ctx, q, &out, query, b.start, b.asOf, b.asOf.Add(DueSoonWithin), irregular, ItemsShown)
	return out, err
}

// selectAwaitingCandidates returns the regular assignments completed and
// not yet confirmed at the as-of that can make the first ItemsShown of the
// district, by due date.
func selectAwaitingCandidates(ctx context.Context, q sqlx.QueryerContext, b bounds, irregular pq.Int64Array) ([]candidate, error) {
	const query = `SELECT 'awaiting' AS section, a.id FROM assignments a
		WHERE a.completed_at < $1 AND (a.status = 'completed' OR (a.status = 'confirmed' AND a.updated_at >= $1))
			AND a.id <> ALL($2)
		ORDER BY a.due_at FETCH FIRST $3 ROWS WITH TIES`
	var out []candidate
	err := sqlx.SelectContext(ctx, q, &out, query, b.asOf, irregular, ItemsShown)
	return out, err
}

// openAt is the predicate, on assignments x, of a regular assignment
// pending or in progress just before the instant t (a placeholder).
func openAt(t string) string {
	return `x.dispatched_at < ` + t + ` AND (x.completed_at IS NULL OR x.completed_at >= ` + t + `)
		AND NOT (x.status IN ('declined', 'cancelled') AND x.updated_at < ` + t + `)`
}

// selectExtensionCandidates returns, for each department, the regular
// assignments with an extension request pending at the as-of that can
// make the first ItemsShown by the date asked for.
func selectExtensionCandidates(ctx context.Context, q sqlx.QueryerContext, b bounds, irregular pq.Int64Array) ([]candidate, error) {
	query := `SELECT 'extension' AS section, x.id
		FROM departments d
		CROSS JOIN LATERAL (
			SELECT x.id FROM assignments x
			WHERE x.department_id = d.id AND x.extension_status = 'pending' AND ` + openAt("$1") + ` AND x.id <> ALL($2)
				AND NOT EXISTS (SELECT 1 FROM events e
					WHERE e.assignment_id = x.id AND e.at >= $1 AND e.kind = 'request_extension')
			ORDER BY x.extension_until FETCH FIRST $3 ROWS WITH TIES
		) x`
	var out []candidate
	err := sqlx.SelectContext(ctx, q, &out, query, b.asOf, irregular, ItemsShown)
	return out, err
}

// extensionCount is how many regular assignments of a department had an
// extension request pending at the end of the week before and of the week.
type extensionCount struct {
	DepartmentID int64 `db:"department_id"`
	Prev         int   `db:"prev"`
	Cur          int   `db:"cur"`
}

// selectExtensionCounts counts the regular assignments open with an
// extension request pending at the start of the week and at the as-of:
// the request pending now, made before the instant.
func selectExtensionCounts(ctx context.Context, q sqlx.QueryerContext, b bounds, irregular pq.Int64Array) ([]extensionCount, error) {
	query := `SELECT x.department_id,
			count(*) FILTER (WHERE ` + openAt("$1") + ` AND (r.at IS NULL OR r.at < $1)) AS prev,
			count(*) FILTER (WHERE ` + openAt("$2") + ` AND (r.at IS NULL OR r.at < $2)) AS cur
		FROM assignments x
		LEFT JOIN (SELECT assignment_id, max(at) AS at FROM events
			WHERE kind = 'request_extension' AND at >= $1 GROUP BY 1) r ON r.assignment_id = x.id
		WHERE x.extension_status = 'pending' AND x.id <> ALL($3)
		GROUP BY 1`
	var out []extensionCount
	err := sqlx.SelectContext(ctx, q, &out, query, b.start, b.asOf, irregular)
	return out, err
}

// urgeRank is an urge of a regular assignment among the first ItemsShown
// its department received in the week before or in the week; N is how
// many the department received in that period.
type urgeRank struct {
	candidate
	DepartmentID int64 `db:"department_id"`
	ThisWeek     bool  `db:"this_week"`
	N            int   `db:"n"`
}

// selectUrges counts the urges of regular assignments since the week
// before began, up to the as-of, by department and period, and returns the
// first ItemsShown of each (and those tied with the last): only those can
// be listed, so only theirs are read by selectAssignmentDetails.
func selectUrges(ctx context.Context, q sqlx.QueryerContext, b bounds, irregular pq.Int64Array) ([]urgeRank, error) {
	const query = `SELECT 'urge' AS section, u.id, u.at, u.note, u.department_id, u.this_week, u.n FROM (
			SELECT a.department_id, e.assignment_id AS id, e.at, coalesce(e.data->>'note', '') AS note, e.at >= $2 AS this_week,
				rank() OVER (PARTITION BY a.department_id, e.at >= $2 ORDER BY e.at) AS rank,
				count(*) OVER (PARTITION BY a.department_id, e.at >= $2) AS n
			FROM events e JOIN assignments a ON a.id = e.assignment_id
			WHERE e.kind = 'urge' AND e.at >= $1 AND e.at < $3 AND e.assignment_id <> ALL($4)
		) u WHERE u.rank <= $5`
	var out []urgeRank
	err := sqlx.SelectContext(ctx, q, &out, query, b.prevStart, b.start, b.asOf, irregular, ItemsShown)
	return out, err
}

// assignmentDetail is what an item shows of an assignment and its case.
type assignmentDetail struct {
	ID             int64      `db:"id"`
	DepartmentID   int64      `db:"department_id"`
	CaseID         int64      `db:"case_id"`
	Ref            string     `db:"ref"`
	Title          string     `db:"title"`
	Role           string     `db:"role"`
	DueAt          time.Time  `db:"due_at"`
	ExtensionUntil *time.Time `db:"extension_until"`
}

func selectAssignmentDetails(ctx context.Context, q sqlx.QueryerContext, ids pq.Int64Array) (map[int64]assignmentDetail, error) {
	const query = `SELECT a.id, a.department_id, a.case_id, c.ref, c.title, a.role, a.due_at, a.extension_until
		FROM assignments a JOIN cases c ON c.id = a.case_id WHERE a.id = ANY($1)`
	var rows []assignmentDetail
	if err := sqlx.SelectContext(ctx, q, &rows, query, ids); err != nil {
		return nil, err
	}
	out := make(map[int64]assignmentDetail, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// ratingSum is the ratings of one period: of a department, or of the district (DepartmentID 0).
type ratingSum struct {
	DepartmentID int64 `db:"department_id"`
	ThisWeek     bool  `db:"this_week"`
	Sum          int   `db:"sum"`
	N            int   `db:"n"`
}

// selectRatings sums the ratings given since the week before began, up to
// the as-of: for the district every rating once, and for each department
// the ratings of the cases on which its assignment had been confirmed by
// then (a confirmed assignment's updated_at is when it was confirmed: no
// action changes it afterwards).
func selectRatings(ctx context.Context, q sqlx.QueryerContext, b bounds) ([]ratingSum, error) {
	const query = `WITH rated AS (
			SELECT e.case_id, e.at, e.at >= $2 AS this_week, (e.data->>'score')::int AS score
			FROM events e WHERE e.kind = 'rate' AND e.at >= $1 AND e.at < $3
		)
		SELECT 0 AS department_id, this_week, sum(score) AS sum, count(*) AS n FROM rated GROUP BY this_week
		UNION ALL
		SELECT d.department_id, r.this_week, sum(r.score), count(*)
		FROM rated r
		CROSS JOIN LATERAL (SELECT DISTINCT a.department_id FROM assignments a
			WHERE a.case_id = r.case_id AND a.status = 'confirmed' AND a.updated_at <= r.at) d
		GROUP BY 1, 2`
	var out []ratingSum
	err := sqlx.SelectContext(ctx, q, &out, query, b.prevStart, b.start, b.asOf)
	return out, err
}
