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

// The service's connections send a statement with parameters in one round
// trip (binary_parameters), where a []byte goes in binary form: right for
// bytea, refused by jsonb.
func TestBackendConnectionsSendBinaryParameters(t *testing.T) {
	t.Parallel()
	b := openTestBackend(t, workflowtest.NewURL(t))
	if _, err := b.db.Exec(`SELECT $1::jsonb`, []byte(`{}`)); err == nil {
		t.Error("a []byte bound to jsonb passed: the pool is not in binary_parameters mode")
	}
	var n int
	if err := b.db.Get(&n, `SELECT length($1::bytea)`, []byte{0, 1, 2}); err != nil || n != 3 {
		t.Errorf("a []byte bound to bytea: length %d, %v; want 3", n, err)
	}
}
