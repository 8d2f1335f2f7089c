package workflow

import (
	"context"
	"time"
)

// DueSoonWithin is how far ahead work counts as due soon (即将到期).
const DueSoonWithin = 7 * 24 * time.Hour

// ResponseWithin is how soon after dispatch an acceptance counts towards the response rate (响应率).
const ResponseWithin = 24 * time.Hour

// DashboardPeriod is the span of the rates on the dashboard, up to now.
const DashboardPeriod = 30 * 24 * time.Hour

// Dashboard is the picture of all departments (协调总览), limited to what the
// actor may see: counts by case status and figures per department, and, for
// those who see every case, the queues that need a coordinator.
type Dashboard struct {
	// Global is set when the actor sees every case (coordinator, viewer, admin).
	Global bool
	// Now is when the dashboard was read.
	Now time.Time
	// Figures is nil while the scope's figures are computed for the first time.
	Figures *DashboardFigures
	// Queues is nil unless Global. They are read on every request.
	Queues *CoordinatorQueues
}

// DashboardFigures are the aggregates of one scope, as they were at TakenAt:
// at a large scale they are kept and served until they are due again (see
// dashboard_figures.go).
type DashboardFigures struct {
	// TakenAt is when they were computed, Took how long that took; the rates
	// cover the period from Since to TakenAt.
	TakenAt      time.Time           `json:"taken_at"`
	Took         time.Duration       `json:"took"`
	Since        time.Time           `json:"since"`
	StatusCounts []StatusCount       `json:"status_counts"`
	Departments  []DepartmentFigures `json:"departments"`
}

// StatusCount is how many visible cases are in one state.
type StatusCount struct {
	Status CaseStatus `json:"status"`
	Count  int        `json:"count"`
}

// Total adds up the status counts.
func (f *DashboardFigures) Total() int {
	n := 0
	for _, sc := range f.StatusCounts {
		n += sc.Count
	}
	return n
}

// DepartmentFigures are one department's figures (指标), as GLOSSARY.md defines them.
type DepartmentFigures struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Open, Overdue and DueSoon count pending and in-progress assignments now.
	Open    int `json:"open"`
	Overdue int `json:"overdue"`
	DueSoon int `json:"due_soon"`
	// Dispatched counts assignments dispatched in the period; Responded those of
	// them accepted within ResponseWithin.
	Dispatched int `json:"dispatched"`
	Responded  int `json:"responded"`
	// Completed counts assignments completed in the period (and not returned
	// since); OnTime those of them completed by their due date.
	Completed int `json:"completed"`
	OnTime    int `json:"on_time"`
	// Ratings counts ratings given in the period to cases the department
	// worked on; RatingSum adds them up.
	Ratings   int `json:"ratings"`
	RatingSum int `json:"rating_sum"`
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
}

// Overdue reports whether the item's due date has passed at now.
func (q QueueItem) Overdue(now time.Time) bool { return q.DueAt != nil && now.After(*q.DueAt) }

// Queue is the first items of a queue, longest waiting first. Its length is
// not counted on every request: the status counts give the backlog.
type Queue struct {
	Items []QueueItem
	// More is set when more items wait than Items holds.
	More bool
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

// Dashboard collects the dashboard as the actor may see it: the figures of
// the actor's scope, and for those who see every case the queues.
func (s *Service) Dashboard(ctx context.Context) (*Dashboard, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	sc := s.scopeOf(actor)
	d := &Dashboard{Global: sc.all, Now: s.now()}
	var err error
	if d.Figures, err = s.dashboardFigures(ctx, figureScopeOf(sc)); err != nil {
		return nil, err
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
		{&q.Overdue, overdueSQL, []any{d.Now}},
	} {
		if *fill.queue, err = selectQueue(ctx, s.db, fill.query, fill.args...); err != nil {
			return nil, dbError(err)
		}
	}
	d.Queues = q
	return d, nil
}
