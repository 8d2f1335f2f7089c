package digest

import (
	"context"
	"testing"

	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
)

// A week's figures read weeks of work, in statements that may run longer
// than the service lets a request's statement run (STATEMENT_TIMEOUT): their
// transaction sets its own bound, and leaves the connection's as it was.
func TestWeekStatementsHaveTheirOwnTimeout(t *testing.T) {
	db := workflowtest.NewDB(t)
	db.SetMaxOpenConns(1) // the connection whose session bound is set below
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `SET statement_timeout = '1s'`); err != nil {
		t.Fatal(err)
	}
	var inWeek, after string
	err := inSnapshot(ctx, db, "", func(ctx context.Context, tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &inWeek, `SHOW statement_timeout`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &after, `SHOW statement_timeout`); err != nil {
		t.Fatal(err)
	}
	if inWeek != "5min" || after != "1s" {
		t.Fatalf("statement_timeout is %s in the week's transaction and %s after it; want 5min, then 1s again", inWeek, after)
	}
}
