package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"casetrack/workflow"
)

// lifecycle walks one case through the API and checks what each caller may do at each step.
type lifecycle struct {
	t      *testing.T
	e      *env
	caseID int64
}

// getCase reads the case as login and checks its ETag.
func (l *lifecycle) getCase(login string) workflow.Case {
	l.t.Helper()
	var c workflow.Case
	r := l.e.call(login, http.MethodGet, fmt.Sprintf("/api/v1/cases/%d", l.caseID), nil).want(l.t, http.StatusOK)
	r.decode(l.t, &c)
	if got := r.header.Get("ETag"); got != strconv.Quote(strconv.Itoa(c.Version)) {
		l.t.Fatalf("ETag %s for version %d", got, c.Version)
	}
	return c
}

// getAssignment reads an assignment as login.
func (l *lifecycle) getAssignment(login string, id int64) workflow.Assignment {
	l.t.Helper()
	var a workflow.Assignment
	l.e.call(login, http.MethodGet, fmt.Sprintf("/api/v1/assignments/%d", id), nil).want(l.t, http.StatusOK).decode(l.t, &a)
	return a
}

// caseAction takes a case action as login, sending the version it last saw as If-Match.
func (l *lifecycle) caseAction(login, action string, body any) workflow.Case {
	l.t.Helper()
	version := l.getCase(login).Version
	var c workflow.Case
	l.e.call(login, http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/actions/%s", l.caseID, action), body,
		"If-Match", strconv.Quote(strconv.Itoa(version))).want(l.t, http.StatusOK).decode(l.t, &c)
	return c
}

// assignmentAction takes an assignment action as login, with If-Match.
func (l *lifecycle) assignmentAction(login string, id int64, action string, body any) workflow.Assignment {
	l.t.Helper()
	version := l.getAssignment(login, id).Version
	var a workflow.Assignment
	r := l.e.call(login, http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/%s", id, action), body,
		"If-Match", strconv.Quote(strconv.Itoa(version))).want(l.t, http.StatusOK)
	r.decode(l.t, &a)
	if a.Version != version+1 || r.header.Get("ETag") != strconv.Quote(strconv.Itoa(a.Version)) {
		l.t.Fatalf("%s: version %d → %d, ETag %s", action, version, a.Version, r.header.Get("ETag"))
	}
	return a
}

// dispatch sends the case to dept as the coordinator.
func (l *lifecycle) dispatch(dept, role string, due time.Time) workflow.Assignment {
	l.t.Helper()
	var a workflow.Assignment
	r := l.e.call("coordinator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/assignments", l.caseID),
		map[string]any{"department": dept, "role": role, "instructions": "请牵头拆除围栏并恢复人行道", "due_at": due}).
		want(l.t, http.StatusCreated)
	r.decode(l.t, &a)
	if r.header.Get("Location") != fmt.Sprintf("/api/v1/assignments/%d", a.ID) {
		l.t.Fatalf("Location %q", r.header.Get("Location"))
	}
	return a
}

// wantCase checks the case's status and each caller's allowed actions.
func (l *lifecycle) wantCase(status workflow.CaseStatus, allowed map[string][]workflow.Action) {
	l.t.Helper()
	for login, want := range allowed {
		c := l.getCase(login)
		if c.Status != status {
			l.t.Fatalf("case is %s, want %s", c.Status, status)
		}
		wantActions(l.t, "case as "+login, c.AllowedActions, want)
	}
}

// wantAssignment checks an assignment's status and each caller's allowed actions.
func (l *lifecycle) wantAssignment(id int64, status workflow.AssignmentStatus, allowed map[string][]workflow.Action) {
	l.t.Helper()
	for login, want := range allowed {
		a := l.getAssignment(login, id)
		if a.Status != status {
			l.t.Fatalf("assignment %d is %s, want %s", id, a.Status, status)
		}
		wantActions(l.t, fmt.Sprintf("assignment %d as %s", id, login), a.AllowedActions, want)
	}
}

