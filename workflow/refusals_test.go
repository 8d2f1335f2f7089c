package workflow_test

import (
	"slices"
	"testing"
	"time"

	"casetrack/workflow"
)

// A refused action answers with a code and changes nothing.

// builder makes the case (and assignment) an action is tried on.
type builder func(w *world) (*workflow.Case, *workflow.Assignment)

func aCase(status workflow.CaseStatus) builder {
	return func(w *world) (*workflow.Case, *workflow.Assignment) { return w.caseIn(status) }
}

func aLead(status workflow.AssignmentStatus) builder {
	return func(w *world) (*workflow.Case, *workflow.Assignment) { return w.leadIn(status) }
}

// aLeadAskingForMoreTime is a transport lead in progress with an extension request pending.
func aLeadAskingForMoreTime(w *world) (*workflow.Case, *workflow.Assignment) {
	c, lead := w.leadIn(workflow.AssignmentInProgress)
	return c, w.act("transport.officer", lead, workflow.RequestExtension{Until: w.now.Add(30 * 24 * time.Hour), Reason: "需协调施工单位"})
}

// aLeadWithPoliceSupport is a dispatched case on which the police support the transport lead.
func aLeadWithPoliceSupport(w *world) (*workflow.Case, *workflow.Assignment) {
	c, lead := w.caseIn(workflow.CaseDispatched)
	w.dispatch(c, "police", workflow.RoleSupport)
	return c, lead
}

// aReportOfTheTransportHead is a case the transport head filed, on which their department has no part.
func aReportOfTheTransportHead(w *world) (*workflow.Case, *workflow.Assignment) {
	return w.fileCase("transport.head", workflow.NewCase{Title: "站前公交站台破损"}), nil
}

// step is an action tried on the built case and assignment.
type step func(w *world, c *workflow.Case, a *workflow.Assignment) error

func onCase(login string, cmd workflow.CaseCommand) step {
	return func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
		_, err := w.svc.ActOnCase(w.as(login), c.ID, cmd, 0)
		return err
	}
}

func onAssignment(login string, cmd workflow.AssignmentCommand) step {
	return func(w *world, _ *workflow.Case, a *workflow.Assignment) error {
		_, err := w.svc.ActOnAssignment(w.as(login), a.ID, cmd, 0)
		return err
	}
}

func dispatchAs(login string, in workflow.Dispatch) step {
	return func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
		_, err := w.svc.DispatchAssignment(w.as(login), c.ID, in, 0)
		return err
	}
}

func commentAs(login string, in workflow.NewComment) step {
	return func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
		_, err := w.svc.AddComment(w.as(login), c.ID, in, 0)
		return err
	}
}

func fileAs(login string, in workflow.NewCase) step {
	return func(w *world, _ *workflow.Case, _ *workflow.Assignment) error {
		_, _, err := w.svc.CreateCase(w.as(login), in, nil)
		return err
	}
}

// refusal is an action that must be refused.
type refusal struct {
	name  string
	given builder
	do    step
	// allowed is what an ErrConflict must offer instead.
	allowed []workflow.Action
	// fields are the fields an ErrInvalid must name.
	fields []string
}

// checkRefusals runs each refusal and checks its code, its details and that nothing changed.
func checkRefusals(t *testing.T, code workflow.ErrorCode, tests []refusal) {
	w := newWorld(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w.sub(t)
			c, a := tt.given(w)
			before := w.snapshot(c)
			e := wantCode(t, tt.do(w, c, a), code)
			if code == workflow.ErrConflict && !slices.Equal(e.AllowedActions, tt.allowed) {
				t.Errorf("allowed actions %v, want %v", e.AllowedActions, tt.allowed)
			}
			if code == workflow.ErrInvalid && !slices.Equal(fieldNames(e), tt.fields) {
				t.Errorf("invalid fields %v, want %v", fieldNames(e), tt.fields)
			}
			if after := w.snapshot(c); after != before {
				t.Errorf("a refused action changed\n%s\ninto\n%s", before, after)
			}
		})
	}
}

func fieldNames(e *workflow.Error) []string {
	var names []string
	for _, f := range e.Fields {
		names = append(names, f.Field)
	}
	return names
}

