package workflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
)

// preparedStatements lists the statements prepared on the pool's one connection.
func (w *world) preparedStatements() []string {
	w.t.Helper()
	var got []string
	if err := w.db.Select(&got, `SELECT statement FROM pg_prepared_statements ORDER BY statement`); err != nil {
		w.t.Fatal(err)
	}
	return got
}

func TestFixedStatementsArePreparedOncePerConnection(t *testing.T) {
	w := newWorld(t)
	_, lead := w.leadIn(workflow.AssignmentInProgress)
	// One connection: every statement runs on the session this test reads.
	w.db.SetMaxOpenConns(1)

	w.act("transport.officer", lead, workflow.Progress{Note: "已联系施工单位"})
	first := w.preparedStatements()
	if !containsStatement(first, "FOR UPDATE OF c") || !containsStatement(first, "INSERT INTO events") {
		t.Fatalf("after a progress, the case lock and the event insert are not prepared: %q", first)
	}

	for range 3 {
		w.act("transport.officer", lead, workflow.Progress{Note: "围栏已拆除一半"})
	}
	if again := w.preparedStatements(); len(again) != len(first) {
		t.Errorf("three more progress requests prepared %d statements more: they are not reused", len(again)-len(first))
	}

	if _, err := w.svc.ListCases(w.as("coordinator"), workflow.CaseFilter{Query: "围栏"}); err != nil {
		t.Fatal(err)
	}
	if containsStatement(w.preparedStatements(), "DESC LIMIT") {
		t.Error("a list statement was prepared: lists are planned for their values")
	}

	// Outside a transaction a statement is prepared when it first runs.
	sess, err := w.svc.Login(workflow.Trusted(context.Background()), "coordinator", "demo-password", workflow.TokenAPI, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Authenticate(context.Background(), sess.Token); err != nil {
		t.Fatal(err)
	}
	if !containsStatement(w.preparedStatements(), "FROM tokens t") {
		t.Error("authentication, outside a transaction, did not prepare its statement")
	}
}

func containsStatement(stmts []string, part string) bool {
	for _, s := range stmts {
		if strings.Contains(s, part) {
			return true
		}
	}
	return false
}

// A prepared statement whose generic plan PostgreSQL judges worse than the
// plans made for each execution's values is planned again on every
// execution, which costs more than preparing saves. The fixed statements of
// the write path must settle on their generic plan after the five custom
// plans PostgreSQL tries first.
func TestFixedStatementsSettleOnOnePlan(t *testing.T) {
	w := newWorld(t)
	_, lead := w.leadIn(workflow.AssignmentInProgress)
	w.db.SetMaxOpenConns(1)
	for range 8 {
		w.act("transport.officer", lead, workflow.Progress{Note: "已联系施工单位"})
	}
	var replanned []string
	err := w.db.Select(&replanned, `SELECT statement FROM pg_prepared_statements
		WHERE generic_plans = 0 AND custom_plans > 5 ORDER BY statement`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range replanned {
		t.Errorf("planned again on every execution:\n%s", s)
	}
}
