package workflow_test

import (
	"testing"

	"casetrack/workflow"
)

// The automatic case transitions as several departments work on one case.

func TestDeclinedLeadLeavesTheCaseWaitingForANewLead(t *testing.T) {
	w := newWorld(t)
	c, lead := w.caseIn(workflow.CaseDispatched)
	support := w.dispatch(c, "police", workflow.RoleSupport)
	events := w.eventsOf(c, func() { w.act("transport.head", lead, workflow.Decline{Reason: "属于区城市管理局职能"}) })
	if len(events) != 1 || w.caseStatus(c) != workflow.CaseDispatched {
		t.Fatalf("after the lead declined: %s, case %s; want only the decline, case still dispatched", kinds(events), w.caseStatus(c))
	}
	newLead := w.dispatch(c, "citymgmt", workflow.RoleLead)
	w.act("police.officer", support, workflow.Accept{})
	if got := w.caseStatus(c); got != workflow.CaseInProgress {
		t.Fatalf("after the support accepted: case %s, want in_progress", got)
	}
	if newLead.Status != workflow.AssignmentPending {
		t.Fatalf("new lead is %s", newLead.Status)
	}
}

func TestCaseGoesBackToTriageOnlyWhenEveryAssignmentIsDeclinedOrCancelled(t *testing.T) {
	w := newWorld(t)
	c, lead := w.caseIn(workflow.CaseDispatched)
	support := w.dispatch(c, "police", workflow.RoleSupport)
	w.act("police.head", support, workflow.Decline{Reason: "不属于本部门职能"})
	if got := w.caseStatus(c); got != workflow.CaseDispatched {
		t.Fatalf("after one of two declined: case %s, want dispatched", got)
	}
	events := w.eventsOf(c, func() { w.act("coordinator", lead, workflow.Cancel{Reason: "重新研究派单"}) })
	w.checkEvents(events[1:], autoEvents([]autoStep{{"dispatched", "triaged"}}), 0)
	again := w.dispatch(c, "transport", workflow.RoleLead)
	if got := w.caseStatus(c); got != workflow.CaseDispatched || again.Status != workflow.AssignmentPending {
		t.Fatalf("after a new dispatch: case %s, assignment %s", got, again.Status)
	}
}

func TestCaseIsResolvedWhenEveryLiveAssignmentIsConfirmed(t *testing.T) {
	w := newWorld(t)
	c, lead := w.caseIn(workflow.CaseInProgress)
	support := w.act("police.officer", w.dispatch(c, "police", workflow.RoleSupport), workflow.Accept{})
	withdrawn := w.dispatch(c, "citymgmt", workflow.RoleSupport)
	w.act("coordinator", withdrawn, workflow.Cancel{Reason: "不需要"})
	for _, a := range []*workflow.Assignment{lead, support} {
		if got := w.caseStatus(c); got != workflow.CaseInProgress {
			t.Fatalf("before confirming %s: case %s, want in_progress", a.Department, got)
		}
		w.act(a.Department+".head", a, workflow.Complete{Resolution: "已完成"})
		w.act("coordinator", a, workflow.Confirm{})
	}
	if got := w.caseStatus(c); got != workflow.CaseResolved {
		t.Fatalf("after every live assignment was confirmed: case %s, want resolved", got)
	}
}

func TestPoorRatingReopensTheCaseForANewRoundOfWork(t *testing.T) {
	w := newWorld(t)
	c, first := w.caseIn(workflow.CaseResolved)
	reopened := w.actOnCase("operator", c, workflow.Rate{Score: 2, Comment: "围栏只拆了一半"})
	if reopened.Status != workflow.CaseReopened {
		t.Fatalf("after a rating of 2: %s", reopened.Status)
	}
	var second *workflow.Assignment
	events := w.eventsOf(c, func() { second = w.dispatch(c, "transport", workflow.RoleLead) })
	w.checkEvents(events[1:], autoEvents([]autoStep{{"reopened", "dispatched"}}), 0)
	w.act("transport.officer", second, workflow.Accept{})
	w.act("transport.head", second, workflow.Complete{Resolution: "剩余围栏已拆除"})
	w.act("coordinator", second, workflow.Confirm{})
	resolved := w.get(c)
	if resolved.Status != workflow.CaseResolved || len(resolved.Assignments) != 2 || resolved.Assignments[0].ID != first.ID ||
		resolved.Assignments[0].Status != workflow.AssignmentConfirmed {
		t.Fatalf("after the second round: case %s with %d assignments", resolved.Status, len(resolved.Assignments))
	}
	if closed := w.actOnCase("operator", c, workflow.Rate{Score: 4}); closed.Status != workflow.CaseClosed || *closed.Rating != 4 {
		t.Fatalf("after a rating of 4: %s, rating %v", closed.Status, *closed.Rating)
	}
}
