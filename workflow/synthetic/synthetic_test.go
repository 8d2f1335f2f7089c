package synthetic_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/synthetic"
	"casetrack/workflow/workflowtest"

	"github.com/lib/pq"
)

// TestSeedWritesConsistentCases checks that the synthetic data obeys the
// rules the Service keeps: every case's status is the last "to" of its case
// events, every assignment's status the last "to" of its own events, refs
// are unique, and one active lead per case.
func TestSeedWritesConsistentCases(t *testing.T) {
	db := workflowtest.NewDB(t)
	ctx := context.Background()
	res, err := synthetic.Seed(ctx, db, synthetic.Options{Cases: 2000, Departments: 6, Seed: 1, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cases != 2000 || res.Assignments == 0 || res.Events < res.Cases {
		t.Fatalf("result %+v", res)
	}
	var mismatched int
	err = db.GetContext(ctx, &mismatched, `SELECT count(*) FROM cases c WHERE c.status <> (
		SELECT e.to_state FROM events e WHERE e.case_id = c.id AND e.assignment_id IS NULL AND e.to_state <> ''
		ORDER BY e.at DESC, e.id DESC LIMIT 1)`)
	if err != nil || mismatched != 0 {
		t.Fatalf("%d cases disagree with their events (%v)", mismatched, err)
	}
	err = db.GetContext(ctx, &mismatched, `SELECT count(*) FROM assignments a WHERE a.status <> (
		SELECT e.to_state FROM events e WHERE e.assignment_id = a.id ORDER BY e.at DESC, e.id DESC LIMIT 1)`)
	if err != nil || mismatched != 0 {
		t.Fatalf("%d assignments disagree with their events (%v)", mismatched, err)
	}
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
	if err := db.GetContext(ctx, &total, `SELECT count(DISTINCT ref) FROM cases`); err != nil || total != 2500 {
		t.Fatalf("%d distinct refs, want 2500 (%v)", total, err)
	}
}