func TestRolesMayOnlyDoTheirPart(t *testing.T) {
	checkRefusals(t, workflow.ErrForbidden, []refusal{
		{name: "an officer cannot complete an assignment", given: aLead(workflow.AssignmentInProgress),
			do: onAssignment("transport.officer", workflow.Complete{Resolution: "已完成"})},
		{name: "an officer cannot decline an assignment", given: aLead(workflow.AssignmentPending),
			do: onAssignment("transport.officer", workflow.Decline{Reason: "不归我们管"})},
		{name: "the police head cannot act on a transport assignment", given: aLeadWithPoliceSupport,
			do: onAssignment("police.head", workflow.Accept{})},
		{name: "a department head cannot confirm its own work", given: aLead(workflow.AssignmentCompleted),
			do: onAssignment("transport.head", workflow.Confirm{})},
		{name: "a department head cannot grant itself more time", given: aLeadAskingForMoreTime,
			do: onAssignment("transport.head", workflow.GrantExtension{})},
		{name: "a department head cannot dispatch", given: aCase(workflow.CaseDispatched),
			do: dispatchAs("transport.head", workflow.Dispatch{Department: "police", Role: workflow.RoleSupport})},
		{name: "a department head cannot triage its own report", given: aReportOfTheTransportHead,
			do: onCase("transport.head", workflow.Triage{})},
		{name: "the reporter cannot close their case", given: aCase(workflow.CaseResolved),
			do: onCase("operator", workflow.Close{})},
		{name: "the reporter cannot reopen their case", given: aCase(workflow.CaseClosed),
			do: onCase("operator", workflow.Reopen{Reason: "还没修好"})},
		{name: "only the reporter may rate", given: aCase(workflow.CaseResolved),
			do: onCase("coordinator", workflow.Rate{Score: 5})},
		{name: "a viewer cannot file a case", given: aCase(workflow.CaseSubmitted),
			do: fileAs("viewer", workflow.NewCase{Title: "领导关注"})},
		{name: "a viewer cannot triage", given: aCase(workflow.CaseSubmitted),
			do: onCase("viewer", workflow.Triage{})},
		{name: "a viewer cannot accept", given: aLead(workflow.AssignmentPending),
			do: onAssignment("viewer", workflow.Accept{})},
		{name: "a viewer cannot comment", given: aCase(workflow.CaseDispatched),
			do: commentAs("viewer", workflow.NewComment{Body: "请抓紧", Visibility: workflow.VisibilityPublic})},
		{name: "a reporter cannot post an internal comment", given: aCase(workflow.CaseDispatched),
			do: commentAs("operator", workflow.NewComment{Body: "内部意见", Visibility: workflow.VisibilityInternal})},
		{name: "a department head comments only publicly on a case it merely reported", given: aReportOfTheTransportHead,
			do: commentAs("transport.head", workflow.NewComment{Body: "内部意见", Visibility: workflow.VisibilityInternal})},
	})
}

