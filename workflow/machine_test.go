package workflow_test

import (
	"slices"
	"strings"
	"testing"

	"casetrack/workflow"
)

// The grids below are DESIGN.md's two state tables written out cell by cell,
// independently of machine.go. A cell is the state the action leads to,
// "a|b" when it depends on the input (rate: by score), "-" when the action is
// not allowed. The header row names the actions. Automatic transitions are
// tested in auto_test.go.

const caseGrid = `
from         triage   reject    dispatch     close   rate             reopen
submitted    triaged  rejected  submitted    -       -                -
triaged      -        rejected  triaged      -       -                -
dispatched   -        -         dispatched   -       -                -
in_progress  -        -         in_progress  -       -                -
resolved     -        -         -            closed  closed|reopened  reopened
closed       -        -         -            -       -                reopened
rejected     -        -         -            -       -                -
reopened     -        -         reopened     -       -                -
`

// An assignment's extension column says whether a request for more time awaits a decision.
const assignmentGrid = `
from         extension  accept       decline   progress     request_extension  grant_extension  deny_extension  complete   confirm    return       cancel     urge
pending      none       in_progress  declined  -            -                  -                -               -          -          -            cancelled  pending
pending      pending    in_progress  declined  -            -                  -                -               -          -          -            cancelled  pending
in_progress  none       -            -         in_progress  in_progress        -                -               completed  -          -            cancelled  in_progress
in_progress  pending    -            -         in_progress  -                  in_progress      in_progress     completed  -          -            cancelled  in_progress
completed    none       -            -         -            -                  -                -               -          confirmed  in_progress  -          -
completed    pending    -            -         -            -                  -                -               -          confirmed  in_progress  -          -
confirmed    none       -            -         -            -                  -                -               -          -          -            -          -
confirmed    pending    -            -         -            -                  -                -               -          -          -            -          -
declined     none       -            -         -            -                  -                -               -          -          -            -          -
declined     pending    -            -         -            -                  -                -               -          -          -            -          -
cancelled    none       -            -         -            -                  -                -               -          -          -            -          -
cancelled    pending    -            -         -            -                  -                -               -          -          -            -          -
`

func TestCaseStateTable(t *testing.T) {
	header, rows := parseGrid(caseGrid)
	if actions := header[1:]; !slices.Equal(actions, names(workflow.CaseActions)) {
		t.Fatalf("the case actions are %v, the grid's columns %v", workflow.CaseActions, actions)
	}
	if got, want := rowKeys(rows, 1), sorted(names(workflow.CaseStatuses)); !slices.Equal(got, want) {
		t.Fatalf("the grid's rows are %v, the case states %v", got, want)
	}
	for _, row := range rows {
		from := workflow.CaseStatus(row[0])
		for i, action := range workflow.CaseActions {
			got := sorted(names(workflow.CaseTargets(from, action)))
			if want := cell(row[1+i]); !slices.Equal(got, want) {
				t.Errorf("%s on a %s case: leads to %v, want %v", action, from, got, want)
			}
		}
	}
}

func TestAssignmentStateTable(t *testing.T) {
	header, rows := parseGrid(assignmentGrid)
	if actions := header[2:]; !slices.Equal(actions, names(workflow.AssignmentActions)) {
		t.Fatalf("the assignment actions are %v, the grid's columns %v", workflow.AssignmentActions, actions)
	}
	var want []string
	for _, s := range workflow.AssignmentStatuses {
		want = append(want, string(s)+" none", string(s)+" pending")
	}
	if got, want := rowKeys(rows, 2), sorted(want); !slices.Equal(got, want) {
		t.Fatalf("the grid's rows are %v, the assignment states with and without an extension pending %v", got, want)
	}
	for _, row := range rows {
		from, pending := workflow.AssignmentStatus(row[0]), row[1] == "pending"
		for i, action := range workflow.AssignmentActions {
			var got []string
			if to, ok := workflow.NextAssignment(from, pending, action); ok {
				got = []string{string(to)}
			}
			if want := cell(row[2+i]); !slices.Equal(got, want) {
				t.Errorf("%s on a %s assignment (extension %s): leads to %v, want %v", action, from, row[1], got, want)
			}
		}
	}
}

// parseGrid splits a grid into its header and its rows of cells.
func parseGrid(grid string) (header []string, rows [][]string) {
	for line := range strings.Lines(strings.TrimSpace(grid)) {
		if header == nil {
			header = strings.Fields(line)
			continue
		}
		rows = append(rows, strings.Fields(line))
	}
	return header, rows
}

// rowKeys lists the rows' keys (their first keyColumns cells), sorted.
func rowKeys(rows [][]string, keyColumns int) []string {
	var keys []string
	for _, row := range rows {
		keys = append(keys, strings.Join(row[:keyColumns], " "))
	}
	return sorted(keys)
}

// cell reads one grid cell as a sorted list of states.
func cell(text string) []string {
	if text == "-" {
		return nil
	}
	return sorted(strings.Split(text, "|"))
}

// names turns states or actions into plain strings.
func names[S ~string](xs []S) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func sorted(xs []string) []string {
	slices.Sort(xs)
	return xs
}
