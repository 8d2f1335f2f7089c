package digest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"casetrack/workflow"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// weekFigures is everything one week's digests are made of: the work of
// the week and of the week before, department by department, computed
// once for all the week's digests.
type weekFigures struct {
	week        Week
	cur, prev   period
	departments []workflow.Department
	now, before map[string]*deptStats
	// satisfactionNow and satisfactionBefore are the district's: every rating once.
	satisfactionNow, satisfactionBefore Average
	// triage and dispatch are the cases waiting at the as-of; triagePrev
	// and dispatchPrev count those waiting a week earlier.
	triage, dispatch         ItemList
	triagePrev, dispatchPrev int
	collector                collector
}

// collect reads what the digests of week need, as it stands now.
func (d *Digester) collect(ctx context.Context, week Week) (*weekFigures, error) {
	if d.now().Before(week.Start(d.loc)) {
		return nil, invalid("week", week.String()+" has not begun")
	}
	cur, prev := periodsOf(week, d.loc, d.now())
	f := &weekFigures{week: week, cur: cur, prev: prev, collector: collector{baseURL: d.baseURL}}
	if err := f.read(ctx, d.db); err != nil {
		return nil, workflow.DBError(err)
	}
	return f, nil
}

// read computes the figures: the regular assignments' from their rows,
// the irregular ones' by replaying their events (see replayedActions). The
// irregular ones' histories, the longest read, and the ratings run on a
// second connection, alongside the rest (about as long), in a transaction
// that sees the same snapshot.
func (f *weekFigures) read(ctx context.Context, db *sqlx.DB) error {
	return inSnapshot(ctx, db, "", func(ctx context.Context, tx *sqlx.Tx) error {
		depts, err := selectDepartments(ctx, tx)
		if err != nil {
			return err
		}
		byID := make(map[int64]workflow.Department, len(depts))
		for _, d := range depts {
			f.departments = append(f.departments, d.Department)
			byID[d.ID] = d.Department
		}
		b := bounds{prevStart: f.prev.start, start: f.cur.start, asOf: f.cur.asOf, dueBands: newDueBands(f.prev.asOf, f.cur.asOf)}
		irregular, err := selectIrregular(ctx, tx, b.prevStart, b.asOf)
		if err != nil {
			return err
		}
		f.now, f.before = map[string]*deptStats{}, map[string]*deptStats{}
		// The replayed histories are counted apart, as the other connection
		// fills f.now and f.before, and merged into them at the end. Each is
		// dropped once counted, and the lists keep only what can be shown:
		// at a million cases, 280 MB of live heap when all were kept, 35 MB now.
		replayedNow, replayedBefore := map[string]*deptStats{}, map[string]*deptStats{}
		var phases []assignmentPhases
		var ratings []ratingSum
		err = alongside(ctx, db, tx, func(ctx context.Context, tx *sqlx.Tx) error {
			err := selectHistories(ctx, tx, irregular, b.asOf, byID, func(h *history) {
				f.collector.addReplayed(h, f.cur, replayedNow).trim()
				f.collector.addReplayed(h, f.prev, replayedBefore).trim()
			})
			if err != nil {
				return err
			}
			if err := f.collector.nameCases(ctx, tx, replayedNow, replayedBefore); err != nil {
				return err
			}
			ratings, err = selectRatings(ctx, tx, b)
			return err
		}, func(ctx context.Context, tx *sqlx.Tx) error {
			var err error
			if phases, err = selectAssignmentPhases(ctx, tx, b, irregular); err != nil {
				return err
			}
			if err := f.readItems(ctx, tx, b, irregular, byID); err != nil {
				return err
			}
			return f.readWaiting(ctx, tx, b)
		})
		if err != nil {
			return err
		}
		for code, s := range replayedNow {
			statsOf(f.now, code).merge(s)
		}
		for code, s := range replayedBefore {
			statsOf(f.before, code).merge(s)
		}
		for _, a := range phases {
			code := byID[a.DepartmentID].Code
			a.count(statsOf(f.before, code), inPrevWeek, f.prev.asOf, b.dueBands)
			a.count(statsOf(f.now, code), inWeek, f.cur.asOf, b.dueBands)
		}
		f.addRatings(ratings, byID)
		for _, stats := range []map[string]*deptStats{f.now, f.before} {
			for _, s := range stats {
				s.finish()
			}
		}
		return nil
	})
}

