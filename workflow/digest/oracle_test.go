package digest

import (
	"cmp"
	"context"
	"slices"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// The reference the figures are checked against: the digest as it was
// first written, replaying every event of every assignment and case in Go.
// It reads the whole history, so it is only fit for small databases.

// replayedFigures computes the figures of week by replaying every event.
func (d *Digester) replayedFigures(ctx context.Context, week Week) (*weekFigures, error) {
	cur, prev := periodsOf(week, d.loc, d.now())
	f := &weekFigures{week: week, cur: cur, prev: prev, collector: collector{baseURL: d.baseURL}}
	depts, err := selectDepartments(ctx, d.db)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]workflow.Department, len(depts))
	for _, dept := range depts {
		f.departments = append(f.departments, dept.Department)
		byID[dept.ID] = dept.Department
	}
	var ids pq.Int64Array
	if err := d.db.SelectContext(ctx, &ids, `SELECT id FROM assignments`); err != nil {
		return nil, err
	}
	f.now, f.before = map[string]*deptStats{}, map[string]*deptStats{}
	err = selectHistories(ctx, d.db, ids, cur.asOf, byID, func(h *history) {
		f.collector.addReplayed(h, cur, f.now)
		f.collector.addReplayed(h, prev, f.before)
	})
	if err != nil {
		return nil, err
	}
	if err := f.collector.nameCases(ctx, d.db, f.now, f.before); err != nil {
		return nil, err
	}
	ratings, err := selectEveryRating(ctx, d.db, prev.start, cur.asOf)
	if err != nil {
		return nil, err
	}
	for _, r := range ratings {
		for _, p := range []struct {
			period   period
			stats    map[string]*deptStats
			district *Average
		}{{cur, f.now, &f.satisfactionNow}, {prev, f.before, &f.satisfactionBefore}} {
			if !p.period.contains(r.At) {
				continue
			}
			*p.district = p.district.plus(Average{Sum: r.Score, N: 1})
			for _, code := range r.Departments {
				s := statsOf(p.stats, code)
				s.satisfaction = s.satisfaction.plus(Average{Sum: r.Score, N: 1})
			}
		}
	}
	for _, stats := range []map[string]*deptStats{f.now, f.before} {
		for _, s := range stats {
			s.finish()
		}
	}
	cases, err := selectEveryCaseHistory(ctx, d.db, cur.asOf)
	if err != nil {
		return nil, err
	}
	triage, dispatch := f.replayedWaiting(cases, cur)
	f.triage = ItemList{Items: triage[:min(len(triage), ItemsShown)], Total: len(triage)}
	f.dispatch = ItemList{Items: dispatch[:min(len(dispatch), ItemsShown)], Total: len(dispatch)}
	triagePrev, dispatchPrev := f.replayedWaiting(cases, prev)
	f.triagePrev, f.dispatchPrev = len(triagePrev), len(dispatchPrev)
	return f, nil
}

// replayedWaiting lists the cases that, just before p.asOf, waited for
// triage (submitted) and for dispatch (triaged or reopened), longest-waiting first.
func (f *weekFigures) replayedWaiting(cases []*caseHistory, p period) (triage, dispatch []Item) {
	for _, h := range cases {
		status, since, ok := h.statusBefore(p.asOf)
		if !ok {
			continue
		}
		item := Item{CaseID: h.ID, Ref: h.Ref, Title: h.Title, URL: f.collector.caseURL(h.ID), At: since}
		switch status {
		case workflow.CaseSubmitted:
			triage = append(triage, item)
		case workflow.CaseTriaged, workflow.CaseReopened:
			dispatch = append(dispatch, item)
		}
	}
	bySince := func(a, b Item) int { return cmp.Or(a.At.Compare(b.At), a.tieBreak(b)) }
	slices.SortFunc(triage, bySince)
	slices.SortFunc(dispatch, bySince)
	return triage, dispatch
}

// caseHistory is one case's own status changes, oldest first.
type caseHistory struct {
	ID      int64
	Ref     string
	Title   string
	Changes []caseChange
}

// caseChange is one status change of a case.
type caseChange struct {
	At time.Time
	To workflow.CaseStatus
}

// statusBefore is the case's status just before t and since when it held; false if the case did not exist yet.
func (h *caseHistory) statusBefore(t time.Time) (workflow.CaseStatus, time.Time, bool) {
	var status workflow.CaseStatus
	var since time.Time
	for _, c := range h.Changes {
		if !c.At.Before(t) {
			break
		}
		if c.To != status {
			status, since = c.To, c.At
		}
	}
	return status, since, status != ""
}

// selectEveryCaseHistory reads every case's status changes before asOf.
func selectEveryCaseHistory(ctx context.Context, q sqlx.QueryerContext, asOf time.Time) ([]*caseHistory, error) {
	const query = `SELECT c.id, c.ref, c.title, e.at, e.to_state
		FROM cases c
		JOIN events e ON e.case_id = c.id AND e.assignment_id IS NULL AND e.to_state <> '' AND e.at < $1
		ORDER BY c.id, e.at, e.id`
	var rows []struct {
		ID    int64     `db:"id"`
		Ref   string    `db:"ref"`
		Title string    `db:"title"`
		At    time.Time `db:"at"`
		To    string    `db:"to_state"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, asOf); err != nil {
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

// rating is one reporter's verdict on a case, and the departments whose work it judged.
type rating struct {
	At          time.Time      `db:"at"`
	Score       int            `db:"score"`
	Departments pq.StringArray `db:"departments"`
}

// selectEveryRating reads the ratings given in [since, asOf), each with the
// departments whose assignment on the case had been confirmed by then.
func selectEveryRating(ctx context.Context, q sqlx.QueryerContext, since, asOf time.Time) ([]rating, error) {
	const query = `SELECT e.at, (e.data->>'score')::int AS score,
			coalesce(array_agg(DISTINCT d.code) FILTER (WHERE d.code IS NOT NULL), '{}') AS departments
		FROM events e
		LEFT JOIN assignments a ON a.case_id = e.case_id AND a.status = 'confirmed' AND EXISTS (
			SELECT 1 FROM events ce WHERE ce.assignment_id = a.id AND ce.kind = 'confirm' AND ce.at <= e.at)
		LEFT JOIN departments d ON d.id = a.department_id
		WHERE e.kind = 'rate' AND e.at >= $1 AND e.at < $2
		GROUP BY e.id
		ORDER BY e.at, e.id`
	var out []rating
	err := sqlx.SelectContext(ctx, q, &out, query, since, asOf)
	return out, err
}
