package main

import (
	"io/fs"
	"strings"
	"testing"

	"casetrack/migrations"
)

func TestMigrateAppliesEachMigrationOnce(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations (%v)", err)
	}
	vars := map[string]string{"DATABASE_URL": emptyDatabaseURL(t)}
	status := func(want string) {
		t.Helper()
		out := runCommand(t, vars, "", "migrate", "status").mustSucceed(t).stdout
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != len(files) {
			t.Fatalf("migrate status lists %d migrations, want %d:\n%s", len(lines), len(files), out)
		}
		for i, line := range lines {
			if !strings.HasPrefix(line, want) || !strings.HasSuffix(line, files[i]) {
				t.Errorf("migrate status line %q, want %s %s", line, want, files[i])
			}
		}
	}

	status("pending")
	runCommand(t, vars, "", "seed", "demo").mustFail(t, exitError, "run `casetrack migrate` first")

	out := runCommand(t, vars, "", "migrate").mustSucceed(t).stdout
	for _, f := range files {
		if !strings.Contains(out, "applied "+f) {
			t.Errorf("migrate did not report %s:\n%s", f, out)
		}
	}
	status("applied")

	out = runCommand(t, vars, "", "migrate").mustSucceed(t).stdout
	if strings.Contains(out, "applied ") || !strings.Contains(out, "the database is at version") {
		t.Errorf("a second migrate said:\n%s", out)
	}
}