// beginner begins transactions: a pool or one of its connections.
type beginner interface {
	BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error)
}

// inSnapshot runs fn in a read-only transaction that sees one snapshot of
// the database, so that all the figures of a week agree: a new one, or the
// one another transaction exported as snapshot.
func inSnapshot(ctx context.Context, db beginner, snapshot string, fn func(context.Context, *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if snapshot != "" {
		if _, err := tx.ExecContext(ctx, `SET TRANSACTION SNAPSHOT `+pq.QuoteLiteral(snapshot)); err != nil {
			return err
		}
	}
	// A few long queries, run two at a time (see alongside): compiling them
	// costs more than it saves, parallel workers would only compete with
	// the other connection, their sorts and hashes fit in memory, and they
	// may run longer than the service lets a request's statement run.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0;
		SET LOCAL work_mem = '64MB'; SET LOCAL statement_timeout = %d`, weekStatementTimeout.Milliseconds())); err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// weekStatementTimeout bounds each statement of a week's figures. They read
// weeks of work: at a million cases the longest takes about 4 s, close to
// the bound the service puts on a request's statements (STATEMENT_TIMEOUT,
// 5 s by default), which failed the preview of a week through serve.
const weekStatementTimeout = 5 * time.Minute

// secondConnectionWait is how long alongside waits for another connection.
const secondConnectionWait = time.Second

// alongside runs first on another connection, in a transaction that sees
// tx's snapshot, while second runs in tx. When no other connection comes
// free soon, they run one after the other in tx: waiting for one while
// holding tx's could wait for ever if every holder did the same.
func alongside(ctx context.Context, db *sqlx.DB, tx *sqlx.Tx, first, second func(context.Context, *sqlx.Tx) error) error {
	wait, stopWaiting := context.WithTimeout(ctx, secondConnectionWait)
	conn, err := db.Connx(wait)
	stopWaiting()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err := first(ctx, tx); err != nil {
			return err
		}
		return second(ctx, tx)
	}
	defer conn.Close()
	var snapshot string
	if err := tx.GetContext(ctx, &snapshot, `SELECT pg_export_snapshot()`); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- inSnapshot(ctx, conn, snapshot, first) }()
	err = second(ctx, tx)
	if err != nil {
		cancel()
	}
	// The snapshot lives as long as tx: wait for the other transaction to finish with it.
	if firstErr := <-done; err == nil {
		err = firstErr
	}
	return err
}

// statsOf returns the figures of the department with code in p (f.now or f.before).
func statsOf(p map[string]*deptStats, code string) *deptStats {
	s := p[code]
	if s == nil {
		s = &deptStats{}
		p[code] = s
	}
	return s
}

// readItems adds the regular assignments' items of the week, and their
// extension requests and urges, which their rows do not count.
func (f *weekFigures) readItems(ctx context.Context, tx *sqlx.Tx, b bounds, irregular pq.Int64Array, byID map[int64]workflow.Department) error {
	extensions, err := selectExtensionCounts(ctx, tx, b, irregular)
	if err != nil {
		return err
	}
	for _, e := range extensions {
		code := byID[e.DepartmentID].Code
		statsOf(f.before, code).extensions.Total += e.Prev
		statsOf(f.now, code).extensions.Total += e.Cur
	}
	urges, err := selectUrges(ctx, tx, b, irregular)
	if err != nil {
		return err
	}
	var candidates []candidate
	type urgesOf struct {
		department int64
		thisWeek   bool
	}
	counted := map[urgesOf]bool{}
	for _, u := range urges {
		if k := (urgesOf{u.DepartmentID, u.ThisWeek}); !counted[k] {
			counted[k] = true
			stats := f.before
			if u.ThisWeek {
				stats = f.now
			}
			// Urges are counted here: the assignments' rows do not count them.
			statsOf(stats, byID[u.DepartmentID].Code).urges.Total += u.N
		}
		// An urge of the week before only counts.
		if u.ThisWeek {
			candidates = append(candidates, u.candidate)
		}
	}
	for _, read := range []func(context.Context, sqlx.QueryerContext, bounds, pq.Int64Array) ([]candidate, error){
		selectDepartmentCandidates, selectAwaitingCandidates, selectExtensionCandidates,
	} {
		c, err := read(ctx, tx, b, irregular)
		if err != nil {
			return err
		}
		candidates = append(candidates, c...)
	}
	ids := make(pq.Int64Array, len(candidates))
	for i, c := range candidates {
		ids[i] = c.ID
	}
	details, err := selectAssignmentDetails(ctx, tx, ids)
	if err != nil {
		return err
	}
	for _, c := range candidates {
		a := details[c.ID]
		f.addItem(c, a, byID[a.DepartmentID])
	}
	return nil
}

// addItem files a regular assignment's item of the week in its section.
func (f *weekFigures) addItem(c candidate, a assignmentDetail, dept workflow.Department) {
	it := Item{CaseID: a.CaseID, Ref: a.Ref, Title: a.Title, URL: f.collector.caseURL(a.CaseID), Department: dept.Code,
		DepartmentName: dept.Name, Role: workflow.AssignmentRole(a.Role), DueAt: a.DueAt, Note: c.Note}
	if c.At != nil {
		it.At = *c.At
	}
	s := statsOf(f.now, dept.Code)
	var list *ItemList
	switch c.Section {
	case "urge":
		list = &s.urges
	case "dispatched":
		list = &s.dispatched
	case "accepted":
		list = &s.accepted
	case "completed":
		list = &s.completed
	case "awaiting":
		list = &s.awaitConfirmation
	case "later":
		list = &s.later
	case "overdue":
		list = &s.overdue
		it.Days = openDays(it.DueAt, f.cur.asOf)
	case "due_soon":
		list = &s.dueSoon
		it.Days = openDays(it.DueAt, f.cur.asOf)
	case "extension":
		list = &s.extensions
		it.Until = *a.ExtensionUntil
		it.Days = openDays(it.DueAt, f.cur.asOf)
	}
	list.Items = append(list.Items, it)
}

// addRatings adds the satisfaction of each department and of the district.
func (f *weekFigures) addRatings(sums []ratingSum, byID map[int64]workflow.Department) {
	for _, r := range sums {
		avg := Average{Sum: r.Sum, N: r.N}
		switch {
		case r.DepartmentID == 0 && r.ThisWeek:
			f.satisfactionNow = avg
		case r.DepartmentID == 0:
			f.satisfactionBefore = avg
		case r.ThisWeek:
			s := statsOf(f.now, byID[r.DepartmentID].Code)
			s.satisfaction = s.satisfaction.plus(avg)
		default:
			s := statsOf(f.before, byID[r.DepartmentID].Code)
			s.satisfaction = s.satisfaction.plus(avg)
		}
	}
}

// stats returns a department's figures of the week and of the week before.
func (f *weekFigures) stats(code string) (now, before *deptStats) {
	now, before = f.now[code], f.before[code]
	if now == nil {
		now = &deptStats{}
	}
	if before == nil {
		before = &deptStats{}
	}
	return now, before
}

// department is the digest of the department with code.
func (f *weekFigures) department(code string) (*DepartmentDigest, error) {
	i := slices.IndexFunc(f.departments, func(d workflow.Department) bool { return d.Code == code })
	if i < 0 {
		return nil, &workflow.Error{Code: workflow.ErrInvalid, Message: "validation failed",
			Fields: []workflow.FieldError{{Field: "department", Message: "no such department"}}}
	}
	now, before := f.stats(code)
	count := func(pick func(*deptStats) ItemList) Count { return Count{pick(now).Total, pick(before).Total} }
	return &DepartmentDigest{
		Week: f.week, Start: f.cur.start, End: f.cur.end, AsOf: f.cur.asOf, Department: f.departments[i],
		ListURL:    f.collector.baseURL + "/departments/" + code,
		Open:       Count{now.open(), before.open()},
		Dispatched: count(func(s *deptStats) ItemList { return s.dispatched }),
		Accepted:   count(func(s *deptStats) ItemList { return s.accepted }),
		Completed:  count(func(s *deptStats) ItemList { return s.completed }),
		Overdue:    count(func(s *deptStats) ItemList { return s.overdue }),
		DueSoon:    count(func(s *deptStats) ItemList { return s.dueSoon }),
		Extensions: count(func(s *deptStats) ItemList { return s.extensions }),
		Urges:      count(func(s *deptStats) ItemList { return s.urges }),

		OverdueItems: now.overdue, DueSoonItems: now.dueSoon, LaterItems: now.later,
		DispatchedItems: now.dispatched, AcceptedItems: now.accepted, CompletedItems: now.completed,
		ExtensionItems: now.extensions, UrgeItems: now.urges,
	}, nil
}

// row is one department's line of the overview, or the total when now and
// before sum every department.
func row(dept workflow.Department, now, before *deptStats) DepartmentRow {
	return DepartmentRow{Department: dept,
		Open:         Count{now.open(), before.open()},
		New:          Count{now.dispatched.Total, before.dispatched.Total},
		Completed:    Count{now.completed.Total, before.completed.Total},
		Overdue:      Count{now.overdue.Total, before.overdue.Total},
		Response:     ComparedRate{now.response, before.response},
		OnTime:       ComparedRate{now.onTime, before.onTime},
		Satisfaction: ComparedAverage{now.satisfaction, before.satisfaction},
	}
}

// overview is the coordinators' digest.
func (f *weekFigures) overview() *Overview {
	o := &Overview{Week: f.week, Start: f.cur.start, End: f.cur.end, AsOf: f.cur.asOf, ListURL: f.collector.baseURL + "/cases"}
	var totalNow, totalBefore deptStats
	for _, dept := range f.departments {
		now, before := f.stats(dept.Code)
		o.Rows = append(o.Rows, row(dept, now, before))
		totalNow.merge(now)
		totalBefore.merge(before)
	}
	// A case rated once counts once in the district's satisfaction, whatever number of departments worked on it.
	totalNow.satisfaction, totalBefore.satisfaction = f.satisfactionNow, f.satisfactionBefore
	o.Total = row(workflow.Department{}, &totalNow, &totalBefore)
	// Each department's lists hold its first items: the district's first are among them.
	totalNow.awaitConfirmation.keepFirst(ItemsShown, byDue)
	o.ConfirmationItems = totalNow.awaitConfirmation
	o.AwaitingConfirmation = Count{totalNow.awaitConfirmation.Total, totalBefore.awaitConfirmation.Total}
	// Sorted by due date, the first overdue items are the longest overdue.
	totalNow.overdue.keepFirst(LongestOverdueShown, byDue)
	o.LongestOverdue = ItemList{Items: totalNow.overdue.Items, Total: len(totalNow.overdue.Items)}
	o.TriageItems, o.DispatchItems = f.triage, f.dispatch
	o.AwaitingTriage = Count{f.triage.Total, f.triagePrev}
	o.AwaitingDispatch = Count{f.dispatch.Total, f.dispatchPrev}
	return o
}