func TestActionsNotAllowedInTheCurrentStateConflict(t *testing.T) {
	checkRefusals(t, workflow.ErrConflict, []refusal{
		{name: "triage a triaged case", given: aCase(workflow.CaseTriaged), do: onCase("coordinator", workflow.Triage{}),
			allowed: []workflow.Action{"reject", "dispatch"}},
		{name: "close a case in progress", given: aCase(workflow.CaseInProgress), do: onCase("coordinator", workflow.Close{}),
			allowed: []workflow.Action{"dispatch"}},
		{name: "dispatch to a resolved case", given: aCase(workflow.CaseResolved),
			do:      dispatchAs("coordinator", workflow.Dispatch{Department: "police", Role: workflow.RoleSupport}),
			allowed: []workflow.Action{"close", "reopen"}},
		{name: "reopen a rejected case", given: aCase(workflow.CaseRejected), do: onCase("coordinator", workflow.Reopen{Reason: "再看看"}),
			allowed: []workflow.Action{}},
		{name: "rate a closed case", given: aCase(workflow.CaseClosed), do: onCase("operator", workflow.Rate{Score: 1}),
			allowed: []workflow.Action{}},
		{name: "accept an assignment in progress", given: aLead(workflow.AssignmentInProgress),
			do: onAssignment("transport.officer", workflow.Accept{}), allowed: []workflow.Action{"progress", "request_extension"}},
		{name: "ask for more time twice", given: aLeadAskingForMoreTime,
			do:      onAssignment("transport.officer", workflow.RequestExtension{Until: time.Now().Add(60 * 24 * time.Hour), Reason: "再延"}),
			allowed: []workflow.Action{"progress"}},
		{name: "grant time nobody asked for", given: aLead(workflow.AssignmentInProgress),
			do: onAssignment("coordinator", workflow.GrantExtension{}), allowed: []workflow.Action{"cancel", "urge"}},
		{name: "confirm a pending assignment", given: aLead(workflow.AssignmentPending),
			do: onAssignment("coordinator", workflow.Confirm{}), allowed: []workflow.Action{"cancel", "urge"}},
		{name: "decline a declined assignment", given: aLead(workflow.AssignmentDeclined),
			do: onAssignment("transport.head", workflow.Decline{Reason: "再退一次"}), allowed: []workflow.Action{}},
		{name: "urge a confirmed assignment", given: aLead(workflow.AssignmentConfirmed),
			do: onAssignment("coordinator", workflow.Urge{Note: "请加快"}), allowed: []workflow.Action{}},
		{name: "dispatch a second active lead", given: aLead(workflow.AssignmentInProgress),
			do:      dispatchAs("coordinator", workflow.Dispatch{Department: "police", Role: workflow.RoleLead}),
			allowed: []workflow.Action{"dispatch"}},
		{name: "dispatch to a department already working on the case", given: aLead(workflow.AssignmentPending),
			do:      dispatchAs("coordinator", workflow.Dispatch{Department: "transport", Role: workflow.RoleSupport}),
			allowed: []workflow.Action{"dispatch"}},
	})
}

func TestInvalidInputNamesTheFields(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	lat := 29.6
	checkRefusals(t, workflow.ErrInvalid, []refusal{
		{name: "a case without a title", given: aCase(workflow.CaseSubmitted),
			do: fileAs("operator", workflow.NewCase{Title: "  "}), fields: []string{"title"}},
		{name: "a case with half a position and an unknown priority", given: aCase(workflow.CaseSubmitted),
			do:     fileAs("operator", workflow.NewCase{Title: "站前积水", Location: workflow.Location{Lat: &lat}, Priority: "asap"}),
			fields: []string{"location", "priority"}},
		{name: "a dispatch naming no department or role", given: aCase(workflow.CaseTriaged),
			do: dispatchAs("coordinator", workflow.Dispatch{}), fields: []string{"department", "role"}},
		{name: "a dispatch to an unknown department", given: aCase(workflow.CaseTriaged),
			do: dispatchAs("coordinator", workflow.Dispatch{Department: "weather", Role: workflow.RoleLead}), fields: []string{"department"}},
		{name: "a dispatch due in the past", given: aCase(workflow.CaseTriaged),
			do: dispatchAs("coordinator", workflow.Dispatch{Department: "police", Role: workflow.RoleLead, DueAt: &past}), fields: []string{"due_at"}},
		{name: "a rejection without a reason", given: aCase(workflow.CaseSubmitted),
			do: onCase("coordinator", workflow.Reject{}), fields: []string{"reason"}},
		{name: "a rating of 6", given: aCase(workflow.CaseResolved),
			do: onCase("operator", workflow.Rate{Score: 6}), fields: []string{"score"}},
		{name: "a decline without a reason and with an unknown class", given: aLead(workflow.AssignmentPending),
			do: onAssignment("transport.head", workflow.Decline{ReasonCode: "lazy"}), fields: []string{"reason", "reason_code"}},
		{name: "more time until the past, without a reason", given: aLead(workflow.AssignmentInProgress),
			do: onAssignment("transport.officer", workflow.RequestExtension{Until: past}), fields: []string{"until", "reason"}},
		{name: "a completion without a resolution", given: aLead(workflow.AssignmentInProgress),
			do: onAssignment("transport.head", workflow.Complete{}), fields: []string{"resolution"}},
		{name: "an empty comment with an unknown visibility", given: aCase(workflow.CaseSubmitted),
			do: commentAs("coordinator", workflow.NewComment{Visibility: "secret"}), fields: []string{"body", "visibility"}},
	})
}

