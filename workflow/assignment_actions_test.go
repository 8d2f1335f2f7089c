package workflow_test

import (
	"testing"
	"time"

	"casetrack/workflow"
)

// autoStep is an automatic case transition an action sets off.
type autoStep struct{ from, to workflow.CaseStatus }

// autoEvents is what the history shows for automatic steps.
func autoEvents(steps []autoStep) []wantEvent {
	var events []wantEvent
	for _, s := range steps {
		events = append(events, wantEvent{Kind: "auto", From: string(s.from), To: string(s.to), Visibility: workflow.VisibilityPublic})
	}
	return events
}

func TestDispatchAddsAPendingAssignmentAndMovesAWaitingCase(t *testing.T) {
	w := newWorld(t)
	due := w.now.Add(3 * 24 * time.Hour)
	tests := []struct {
		name     string
		from     workflow.CaseStatus
		dispatch workflow.Dispatch
		wantDue  time.Time
		auto     []autoStep
	}{
		{"a lead to a triaged case, due in 7 days by default", workflow.CaseTriaged,
			workflow.Dispatch{Department: "police", Role: workflow.RoleLead, Instructions: "增设斑马线"},
			w.now.Add(workflow.DefaultDueIn), []autoStep{{"triaged", "dispatched"}}},
		{"a support straight from submission, with a due date", workflow.CaseSubmitted,
			workflow.Dispatch{Department: "police", Role: workflow.RoleSupport, Instructions: "配合疏导交通", DueAt: &due},
			due, []autoStep{{"submitted", "dispatched"}}},
		{"a support to a dispatched case", workflow.CaseDispatched,
			workflow.Dispatch{Department: "police", Role: workflow.RoleSupport}, w.now.Add(workflow.DefaultDueIn), nil},
		{"a support to a case in progress", workflow.CaseInProgress,
			workflow.Dispatch{Department: "citymgmt", Role: workflow.RoleSupport, Instructions: "清理站前广场"}, w.now.Add(workflow.DefaultDueIn), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w.sub(t)
			c, _ := w.caseIn(tt.from)
			var a *workflow.Assignment
			events := w.eventsOf(c, func() {
				var err error
				if a, err = w.svc.DispatchAssignment(w.as("coordinator"), c.ID, tt.dispatch, 0); err != nil {
					t.Fatal(err)
				}
			})
			if a.Status != workflow.AssignmentPending || a.Department != tt.dispatch.Department || a.Role != tt.dispatch.Role ||
				a.Instructions != tt.dispatch.Instructions || !a.DueAt.Equal(tt.wantDue) || a.Version != 1 {
				t.Errorf("assignment: %+v", a)
			}
			want := []wantEvent{{Kind: "dispatch", To: "pending", OnAssignment: true, Actor: "coordinator", Visibility: workflow.VisibilityPublic,
				Data: map[string]any{"department": tt.dispatch.Department, "role": tt.dispatch.Role, "instructions": tt.dispatch.Instructions, "due_at": tt.wantDue}}}
			w.checkEvents(events, append(want, autoEvents(tt.auto)...), a.ID)
			wantCase := tt.from
			if len(tt.auto) > 0 {
				wantCase = tt.auto[len(tt.auto)-1].to
			}
			if got := w.caseStatus(c); got != wantCase {
				t.Errorf("case is %s, want %s", got, wantCase)
			}
		})
	}
}

