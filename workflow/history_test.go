package workflow_test

import (
	"database/sql"
	"maps"
	"slices"
	"testing"
	"time"

	"casetrack/workflow"
)

// replayed is a case's state rebuilt from its events alone.
type replayed struct {
	status      string
	assignments map[int64]string
}

// replay folds a case's events, oldest first: an event without an
// assignment moves the case (create, case actions, auto), one with an
// assignment moves that assignment (dispatch creates it); comments move
// nothing. Each move must start where the previous one ended.
func replay(t *testing.T, w *world, caseID int64) replayed {
	t.Helper()
	rows, err := w.db.Query(`SELECT id, kind, assignment_id, from_state, to_state FROM events WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	r := replayed{assignments: map[int64]string{}}
	for rows.Next() {
		var (
			id             int64
			kind, from, to string
			assignmentID   sql.NullInt64
		)
		if err := rows.Scan(&id, &kind, &assignmentID, &from, &to); err != nil {
			t.Fatal(err)
		}
		if to == "" {
			continue
		}
		current := r.status
		if assignmentID.Valid {
			current = r.assignments[assignmentID.Int64]
		}
		if current != from {
			t.Fatalf("event %d (%s) moves from %q, but the history so far left it at %q", id, kind, from, current)
		}
		if assignmentID.Valid {
			r.assignments[assignmentID.Int64] = to
		} else {
			r.status = to
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return r
}

// stored reads a case's state and its assignments' from their tables.
func stored(t *testing.T, w *world, caseID int64) replayed {
	t.Helper()
	r := replayed{assignments: map[int64]string{}}
	if err := w.db.QueryRow(`SELECT status FROM cases WHERE id = $1`, caseID).Scan(&r.status); err != nil {
		t.Fatal(err)
	}
	rows, err := w.db.Query(`SELECT id, status FROM assignments WHERE case_id = $1`, caseID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		if err := rows.Scan(&id, &status); err != nil {
			t.Fatal(err)
		}
		r.assignments[id] = status
	}
	return r
}

func TestReplayingTheEventsReproducesTheCurrentState(t *testing.T) {
	w := newWorld(t)
	until := w.now.Add(20 * 24 * time.Hour)
	tests := []struct {
		name  string
		build func(w *world) *workflow.Case
	}{
		{"rejected at once", func(w *world) *workflow.Case { c, _ := w.caseIn(workflow.CaseRejected); return c }},
		{"a declined lead replaced, a support withdrawn, work returned once, closed", func(w *world) *workflow.Case {
			c, lead := w.caseIn(workflow.CaseDispatched)
			support := w.dispatch(c, "police", workflow.RoleSupport)
			w.act("transport.head", lead, workflow.Decline{Reason: "属于区城市管理局职能"})
			newLead := w.act("citymgmt.head", w.dispatch(c, "citymgmt", workflow.RoleLead), workflow.Accept{})
			w.act("coordinator", support, workflow.Cancel{Reason: "不需要协办"})
			w.act("citymgmt.head", newLead, workflow.Complete{Resolution: "已清理"})
			w.act("coordinator", newLead, workflow.Return{Reason: "仍有积水"})
			w.act("citymgmt.head", newLead, workflow.Complete{Resolution: "已彻底清理"})
			w.act("coordinator", newLead, workflow.Confirm{})
			w.actOnCase("coordinator", c, workflow.Close{Note: "已回访"})
			return c
		}},
		{"all declined, dispatched again, extended, rated 2, a second round under way", func(w *world) *workflow.Case {
			c, lead := w.caseIn(workflow.CaseDispatched)
			w.act("transport.head", lead, workflow.Decline{Reason: "不属于本部门职能"})
			again := w.act("police.officer", w.dispatch(c, "police", workflow.RoleLead), workflow.Accept{})
			w.act("police.officer", again, workflow.RequestExtension{Until: until, Reason: "需采购信号灯"})
			w.act("coordinator", again, workflow.GrantExtension{})
			w.act("police.head", again, workflow.Complete{Resolution: "信号灯已安装"})
			w.act("coordinator", again, workflow.Confirm{})
			w.actOnCase("operator", c, workflow.Rate{Score: 2, Comment: "信号灯时长太短"})
			second := w.act("police.officer", w.dispatch(c, "police", workflow.RoleLead), workflow.Accept{})
			w.act("police.officer", second, workflow.Progress{Note: "已调整配时"})
			return c
		}},
		{"reopened by the coordinator after a good rating, dispatched again", func(w *world) *workflow.Case {
			c, _ := w.caseIn(workflow.CaseResolved)
			w.actOnCase("operator", c, workflow.Rate{Score: 5})
			w.actOnCase("coordinator", c, workflow.Reopen{Reason: "领导要求复查"})
			w.dispatch(c, "transport", workflow.RoleLead)
			return c
		}},
		{"urged, commented, an extension denied", func(w *world) *workflow.Case {
			c, lead := w.caseIn(workflow.CaseInProgress)
			w.act("coordinator", lead, workflow.Urge{Note: "请加快"})
			w.act("transport.officer", lead, workflow.RequestExtension{Until: until, Reason: "人手不足"})
			w.act("coordinator", lead, workflow.DenyExtension{Reason: "不予延期"})
			w.act("transport.officer", lead, workflow.Progress{Note: "已开工"})
			if _, err := w.svc.AddComment(w.as("operator"), c.ID, workflow.NewComment{Body: "谢谢", Visibility: workflow.VisibilityPublic}, 0); err != nil {
				w.t.Fatal(err)
			}
			return c
		}},
	}
	w.addUser("citymgmt.head", workflow.Grant{Role: workflow.RoleDeptHead, Department: "citymgmt"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := w.sub(t)
			c := tt.build(w)
			got, want := replay(t, w, c.ID), stored(t, w, c.ID)
			if got.status != want.status || !maps.Equal(got.assignments, want.assignments) {
				t.Fatalf("replayed %+v, stored %+v", got, want)
			}
		})
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	w := newWorld(t)
	c, _ := w.caseIn(workflow.CaseInProgress)
	before, kindsBefore := w.snapshot(c), kinds(w.events(c))
	for _, statement := range []string{
		`UPDATE events SET kind = 'triage' WHERE case_id = $1`,
		`DELETE FROM events WHERE case_id = $1`,
	} {
		if _, err := w.db.Exec(statement, c.ID); err == nil {
			t.Errorf("%s: succeeded, want refused", statement)
		}
	}
	if _, err := w.db.Exec(`TRUNCATE events CASCADE`); err == nil {
		t.Error("TRUNCATE events: succeeded, want refused")
	}
	if after, kindsAfter := w.snapshot(c), kinds(w.events(c)); after != before || !slices.Equal(kindsAfter, kindsBefore) {
		t.Fatalf("the history changed from\n%s %v\nto\n%s %v", before, kindsBefore, after, kindsAfter)
	}
}
