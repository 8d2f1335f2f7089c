package workflow

import (
	"context"
	"time"
)

// DueSoonWithin is how far ahead work counts as due soon (即将到期).
const DueSoonWithin = 7 * 24 * time.Hour

// ResponseWithin is how soon after dispatch an acceptance counts towards the response rate (响应率).
const ResponseWithin = 24 * time.Hour

// Dashboard is the picture of all departments (协调总览), limited to the cases
// the actor may see: counts by case status, figures per department and, for
// those who see every case, the queues that need a coordinator.
type Dashboard struct {
	// Global is set when the actor sees every case (coordinator, viewer, admin).
	Global bool
	// Since starts the period of the rates; Now is when the figures were taken.
	Since, Now   time.Time
	StatusCounts []StatusCount
	Departments  []DepartmentFigures
	// Queues is nil unless Global.
	Queues *CoordinatorQueues
}

// StatusCount is how many visible cases are in one state.
type StatusCount struct {
	Status CaseStatus
	Count  int
}

// Total adds up the status counts.
func (d *Dashboard) Total() int {
	n := 0
	for _, sc := range d.StatusCounts {
		n += sc.Count
	}
	return n
}

// DepartmentFigures are one department's figures (指标), as GLOSSARY.md defines them.
type DepartmentFigures struct {
	Code, Name string
	// Open, Overdue and DueSoon count pending and in-progress assignments now.
	Open, Overdue, DueSoon int
	// Dispatched counts assignments dispatched in the period; Responded those of
	// them accepted within ResponseWithin.
	Dispatched, Responded int
	// Completed counts assignments completed in the period (and not returned
	// since); OnTime those of them completed by their due date.
	Completed, OnTime int
	// Ratings counts ratings given in the period to cases the department worked on; RatingSum adds them up.
	Ratings, RatingSum int
}

// ResponseRate is Responded ÷ Dispatched; ok is false when nothing was dispatched.
func (f DepartmentFigures) ResponseRate() (rate float64, ok bool) {
	return ratio(f.Responded, f.Dispatched)
}

// OnTimeRate is OnTime ÷ (Completed + Overdue): open overdue work counts against it.
func (f DepartmentFigures) OnTimeRate() (rate float64, ok bool) {
	return ratio(f.OnTime, f.Completed+f.Overdue)
}

// Satisfaction is the average rating (1–5); ok is false when there was none.
func (f DepartmentFigures) Satisfaction() (avg float64, ok bool) {
	return ratio(f.RatingSum, f.Ratings)
}

func ratio(n, d int) (float64, bool) {
	if d == 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// QueueItem is one case, or one assignment of a case, waiting for someone.
type QueueItem struct {
	CaseID     int64      `db:"case_id"`
	Ref        string     `db:"ref"`
	Title      string     `db:"title"`
	CaseStatus CaseStatus `db:"case_status"`
	// The assignment's fields are empty for queues of cases.
	AssignmentID   int64      `db:"assignment_id"`
	Department     string     `db:"department"`
	DepartmentName string     `db:"department_name"`
	DueAt          *time.Time `db:"due_at"`
	ExtensionUntil *time.Time `db:"extension_until"`
	// At is when the item started waiting.
	At time.Time `db:"at"`
	// Total is the length of the whole queue (a window function), not of this page of it.
	Total int `db:"total"`
}

// Overdue reports whether the item's due date has passed at now.
func (q QueueItem) Overdue(now time.Time) bool { return q.DueAt != nil && now.After(*q.DueAt) }

// Queue is the first items of a queue and its full length.
type Queue struct {
	Items []QueueItem
	Total int
}

// CoordinatorQueues are the lists that need a coordinator's decision.
type CoordinatorQueues struct {
	AwaitingTriage       Queue // 待受理
	LeadDeclined         Queue // the lead department declined: a new lead is needed
	AwaitingConfirmation Queue // completed, awaiting review
	ExtensionRequests    Queue // pending requests for more time
	Overdue              Queue // assignments past their due date
}

// QueueLimit is how many items of each queue the dashboard shows.
const QueueLimit = 10

// Dashboard collects the figures of the dashboard as the actor may see them;
// the rates cover the period from since until now.
func (s *Service) Dashboard(ctx context.Context, since time.Time) (*Dashboard, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	sc := s.scopeOf(actor)
	now := s.now()
	d := &Dashboard{Global: sc.all, Since: since, Now: now}
	var err error
	if d.StatusCounts, err = selectStatusCounts(ctx, s.db, sc); err != nil {
		return nil, dbError(err)
	}
	if d.Departments, err = selectDepartmentFigures(ctx, s.db, sc, since, now); err != nil {
		return nil, dbError(err)
	}
	if !sc.all {
		return d, nil
	}
	q := &CoordinatorQueues{}
	for _, fill := range []struct {
		queue *Queue
		query string
		args  []any
	}{
		{&q.AwaitingTriage, awaitingTriageSQL, nil},
		{&q.LeadDeclined, leadDeclinedSQL, nil},
		{&q.AwaitingConfirmation, awaitingConfirmationSQL, nil},
		{&q.ExtensionRequests, extensionRequestsSQL, nil},
		{&q.Overdue, overdueSQL, []any{now}},
	} {
		if *fill.queue, err = selectQueue(ctx, s.db, sc, fill.query, fill.args...); err != nil {
			return nil, dbError(err)
		}
	}
	d.Queues = q
	return d, nil
}
