package policy

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"casetrack/workflow/workflowtest"

	_ "github.com/lib/pq"
)

// testDSN is the server the NOTIFY test talks to, as for every other test.
func testDSN() string {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn
	}
	return workflowtest.DefaultURL
}

// TestNotifyMakesListenForgetTheUser holds stale roles for two users (same
// version, the roles passed differ), announces a change for one, and expects
// only that one to be reloaded. Listen also forgets everyone when it
// connects, which would reload both: a round in which that happened, or in
// which the NOTIFY came before the LISTEN, is tried again.
func TestNotifyMakesListenForgetTheUser(t *testing.T) {
	db, err := sql.Open("postgres", testDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", testDSN(), err)
	}

	e := newEnforcer(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Listen(ctx, testDSN(), e, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return after its context was cancelled")
		}
	}()

	const notified, bystander = 9001, 9002
	// Each round starts from a new version, so that the head lines are held
	// again whatever the previous round left behind.
	for version, deadline := int64(1), time.Now().Add(15*time.Second); time.Now().Before(deadline); version++ {
		holdsHead := func(userID int64) bool { return mayComplete(e, userID, version) }
		mayComplete(e, notified, version, "dept_head:transport")
		mayComplete(e, bystander, version, "dept_head:transport")
		if _, err := db.Exec(`SELECT pg_notify($1, $2)`, RolesChannel, strconv.Itoa(notified)); err != nil {
			t.Fatal(err)
		}
		for wait := time.Now().Add(time.Second); time.Now().Before(wait) && holdsHead(notified); {
			time.Sleep(10 * time.Millisecond)
		}
		if !holdsHead(notified) && holdsHead(bystander) {
			return
		}
	}
	t.Fatal("a NOTIFY on " + RolesChannel + " did not make Listen forget the user")
}

func TestListenReturnsOnCancelWhileTheDatabaseIsDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	e := newEnforcer(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Port 1 on loopback refuses at once: the listener keeps retrying.
		Listen(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=1", e, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Listen still runs after its context ended")
	}
}
