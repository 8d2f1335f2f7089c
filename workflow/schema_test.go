package workflow_test

import (
	"regexp"
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
