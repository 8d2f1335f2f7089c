package workflow

import (
	"fmt"
	"slices"
	"testing"
)

// asRound makes the first assignment of a round its lead and the others supporters.
func asRound(statuses []AssignmentStatus) []roundAssignment {
	round := make([]roundAssignment, len(statuses))
	for i, s := range statuses {
		round[i] = roundAssignment{Status: s, Role: RoleSupport}
		if i == 0 {
			round[i].Role = RoleLead
		}
	}
	return round
}

// The automatic rows of DESIGN.md's case table, over the assignment states
// of a case's current round, the lead first. "-" means the case stays where it is.
func TestAutomaticCaseTransitions(t *testing.T) {
	const (
		pending    = AssignmentPending
		inProgress = AssignmentInProgress
		completed  = AssignmentCompleted
		confirmed  = AssignmentConfirmed
		declined   = AssignmentDeclined
		cancelled  = AssignmentCancelled
	)
	tests := []struct {
		status CaseStatus
		round  []AssignmentStatus
		want   CaseStatus
	}{
		// The first assignment dispatched moves a waiting case to dispatched.
		{CaseSubmitted, nil, "-"},
		{CaseSubmitted, []AssignmentStatus{pending}, CaseDispatched},
		{CaseTriaged, []AssignmentStatus{pending}, CaseDispatched},
		{CaseReopened, []AssignmentStatus{pending}, CaseDispatched},
		{CaseReopened, nil, "-"},
		// Back in triage after every assignment was declined: a new one dispatches it again.
		{CaseTriaged, []AssignmentStatus{declined}, "-"},
		{CaseTriaged, []AssignmentStatus{declined, cancelled, pending}, CaseDispatched},
		// An accepted assignment starts the work.
		{CaseDispatched, []AssignmentStatus{pending}, "-"},
		{CaseDispatched, []AssignmentStatus{pending, pending}, "-"},
		{CaseDispatched, []AssignmentStatus{pending, inProgress}, CaseInProgress},
		{CaseDispatched, []AssignmentStatus{declined, inProgress}, CaseInProgress},
		// A declined lead leaves the case waiting while other work is live.
		{CaseDispatched, []AssignmentStatus{declined, pending}, "-"},
		{CaseInProgress, []AssignmentStatus{declined, inProgress}, "-"},
		// Every assignment declined or cancelled: back to triage.
		{CaseDispatched, []AssignmentStatus{declined}, CaseTriaged},
		{CaseDispatched, []AssignmentStatus{declined, cancelled}, CaseTriaged},
		{CaseInProgress, []AssignmentStatus{cancelled}, CaseTriaged},
		{CaseInProgress, []AssignmentStatus{cancelled, declined}, CaseTriaged},
		// Every live assignment confirmed: resolved.
		{CaseInProgress, []AssignmentStatus{inProgress}, "-"},
		{CaseInProgress, []AssignmentStatus{completed}, "-"},
		{CaseInProgress, []AssignmentStatus{confirmed, completed}, "-"},
		{CaseInProgress, []AssignmentStatus{confirmed, pending}, "-"},
		{CaseInProgress, []AssignmentStatus{confirmed}, CaseResolved},
		{CaseInProgress, []AssignmentStatus{confirmed, confirmed}, CaseResolved},
		{CaseInProgress, []AssignmentStatus{confirmed, cancelled, declined}, CaseResolved},
		// A declined lead leaves the case waiting for a new one, even when the supporters are done.
		{CaseInProgress, []AssignmentStatus{declined, confirmed}, "-"},
		{CaseInProgress, []AssignmentStatus{cancelled, confirmed, confirmed}, "-"},
		// Nothing moves a case that is resolved, closed or rejected.
		{CaseResolved, []AssignmentStatus{confirmed}, "-"},
		{CaseClosed, []AssignmentStatus{confirmed}, "-"},
		{CaseRejected, nil, "-"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s with %v", tt.status, tt.round), func(t *testing.T) {
			to, moved := autoCaseTransition(tt.status, asRound(tt.round))
			got := CaseStatus("-")
			if moved {
				got = to
			}
			if got != tt.want {
				t.Fatalf("moves to %s, want %s", got, tt.want)
			}
		})
	}
}

// The automatic rows of CaseRules feed the diagram; autoCaseTransition
// drives the service. Every step the function takes must be a row, and every
// row a step it takes.
func TestAutomaticRulesAreTheOnesApplied(t *testing.T) {
	rounds := [][]AssignmentStatus{nil}
	for _, a := range AssignmentStatuses {
		rounds = append(rounds, []AssignmentStatus{a})
		for _, b := range AssignmentStatuses {
			rounds = append(rounds, []AssignmentStatus{a, b})
		}
	}
	type step struct{ from, to CaseStatus }
	var taken []step
	for _, status := range CaseStatuses {
		for _, round := range rounds {
			if to, ok := autoCaseTransition(status, asRound(round)); ok && !slices.Contains(taken, step{status, to}) {
				taken = append(taken, step{status, to})
			}
		}
	}
	var rules []step
	for _, r := range CaseRules {
		if r.Action == "" {
			if r.Trigger == "" {
				t.Errorf("automatic rule %s → %s names no trigger", r.From, r.To)
			}
			rules = append(rules, step{r.From, r.To})
		}
	}
	for _, s := range taken {
		if !slices.Contains(rules, s) {
			t.Errorf("autoCaseTransition moves %s → %s, which no rule in CaseRules shows", s.from, s.to)
		}
	}
	for _, s := range rules {
		if !slices.Contains(taken, s) {
			t.Errorf("CaseRules shows %s → %s, which autoCaseTransition never takes", s.from, s.to)
		}
	}
}
