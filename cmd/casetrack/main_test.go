package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
)

// result is what one in-process run of casetrack printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runCommand runs casetrack in-process with exactly the environment vars
// (nothing of the real environment) and stdin as standard input.
func runCommand(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), args, e)
	return result{stdout.String(), stderr.String(), code}
}

// mustSucceed fails the test unless r exited 0.
func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr: %s", r.code, r.stderr)
	}
	return r
}

// mustFail fails the test unless r exited with code and one line on stderr containing want.
func (r result) mustFail(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stdout: %s; stderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Errorf("want one line on stderr, got %q", r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not say %q", r.stderr, want)
	}
}

// serverURL is the PostgreSQL server the tests use.
func serverURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return workflowtest.DefaultURL
}

// emptyDatabaseURL creates a database without any migration and returns its
// URL; it is dropped when the test ends.
func emptyDatabaseURL(t *testing.T) string {
	t.Helper()
	admin, err := sqlx.Open("postgres", serverURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	name := "casetrack_cmd_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("creating a database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
	u, err := url.Parse(serverURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestReasonKeepsContextAndFields(t *testing.T) {
	invalid := &workflow.Error{Code: workflow.ErrInvalid, Message: "validation failed",
		Fields: []workflow.FieldError{{Field: "email", Message: "must be an email address"}}}
	unavailable := &workflow.Error{Code: workflow.ErrUnavailable, Message: "the database is unavailable", Err: errors.New("dial tcp: refused")}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{invalid, "validation failed: email: must be an email address"},
		{fmt.Errorf("user admin: %w", invalid), "user admin: validation failed: email: must be an email address"},
		{unavailable, "the database is unavailable: dial tcp: refused"},
		{errors.New("plain"), "plain"},
	} {
		if got := reason(tc.err); got != tc.want {
			t.Errorf("reason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	runCommand(t, nil, "", "seed", "everything").mustFail(t, exitUsage, `unknown command "seed everything"`)
	runCommand(t, nil, "", "serve", "--no-such-flag").mustFail(t, exitUsage, "flag provided but not defined")
	runCommand(t, nil, "", "serve", "now").mustFail(t, exitUsage, `unexpected argument "now"`)
}

func TestHelpListsEveryCommand(t *testing.T) {
	r := runCommand(t, nil, "", "help").mustSucceed(t)
	for _, c := range commands() {
		if !strings.Contains(r.stdout, c.name) {
			t.Errorf("help does not list %q", c.name)
		}
	}
	r = runCommand(t, nil, "", "user", "add", "-h").mustSucceed(t)
	for _, flag := range []string{"-login", "-role", "-password-stdin", "-database-url"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("user add -h does not list %s", flag)
		}
	}
}

func TestEveryDatabaseCommandNeedsDatabaseURL(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"migrate"}, {"migrate", "status"}, {"seed", "demo"},
		{"department", "add", "--code", "x", "--name", "X"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			runCommand(t, nil, "", args...).mustFail(t, exitError, "use `make run`")
		})
	}
}