func TestAssignmentActionsMoveTheAssignmentAndRecordTheirEvent(t *testing.T) {
	w := newWorld(t)
	until := w.now.Add(20 * 24 * time.Hour)
	tests := []struct {
		name             string
		from             workflow.AssignmentStatus
		extensionPending bool
		login            string
		cmd              workflow.AssignmentCommand
		want             workflow.AssignmentStatus
		wantCase         workflow.CaseStatus
		data             map[string]any
		auto             []autoStep
		check            func(t *testing.T, before, after *workflow.Assignment)
	}{
		{name: "an officer accepts a pending assignment", from: "pending", login: "transport.officer", cmd: workflow.Accept{},
			want: "in_progress", wantCase: "in_progress", auto: []autoStep{{"dispatched", "in_progress"}},
			check: func(t *testing.T, _, after *workflow.Assignment) {
				if after.AcceptedAt == nil || !after.AcceptedAt.Equal(w.now) {
					t.Errorf("accepted at %v, want %v", after.AcceptedAt, w.now)
				}
			}},
		{name: "a head accepts a pending assignment", from: "pending", login: "transport.head", cmd: workflow.Accept{},
			want: "in_progress", wantCase: "in_progress", auto: []autoStep{{"dispatched", "in_progress"}}},
		{name: "the head declines the only assignment, which sends the case back to triage", from: "pending", login: "transport.head",
			cmd:  workflow.Decline{Reason: "属于区城市管理局职能", ReasonCode: "not_our_function"},
			want: "declined", wantCase: "triaged", data: map[string]any{"reason": "属于区城市管理局职能", "reason_code": "not_our_function"},
			auto: []autoStep{{"dispatched", "triaged"}}},
		{name: "an officer posts progress", from: "in_progress", login: "transport.officer", cmd: workflow.Progress{Note: "已联系施工单位"},
			want: "in_progress", wantCase: "in_progress", data: map[string]any{"note": "已联系施工单位"}},
		{name: "an officer asks for more time", from: "in_progress", login: "transport.officer",
			cmd:  workflow.RequestExtension{Until: until, Reason: "需协调施工单位"},
			want: "in_progress", wantCase: "in_progress", data: map[string]any{"until": until, "reason": "需协调施工单位"},
			check: func(t *testing.T, before, after *workflow.Assignment) {
				if !after.ExtensionPending() || !after.Extension.Until.Equal(until) || after.Extension.Reason != "需协调施工单位" || !after.DueAt.Equal(before.DueAt) {
					t.Errorf("extension %+v, due %v (was %v)", after.Extension, after.DueAt, before.DueAt)
				}
			}},
		{name: "the coordinator grants more time, which moves the due date", from: "in_progress", extensionPending: true, login: "coordinator",
			cmd: workflow.GrantExtension{}, want: "in_progress", wantCase: "in_progress", data: map[string]any{"due_at": until},
			check: func(t *testing.T, _, after *workflow.Assignment) {
				if after.Extension.Status != "granted" || !after.DueAt.Equal(until) {
					t.Errorf("extension %+v, due %v, want granted and due %v", after.Extension, after.DueAt, until)
				}
			}},
		{name: "the coordinator denies more time, which keeps the due date", from: "in_progress", extensionPending: true, login: "coordinator",
			cmd: workflow.DenyExtension{Reason: "工期已很宽松"}, want: "in_progress", wantCase: "in_progress", data: map[string]any{"reason": "工期已很宽松"},
			check: func(t *testing.T, before, after *workflow.Assignment) {
				if after.Extension.Status != "denied" || !after.DueAt.Equal(before.DueAt) {
					t.Errorf("extension %+v, due %v, want denied and due %v", after.Extension, after.DueAt, before.DueAt)
				}
			}},
		{name: "the head completes", from: "in_progress", login: "transport.head", cmd: workflow.Complete{Resolution: "围栏已拆除"},
			want: "completed", wantCase: "in_progress", data: map[string]any{"resolution": "围栏已拆除"},
			check: func(t *testing.T, _, after *workflow.Assignment) {
				if after.Resolution != "围栏已拆除" || after.CompletedAt == nil {
					t.Errorf("resolution %q, completed at %v", after.Resolution, after.CompletedAt)
				}
			}},
		{name: "the coordinator returns completed work", from: "completed", login: "coordinator", cmd: workflow.Return{Reason: "人行道未恢复"},
			want: "in_progress", wantCase: "in_progress", data: map[string]any{"reason": "人行道未恢复"},
			check: func(t *testing.T, _, after *workflow.Assignment) {
				if after.CompletedAt != nil {
					t.Errorf("still completed at %v", after.CompletedAt)
				}
			}},
		{name: "the coordinator confirms the only assignment, which resolves the case", from: "completed", login: "coordinator", cmd: workflow.Confirm{},
			want: "confirmed", wantCase: "resolved", auto: []autoStep{{"in_progress", "resolved"}}},
		{name: "an admin confirms like a coordinator", from: "completed", login: "admin", cmd: workflow.Confirm{},
			want: "confirmed", wantCase: "resolved", auto: []autoStep{{"in_progress", "resolved"}}},
		{name: "the coordinator withdraws a pending assignment", from: "pending", login: "coordinator", cmd: workflow.Cancel{Reason: "派错部门"},
			want: "cancelled", wantCase: "triaged", data: map[string]any{"reason": "派错部门"}, auto: []autoStep{{"dispatched", "triaged"}}},
		{name: "the coordinator withdraws an assignment in progress", from: "in_progress", login: "coordinator", cmd: workflow.Cancel{Reason: "改由区交通局统筹"},
			want: "cancelled", wantCase: "triaged", data: map[string]any{"reason": "改由区交通局统筹"}, auto: []autoStep{{"in_progress", "triaged"}}},
		{name: "the coordinator urges a pending assignment", from: "pending", login: "coordinator", cmd: workflow.Urge{Note: "请今日签收"},
			want: "pending", wantCase: "dispatched", data: map[string]any{"note": "请今日签收"}},
		{name: "the coordinator urges an assignment in progress", from: "in_progress", login: "coordinator", cmd: workflow.Urge{Note: "请加快进度"},
			want: "in_progress", wantCase: "in_progress", data: map[string]any{"note": "请加快进度"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w.sub(t)
			c, before := w.leadIn(tt.from)
			if tt.extensionPending {
				before = w.act("transport.officer", before, workflow.RequestExtension{Until: until, Reason: "需协调施工单位"})
			}
			var after *workflow.Assignment
			events := w.eventsOf(c, func() { after = w.act(tt.login, before, tt.cmd) })
			if after.Status != tt.want || after.Version != before.Version+1 {
				t.Errorf("assignment is %s at version %d, want %s at version %d", after.Status, after.Version, tt.want, before.Version+1)
			}
			if got := w.caseStatus(c); got != tt.wantCase {
				t.Errorf("case is %s, want %s", got, tt.wantCase)
			}
			want := []wantEvent{{Kind: string(tt.cmd.Action()), From: string(tt.from), To: string(tt.want), OnAssignment: true,
				Actor: tt.login, Visibility: workflow.VisibilityInternal, Data: tt.data}}
			w.checkEvents(events, append(want, autoEvents(tt.auto)...), before.ID)
			if tt.check != nil {
				tt.check(t, before, after)
			}
		})
	}
}
