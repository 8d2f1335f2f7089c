package digest

import (
	"slices"
	"time"
)

// The figures of a week look at two instants, the start of the week (as of
// which the week before is counted) and the week's as-of, and at the
// events of two periods, the week before and the week. The assignments'
// own rows record when each was dispatched, accepted, completed and
// finished (see regularAssignments); the database reports those times as a
// phase, where each falls among the week before's start, the week's start
// and the as-of, and the figures are derived from the phases here.

// phase says when something happened relative to the two periods.
type phase int

const (
	// beforePrevWeek is before the week before began.
	beforePrevWeek phase = iota
	// inPrevWeek is during the week before.
	inPrevWeek
	// inWeek is during the week, before the as-of.
	inWeek
	// afterAsOf is at or after the as-of.
	afterAsOf
	// never is for what has not happened.
	never
)

// before reports whether p happened before the end of period q: the week
// before's end is the week's start, the week's end is its as-of.
func (p phase) before(q phase) bool { return p <= q }

// dueBands are the four instants a due date is compared with, in order:
// each period's as-of and that as-of plus DueSoonWithin. A due date's band
// is how many of them are not after it.
type dueBands [4]time.Time

func newDueBands(prevAsOf, asOf time.Time) dueBands {
	b := dueBands{prevAsOf, asOf, prevAsOf.Add(DueSoonWithin), asOf.Add(DueSoonWithin)}
	slices.SortFunc(b[:], func(x, y time.Time) int { return x.Compare(y) })
	return b
}

// dueBefore reports whether a due date in band is before t, one of the bands' instants.
func (b dueBands) dueBefore(band int, t time.Time) bool {
	return band <= slices.IndexFunc(b[:], t.Equal)
}

// assignmentPhases is a number of regular assignments of one department
// whose times fall in the same phases.
type assignmentPhases struct {
	DepartmentID int64 `db:"department_id"`
	Dispatched   phase `db:"dispatched"`
	Accepted     phase `db:"accepted"`
	Completed    phase `db:"completed"`
	// Finished is when the assignment was confirmed, declined or cancelled.
	Finished phase `db:"finished"`
	// DueBand places the due date among the dueBands.
	DueBand int `db:"due_band"`
	// Quick says the assignment was accepted within ResponseWithin of its dispatch.
	Quick bool `db:"quick"`
	// OnTime says it was completed by its due date.
	OnTime bool `db:"on_time"`
	N      int  `db:"n"`
}

// stateAt is where the assignments stood at the end of period p, as the
// replay of their events would find: "" when they did not exist yet or were
// finished.
func (a assignmentPhases) stateAt(p phase) string {
	switch {
	case !a.Dispatched.before(p), a.Finished.before(p):
		return ""
	case a.Completed.before(p):
		return "completed"
	case a.Accepted.before(p):
		return "in_progress"
	}
	return "pending"
}

// count adds the assignments to s, the figures of period p (inPrevWeek or
// inWeek), which ends at asOf.
func (a assignmentPhases) count(s *deptStats, p phase, asOf time.Time, bands dueBands) {
	switch a.stateAt(p) {
	case "completed":
		s.awaitConfirmation.Total += a.N
	case "pending", "in_progress":
		switch {
		case bands.dueBefore(a.DueBand, asOf):
			s.overdue.Total += a.N
		case bands.dueBefore(a.DueBand, asOf.Add(DueSoonWithin)):
			s.dueSoon.Total += a.N
		default:
			s.later.Total += a.N
		}
	}
	if a.Dispatched == p {
		s.dispatched.Total += a.N
		s.response.Den += a.N
		// Accepted within a day of the dispatch, and before the period's end.
		if a.Quick && a.Accepted.before(p) {
			s.response.Num += a.N
		}
	}
	if a.Accepted == p {
		s.accepted.Total += a.N
	}
	if a.Completed == p {
		s.completed.Total += a.N
		s.onTime.Den += a.N
		if a.OnTime {
			s.onTime.Num += a.N
		}
	}
}
