package digest

import (
	"strconv"
	"time"

	"casetrack/workflow"
)

// history is one assignment with its events, oldest first. The figures of
// most assignments come from their rows (see regularAssignments); an
// irregular one, whose row does not say when it was returned, declined,
// cancelled or given a decision on an extension, has its events replayed
// to know where it stood at any moment.
type history struct {
	ID             int64
	CaseID         int64
	Department     string
	DepartmentName string
	Role           string
	Events         []assignmentEvent
}

// assignmentEvent is what the digest reads of one event of an assignment.
type assignmentEvent struct {
	At   time.Time
	Kind string
	To   workflow.AssignmentStatus
	// DueAt is the due date a dispatch or a granted extension set.
	DueAt *time.Time
	// Until is the date an extension request asked for.
	Until *time.Time
	// Note is an urge's note.
	Note string
}

// state is where an assignment stood.
type state struct {
	status           workflow.AssignmentStatus
	dueAt            time.Time
	extensionPending bool
	extensionUntil   time.Time
}

func (st state) open() bool {
	return st.status == workflow.AssignmentPending || st.status == workflow.AssignmentInProgress
}

// replay applies events in order.
func replay(events []assignmentEvent) state {
	var st state
	for _, e := range events {
		if e.To != "" {
			st.status = e.To
		}
		if e.DueAt != nil {
			st.dueAt = *e.DueAt
		}
		switch workflow.Action(e.Kind) {
		case workflow.ActionRequestExtension:
			st.extensionPending = true
			if e.Until != nil {
				st.extensionUntil = *e.Until
			}
		case workflow.ActionGrantExtension, workflow.ActionDenyExtension:
			st.extensionPending = false
		}
	}
	return st
}

// stateBefore is where the assignment stood just before t; false if it did not exist yet.
func (h *history) stateBefore(t time.Time) (state, bool) {
	n := 0
	for n < len(h.Events) && h.Events[n].At.Before(t) {
		n++
	}
	return replay(h.Events[:n]), n > 0
}

// firstAt returns when the first event of kind happened, if it did before t.
func (h *history) firstAt(kind workflow.Action, t time.Time) (time.Time, bool) {
	for _, e := range h.Events {
		if e.At.Before(t) && e.Kind == string(kind) {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// collector turns replayed histories into the items and figures of a period.
type collector struct {
	baseURL string
}

func (c collector) caseURL(id int64) string { return c.baseURL + "/cases/" + strconv.FormatInt(id, 10) }

// assignmentItem is the item of assignment h in state st; nameCases
// gives it its case's reference, title and link once it is kept.
func (c collector) assignmentItem(h *history, st state) Item {
	return Item{CaseID: h.CaseID, Department: h.Department, DepartmentName: h.DepartmentName,
		Role: workflow.AssignmentRole(h.Role), DueAt: st.dueAt}
}

// addReplayed adds history h replayed over period p to stats, by
// department code, and returns the department's figures.
func (c collector) addReplayed(h *history, p period, stats map[string]*deptStats) *deptStats {
	s := statsOf(stats, h.Department)
	c.snapshot(s, h, p)
	c.periodEvents(s, h, p)
	return s
}

// snapshot files h by where it stood just before p.asOf.
func (c collector) snapshot(s *deptStats, h *history, p period) {
	st, ok := h.stateBefore(p.asOf)
	if !ok {
		return
	}
	item := c.assignmentItem(h, st)
	switch {
	case st.status == workflow.AssignmentCompleted:
		s.awaitConfirmation.add(item)
		return
	case !st.open():
		return
	}
	item.Days = openDays(st.dueAt, p.asOf)
	switch {
	case st.dueAt.Before(p.asOf):
		s.overdue.add(item)
	case st.dueAt.Before(p.asOf.Add(DueSoonWithin)):
		s.dueSoon.add(item)
	default:
		s.later.add(item)
	}
	if st.extensionPending {
		item.Until = st.extensionUntil
		s.extensions.add(item)
	}
}

// periodEvents counts what happened to h during p.
func (c collector) periodEvents(s *deptStats, h *history, p period) {
	completed := -1
	for i, e := range h.Events {
		if !p.contains(e.At) {
			continue
		}
		item := c.assignmentItem(h, replay(h.Events[:i+1]))
		item.At = e.At
		switch workflow.Action(e.Kind) {
		case workflow.ActionDispatch:
			s.dispatched.add(item)
			s.response.Den++
			if accepted, ok := h.firstAt(workflow.ActionAccept, p.asOf); ok && accepted.Sub(e.At) <= ResponseWithin {
				s.response.Num++
			}
		case workflow.ActionAccept:
			s.accepted.add(item)
		case workflow.ActionComplete:
			completed = i
		case workflow.ActionUrge:
			item.Note = e.Note
			s.urges.add(item)
		}
	}
	if completed >= 0 {
		e := h.Events[completed]
		before := replay(h.Events[:completed])
		item := c.assignmentItem(h, before)
		item.At = e.At
		s.completed.add(item)
		s.onTime.Den++
		if !e.At.After(before.dueAt) {
			s.onTime.Num++
		}
	}
}
