package workflow_test

import (
	"testing"
	"time"

	"casetrack/workflow"
)

// withMailboxes gives the departments and people of w email addresses, and
// adds a transport officer who opted out of email.
func withMailboxes(w *world) {
	w.t.Helper()
	w.addUser("transport.quiet", workflow.Grant{Role: "dept_officer", Department: "transport"})
	for _, q := range []string{
		`UPDATE departments SET email = code || '@bishan.example'`,
		`UPDATE users SET email = login || '@bishan.example'`,
		`UPDATE users SET digest_opt_out = true WHERE login = 'transport.quiet'`,
	} {
		if _, err := w.db.Exec(q); err != nil {
			w.t.Fatal(err)
		}
	}
}

// queued lists the outbox rows of kind, as "recipient" strings in order.
func queued(w *world, kind workflow.MailKind) []string {
	w.t.Helper()
	rows := []string{}
	if err := w.db.Select(&rows, `SELECT recipient FROM outbox WHERE kind = $1 ORDER BY id`, kind); err != nil {
		w.t.Fatal(err)
	}
	return rows
}

// transportMail is where a notice to transport goes: the department's
// address and its members, not the one who opted out, nor police's people.
var transportMail = []string{"transport.head@bishan.example", "transport.officer@bishan.example", "transport@bishan.example"}

func TestEachNoticeQueuesOneEmailPerRecipientOfTheDepartment(t *testing.T) {
	w := newWorld(t)
	withMailboxes(w)
	c := w.newCase()
	a := w.dispatch(c, "transport", workflow.RoleLead)
	steps := []struct {
		login string
		cmd   workflow.AssignmentCommand
		kind  workflow.MailKind
		// rows is how many rows of kind exist after the step.
		rows int
	}{
		{"transport.officer", workflow.Accept{}, workflow.MailNoticeDispatch, 3},
		{"coordinator", workflow.Urge{Note: "请加快进度"}, workflow.MailNoticeUrge, 3},
		{"transport.officer", workflow.RequestExtension{Until: w.now.Add(20 * 24 * time.Hour), Reason: "需协调施工单位"}, workflow.MailNoticeExtension, 0},
		{"coordinator", workflow.GrantExtension{}, workflow.MailNoticeExtension, 3},
		{"transport.officer", workflow.RequestExtension{Until: w.now.Add(30 * 24 * time.Hour), Reason: "仍需时间"}, workflow.MailNoticeExtension, 3},
		{"coordinator", workflow.DenyExtension{Reason: "期限已延长过一次"}, workflow.MailNoticeExtension, 6},
		{"transport.officer", workflow.Progress{Note: "施工中"}, workflow.MailNoticeExtension, 6},
		{"transport.head", workflow.Complete{Resolution: "围栏已拆除"}, workflow.MailNoticeReturn, 0},
		{"coordinator", workflow.Return{Reason: "人行道未恢复"}, workflow.MailNoticeReturn, 3},
	}
	if got := queued(w, workflow.MailNoticeDispatch); len(got) != 3 {
		t.Fatalf("dispatch queued %v", got)
	}
	for _, s := range steps {
		w.act(s.login, a, s.cmd)
		got := queued(w, s.kind)
		if len(got) != s.rows {
			t.Errorf("after %s: %s rows %v, want %d", s.cmd.Action(), s.kind, got, s.rows)
		}
		for i, to := range got {
			if to != transportMail[i%3] {
				t.Errorf("after %s: %s rows go to %v, want %v each time", s.cmd.Action(), s.kind, got, transportMail)
				break
			}
		}
	}
	// Five notices in all (dispatch, urge, grant, deny, return), one row per recipient each.
	var total, distinct int
	if err := w.db.QueryRow(`SELECT count(*), count(DISTINCT message_id) FROM outbox`).Scan(&total, &distinct); err != nil {
		t.Fatal(err)
	}
	if total != 15 || distinct != 15 {
		t.Errorf("%d rows with %d Message-IDs, want 15 and 15", total, distinct)
	}
}

func TestARolledBackActionQueuesNoNotice(t *testing.T) {
	w := newWorld(t)
	withMailboxes(w)
	c := w.newCase()
	// The dispatch's last write (the case moving to dispatched) fails, after its notice was queued.
	for _, q := range []string{
		`CREATE FUNCTION refuse_case_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
		`CREATE TRIGGER refuse_case_update BEFORE UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION refuse_case_update()`,
	} {
		if _, err := w.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, err := w.svc.DispatchAssignment(w.as("coordinator"), c.ID, workflow.Dispatch{Department: "transport", Role: workflow.RoleLead}, 0)
	if err == nil {
		t.Fatal("the dispatch succeeded despite the failing write")
	}
	var outbox, assignments int
	if err := w.db.QueryRow(`SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM assignments)`).Scan(&outbox, &assignments); err != nil {
		t.Fatal(err)
	}
	if outbox != 0 || assignments != 0 {
		t.Errorf("after the rolled-back dispatch: %d outbox rows, %d assignments; want none", outbox, assignments)
	}
	// Without the failure the same dispatch queues its notice.
	if _, err := w.db.Exec(`DROP TRIGGER refuse_case_update ON cases`); err != nil {
		t.Fatal(err)
	}
	w.dispatch(c, "transport", workflow.RoleLead)
	if got := queued(w, workflow.MailNoticeDispatch); len(got) != 3 {
		t.Errorf("the dispatch queued %v", got)
	}
}
