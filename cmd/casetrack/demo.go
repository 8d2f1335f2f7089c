package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"casetrack/workflow"
)

// demoPassword is every demo user's password (API.md, "Demo data").
const demoPassword = "demo-password"

// moment is a time of day on a day counted from the day the seed runs:
// on(-3, 9, 30) is three days ago at half past nine, on(7, 18, 0) a week ahead.
type moment struct{ day, hour, minute int }

// on returns the moment at hour:minute on day.
func on(day, hour, minute int) moment { return moment{day, hour, minute} }

// demoUser is one account of the demo.
type demoUser struct {
	login string
	demoPerson
	roles []workflow.Grant
}

// demoCase is one problem of the demo and what people did about it, in order.
type demoCase struct {
	filed moment
	by    string // the reporter's login
	in    workflow.NewCase
	steps []demoStep
}

// demoStep is one thing a person did to a case.
type demoStep struct {
	at moment
	by string
	do func(ctx context.Context, s *seeder, c *caseRun) error
}

// caseRun is a demo case being loaded.
type caseRun struct {
	id int64
	// assignments maps a department to its latest assignment on the case.
	assignments map[string]int64
}

// seeder loads the demo data through the workflow Service, so that every
// row and event is one the service itself would write. The Service's clock
// is set to the time of each step, which spreads the history over the past weeks.
type seeder struct {
	svc    *workflow.Service
	clock  time.Time // what the service's clock says
	today  time.Time // midnight of the day the seed runs, in the configured zone
	now    time.Time // when the seed runs: no step may come later
	actors map[string]*workflow.Actor
}

// seedDemo loads the demo world into an empty database and says what it loaded.
func seedDemo(ctx context.Context, b *backend, now time.Time) (string, error) {
	local := now.In(b.cfg.Location)
	s := &seeder{
		today:  time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, b.cfg.Location),
		now:    now,
		actors: map[string]*workflow.Actor{},
	}
	s.svc = b.service(func() time.Time { return s.clock })
	trusted := workflow.Trusted(ctx)
	departments := demoDepartments()
	for _, d := range departments {
		if _, err := s.svc.CreateDepartment(trusted, d.Department); err != nil {
			return "", fmt.Errorf("department %s: %w", d.Code, err)
		}
	}
	users := demoUsers(departments)
	for _, u := range users {
		if err := s.addUser(trusted, u); err != nil {
			return "", fmt.Errorf("user %s: %w", u.login, err)
		}
	}
	cases := demoCases()
	slices.SortStableFunc(cases, func(a, b demoCase) int { return cmp.Compare(a.filed.day, b.filed.day) })
	for _, c := range cases {
		if err := s.load(ctx, c); err != nil {
			return "", fmt.Errorf("case %q: %w", c.in.Title, err)
		}
	}
	if _, err := workflow.DiscardQueuedNotices(ctx, b.db); err != nil {
		return "", fmt.Errorf("discarding the backdated notices: %w", err)
	}
	return fmt.Sprintf("%d departments, %d users, %d cases", len(departments), len(users), len(cases)), nil
}

// addUser creates a demo user and keeps them as an actor for the steps.
func (s *seeder) addUser(ctx context.Context, u demoUser) error {
	created, err := s.svc.CreateUser(ctx, workflow.NewUser{Login: u.login, Name: u.name, Email: u.email,
		Password: demoPassword, Locale: u.locale, Roles: u.roles})
	if err != nil {
		return err
	}
	// Signing each user in would cost a bcrypt comparison apiece for nothing:
	// the actor is built from the stored roles instead. Roles do not change
	// while the seed runs, so any fixed roles version keeps this process's
	// enforcer consistent.
	const rolesVersion = 0
	s.actors[u.login] = workflow.NewActor(created.ID, created.Login, created.Name, created.Email, created.Locale, rolesVersion, created.Roles)
	return nil
}

