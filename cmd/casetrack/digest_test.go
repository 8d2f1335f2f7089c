package main

import (
	"strings"
	"testing"
	"time"

	"casetrack/workflow/digest"
	"casetrack/workflow/workflowtest"

	"golang.org/x/crypto/bcrypt"
)

// demoDatabase returns the environment of a database holding the demo, and
// last week, which holds some of the demo's history.
func demoDatabase(t *testing.T) (vars map[string]string, week string) {
	t.Helper()
	vars = map[string]string{"DATABASE_URL": workflowtest.NewURL(t)}
	b := openTestBackend(t, vars["DATABASE_URL"])
	b.passwordCost = bcrypt.MinCost
	if err := seedDemoOnce(t.Context(), b, false, &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	return vars, digest.WeekOf(time.Now(), b.cfg.Location).Prev().String()
}

func TestDigestPreviewPrintsTheOverviewOfTheDemo(t *testing.T) {
	t.Parallel()
	vars, week := demoDatabase(t)
	r := runCommand(t, vars, "", "digest", "preview", "--week", week, "--department", "transport").mustSucceed(t)
	if !strings.Contains(r.stdout, "区交通局") || !strings.Contains(r.stdout, "/cases/") {
		t.Errorf("the transport digest names neither its department nor a case:\n%s", r.stdout)
	}
	r = runCommand(t, vars, "", "digest", "preview", "--week", week, "--lang", "en").mustSucceed(t)
	if !strings.Contains(r.stdout, "Response rate") || !strings.Contains(r.stdout, "区公安局") {
		t.Errorf("the English overview lacks the department table:\n%s", r.stdout)
	}
}

func TestDigestSendIsIdempotent(t *testing.T) {
	t.Parallel()
	vars, week := demoDatabase(t)
	first := runCommand(t, vars, "", "digest", "send", "--week", week).mustSucceed(t)
	if strings.HasPrefix(first.stdout, week+": queued 0 ") {
		t.Fatalf("the first send queued nothing: %s", first.stdout)
	}
	again := runCommand(t, vars, "", "digest", "send", "--week", week).mustSucceed(t)
	if !strings.HasPrefix(again.stdout, week+": queued 0 digests") {
		t.Errorf("a second send queued digests again: %s", again.stdout)
	}
}

func TestDigestCommandsNeedAWeek(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": "postgres://unused"}
	runCommand(t, vars, "", "digest", "preview").mustFail(t, exitUsage, "missing --week")
	runCommand(t, vars, "", "digest", "send", "--week", "2026-48").mustFail(t, exitUsage, "--week")
}
