package workflow

import (
	"context"
	"slices"
	"time"
)

// DepartmentQueue is one department's open work (我的部门), in the lists its
// staff work from. An assignment can be in several lists: a returned one is
// also in progress, an overdue one also waiting for acceptance.
type DepartmentQueue struct {
	Department Department
	Now        time.Time
	ToAccept   []*QueueEntry // pending: accept or decline
	InProgress []*QueueEntry
	DueSoon    []*QueueEntry // open, due within DueSoonWithin
	Overdue    []*QueueEntry // open, past the due date
	Returned   []*QueueEntry // sent back for rework and not completed since
	// Truncated is set when the department has more open work than DepartmentQueueLimit.
	Truncated bool
}

// QueueEntry is one open assignment of a department, with its case.
type QueueEntry struct {
	CaseID     int64
	Ref        string
	Title      string
	CaseStatus CaseStatus
	Priority   Priority
	Assignment *Assignment
	Returned   bool
}

// DepartmentQueueLimit bounds the open assignments a queue page reads.
const DepartmentQueueLimit = 500

// DepartmentQueue returns the open work of department code. Its staff and
// those who see every case may read it; for anyone else, and for an unknown
// department, it answers ErrNotFound, as for a case they may not see.
func (s *Service) DepartmentQueue(ctx context.Context, code string) (*DepartmentQueue, error) {
	actor := ActorFrom(ctx)
	if err := requireActor(actor); err != nil {
		return nil, err
	}
	sc := s.scopeOf(actor)
	dept, deptID, err := selectDepartment(ctx, s.db, code)
	if err != nil {
		return nil, dbError(err)
	}
	if !sc.all && !slices.Contains(sc.deptIDs, deptID) {
		return nil, Errorf(ErrNotFound, "no department %q", code)
	}
	now := s.now()
	rows, err := selectOpenWork(ctx, s.db, sc, deptID, now)
	if err != nil {
		return nil, dbError(err)
	}
	q := &DepartmentQueue{Department: *dept, Now: now, Truncated: len(rows) > DepartmentQueueLimit}
	if q.Truncated {
		rows = rows[:DepartmentQueueLimit]
	}
	for _, e := range rows {
		e.Assignment.AllowedActions = s.assignmentActionsFor(actor, e.Assignment.actionKey())
		a := e.Assignment
		switch a.Status {
		case AssignmentPending:
			q.ToAccept = append(q.ToAccept, e)
		case AssignmentInProgress:
			q.InProgress = append(q.InProgress, e)
			if e.Returned {
				q.Returned = append(q.Returned, e)
			}
		}
		switch {
		case a.Overdue:
			q.Overdue = append(q.Overdue, e)
		case a.DueAt.Before(now.Add(DueSoonWithin)):
			q.DueSoon = append(q.DueSoon, e)
		}
	}
	return q, nil
}