func wantActions(t *testing.T, what string, got, want []workflow.Action) {
	t.Helper()
	if want == nil {
		want = []workflow.Action{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("allowed_actions of %s: %v, want %v", what, got, want)
	}
}

// actions is shorthand for a list of actions.
func actions(names ...workflow.Action) []workflow.Action { return names }

func TestWholeLifeOfACaseThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l := &lifecycle{t: t, e: e}
	const (
		triage, reject, dispatch, closeCase, rate, reopen = workflow.ActionTriage, workflow.ActionReject, workflow.ActionDispatch, workflow.ActionClose, workflow.ActionRate, workflow.ActionReopen
		accept, decline, progress, requestExt             = workflow.ActionAccept, workflow.ActionDecline, workflow.ActionProgress, workflow.ActionRequestExtension
		grantExt, denyExt, complete, confirm              = workflow.ActionGrantExtension, workflow.ActionDenyExtension, workflow.ActionComplete, workflow.ActionConfirm
		returnIt, cancel, urge                            = workflow.ActionReturn, workflow.ActionCancel, workflow.ActionUrge
	)

	// The rail operator files the case.
	var filed workflow.Case
	r := e.call("operator", http.MethodPost, "/api/v1/cases", map[string]any{
		"title": "刘家嘴站围栏阻挡行人", "description": "站前人行道被围栏阻断，行人只能走机动车道",
		"category": "交通设施", "location": map[string]any{"address": "璧山区刘家嘴站", "lat": 29.59, "lng": 106.22},
		"priority": "high"}).want(t, http.StatusCreated)
	r.decode(t, &filed)
	l.caseID = filed.ID
	if r.header.Get("Location") != fmt.Sprintf("/api/v1/cases/%d", filed.ID) || r.header.Get("ETag") != `"1"` {
		t.Fatalf("Location %q, ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
	}
	if filed.Status != workflow.CaseSubmitted || filed.Reporter.ID != e.ids["operator"] || filed.Priority != workflow.PriorityHigh {
		t.Fatalf("filed: %+v", filed)
	}
	l.wantCase(workflow.CaseSubmitted, map[string][]workflow.Action{
		"operator": nil, "coordinator": actions(triage, reject, dispatch), "admin": actions(triage, reject, dispatch), "viewer": nil})

	// The coordination office triages it and dispatches a lead and a supporter.
	l.caseAction("coordinator", "triage", nil)
	l.wantCase(workflow.CaseTriaged, map[string][]workflow.Action{"coordinator": actions(reject, dispatch)})
	due := e.now().Add(10 * 24 * time.Hour).Truncate(time.Second)
	lead := l.dispatch("transport", "lead", due)
	support := l.dispatch("police", "support", due)
	if !lead.DueAt.Equal(due) || lead.Status != workflow.AssignmentPending {
		t.Fatalf("lead: %+v", lead)
	}
	l.wantCase(workflow.CaseDispatched, map[string][]workflow.Action{"coordinator": actions(dispatch), "transport.head": nil})
	l.wantAssignment(lead.ID, workflow.AssignmentPending, map[string][]workflow.Action{
		"transport.head": actions(accept, decline), "transport.officer": actions(accept),
		"coordinator": actions(cancel, urge), "police.head": nil, "operator": nil})

	// The police decline their part; the transport bureau accepts the lead.
	l.assignmentAction("police.head", support.ID, "decline", map[string]string{"reason": "不属于本部门职能", "reason_code": "not_our_function"})
	l.wantAssignment(support.ID, workflow.AssignmentDeclined, map[string][]workflow.Action{"police.head": nil, "coordinator": nil})
	l.wantCase(workflow.CaseDispatched, map[string][]workflow.Action{"coordinator": actions(dispatch)})
	l.assignmentAction("transport.officer", lead.ID, "accept", nil)
	l.wantCase(workflow.CaseInProgress, map[string][]workflow.Action{"coordinator": actions(dispatch), "operator": nil})
	l.wantAssignment(lead.ID, workflow.AssignmentInProgress, map[string][]workflow.Action{
		"transport.officer": actions(progress, requestExt), "transport.head": actions(progress, requestExt, complete),
		"coordinator": actions(cancel, urge)})

	// Progress, then more time, asked for and granted.
	l.assignmentAction("transport.officer", lead.ID, "progress", map[string]string{"note": "已联系施工单位"})
	until := due.Add(14 * 24 * time.Hour)
	asked := l.assignmentAction("transport.officer", lead.ID, "request_extension", map[string]any{"until": until, "reason": "需协调施工单位"})
	if asked.Extension == nil || asked.Extension.Status != "pending" {
		t.Fatalf("extension: %+v", asked.Extension)
	}
	l.wantAssignment(lead.ID, workflow.AssignmentInProgress, map[string][]workflow.Action{
		"transport.officer": actions(progress), "transport.head": actions(progress, complete),
		"coordinator": actions(grantExt, denyExt, cancel, urge)})
	granted := l.assignmentAction("coordinator", lead.ID, "grant_extension", nil)
	if !granted.DueAt.Equal(until) || granted.Extension.Status != "granted" {
		t.Fatalf("after grant: due %v, extension %+v", granted.DueAt, granted.Extension)
	}

	// Completed, returned for rework, completed again and confirmed: the case resolves itself.
	l.assignmentAction("transport.head", lead.ID, "complete", map[string]string{"resolution": "围栏已拆除"})
	l.wantAssignment(lead.ID, workflow.AssignmentCompleted, map[string][]workflow.Action{
		"coordinator": actions(confirm, returnIt), "transport.head": nil})
	l.assignmentAction("coordinator", lead.ID, "return", map[string]string{"reason": "人行道尚未恢复"})
	l.wantAssignment(lead.ID, workflow.AssignmentInProgress, map[string][]workflow.Action{"transport.head": actions(progress, requestExt, complete)})
	l.assignmentAction("transport.head", lead.ID, "complete", map[string]string{"resolution": "围栏已拆除，人行道已恢复"})
	l.assignmentAction("coordinator", lead.ID, "confirm", nil)
	l.wantAssignment(lead.ID, workflow.AssignmentConfirmed, map[string][]workflow.Action{"coordinator": nil})
	l.wantCase(workflow.CaseResolved, map[string][]workflow.Action{
		"coordinator": actions(closeCase, reopen), "operator": actions(rate), "transport.head": nil, "viewer": nil})

	// The operator rates the outcome, which closes the case.
	closed := l.caseAction("operator", "rate", map[string]any{"score": 4, "comment": "处理及时"})
	if closed.Status != workflow.CaseClosed || closed.Rating == nil || *closed.Rating != 4 {
		t.Fatalf("after rating: %s %v", closed.Status, closed.Rating)
	}
	l.wantCase(workflow.CaseClosed, map[string][]workflow.Action{"coordinator": actions(reopen), "operator": nil})

	// Every step is in the history, with the automatic transitions between them.
	var events struct{ Items []workflow.Event }
	e.call("coordinator", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/events", l.caseID), nil).want(t, http.StatusOK).decode(t, &events)
	var kinds []string
	for _, ev := range events.Items {
		kind := ev.Kind
		if kind == workflow.EventAuto {
			kind += ":" + ev.From + "→" + ev.To
			if ev.Actor != nil {
				t.Errorf("automatic transition with an actor: %+v", ev)
			}
		}
		kinds = append(kinds, kind)
	}
	want := []string{"create", "triage", "dispatch", "auto:triaged→dispatched", "dispatch", "decline", "accept",
		"auto:dispatched→in_progress", "progress", "request_extension", "grant_extension", "complete", "return",
		"complete", "confirm", "auto:in_progress→resolved", "rate"}
	if !slices.Equal(kinds, want) {
		t.Errorf("events:\n got %v\nwant %v", kinds, want)
	}
}
