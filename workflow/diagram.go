package workflow

import (
	"fmt"
	"slices"
	"strings"
)

// MermaidDiagram renders both state machines, from CaseRules and
// AssignmentRules, as one Mermaid stateDiagram-v2 for docs/state-machines.md.
// Automatic case transitions are labelled with their trigger, rate with its
// score range, and the extension actions with the condition they need.
func MermaidDiagram() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	caseMachine := machine{id: "case", title: "Case 工单", states: stateNames(CaseStatuses),
		start: ActionCreate, initial: string(CaseSubmitted)}
	for _, r := range CaseRules {
		caseMachine.add(string(r.From), string(r.To), caseRuleLabel(r))
	}
	caseMachine.write(&b)
	assignmentMachine := machine{id: "assignment", title: "Assignment 承办", states: stateNames(AssignmentStatuses),
		start: ActionDispatch, initial: string(AssignmentPending)}
	for _, r := range AssignmentRules {
		assignmentMachine.add(string(r.From), string(r.To), assignmentRuleLabel(r))
	}
	assignmentMachine.write(&b)
	return b.String()
}

func caseRuleLabel(r CaseRule) string {
	switch {
	case r.Action == "":
		return "auto when " + r.Trigger
	case r.Trigger != "":
		return fmt.Sprintf("%s [%s]", r.Action, r.Trigger)
	}
	return string(r.Action)
}

func assignmentRuleLabel(r AssignmentRule) string {
	switch r.Extension {
	case ExtensionPending:
		return string(r.Action) + " [extension pending]"
	case ExtensionNone:
		return string(r.Action) + " [no extension pending]"
	}
	return string(r.Action)
}

// machine is one state machine as a Mermaid composite state. Its state ids
// carry its id as a prefix, because both machines have an in_progress.
type machine struct {
	id, title string
	states    []string
	start     Action // the action that creates the object
	initial   string // the state it is created in
	edges     []edge // in the order of the rules, one per pair of states
}

// edge is every transition between one pair of states.
type edge struct {
	from, to string
	labels   []string
}

// add records a transition, on the edge of its pair of states.
func (m *machine) add(from, to, label string) {
	i := slices.IndexFunc(m.edges, func(e edge) bool { return e.from == from && e.to == to })
	if i < 0 {
		m.edges = append(m.edges, edge{from: from, to: to})
		i = len(m.edges) - 1
	}
	m.edges[i].labels = append(m.edges[i].labels, label)
}

func (m *machine) write(b *strings.Builder) {
	fmt.Fprintf(b, "    state \"%s\" as %s {\n", m.title, m.id)
	for _, s := range m.states {
		fmt.Fprintf(b, "        state \"%s\" as %s\n", s, m.stateID(s))
	}
	fmt.Fprintf(b, "        [*] --> %s: %s\n", m.stateID(m.initial), m.start)
	for _, e := range m.edges {
		fmt.Fprintf(b, "        %s --> %s: %s\n", m.stateID(e.from), m.stateID(e.to), strings.Join(e.labels, "<br/>"))
	}
	// A state no rule leaves is final.
	for _, s := range m.states {
		if !slices.ContainsFunc(m.edges, func(e edge) bool { return e.from == s }) {
			fmt.Fprintf(b, "        %s --> [*]\n", m.stateID(s))
		}
	}
	b.WriteString("    }\n")
}

func (m *machine) stateID(state string) string { return m.id + "_" + state }

func stateNames[S ~string](states []S) []string {
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = string(s)
	}
	return names
}
