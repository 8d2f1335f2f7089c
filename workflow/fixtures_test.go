package workflow_test

import (
	"context"
	"testing"
	"time"

	"casetrack/policy"
	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
)

// world is a migrated database with the four demo departments and one user per role.
type world struct {
	t     *testing.T
	db    *sqlx.DB
	svc   *workflow.Service
	users map[string]*workflow.Actor
	now   time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := workflowtest.NewDB(t)
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, users: map[string]*workflow.Actor{}, now: time.Now()}
	w.svc = workflow.NewService(workflow.Config{DB: db, Authorizer: enforcer, RefPrefix: "CT",
		Location: time.UTC, Now: func() time.Time { return w.now }})
	ctx := workflow.Trusted(context.Background())
	for _, code := range []string{"transport", "ndrc", "police", "citymgmt"} {
		if _, err := w.svc.CreateDepartment(ctx, workflow.Department{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	for login, grant := range map[string]workflow.Grant{
		"admin": {Role: "admin"}, "coordinator": {Role: "coordinator"}, "viewer": {Role: "viewer"},
		"operator": {Role: "reporter"},
		"transport.head": {Role: "dept_head", Department: "transport"}, "transport.officer": {Role: "dept_officer", Department: "transport"},
		"police.head": {Role: "dept_head", Department: "police"}, "police.officer": {Role: "dept_officer", Department: "police"},
	} {
		w.addUser(login, grant)
	}
	return w
}

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
	c, _, err := w.svc.CreateCase(w.as("operator"), workflow.NewCase{Title: "刘家嘴站围栏阻挡行人", Description: "站前人行道被围栏阻断", Location: workflow.Location{Address: "璧山区刘家嘴站"}}, nil)
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

// caseStatus reads a case's status as the coordinator.
func (w *world) caseStatus(c *workflow.Case) workflow.CaseStatus {
	w.t.Helper()
	got, err := w.svc.GetCase(w.as("coordinator"), c.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return got.Status
}
