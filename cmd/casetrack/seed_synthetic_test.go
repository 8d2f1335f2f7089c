package main

import (
	"strings"
	"testing"

	"casetrack/workflow/workflowtest"
)

func TestSeedSyntheticAddsCasesInEveryState(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	r := runCommand(t, vars, "", "seed", "synthetic", "--cases", "400", "--departments", "5").mustSucceed(t)
	if !strings.HasPrefix(r.stdout, "added 400 cases, ") {
		t.Errorf("stdout = %q", r.stdout)
	}
	db := openTestBackend(t, vars["DATABASE_URL"]).db
	var got struct {
		Cases       int `db:"cases"`
		States      int `db:"states"`
		Departments int `db:"departments"`
	}
	err := db.Get(&got, `SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(DISTINCT status) FROM cases) AS states,
		(SELECT count(*) FROM departments) AS departments`)
	if err != nil {
		t.Fatal(err)
	}
	if got.Cases != 400 || got.States != 8 || got.Departments != 5 {
		t.Errorf("got %+v, want 400 cases in all 8 states over 5 departments", got)
	}
}

func TestSeedSyntheticNeedsAPositiveCount(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "postgres://unused"}
	runCommand(t, vars, "", "seed", "synthetic").mustFail(t, exitUsage, "--cases must be a positive number")
	runCommand(t, vars, "", "seed", "synthetic", "--cases", "10", "--departments", "0").mustFail(t, exitUsage, "--departments must be a positive number")
}
