package workflow_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"casetrack/workflow"
)

// aCaseWithInternals is a case in progress whose history holds everything a
// reporter may not read: instructions, a decline reason, an extension
// reason and an internal comment, next to a public comment.
func aCaseWithInternals(w *world) *workflow.Case {
	w.t.Helper()
	c, lead := w.caseIn(workflow.CaseInProgress)
	support := w.dispatch(c, "police", workflow.RoleSupport)
	w.act("police.head", support, workflow.Decline{Reason: "不属于本部门职能", ReasonCode: "not_our_function"})
	w.act("transport.officer", lead, workflow.RequestExtension{Until: w.now.Add(20 * 24 * time.Hour), Reason: "需协调施工单位"})
	for _, comment := range []workflow.NewComment{
		{Body: "内部批示：请交通局牵头", Visibility: workflow.VisibilityInternal},
		{Body: "已派单至区交通局", Visibility: workflow.VisibilityPublic},
	} {
		if _, err := w.svc.AddComment(w.as("coordinator"), c.ID, comment, 0); err != nil {
			w.t.Fatal(err)
		}
	}
	return c
}

func TestReporterSeesNoInstructionsOrExtensionReasons(t *testing.T) {
	w := newWorld(t)
	c := aCaseWithInternals(w)
	tests := []struct {
		login    string
		redacted bool
	}{
		{"operator", true},
		{"coordinator", false},
		{"transport.officer", false},
		// A department that declined still sees the whole case, other departments' parts included.
		{"police.officer", false},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			w := w.sub(t)
			got, err := w.svc.GetCase(w.as(tt.login), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			page, err := w.svc.ListCases(w.as(tt.login), workflow.CaseFilter{})
			if err != nil {
				t.Fatal(err)
			}
			listed := page.Items[slices.IndexFunc(page.Items, func(l *workflow.Case) bool { return l.ID == c.ID })]
			for _, view := range []*workflow.Case{got, listed} {
				if len(view.Assignments) != 2 {
					t.Fatalf("%d assignments, want 2", len(view.Assignments))
				}
				lead := view.Assignments[0]
				if lead.Department != "transport" || lead.DueAt.IsZero() || lead.Extension == nil ||
					!lead.Extension.Until.Equal(w.now.Add(20*24*time.Hour)) || lead.Extension.Status != "pending" {
					t.Fatalf("the case's departments, due dates and extension are not all shown: %+v", lead)
				}
				if hidden := lead.Instructions == "" && lead.Extension.Reason == ""; hidden != tt.redacted {
					t.Errorf("instructions %q, extension reason %q; want hidden: %v", lead.Instructions, lead.Extension.Reason, tt.redacted)
				}
			}
		})
	}
}

func TestReporterSeesOnlyThePublicHistory(t *testing.T) {
	w := newWorld(t)
	c := aCaseWithInternals(w)
	all := w.events(c)
	seen, err := w.svc.Events(w.as("operator"), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, e := range all {
		if e.Kind != "comment" || e.Visibility == workflow.VisibilityPublic {
			want = append(want, e.ID)
		}
	}
	if got := eventIDs(seen); !slices.Equal(got, want) || len(want) != len(all)-1 {
		t.Fatalf("the reporter sees events %v of %v, want all but the internal comment", got, eventIDs(all))
	}
	// What a reporter may read of each kind of event: no instructions, no decline or extension reasons.
	readable := map[string][]string{
		"create": {"priority", "title"}, "triage": {}, "dispatch": {"department", "due_at", "role"}, "auto": {},
		"accept": {}, "decline": {}, "request_extension": {}, "comment": {"body"},
	}
	for _, e := range seen {
		fields, ok := readable[e.Kind]
		if !ok {
			t.Fatalf("unexpected %s event", e.Kind)
		}
		if got := slices.Sorted(maps.Keys(decode(t, e.Data))); !slices.Equal(got, fields) {
			t.Errorf("the reporter reads %v of a %s event, want %v", got, e.Kind, fields)
		}
	}
	// The coordinator's history still holds what the reporter's lacks.
	for _, e := range all {
		data := decode(t, e.Data)
		if (e.Kind == "decline" || e.Kind == "request_extension") && data["reason"] == nil || e.Kind == "dispatch" && data["instructions"] == nil {
			t.Errorf("the coordinator's %s event lacks its reason or instructions: %v", e.Kind, data)
		}
	}
}

func eventIDs(events []*workflow.Event) []int64 {
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	return ids
}