// load files one demo case and replays its steps, each at its time, as its person.
func (s *seeder) load(ctx context.Context, dc demoCase) error {
	s.clock = time.Time{}
	reporter, err := s.step(ctx, dc.filed, dc.by)
	if err != nil {
		return err
	}
	created, _, err := s.svc.CreateCase(reporter, dc.in, nil)
	if err != nil {
		return err
	}
	c := &caseRun{id: created.ID, assignments: map[string]int64{}}
	for i, step := range dc.steps {
		actor, err := s.step(ctx, step.at, step.by)
		if err == nil {
			err = step.do(actor, s, c)
		}
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, step.by, err)
		}
	}
	return nil
}

// step moves the service's clock on to m, which must not come before the
// case's previous step nor lie in the future, and returns ctx acting as login.
func (s *seeder) step(ctx context.Context, m moment, login string) (context.Context, error) {
	t := s.at(m)
	if t.After(s.now) {
		return nil, fmt.Errorf("a step at %s is in the future", t.Format(time.DateTime))
	}
	if t.Before(s.clock) {
		return nil, fmt.Errorf("a step at %s comes before the one at %s", t.Format(time.DateTime), s.clock.Format(time.DateTime))
	}
	actor, ok := s.actors[login]
	if !ok {
		return nil, fmt.Errorf("no demo user %s", login)
	}
	s.clock = t
	return workflow.WithActor(ctx, actor), nil
}

// at turns a moment into a time in the configured zone.
func (s *seeder) at(m moment) time.Time {
	return time.Date(s.today.Year(), s.today.Month(), s.today.Day()+m.day, m.hour, m.minute, 0, 0, s.today.Location())
}

// onCase takes a case action (triage, reject, close, reopen, rate).
func onCase(cmd workflow.CaseCommand) func(context.Context, *seeder, *caseRun) error {
	return func(ctx context.Context, s *seeder, c *caseRun) error {
		_, err := s.svc.ActOnCase(ctx, c.id, cmd, 0)
		return err
	}
}

// dispatch sends the case to a department, due after the service's default time.
func dispatch(department string, role workflow.AssignmentRole, instructions string) func(context.Context, *seeder, *caseRun) error {
	return dispatchDue(department, role, instructions, nil)
}

// dispatchBy sends the case to a department, due at due.
func dispatchBy(department string, role workflow.AssignmentRole, instructions string, due moment) func(context.Context, *seeder, *caseRun) error {
	return dispatchDue(department, role, instructions, &due)
}

func dispatchDue(department string, role workflow.AssignmentRole, instructions string, due *moment) func(context.Context, *seeder, *caseRun) error {
	return func(ctx context.Context, s *seeder, c *caseRun) error {
		in := workflow.Dispatch{Department: department, Role: role, Instructions: instructions}
		if due != nil {
			dueAt := s.at(*due)
			in.DueAt = &dueAt
		}
		a, err := s.svc.DispatchAssignment(ctx, c.id, in, 0)
		if err != nil {
			return err
		}
		c.assignments[department] = a.ID
		return nil
	}
}

// onAssignment takes an action on the department's latest assignment.
func onAssignment(department string, cmd workflow.AssignmentCommand) func(context.Context, *seeder, *caseRun) error {
	return func(ctx context.Context, s *seeder, c *caseRun) error {
		id, ok := c.assignments[department]
		if !ok {
			return fmt.Errorf("%s has no assignment to %s", department, cmd.Action())
		}
		_, err := s.svc.ActOnAssignment(ctx, id, cmd, 0)
		return err
	}
}

// requestExtension asks for the department's due date to move to until.
func requestExtension(department string, until moment, reason string) func(context.Context, *seeder, *caseRun) error {
	return func(ctx context.Context, s *seeder, c *caseRun) error {
		return onAssignment(department, workflow.RequestExtension{Until: s.at(until), Reason: reason})(ctx, s, c)
	}
}

// comment adds an internal note (批示) or a public comment (留言).
func comment(visibility workflow.Visibility, body string) func(context.Context, *seeder, *caseRun) error {
	return func(ctx context.Context, s *seeder, c *caseRun) error {
		_, err := s.svc.AddComment(ctx, c.id, workflow.NewComment{Body: body, Visibility: visibility}, 0)
		return err
	}
}
