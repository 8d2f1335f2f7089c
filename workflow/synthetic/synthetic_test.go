package synthetic_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/synthetic"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// TestSeedWritesConsistentCases checks that the synthetic data obeys the
// rules the Service keeps: every row agrees with its events and every event
// with the state machines (see checkRows and checkHistories), every
// assignment state and every kind of event occurs, refs are unique, and one
// active lead per case.
func TestSeedWritesConsistentCases(t *testing.T) {
	db := workflowtest.NewDB(t)
	ctx := context.Background()
	res, err := synthetic.Seed(ctx, db, synthetic.Options{Cases: 20_000, Departments: 6, Seed: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cases != 20_000 || res.Assignments == 0 || res.Events < res.Cases {
		t.Fatalf("result %+v", res)
	}
	checkRows(t, db)
	checkHistories(t, db)
	checkVariety(t, db)
	// Cases are filed in id order and events written in time order, as use
	// leaves them, and each case's grams are those the Service stores.
	for table, column := range map[string]string{"cases": "created_at", "events": "at"} {
		var back int
		err := db.GetContext(ctx, &back, `SELECT count(*) FROM (SELECT `+column+` < lag(`+column+`) OVER (ORDER BY id) AS back FROM `+table+`) s WHERE back`)
		if err != nil || back != 0 {
			t.Fatalf("%d %s written before an earlier one (%v)", back, table, err)
		}
	}
	var grams []struct {
		Title       string         `db:"title"`
		Description string         `db:"description"`
		Ref         string         `db:"ref"`
		Address     string         `db:"address"`
		Grams       pq.StringArray `db:"search_grams"`
	}
	if err := db.SelectContext(ctx, &grams, `SELECT title, description, ref, address, search_grams FROM cases`); err != nil {
		t.Fatal(err)
	}
	for _, c := range grams {
		if want := workflow.CaseSearchGrams(c.Title, c.Description, c.Ref, c.Address); !slices.Equal(c.Grams, want) {
			t.Fatalf("case %s has grams %q, want %q", c.Ref, c.Grams, want)
		}
	}
	var states int
	if err := db.GetContext(ctx, &states, `SELECT count(DISTINCT status) FROM cases`); err != nil || states != 8 {
		t.Fatalf("%d distinct case states, want all 8 (%v)", states, err)
	}
	var future int
	if err := db.GetContext(ctx, &future, `SELECT count(*) FROM events WHERE at > now()`); err != nil || future != 0 {
		t.Fatalf("%d events in the future (%v)", future, err)
	}
	// A second run adds to the first without colliding on ids or refs, and
	// rebuilding the indexes leaves every one of them and every foreign key in place.
	schema := func() (defs []string) {
		t.Helper()
		err := db.SelectContext(ctx, &defs, `SELECT indexdef FROM pg_indexes WHERE tablename IN ('cases', 'assignments', 'events')
			UNION ALL SELECT conname || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text IN ('cases', 'assignments', 'events')
			ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		return defs
	}
	before := schema()
	if _, err := synthetic.Seed(ctx, db, synthetic.Options{Cases: 500, Departments: 6, Seed: 2, RebuildIndexes: true}); err != nil {
		t.Fatal(err)
	}
	if after := schema(); !slices.Equal(before, after) {
		t.Fatalf("the schema changed:\nbefore %v\nafter  %v", before, after)
	}
	var total int
	if err := db.GetContext(ctx, &total, `SELECT count(DISTINCT ref) FROM cases`); err != nil || total != 20_500 {
		t.Fatalf("%d distinct refs, want 20500 (%v)", total, err)
	}
}

// rowChecks each count the rows that disagree with their events, or with
// what the Service writes along with them.
var rowChecks = []struct{ what, query string }{
	{"cases whose status is not the last status their events moved them to", `SELECT count(*) FROM cases c WHERE c.status <> (
		SELECT e.to_state FROM events e WHERE e.case_id = c.id AND e.assignment_id IS NULL AND e.from_state <> e.to_state
		ORDER BY e.at DESC, e.id DESC LIMIT 1)`},
	// Only case actions and automatic steps write the case's row.
	{"cases whose version or update time is not that of their case events", `SELECT count(*) FROM cases c WHERE (c.version, c.updated_at) <> (
		SELECT count(*), max(e.at) FROM events e WHERE e.case_id = c.id AND e.assignment_id IS NULL)`},
	{"assignments whose status is not their last event's", `SELECT count(*) FROM assignments a WHERE a.status <> (
		SELECT e.to_state FROM events e WHERE e.assignment_id = a.id ORDER BY e.at DESC, e.id DESC LIMIT 1)`},
	{"assignments whose version or update time is not that of their events", `SELECT count(*) FROM assignments a WHERE (a.version, a.updated_at) <> (
		SELECT count(*), max(e.at) FROM events e WHERE e.assignment_id = a.id)`},
	{"assignments whose acceptance or completion time is not their events'", `SELECT count(*) FROM assignments a
		WHERE a.accepted_at IS DISTINCT FROM (SELECT max(e.at) FROM events e WHERE e.assignment_id = a.id AND e.kind = 'accept')
		OR a.completed_at IS DISTINCT FROM (SELECT max(e.at) FROM events e WHERE e.assignment_id = a.id AND e.kind = 'complete'
			AND a.status IN ('completed', 'confirmed'))`},
	// The last dispatch or granted extension set the due date; the last
	// request or decision, the extension's status.
	{"assignments whose due date or extension is not their events'", `SELECT count(*) FROM assignments a
		WHERE a.due_at <> (SELECT (e.data->>'due_at')::timestamptz FROM events e WHERE e.assignment_id = a.id
			AND e.kind IN ('dispatch', 'grant_extension') ORDER BY e.at DESC, e.id DESC LIMIT 1)
		OR a.extension_status IS DISTINCT FROM (SELECT CASE e.kind WHEN 'request_extension' THEN 'pending'
			WHEN 'grant_extension' THEN 'granted' ELSE 'denied' END FROM events e WHERE e.assignment_id = a.id
			AND e.kind IN ('request_extension', 'grant_extension', 'deny_extension') ORDER BY e.at DESC, e.id DESC LIMIT 1)
		OR a.extension_until IS DISTINCT FROM (SELECT (e.data->>'until')::timestamptz FROM events e
			WHERE e.assignment_id = a.id AND e.kind = 'request_extension')
		OR a.extension_requested_at IS DISTINCT FROM (SELECT max(e.at) FROM events e
			WHERE e.assignment_id = a.id AND e.kind = 'request_extension')`},
	// lead_wanted_since as migration 00008 defines it: an open case whose
	// round's lead declined, with no live lead, waits since the decline.
	{"cases whose lead_wanted_since is not as defined", `SELECT count(*) FROM cases c WHERE c.lead_wanted_since IS DISTINCT FROM (
		SELECT max(a.updated_at) FROM assignments a WHERE a.case_id = c.id AND a.round = c.round AND a.role = 'lead' AND a.status = 'declined'
			AND c.status IN ('triaged', 'dispatched', 'in_progress')
			AND NOT EXISTS (SELECT 1 FROM assignments l WHERE l.case_id = c.id AND l.round = c.round AND l.role = 'lead'
				AND l.status IN ('pending', 'in_progress', 'completed', 'confirmed')))`},
}

func checkRows(t *testing.T, db *sqlx.DB) {
	t.Helper()
	for _, c := range rowChecks {
		var n int
		if err := db.Get(&n, c.query); err != nil || n != 0 {
			t.Errorf("%d %s (%v)", n, c.what, err)
		}
	}
}

// checkVariety checks that the seed holds every assignment state, declined
// leads both replaced and still wanted, and every kind of assignment event.
func checkVariety(t *testing.T, db *sqlx.DB) {
	t.Helper()
	var statuses, kinds []string
	if err := db.Select(&statuses, `SELECT DISTINCT role || ' ' || status FROM assignments`); err != nil {
		t.Fatal(err)
	}
	for _, s := range workflow.AssignmentStatuses {
		for _, role := range []workflow.AssignmentRole{workflow.RoleLead, workflow.RoleSupport} {
			if !slices.Contains(statuses, string(role)+" "+string(s)) {
				t.Errorf("no %s assignment is %s", role, s)
			}
		}
	}
	if err := db.Select(&kinds, `SELECT DISTINCT kind || ' ' || from_state || ' ' || to_state FROM events`); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, r := range workflow.AssignmentRules {
		if k := string(r.Action) + " " + string(r.From) + " " + string(r.To); !slices.Contains(kinds, k) {
			missing = append(missing, k)
		}
	}
	for _, k := range []string{"dispatch  pending", "auto dispatched triaged", "auto triaged dispatched", "auto dispatched in_progress", "auto in_progress resolved"} {
		if !slices.Contains(kinds, k) {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		t.Errorf("no events %q", missing)
	}
	var waiting struct {
		Triaged  int `db:"triaged"`
		Assigned int `db:"assigned"`
		Replaced int `db:"replaced"`
	}
	err := db.Get(&waiting, `SELECT count(*) FILTER (WHERE c.status = 'triaged' AND c.lead_wanted_since IS NOT NULL) AS triaged,
		count(*) FILTER (WHERE c.status <> 'triaged' AND c.lead_wanted_since IS NOT NULL) AS assigned,
		count(*) FILTER (WHERE c.lead_wanted_since IS NULL AND EXISTS (SELECT 1 FROM assignments a
			WHERE a.case_id = c.id AND a.role = 'lead' AND a.status = 'declined')) AS replaced FROM cases c`)
	if err != nil || waiting.Triaged == 0 || waiting.Assigned == 0 || waiting.Replaced <= waiting.Triaged+waiting.Assigned {
		t.Errorf("cases with a declined lead: %+v, want some waiting in each state and most replaced (%v)", waiting, err)
	}
}

// historyEvent is what checkHistories reads of an event.
type historyEvent struct {
	CaseID     int64                   `db:"case_id"`
	Assignment int64                   `db:"assignment_id"`
	Role       workflow.AssignmentRole `db:"role"`
	Kind       string                  `db:"kind"`
	From       string                  `db:"from_state"`
	To         string                  `db:"to_state"`
}

// checkHistories replays every case's events through the state machines:
// each event must start where the last left its case or assignment and be
// a step of workflow.CaseRules or AssignmentRules, and each assignment
// event must be followed by exactly the automatic steps of its case that
// the rules imply (see autoSteps).
func checkHistories(t *testing.T, db *sqlx.DB) {
	t.Helper()
	var events []historyEvent
	err := db.Select(&events, `SELECT e.case_id, coalesce(e.assignment_id, 0) AS assignment_id, coalesce(a.role, '') AS role,
		e.kind, e.from_state, e.to_state FROM events e LEFT JOIN assignments a ON a.id = e.assignment_id ORDER BY e.case_id, e.at, e.id`)
	if err != nil {
		t.Fatal(err)
	}
	var r replay
	for i := range events {
		e := &events[i]
		if i == 0 || e.CaseID != events[i-1].CaseID {
			r.end(t)
			r = replay{caseID: e.CaseID, round: 1, assignments: map[int64]*replayed{}}
		}
		if err := r.apply(e); err != nil {
			t.Fatalf("case %d, %s %s→%s: %v", e.CaseID, e.Kind, e.From, e.To, err)
		}
	}
	r.end(t)
}

// replay is one case as its events so far have left it.
type replay struct {
	caseID      int64
	status      workflow.CaseStatus
	round       int
	assignments map[int64]*replayed
	// auto holds the automatic steps that must come next.
	auto []workflow.CaseStatus
}

type replayed struct {
	status           workflow.AssignmentStatus
	role             workflow.AssignmentRole
	round            int
	extensionPending bool
}

func (r *replay) apply(e *historyEvent) error {
	if e.Kind == workflow.EventAuto {
		if len(r.auto) == 0 || e.From != string(r.status) || e.To != string(r.auto[0]) {
			return fmt.Errorf("unexpected automatic step from %s; the rules lead to %v", r.status, r.auto)
		}
		r.status, r.auto = r.auto[0], r.auto[1:]
		return nil
	}
	if len(r.auto) > 0 {
		return fmt.Errorf("the automatic steps to %v are missing", r.auto)
	}
	action := workflow.Action(e.Kind)
	if e.Assignment == 0 {
		if e.From != string(r.status) || (action == workflow.ActionCreate) != (e.From == "") ||
			action != workflow.ActionCreate && !slices.Contains(workflow.CaseTargets(r.status, action), workflow.CaseStatus(e.To)) {
			return fmt.Errorf("not a step of the case in %q", r.status)
		}
		r.status = workflow.CaseStatus(e.To)
		if r.status == workflow.CaseReopened {
			r.round++
		}
		return nil
	}
	a := r.assignments[e.Assignment]
	if action == workflow.ActionDispatch {
		if a != nil || e.From != "" || e.To != string(workflow.AssignmentPending) ||
			len(workflow.CaseTargets(r.status, workflow.ActionDispatch)) == 0 {
			return fmt.Errorf("not a dispatch of a new assignment on a %s case", r.status)
		}
		a = &replayed{role: e.Role, round: r.round}
		r.assignments[e.Assignment] = a
	} else {
		to, ok := workflow.NextAssignment(a.status, a.extensionPending, action)
		if e.From != string(a.status) || !ok || string(to) != e.To {
			return fmt.Errorf("not a step of the assignment in %s", a.status)
		}
		a.extensionPending = action == workflow.ActionRequestExtension || a.extensionPending &&
			action != workflow.ActionGrantExtension && action != workflow.ActionDenyExtension
	}
	a.status = workflow.AssignmentStatus(e.To)
	r.auto = r.autoSteps()
	return nil
}

func (r *replay) end(t *testing.T) {
	t.Helper()
	if len(r.auto) > 0 {
		t.Errorf("case %d: the automatic steps to %v are missing", r.caseID, r.auto)
	}
}

// autoSteps are the automatic rows of DESIGN.md's case table, the ones
// workflow.CaseRules has without an action, applied to the current round
// until none applies: an oracle written from the design, to hold the
// Service's autoCaseTransition and the generator to it.
func (r *replay) autoSteps() []workflow.CaseStatus {
	var live, confirmed, accepted int
	leadConfirmed := false
	for _, a := range r.assignments {
		if a.round != r.round || a.status == workflow.AssignmentDeclined || a.status == workflow.AssignmentCancelled {
			continue
		}
		live++
		if a.status != workflow.AssignmentPending {
			accepted++
		}
		if a.status == workflow.AssignmentConfirmed {
			confirmed++
			leadConfirmed = leadConfirmed || a.role == workflow.RoleLead
		}
	}
	var steps []workflow.CaseStatus
	for status := r.status; ; {
		var to workflow.CaseStatus
		switch {
		case live > 0 && (status == workflow.CaseSubmitted || status == workflow.CaseTriaged || status == workflow.CaseReopened):
			to = workflow.CaseDispatched
		case live == 0 && (status == workflow.CaseDispatched || status == workflow.CaseInProgress):
			to = workflow.CaseTriaged
		case accepted > 0 && status == workflow.CaseDispatched:
			to = workflow.CaseInProgress
		case leadConfirmed && confirmed == live && status == workflow.CaseInProgress:
			to = workflow.CaseResolved
		default:
			return steps
		}
		steps = append(steps, to)
		status = to
	}
}
