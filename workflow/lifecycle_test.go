package workflow_test

import (
	"testing"
	"time"

	"casetrack/workflow"
)

func TestWholeLifeOfACase(t *testing.T) {
	w := newWorld(t)
	c := w.newCase()
	if c.Status != workflow.CaseSubmitted || c.Ref == "" {
		t.Fatalf("new case: %+v", c)
	}
	if _, err := w.svc.ActOnCase(w.as("coordinator"), c.ID, workflow.Triage{}, 0); err != nil {
		t.Fatal(err)
	}
	lead := w.dispatch(c, "transport", workflow.RoleLead)
	support := w.dispatch(c, "police", workflow.RoleSupport)
	if got := w.caseStatus(c); got != workflow.CaseDispatched {
		t.Fatalf("after dispatch: %s", got)
	}
	w.act("police.head", support, workflow.Decline{Reason: "不属于本部门职能", ReasonCode: "not_our_function"})
	w.act("transport.officer", lead, workflow.Accept{})
	if got := w.caseStatus(c); got != workflow.CaseInProgress {
		t.Fatalf("after accept: %s", got)
	}
	w.act("transport.officer", lead, workflow.RequestExtension{Until: w.now.Add(20 * 24 * time.Hour), Reason: "需协调施工单位"})
	lead = w.act("coordinator", lead, workflow.GrantExtension{})
	if !lead.DueAt.After(w.now.Add(19 * 24 * time.Hour)) {
		t.Fatalf("extension not applied: %v", lead.DueAt)
	}
	w.act("transport.head", lead, workflow.Complete{Resolution: "围栏已拆除"})
	w.act("coordinator", lead, workflow.Return{Reason: "人行道未恢复"})
	w.act("transport.head", lead, workflow.Complete{Resolution: "围栏已拆除，人行道已恢复"})
	w.act("coordinator", lead, workflow.Confirm{})
	if got := w.caseStatus(c); got != workflow.CaseResolved {
		t.Fatalf("after confirm: %s", got)
	}
	closed, err := w.svc.ActOnCase(w.as("operator"), c.ID, workflow.Rate{Score: 5}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Status != workflow.CaseClosed || *closed.Rating != 5 {
		t.Fatalf("after rating: %s", closed.Status)
	}
}
