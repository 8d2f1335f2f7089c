package workflow_test

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"

	"casetrack/workflow"
)

var update = flag.Bool("update", false, "rewrite the diagram in docs/state-machines.md from the state tables")

const diagramDoc = "../docs/state-machines.md"

// The generated diagram sits in the doc's one mermaid block; the prose around it is written by hand.
func TestStateDiagramIsCurrent(t *testing.T) {
	doc, err := os.ReadFile(diagramDoc)
	if err != nil {
		t.Fatal(err)
	}
	open, closing := []byte("```mermaid\n"), []byte("```\n")
	start := bytes.Index(doc, open)
	end := -1
	if start >= 0 {
		end = bytes.Index(doc[start+len(open):], closing)
	}
	if end < 0 {
		t.Fatalf("%s has no ```mermaid block for the diagram", diagramDoc)
	}
	start += len(open)
	end += start
	want := workflow.MermaidDiagram()
	if *update {
		fresh := append(append(bytes.Clone(doc[:start]), want...), doc[end:]...)
		if err := os.WriteFile(diagramDoc, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := string(doc[start:end]); got != want {
		t.Fatalf("docs/state-machines.md does not show the state tables as they are; regenerate it with\n\n\tgo test ./workflow -run TestStateDiagramIsCurrent -update")
	}
}

func TestStateDiagramShowsEveryRule(t *testing.T) {
	diagram := workflow.MermaidDiagram()
	if !strings.HasPrefix(diagram, "stateDiagram-v2\n") {
		t.Fatalf("not a Mermaid state diagram:\n%s", diagram)
	}
	tests := []struct {
		name, arrow, label string
	}{
		{"a case is created submitted", "[*] --> case_submitted", "create"},
		{"triage", "case_submitted --> case_triaged", "triage"},
		{"dispatch keeps the case's state", "case_in_progress --> case_in_progress", "dispatch"},
		{"the first dispatch moves the case on", "case_reopened --> case_dispatched", "auto when first assignment dispatched"},
		{"all declined back to triage", "case_in_progress --> case_triaged", "auto when every assignment declined or cancelled"},
		{"a good rating closes", "case_resolved --> case_closed", "rate [score 3–5]"},
		{"a poor rating reopens", "case_resolved --> case_reopened", "rate [score 1–2]"},
		{"rejected is final", "case_rejected --> [*]", ""},
		{"an assignment is dispatched pending", "[*] --> assignment_pending", "dispatch"},
		{"a request needs none pending", "assignment_in_progress --> assignment_in_progress", "request_extension [no extension pending]"},
		{"a grant needs one pending", "assignment_in_progress --> assignment_in_progress", "grant_extension [extension pending]"},
		{"return for rework", "assignment_completed --> assignment_in_progress", "return"},
		{"declined is final", "assignment_declined --> [*]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for line := range strings.Lines(diagram) {
				arrow, label, _ := strings.Cut(strings.TrimSpace(line), ": ")
				if arrow == tt.arrow && (tt.label == "" || strings.Contains("<br/>"+label+"<br/>", "<br/>"+tt.label+"<br/>")) {
					return
				}
			}
			t.Fatalf("no arrow %s labelled %q in\n%s", tt.arrow, tt.label, diagram)
		})
	}
	// Every rule appears: count the labels against the tables.
	labels := strings.Count(diagram, "<br/>") + strings.Count(diagram, ": ")
	if want := len(workflow.CaseRules) + len(workflow.AssignmentRules) + 2; labels != want {
		t.Errorf("the diagram has %d transition labels, the tables %d rules plus two creations", labels, want)
	}
}
