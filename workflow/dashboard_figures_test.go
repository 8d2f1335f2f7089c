package workflow_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"casetrack/policy"
	"casetrack/workflow"
)

// eventually calls read until ok says its dashboard is the one awaited, for up to ten seconds.
func eventually(t *testing.T, read func() *workflow.Dashboard, ok func(*workflow.Dashboard) bool) *workflow.Dashboard {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := read()
		if ok(d) || time.Now().After(deadline) {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// otherInstance is a second service on the world's database, as another
// casetrack instance would be, with the same clock.
func (w *world) otherInstance(figuresWait time.Duration) *workflow.Service {
	w.t.Helper()
	enforcer, err := policy.New()
	if err != nil {
		w.t.Fatal(err)
	}
	return workflow.NewService(workflow.Config{DB: w.db, Authorizer: enforcer, RefPrefix: "CT", Location: time.UTC,
		Now: func() time.Time { return w.now }, FiguresWait: figuresWait})
}

func (w *world) dashboard(svc *workflow.Service, login string) *workflow.Dashboard {
	w.t.Helper()
	d, err := svc.Dashboard(w.as(login))
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

func TestDashboardFiguresAreKeptUntilDueAndSharedByInstances(t *testing.T) {
	w := newWorld(t)
	w.newCase()
	first := w.dashboard(w.svc, "coordinator")
	if first.Figures == nil || first.Figures.Total() != 1 || !first.Figures.TakenAt.Equal(w.now) {
		t.Fatalf("first figures %+v", first.Figures)
	}

	// A case filed at the same instant: the figures are not due yet, so
	// this instance and another one both show those kept.
	w.newCase()
	for name, svc := range map[string]*workflow.Service{"same instance": w.svc, "other instance": w.otherInstance(0)} {
		d := w.dashboard(svc, "coordinator")
		if d.Figures.Total() != 1 || !d.Figures.TakenAt.Equal(first.Figures.TakenAt) || d.Figures.Took != first.Figures.Took {
			t.Errorf("%s: %d cases taken at %v in %v; want the kept figures", name, d.Figures.Total(), d.Figures.TakenAt, d.Figures.Took)
		}
	}
	// The queues are read on every request.
	if got := len(w.dashboard(w.svc, "coordinator").Queues.AwaitingTriage.Items); got != 2 {
		t.Errorf("awaiting triage: %d items, want 2", got)
	}

	// A minute later they are due, and computed again.
	w.now = w.now.Add(time.Minute)
	d := eventually(t, func() *workflow.Dashboard { return w.dashboard(w.svc, "coordinator") },
		func(d *workflow.Dashboard) bool { return d.Figures.TakenAt.Equal(w.now) })
	if !d.Figures.TakenAt.Equal(w.now) || d.Figures.Total() != 2 {
		t.Errorf("due figures: %d cases taken at %v, want 2 taken at %v", d.Figures.Total(), d.Figures.TakenAt, w.now)
	}
	var scopes []string
	if err := w.db.Select(&scopes, `SELECT scope FROM dashboard_figures ORDER BY scope`); err != nil {
		t.Fatal(err)
	}
	if len(scopes) != 1 || scopes[0] != "all" {
		t.Errorf("kept scopes %v, want [all]", scopes)
	}
}

func TestSlowFiguresAreShownWhileComputedAgain(t *testing.T) {
	w := newWorld(t)
	w.newCase()
	// Figures kept an hour ago that took a minute to compute: due, and too
	// slow to compute in a request.
	kept := workflow.DashboardFigures{TakenAt: w.now.Add(-time.Hour), Took: time.Minute, Since: w.now.Add(-time.Hour - workflow.DashboardPeriod),
		StatusCounts: []workflow.StatusCount{{Status: workflow.CaseSubmitted, Count: 999}}}
	raw, err := json.Marshal(kept)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(`INSERT INTO dashboard_figures (scope, taken_at, took_ms, figures) VALUES ('all', $1, 60000, $2)`, kept.TakenAt, string(raw)); err != nil {
		t.Fatal(err)
	}

	d := w.dashboard(w.svc, "viewer")
	if d.Figures.Total() != 999 || !d.Figures.TakenAt.Equal(kept.TakenAt) {
		t.Errorf("got %d cases taken at %v; want the kept figures while new ones are computed", d.Figures.Total(), d.Figures.TakenAt)
	}
	d = eventually(t, func() *workflow.Dashboard { return w.dashboard(w.svc, "viewer") },
		func(d *workflow.Dashboard) bool { return d.Figures.TakenAt.Equal(w.now) })
	if d.Figures.Total() != 1 || !d.Figures.TakenAt.Equal(w.now) {
		t.Errorf("after the background computation: %d cases taken at %v, want 1 taken at %v", d.Figures.Total(), d.Figures.TakenAt, w.now)
	}
}

func TestFirstFiguresAppearOnceComputed(t *testing.T) {
	w := newWorld(t)
	w.leadIn(workflow.AssignmentInProgress)
	// Another instance is computing the transport department's figures: it
	// holds the scope's lock.
	ctx := context.Background()
	conn, err := w.db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var transport int64
	if err := conn.GetContext(ctx, &transport, `SELECT id FROM departments WHERE code = 'transport'`); err != nil {
		t.Fatal(err)
	}
	lock := `SELECT pg_advisory_lock(hashtextextended('casetrack.dashboard_figures:departments:' || $1, 0))`
	if _, err := conn.ExecContext(ctx, lock, transport); err != nil {
		t.Fatal(err)
	}

	svc := w.otherInstance(50 * time.Millisecond)
	if d := w.dashboard(svc, "transport.officer"); d.Figures != nil {
		t.Fatalf("figures %+v while they are still being computed", d.Figures)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock_all()`); err != nil {
		t.Fatal(err)
	}
	d := eventually(t, func() *workflow.Dashboard { return w.dashboard(svc, "transport.officer") },
		func(d *workflow.Dashboard) bool { return d.Figures != nil })
	if d.Figures == nil || d.Figures.Total() != 1 || figuresOf(t, d, "transport").Open != 1 {
		t.Errorf("transport's figures once computed: %+v", d.Figures)
	}
}

func TestQueueShowsTheTenWaitingLongestAndTellsOfMore(t *testing.T) {
	w := newWorld(t)
	var filed []int64
	for range workflow.QueueLimit + 2 {
		filed = append(filed, w.newCase().ID)
		w.now = w.now.Add(time.Minute)
	}
	q := w.dashboard(w.svc, "coordinator").Queues.AwaitingTriage
	if got := queueCaseIDs(q); !q.More || len(got) != workflow.QueueLimit || got[0] != filed[0] || got[len(got)-1] != filed[workflow.QueueLimit-1] {
		t.Errorf("awaiting triage %v (more: %v), want the first %d of %v and more", got, q.More, workflow.QueueLimit, filed)
	}
}
