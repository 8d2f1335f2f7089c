package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"casetrack/policy"
	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"
)

// world is a migrated database with the four demo departments and one user
// per role, seen from one test.
type world struct {
	t *testing.T
	*env
}

// env is what the tests of one world share, subtests included.
type env struct {
	db    *sqlx.DB
	svc   *workflow.Service
	users map[string]*workflow.Actor
	// now is the service's clock.
	now time.Time
}

// newWorld builds a world in a database of its own, so the test runs in parallel with the others.
func newWorld(t *testing.T) *world {
	t.Helper()
	t.Parallel()
	db := workflowtest.NewDB(t)
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	// Whole microseconds in UTC: what PostgreSQL stores, so times compare equal after a round trip.
	now := time.Now().UTC().Truncate(time.Microsecond)
	e := &env{db: db, users: map[string]*workflow.Actor{}, now: now}
	e.svc = workflow.NewService(workflow.Config{DB: db, Authorizer: enforcer, RefPrefix: "CT",
		Location: time.UTC, Now: func() time.Time { return e.now }, PasswordCost: bcrypt.MinCost})
	w := &world{t: t, env: e}
	ctx := workflow.Trusted(context.Background())
	for _, code := range []string{"transport", "ndrc", "police", "citymgmt"} {
		if _, err := w.svc.CreateDepartment(ctx, workflow.Department{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	for login, grant := range map[string]workflow.Grant{
		"admin": {Role: "admin"}, "coordinator": {Role: "coordinator"}, "viewer": {Role: "viewer"},
		"operator": {Role: "reporter"}, "resident": {Role: "reporter"},
		"transport.head": {Role: "dept_head", Department: "transport"}, "transport.officer": {Role: "dept_officer", Department: "transport"},
		"police.head": {Role: "dept_head", Department: "police"}, "police.officer": {Role: "dept_officer", Department: "police"},
	} {
		w.addUser(login, grant)
	}
	return w
}

// sub is the same world seen from subtest t.
func (w *world) sub(t *testing.T) *world { return &world{t: t, env: w.env} }

// addUser creates a user holding grants and signs them in.
func (w *world) addUser(login string, grants ...workflow.Grant) *workflow.Actor {
	w.t.Helper()
	ctx := workflow.Trusted(context.Background())
	if _, err := w.svc.CreateUser(ctx, workflow.NewUser{Login: login, Name: login, Password: "demo-password", Roles: grants}); err != nil {
		w.t.Fatal(err)
	}
	sess, err := w.svc.Login(ctx, login, "demo-password", workflow.TokenAPI, time.Hour)
	if err != nil {
		w.t.Fatal(err)
	}
	actor, err := w.svc.Authenticate(ctx, sess.Token)
	if err != nil {
		w.t.Fatal(err)
	}
	w.users[login] = actor
	return actor
}

// as returns a context acting as the named user.
func (w *world) as(login string) context.Context {
	a, ok := w.users[login]
	if !ok {
		w.t.Fatalf("no user %s", login)
	}
	return workflow.WithActor(context.Background(), a)
}

// newCase files a case as the operator.
func (w *world) newCase() *workflow.Case {
	w.t.Helper()
	return w.fileCase("operator", workflow.NewCase{Title: "刘家嘴站围栏阻挡行人", Description: "站前人行道被围栏阻断", Location: workflow.Location{Address: "璧山区刘家嘴站"}})
}

// fileCase files a case as the named user.
func (w *world) fileCase(login string, in workflow.NewCase) *workflow.Case {
	w.t.Helper()
	c, _, err := w.svc.CreateCase(w.as(login), in, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// dispatch sends case c to a department.
func (w *world) dispatch(c *workflow.Case, dept string, role workflow.AssignmentRole) *workflow.Assignment {
	w.t.Helper()
	a, err := w.svc.DispatchAssignment(w.as("coordinator"), c.ID, workflow.Dispatch{Department: dept, Role: role, Instructions: "请拆除围栏"}, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// act applies an assignment command as the named user and fails the test on error.
func (w *world) act(login string, a *workflow.Assignment, cmd workflow.AssignmentCommand) *workflow.Assignment {
	w.t.Helper()
	out, err := w.svc.ActOnAssignment(w.as(login), a.ID, cmd, 0)
	if err != nil {
		w.t.Fatalf("%s %s: %v", login, cmd.Action(), err)
	}
	return out
}

// actOnCase applies a case command as the named user and fails the test on error.
func (w *world) actOnCase(login string, c *workflow.Case, cmd workflow.CaseCommand) *workflow.Case {
	w.t.Helper()
	out, err := w.svc.ActOnCase(w.as(login), c.ID, cmd, 0)
	if err != nil {
		w.t.Fatalf("%s %s: %v", login, cmd.Action(), err)
	}
	return out
}

// get reads a case as the coordinator, who sees everything.
func (w *world) get(c *workflow.Case) *workflow.Case {
	w.t.Helper()
	got, err := w.svc.GetCase(w.as("coordinator"), c.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got
}

// caseStatus reads a case's status as the coordinator.
func (w *world) caseStatus(c *workflow.Case) workflow.CaseStatus {
	w.t.Helper()
	return w.get(c).Status
}

// caseIn returns a new case walked to status along the usual path, with
// its transport lead once it has one.
func (w *world) caseIn(status workflow.CaseStatus) (*workflow.Case, *workflow.Assignment) {
	w.t.Helper()
	switch status {
	case workflow.CaseSubmitted:
		return w.newCase(), nil
	case workflow.CaseTriaged:
		c := w.newCase()
		return w.actOnCase("coordinator", c, workflow.Triage{}), nil
	case workflow.CaseRejected:
		c := w.newCase()
		return w.actOnCase("coordinator", c, workflow.Reject{Reason: "不属于本区"}), nil
	case workflow.CaseDispatched:
		c, _ := w.caseIn(workflow.CaseTriaged)
		return c, w.dispatch(c, "transport", workflow.RoleLead)
	case workflow.CaseInProgress:
		c, lead := w.caseIn(workflow.CaseDispatched)
		return c, w.act("transport.officer", lead, workflow.Accept{})
	case workflow.CaseResolved:
		c, lead := w.caseIn(workflow.CaseInProgress)
		w.act("transport.head", lead, workflow.Complete{Resolution: "围栏已拆除"})
		return c, w.act("coordinator", lead, workflow.Confirm{})
	case workflow.CaseClosed:
		c, lead := w.caseIn(workflow.CaseResolved)
		w.actOnCase("coordinator", c, workflow.Close{})
		return c, lead
	case workflow.CaseReopened:
		c, lead := w.caseIn(workflow.CaseResolved)
		w.actOnCase("coordinator", c, workflow.Reopen{Reason: "围栏又被装回"})
		return c, lead
	}
	w.t.Fatalf("no path to a %s case", status)
	return nil, nil
}

// leadIn returns a new case whose transport lead was walked to status.
func (w *world) leadIn(status workflow.AssignmentStatus) (*workflow.Case, *workflow.Assignment) {
	w.t.Helper()
	switch status {
	case workflow.AssignmentPending:
		return w.caseIn(workflow.CaseDispatched)
	case workflow.AssignmentInProgress:
		return w.caseIn(workflow.CaseInProgress)
	case workflow.AssignmentCompleted:
		c, lead := w.caseIn(workflow.CaseInProgress)
		return c, w.act("transport.head", lead, workflow.Complete{Resolution: "围栏已拆除"})
	case workflow.AssignmentConfirmed:
		return w.caseIn(workflow.CaseResolved)
	case workflow.AssignmentDeclined:
		c, lead := w.caseIn(workflow.CaseDispatched)
		return c, w.act("transport.head", lead, workflow.Decline{Reason: "不属于本部门职能"})
	case workflow.AssignmentCancelled:
		c, lead := w.caseIn(workflow.CaseDispatched)
		return c, w.act("coordinator", lead, workflow.Cancel{Reason: "派错部门"})
	}
	w.t.Fatalf("no path to a %s assignment", status)
	return nil, nil
}

// events reads a case's whole history as the coordinator.
func (w *world) events(c *workflow.Case) []*workflow.Event {
	w.t.Helper()
	events, err := w.svc.Events(w.as("coordinator"), c.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return events
}

// wantEvent is an expected history entry.
type wantEvent struct {
	Kind     string
	From, To string
	// OnAssignment says the event concerns the assignment acted on; otherwise it names none.
	OnAssignment bool
	// Actor is a login; "" for an automatic step, which nobody took.
	Actor      string
	Visibility workflow.Visibility
	// Data is the whole of the event's data.
	Data map[string]any
}

// checkEvents compares events with want; assignmentID is the assignment acted on.
func (w *world) checkEvents(got []*workflow.Event, want []wantEvent, assignmentID int64) {
	w.t.Helper()
	if len(got) != len(want) {
		w.t.Fatalf("got %d events %s, want %d", len(got), kinds(got), len(want))
	}
	for i, e := range got {
		wt := want[i]
		if e.Kind != wt.Kind || e.From != wt.From || e.To != wt.To || e.Visibility != wt.Visibility {
			w.t.Errorf("event %d: got %s %q→%q (%s), want %s %q→%q (%s)", i, e.Kind, e.From, e.To, e.Visibility, wt.Kind, wt.From, wt.To, wt.Visibility)
		}
		switch {
		case wt.OnAssignment && (e.AssignmentID == nil || *e.AssignmentID != assignmentID):
			w.t.Errorf("event %d (%s): assignment %v, want %d", i, e.Kind, e.AssignmentID, assignmentID)
		case !wt.OnAssignment && e.AssignmentID != nil:
			w.t.Errorf("event %d (%s): names assignment %d, want none", i, e.Kind, *e.AssignmentID)
		}
		switch {
		case wt.Actor == "" && e.Actor != nil:
			w.t.Errorf("event %d (%s): actor %s, want none", i, e.Kind, e.Actor.Name)
		case wt.Actor != "" && (e.Actor == nil || e.Actor.ID != w.users[wt.Actor].UserID):
			w.t.Errorf("event %d (%s): actor %+v, want %s", i, e.Kind, e.Actor, wt.Actor)
		}
		if got, want := decode(w.t, e.Data), normalise(w.t, wt.Data); !reflect.DeepEqual(got, want) {
			w.t.Errorf("event %d (%s): data %v, want %v", i, e.Kind, got, want)
		}
	}
}

// eventsOf runs step and returns the events it appended to case c.
func (w *world) eventsOf(c *workflow.Case, step func()) []*workflow.Event {
	w.t.Helper()
	before := len(w.events(c))
	step()
	return w.events(c)[before:]
}

func kinds(events []*workflow.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}

// decode reads event data into plain maps, strings and numbers.
func decode(t *testing.T, data json.RawMessage) map[string]any {
	t.Helper()
	out := map[string]any{}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("event data %s: %v", data, err)
	}
	return out
}

// normalise turns expected data into what decode returns (times become RFC 3339 strings).
func normalise(t *testing.T, data map[string]any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if data == nil {
		raw = []byte("{}")
	}
	return decode(t, raw)
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code workflow.ErrorCode) *workflow.Error {
	t.Helper()
	var e *workflow.Error
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	return e
}

// snapshot sums up all that an action could change about a case, to show that a refused one changed nothing.
func (w *world) snapshot(c *workflow.Case) string {
	w.t.Helper()
	var cases, events int
	if err := w.db.QueryRow(`SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM events)`).Scan(&cases, &events); err != nil {
		w.t.Fatal(err)
	}
	got := w.get(c)
	s := fmt.Sprintf("%d cases, %d events; this one %s v%d", cases, events, got.Status, got.Version)
	for _, a := range got.Assignments {
		s += fmt.Sprintf("; %s %s v%d due %s extension %+v", a.Department, a.Status, a.Version, a.DueAt, a.Extension)
	}
	return s
}
