package digest

import (
	"slices"
	"testing"

	"casetrack/workflow"
)

// The figures of a regular assignment come from its row (see
// replayedActions): each action must either be dated by the row, leave
// where the assignment stands unchanged, or make it irregular. A new
// action fails this test until the digest knows it.
func TestDigestKnowsEveryAssignmentAction(t *testing.T) {
	dated := []workflow.Action{workflow.ActionDispatch, workflow.ActionAccept, workflow.ActionComplete, workflow.ActionConfirm}
	// Progress changes nothing; urges are read from the events; a request's
	// time is read from the events when it is recent.
	unchanged := []workflow.Action{workflow.ActionProgress, workflow.ActionUrge, workflow.ActionRequestExtension}
	for _, action := range workflow.AssignmentActions {
		known := slices.Contains(dated, action) || slices.Contains(unchanged, action) ||
			slices.Contains(replayedActions, string(action)) || slices.Contains(finishingActions, string(action))
		if !known {
			t.Errorf("the digest does not know how %s changes an assignment", action)
		}
	}
	for _, r := range workflow.AssignmentRules {
		// updated_at dates a finished assignment only if no action changes it afterwards.
		if r.From == workflow.AssignmentConfirmed || r.From == workflow.AssignmentDeclined || r.From == workflow.AssignmentCancelled {
			t.Errorf("%s on a %s assignment: the digest takes a finished assignment's updated_at as when it finished", r.Action, r.From)
		}
		// accepted_at dates the one acceptance only if nothing leads back to pending.
		if r.To == workflow.AssignmentPending && r.From != workflow.AssignmentPending {
			t.Errorf("%s leads back to pending: the digest takes accepted_at as the one acceptance", r.Action)
		}
		if slices.Contains(unchanged, r.Action) && r.From != r.To {
			t.Errorf("%s changes an assignment from %s to %s", r.Action, r.From, r.To)
		}
	}
}
