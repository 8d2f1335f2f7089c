package main

import (
	"context"
	"testing"

	"casetrack/workflow/workflowtest"
)

// openTestBackend opens the database at databaseURL as the commands do.
func openTestBackend(t *testing.T, databaseURL string) *backend {
	t.Helper()
	cfg, err := parseWith(map[string]string{"DATABASE_URL": databaseURL})
	if err != nil {
		t.Fatal(err)
	}
	b, err := openBackend(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestBackendConnectionsHaveTheStatementTimeout(t *testing.T) {
	t.Parallel()
	b := openTestBackend(t, workflowtest.NewURL(t))
	var timeout, application string
	if err := b.db.QueryRow(`SELECT current_setting('statement_timeout'), current_setting('application_name')`).Scan(&timeout, &application); err != nil {
		t.Fatal(err)
	}
	if timeout != "5s" || application != "casetrack" {
		t.Errorf("statement_timeout = %s, application_name = %s; want 5s, casetrack", timeout, application)
	}
	if n := b.db.Stats().MaxOpenConnections; n != maxOpenConns {
		t.Errorf("the pool allows %d connections, want %d", n, maxOpenConns)
	}
}
