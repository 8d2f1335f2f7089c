package workflow_test

import (
	"regexp"
	"slices"
	"testing"

	"casetrack/workflow/workflowtest"
)

// An update is HOT, writing no index entry, only when it changes no indexed
// column. Every action changes its row's updated_at and version, so no index
// of the tables that actions update may hold either, in its columns or its
// condition: each progress report would otherwise add an entry to every
// index of assignments (docs/PERFORMANCE.md).
func TestNoIndexHoldsWhatEveryActionChanges(t *testing.T) {
	t.Parallel()
	db := workflowtest.NewDB(t)
	var defs []string
	err := db.Select(&defs, `SELECT pg_get_indexdef(indexrelid) FROM pg_index
		WHERE indrelid IN ('cases'::regclass, 'assignments'::regclass)`)
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) < 2 {
		t.Fatalf("found %d indexes of cases and assignments", len(defs))
	}
	changedByEveryAction := regexp.MustCompile(`\b(updated_at|version)\b`)
	for _, def := range defs {
		if changedByEveryAction.MatchString(def) {
			t.Errorf("no update of its table can be HOT with %s", def)
		}
	}
}

// HOT updates prune their dead rows, which then leave the count that calls
// autovacuum; assignments are vacuumed at a fixed count instead, so that
// their pages become all-visible again for the lists' index-only scans.
func TestAutovacuumVisitsAssignmentsAtAFixedCountOfDeadRows(t *testing.T) {
	t.Parallel()
	db := workflowtest.NewDB(t)
	var options []string
	if err := db.Select(&options, `SELECT unnest(reloptions) FROM pg_class WHERE oid = 'assignments'::regclass`); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=1000"} {
		if !slices.Contains(options, want) {
			t.Errorf("assignments has %q, not %s", options, want)
		}
	}
}
