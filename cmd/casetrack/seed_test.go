package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"golang.org/x/crypto/bcrypt"
)

func TestSeedDemo(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	b := openTestBackend(t, vars["DATABASE_URL"])
	// What `seed demo --if-empty` does, with cheap password hashes: twelve at
	// the default cost take half a minute under the race detector.
	b.passwordCost = bcrypt.MinCost
	var out strings.Builder
	if err := seedDemoOnce(context.Background(), b, true, &out); err != nil {
		t.Fatal(err)
	}
	if want := "loaded the demo data: 4 departments, 12 users, 10 cases; every password is demo-password\n"; out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
	// The backdated history's notices never reach anyone.
	var queued int
	if err := b.db.Get(&queued, `SELECT count(*) FROM outbox`); err != nil || queued != 0 {
		t.Errorf("the seed left %d mails in the outbox (%v), want none", queued, err)
	}
	svc := b.service(nil)
	coordinator := signIn(t, svc, "coordinator")
	page, err := svc.ListCases(coordinator, workflow.CaseFilter{Limit: workflow.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	cases := page.Items

	t.Run("every promised state", func(t *testing.T) {
		for _, want := range []struct {
			state string
			count int
			is    func(c *workflow.Case) bool
		}{
			{"awaiting triage", 1, status(workflow.CaseSubmitted)},
			{"triaged, awaiting dispatch", 1, status(workflow.CaseTriaged)},
			{"dispatched with an overdue lead not yet accepted", 1, func(c *workflow.Case) bool {
				return c.Status == workflow.CaseDispatched && hasAssignment(c, func(a *workflow.Assignment) bool {
					return a.Role == workflow.RoleLead && a.Status == workflow.AssignmentPending && a.Overdue
				})
			}},
			{"in progress with progress notes", 3, func(c *workflow.Case) bool {
				return c.Status == workflow.CaseInProgress && countEvents(coordinator, t, svc, c, "progress") >= 2
			}},
			{"an extension request pending", 1, func(c *workflow.Case) bool {
				return hasAssignment(c, (*workflow.Assignment).ExtensionPending)
			}},
			{"completed, awaiting confirmation", 1, func(c *workflow.Case) bool {
				return hasAssignment(c, func(a *workflow.Assignment) bool { return a.Status == workflow.AssignmentCompleted })
			}},
			{"closed with a rating", 1, func(c *workflow.Case) bool {
				return c.Status == workflow.CaseClosed && c.Rating != nil && *c.Rating >= 3
			}},
			{"reopened after a poor rating", 1, func(c *workflow.Case) bool {
				return c.Status == workflow.CaseReopened && c.Rating != nil && *c.Rating <= 2
			}},
			{"rejected", 1, status(workflow.CaseRejected)},
			{"a declined lead", 1, func(c *workflow.Case) bool {
				return hasAssignment(c, func(a *workflow.Assignment) bool {
					return a.Role == workflow.RoleLead && a.Status == workflow.AssignmentDeclined
				})
			}},
			{"supporting departments", 4, func(c *workflow.Case) bool {
				return hasAssignment(c, func(a *workflow.Assignment) bool { return a.Role == workflow.RoleSupport })
			}},
		} {
			var matching []string
			for _, c := range cases {
				if want.is(c) {
					matching = append(matching, c.Title)
				}
			}
			if len(matching) != want.count {
				t.Errorf("%s: %d cases %q, want %d", want.state, len(matching), matching, want.count)
			}
		}
	})

	t.Run("only the dispatched lead is overdue", func(t *testing.T) {
		overdue := true
		page, err := svc.ListCases(coordinator, workflow.CaseFilter{Overdue: &overdue})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Status != workflow.CaseDispatched {
			t.Errorf("overdue cases: %+v", page.Items)
		}
	})

	t.Run("a history over the past five weeks", func(t *testing.T) {
		oldest := cases[len(cases)-1]
		if age := time.Since(oldest.CreatedAt); age < 30*24*time.Hour || age > 40*24*time.Hour {
			t.Errorf("the oldest case was filed %s ago", age)
		}
		if newest := cases[0]; time.Since(newest.CreatedAt) > 3*24*time.Hour {
			t.Errorf("the newest case was filed %s ago", time.Since(newest.CreatedAt))
		}
		refs := make([]string, len(cases))
		for i, c := range cases {
			refs[len(cases)-1-i] = c.Ref
		}
		if !slices.IsSorted(refs) {
			t.Errorf("references do not follow filing order: %v", refs)
		}
		visibilities := map[workflow.Visibility]int{}
		for _, c := range cases {
			events, err := svc.Events(coordinator, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range events {
				if e.At.After(time.Now()) || (i > 0 && e.At.Before(events[i-1].At)) {
					t.Errorf("%s: event %d (%s) at %s is out of order", c.Ref, i, e.Kind, e.At)
				}
				if e.Kind == string(workflow.ActionComment) {
					visibilities[e.Visibility]++
				}
			}
		}
		if visibilities[workflow.VisibilityInternal] == 0 || visibilities[workflow.VisibilityPublic] == 0 {
			t.Errorf("comments by visibility: %v; want internal and public ones", visibilities)
		}
	})

	t.Run("departments and users", func(t *testing.T) {
		depts, err := svc.ListDepartments(coordinator)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, d := range depts {
			names[d.Code] = d.Name
		}
		want := map[string]string{"transport": "区交通局", "ndrc": "区发展改革委", "police": "区公安局", "citymgmt": "区城市管理局"}
		if !maps.Equal(names, want) {
			t.Errorf("departments = %v, want %v", names, want)
		}
		officer := workflow.ActorFrom(signIn(t, svc, "transport.officer"))
		if officer.Locale != "en" || !slices.Equal(officer.Departments(), []string{"transport"}) || !officer.HasRole(workflow.RoleDeptOfficer) {
			t.Errorf("transport.officer = %+v", officer)
		}
	})

	t.Run("a second seed is refused", func(t *testing.T) {
		runCommand(t, vars, "", "seed", "demo").mustFail(t, exitError, "the database already holds data (4 departments, 12 users, 10 cases)")
	})

	t.Run("--if-empty leaves the data alone", func(t *testing.T) {
		r := runCommand(t, vars, "", "seed", "demo", "--if-empty").mustSucceed(t)
		if !strings.Contains(r.stdout, "demo data not loaded") {
			t.Errorf("stdout = %q", r.stdout)
		}
		page, err := svc.ListCases(coordinator, workflow.CaseFilter{Limit: workflow.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != len(cases) {
			t.Errorf("%d cases after --if-empty, %d before", len(page.Items), len(cases))
		}
	})
}

func TestSeedDemoRefusesADatabaseWithOnlyADepartment(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	runCommand(t, vars, "", "department", "add", "--code", "transport", "--name", "区交通局").mustSucceed(t)
	runCommand(t, vars, "", "seed", "demo").mustFail(t, exitError, "already holds data (1 departments, 0 users, 0 cases)")
}

// signIn signs a demo user in with the demo password and returns a context acting as them.
func signIn(t *testing.T, svc *workflow.Service, login string) context.Context {
	t.Helper()
	ctx := context.Background()
	session, err := svc.Login(ctx, login, demoPassword, workflow.TokenAPI, time.Hour)
	if err != nil {
		t.Fatalf("%s cannot sign in with the demo password: %v", login, err)
	}
	actor, err := svc.Authenticate(ctx, session.Token)
	if err != nil {
		t.Fatal(err)
	}
	return workflow.WithActor(ctx, actor)
}

func status(s workflow.CaseStatus) func(*workflow.Case) bool {
	return func(c *workflow.Case) bool { return c.Status == s }
}

func hasAssignment(c *workflow.Case, is func(*workflow.Assignment) bool) bool {
	return slices.ContainsFunc(c.Assignments, is)
}

// countEvents counts the events of kind in the history of c.
func countEvents(ctx context.Context, t *testing.T, svc *workflow.Service, c *workflow.Case, kind string) int {
	t.Helper()
	events, err := svc.Events(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}