func TestCasesOutOfSightAreNotFound(t *testing.T) {
	checkRefusals(t, workflow.ErrNotFound, []refusal{
		{name: "another department reads the case", given: aCase(workflow.CaseDispatched),
			do: func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
				_, err := w.svc.GetCase(w.as("police.officer"), c.ID)
				return err
			}},
		{name: "another department reads the history", given: aCase(workflow.CaseDispatched),
			do: func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
				_, err := w.svc.Events(w.as("police.head"), c.ID)
				return err
			}},
		{name: "another department reads the assignment", given: aCase(workflow.CaseDispatched),
			do: func(w *world, _ *workflow.Case, a *workflow.Assignment) error {
				_, err := w.svc.GetAssignment(w.as("police.head"), a.ID)
				return err
			}},
		{name: "another department accepts the assignment", given: aLead(workflow.AssignmentPending),
			do: onAssignment("police.head", workflow.Accept{})},
		{name: "another department comments", given: aCase(workflow.CaseDispatched),
			do: commentAs("police.officer", workflow.NewComment{Body: "看看", Visibility: workflow.VisibilityPublic})},
		{name: "another department triages", given: aCase(workflow.CaseSubmitted),
			do: onCase("police.head", workflow.Triage{})},
		{name: "another reporter reads the case", given: aCase(workflow.CaseSubmitted),
			do: func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
				_, err := w.svc.GetCase(w.as("resident"), c.ID)
				return err
			}},
		{name: "another reporter rates the case", given: aCase(workflow.CaseResolved),
			do: onCase("resident", workflow.Rate{Score: 1})},
		{name: "nobody reads a case that does not exist", given: aCase(workflow.CaseSubmitted),
			do: func(w *world, c *workflow.Case, _ *workflow.Assignment) error {
				_, err := w.svc.GetCase(w.as("coordinator"), c.ID+1000)
				return err
			}},
	})
}

func TestStaleVersionIsRefusedAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		given builder
		// act tries the action with ifMatch; current is the version it must carry.
		act     func(w *world, c *workflow.Case, a *workflow.Assignment, ifMatch int) error
		current func(c *workflow.Case, a *workflow.Assignment) int
	}{
		{"a case action", aCase(workflow.CaseTriaged),
			func(w *world, c *workflow.Case, _ *workflow.Assignment, ifMatch int) error {
				_, err := w.svc.ActOnCase(w.as("coordinator"), c.ID, workflow.Reject{Reason: "重复"}, ifMatch)
				return err
			},
			func(c *workflow.Case, _ *workflow.Assignment) int { return c.Version }},
		{"a dispatch", aCase(workflow.CaseTriaged),
			func(w *world, c *workflow.Case, _ *workflow.Assignment, ifMatch int) error {
				_, err := w.svc.DispatchAssignment(w.as("coordinator"), c.ID, workflow.Dispatch{Department: "police", Role: workflow.RoleLead}, ifMatch)
				return err
			},
			func(c *workflow.Case, _ *workflow.Assignment) int { return c.Version }},
		{"an assignment action", aLead(workflow.AssignmentInProgress),
			func(w *world, _ *workflow.Case, a *workflow.Assignment, ifMatch int) error {
				_, err := w.svc.ActOnAssignment(w.as("transport.officer"), a.ID, workflow.Progress{Note: "进行中"}, ifMatch)
				return err
			},
			func(_ *workflow.Case, a *workflow.Assignment) int { return a.Version }},
		{"a comment", aCase(workflow.CaseTriaged),
			func(w *world, c *workflow.Case, _ *workflow.Assignment, ifMatch int) error {
				_, err := w.svc.AddComment(w.as("coordinator"), c.ID, workflow.NewComment{Body: "请尽快派单"}, ifMatch)
				return err
			},
			func(c *workflow.Case, _ *workflow.Assignment) int { return c.Version }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w.sub(t)
			c, a := tt.given(w)
			current := tt.current(c, a)
			before := w.snapshot(c)
			wantCode(t, tt.act(w, c, a, current-1), workflow.ErrPreconditionFailed)
			if after := w.snapshot(c); after != before {
				t.Fatalf("a stale action changed\n%s\ninto\n%s", before, after)
			}
			if err := tt.act(w, c, a, current); err != nil {
				t.Fatalf("with the current version %d: %v", current, err)
			}
		})
	}
}
