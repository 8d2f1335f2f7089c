package workflow_test

import (
	"fmt"
	"regexp"
	"testing"

	"casetrack/workflow"
)

func TestCreatingACaseFilesItSubmittedWithTheCreatorAsReporter(t *testing.T) {
	w := newWorld(t)
	c := w.fileCase("operator", workflow.NewCase{Title: "沙坡站广场电动车乱停放", Location: workflow.Location{Address: "璧山区沙坡站"}})
	events := w.events(c)
	if c.Status != workflow.CaseSubmitted || c.Version != 1 || c.Reporter.ID != w.users["operator"].UserID || c.Priority != workflow.PriorityNormal {
		t.Errorf("new case: status %s, version %d, reporter %+v, priority %s", c.Status, c.Version, c.Reporter, c.Priority)
	}
	if want := regexp.MustCompile(fmt.Sprintf(`^CT-%d-\d{6}$`, w.now.Year())); !want.MatchString(c.Ref) {
		t.Errorf("ref %q does not match %s", c.Ref, want)
	}
	w.checkEvents(events, []wantEvent{
		{Kind: "create", To: "submitted", Actor: "operator", Visibility: workflow.VisibilityPublic,
			Data: map[string]any{"title": "沙坡站广场电动车乱停放", "priority": "normal"}},
	}, 0)
}

func TestCaseActionsMoveTheCaseAndRecordTheirEvent(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		from  workflow.CaseStatus
		login string
		cmd   workflow.CaseCommand
		want  workflow.CaseStatus
		data  map[string]any
	}{
		{"the coordinator triages a submitted case", workflow.CaseSubmitted, "coordinator", workflow.Triage{}, workflow.CaseTriaged, nil},
		{"the coordinator rejects a submitted case", workflow.CaseSubmitted, "coordinator", workflow.Reject{Reason: "不属于本区"}, workflow.CaseRejected, map[string]any{"reason": "不属于本区"}},
		{"the coordinator rejects a triaged case", workflow.CaseTriaged, "coordinator", workflow.Reject{Reason: "重复反映"}, workflow.CaseRejected, map[string]any{"reason": "重复反映"}},
		{"the coordinator closes a resolved case", workflow.CaseResolved, "coordinator", workflow.Close{Note: "已电话回访"}, workflow.CaseClosed, map[string]any{"note": "已电话回访"}},
		{"an admin closes a resolved case", workflow.CaseResolved, "admin", workflow.Close{}, workflow.CaseClosed, nil},
		{"a rating of 5 closes", workflow.CaseResolved, "operator", workflow.Rate{Score: 5, Comment: "很满意"}, workflow.CaseClosed, map[string]any{"score": 5, "comment": "很满意"}},
		{"a rating of 3 closes", workflow.CaseResolved, "operator", workflow.Rate{Score: 3}, workflow.CaseClosed, map[string]any{"score": 3}},
		{"a rating of 2 reopens", workflow.CaseResolved, "operator", workflow.Rate{Score: 2, Comment: "不满意"}, workflow.CaseReopened, map[string]any{"score": 2, "comment": "不满意"}},
		{"a rating of 1 reopens", workflow.CaseResolved, "operator", workflow.Rate{Score: 1}, workflow.CaseReopened, map[string]any{"score": 1}},
		{"the coordinator reopens a resolved case", workflow.CaseResolved, "coordinator", workflow.Reopen{Reason: "问题复发"}, workflow.CaseReopened, map[string]any{"reason": "问题复发"}},
		{"the coordinator reopens a closed case", workflow.CaseClosed, "coordinator", workflow.Reopen{Reason: "问题复发"}, workflow.CaseReopened, map[string]any{"reason": "问题复发"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w.sub(t)
			c, _ := w.caseIn(tt.from)
			before := w.get(c)
			var after *workflow.Case
			events := w.eventsOf(c, func() { after = w.actOnCase(tt.login, c, tt.cmd) })
			if after.Status != tt.want || after.Version != before.Version+1 {
				t.Errorf("case is %s at version %d, want %s at version %d", after.Status, after.Version, tt.want, before.Version+1)
			}
			if rate, ok := tt.cmd.(workflow.Rate); ok && (after.Rating == nil || *after.Rating != rate.Score) {
				t.Errorf("rating %v, want %d", after.Rating, rate.Score)
			}
			w.checkEvents(events, []wantEvent{{Kind: string(tt.cmd.Action()), From: string(tt.from), To: string(tt.want),
				Actor: tt.login, Visibility: workflow.VisibilityPublic, Data: tt.data}}, 0)
		})
	}
}

func TestCommentsAreEventsWithTheirVisibility(t *testing.T) {
	w := newWorld(t)
	c, _ := w.caseIn(workflow.CaseDispatched)
	tests := []struct {
		login      string
		visibility workflow.Visibility
	}{
		{"coordinator", workflow.VisibilityInternal},
		{"coordinator", workflow.VisibilityPublic},
		{"transport.officer", workflow.VisibilityInternal},
		{"operator", workflow.VisibilityPublic},
	}
	for _, tt := range tests {
		t.Run(tt.login+" "+string(tt.visibility), func(t *testing.T) {
			w := w.sub(t)
			body := "请尽快处理 by " + tt.login
			var got *workflow.Event
			events := w.eventsOf(c, func() {
				var err error
				if got, err = w.svc.AddComment(w.as(tt.login), c.ID, workflow.NewComment{Body: body, Visibility: tt.visibility}, 0); err != nil {
					t.Fatal(err)
				}
			})
			w.checkEvents(events, []wantEvent{{Kind: "comment", Actor: tt.login, Visibility: tt.visibility,
				Data: map[string]any{"body": body}}}, 0)
			if got.ID != events[0].ID {
				t.Errorf("AddComment returned event %d, the history holds %d", got.ID, events[0].ID)
			}
		})
	}
	if status := w.caseStatus(c); status != workflow.CaseDispatched {
		t.Errorf("comments moved the case to %s", status)
	}
}
