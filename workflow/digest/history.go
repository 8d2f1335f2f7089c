package digest

import (
	"time"

	"casetrack/workflow"
)

// history is one assignment with its events, oldest first: the digest
// replays them to know where the assignment stood at any moment, so that a
// week's figures come out the same whenever they are computed.
type history struct {
	ID             int64  `db:"id"`
	CaseID         int64  `db:"case_id"`
	Ref            string `db:"ref"`
	Title          string `db:"title"`
	Department     string `db:"department"`
	DepartmentName string `db:"department_name"`
	Role           string `db:"role"`
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

// rating is one reporter's verdict on a case, and the departments whose work it judged.
type rating struct {
	CaseID      int64
	At          time.Time
	Score       int
	Departments []string
}
