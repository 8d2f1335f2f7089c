package digest

import (
	"cmp"
	"context"
	"slices"

	"casetrack/workflow"
)

// weekFigures is everything one week's digests are made of: the replayed
// work of the week and of the week before, department by department.
type weekFigures struct {
	week        Week
	cur, prev   period
	departments []workflow.Department
	now, before map[string]*deptStats
	cases       []*caseHistory
	ratings     []rating
	collector   collector
}

// collect reads what the digests of week need, as it stands now.
func (d *Digester) collect(ctx context.Context, week Week) (*weekFigures, error) {
	if d.now().Before(week.Start(d.loc)) {
		return nil, invalid("week", week.String()+" has not begun")
	}
	cur, prev := periodsOf(week, d.loc, d.now())
	departments, err := d.svc.Departments(ctx)
	if err != nil {
		return nil, err
	}
	histories, err := selectHistories(ctx, d.db, prev.start, cur.asOf)
	if err != nil {
		return nil, workflow.DBError(err)
	}
	cases, err := selectCaseHistories(ctx, d.db, prev.start, cur.asOf)
	if err != nil {
		return nil, workflow.DBError(err)
	}
	ratings, err := selectRatings(ctx, d.db, prev.start, cur.asOf)
	if err != nil {
		return nil, workflow.DBError(err)
	}
	c := collector{baseURL: d.baseURL}
	return &weekFigures{week: week, cur: cur, prev: prev, departments: departments, cases: cases, ratings: ratings, collector: c,
		now: c.stats(histories, ratings, cur), before: c.stats(histories, ratings, prev)}, nil
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
	count := func(pick func(*deptStats) []Item) Count { return Count{len(pick(now)), len(pick(before))} }
	return &DepartmentDigest{
		Week: f.week, Start: f.cur.start, End: f.cur.end, AsOf: f.cur.asOf, Department: f.departments[i],
		ListURL:    f.collector.baseURL + "/departments/" + code,
		Open:       Count{now.open(), before.open()},
		Dispatched: count(func(s *deptStats) []Item { return s.dispatched }),
		Accepted:   count(func(s *deptStats) []Item { return s.accepted }),
		Completed:  count(func(s *deptStats) []Item { return s.completed }),
		Overdue:    count(func(s *deptStats) []Item { return s.overdue }),
		DueSoon:    count(func(s *deptStats) []Item { return s.dueSoon }),
		Extensions: count(func(s *deptStats) []Item { return s.extensions }),
		Urges:      count(func(s *deptStats) []Item { return s.urges }),

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
		New:          Count{len(now.dispatched), len(before.dispatched)},
		Completed:    Count{len(now.completed), len(before.completed)},
		Overdue:      Count{len(now.overdue), len(before.overdue)},
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
	totalNow.satisfaction, totalBefore.satisfaction = f.satisfaction(f.cur), f.satisfaction(f.prev)
	o.Total = row(workflow.Department{}, &totalNow, &totalBefore)
	totalNow.sort()
	o.ConfirmationItems = totalNow.awaitConfirmation
	o.AwaitingConfirmation = Count{len(totalNow.awaitConfirmation), len(totalBefore.awaitConfirmation)}
	// Sorted by due date, the first overdue items are the longest overdue.
	o.LongestOverdue = totalNow.overdue[:min(len(totalNow.overdue), LongestOverdueShown)]
	o.TriageItems, o.DispatchItems = f.waitingCases(f.cur)
	triagePrev, dispatchPrev := f.waitingCases(f.prev)
	o.AwaitingTriage = Count{len(o.TriageItems), len(triagePrev)}
	o.AwaitingDispatch = Count{len(o.DispatchItems), len(dispatchPrev)}
	return o
}

// waitingCases lists the cases that, just before p.asOf, waited for triage
// (submitted) and for dispatch (triaged or reopened), longest-waiting first.
func (f *weekFigures) waitingCases(p period) (triage, dispatch []Item) {
	for _, h := range f.cases {
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

// satisfaction is the average of the ratings given in p.
func (f *weekFigures) satisfaction(p period) Average {
	var avg Average
	for _, r := range f.ratings {
		if p.contains(r.At) {
			avg = avg.add(r.Score)
		}
	}
	return avg
}

// merge adds o's work to s, for the district's total.
func (s *deptStats) merge(o *deptStats) {
	s.overdue = append(s.overdue, o.overdue...)
	s.dueSoon = append(s.dueSoon, o.dueSoon...)
	s.later = append(s.later, o.later...)
	s.dispatched = append(s.dispatched, o.dispatched...)
	s.completed = append(s.completed, o.completed...)
	s.awaitConfirmation = append(s.awaitConfirmation, o.awaitConfirmation...)
	s.response = s.response.plus(o.response)
	s.onTime = s.onTime.plus(o.onTime)
}
