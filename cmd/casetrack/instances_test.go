package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"
)

// instance is one `casetrack serve` process's worth of state: its own pool,
// enforcer and role listener, sharing the database with the others.
type instance struct {
	url  string
	logs *syncBuffer
}

// startInstance serves the database at databaseURL until the test ends.
func startInstance(t *testing.T, databaseURL string) *instance {
	t.Helper()
	b := openTestBackend(t, databaseURL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, b, ln, slog.New(slog.NewJSONHandler(logs, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return &instance{url: "http://" + ln.Addr().String(), logs: logs}
}

// syncBuffer is a log sink that tests may read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// call sends a JSON request with a bearer token and returns the status and body.
func (in *instance) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var reader io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, in.url+path, reader)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// login signs in through the instance and returns the token.
func (in *instance) login(t *testing.T, login string) string {
	t.Helper()
	status, raw := in.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"login": login, "password": "demo-password"})
	var out struct{ Token string }
	if status != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("login %s: %d %s", login, status, raw)
	}
	return out.Token
}

// TestRevocationThroughOneInstanceHoldsOnAnother runs two instances on one
// database: a role revoked through instance 1 is enforced by instance 2 on
// the very next request, and still after instance 2's LISTEN connection is
// killed (the listener reconnects; checks never depended on it).
func TestRevocationThroughOneInstanceHoldsOnAnother(t *testing.T) {
	t.Parallel()
	databaseURL := workflowtest.NewURL(t)
	b := openTestBackend(t, databaseURL)
	svc := b.service(nil)
	ctx := workflow.Trusted(context.Background())
	if _, err := svc.CreateDepartment(ctx, workflow.Department{Code: "transport", Name: "区交通局"}); err != nil {
		t.Fatal(err)
	}
	for login, grant := range map[string]workflow.Grant{
		"admin": {Role: workflow.RoleAdmin}, "transport.head": {Role: workflow.RoleDeptHead, Department: "transport"},
	} {
		if _, err := svc.CreateUser(ctx, workflow.NewUser{Login: login, Name: login, Password: "demo-password", Roles: []workflow.Grant{grant}}); err != nil {
			t.Fatal(err)
		}
	}
	one, two := startInstance(t, databaseURL), startInstance(t, databaseURL)
	admin, head := one.login(t, "admin"), two.login(t, "transport.head")

	// The admin files a case and dispatches it to transport through instance 1.
	status, raw := one.call(t, "POST", "/api/v1/cases", admin, map[string]any{"title": "刘家嘴站围栏阻挡行人"})
	var c struct{ ID int64 }
	if status != http.StatusCreated || json.Unmarshal(raw, &c) != nil {
		t.Fatalf("create: %d %s", status, raw)
	}
	status, raw = one.call(t, "POST", fmt.Sprintf("/api/v1/cases/%d/assignments", c.ID), admin, map[string]any{"department": "transport", "role": "lead"})
	var a struct{ ID int64 }
	if status != http.StatusCreated || json.Unmarshal(raw, &a) != nil {
		t.Fatalf("dispatch: %d %s", status, raw)
	}
	casePath := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	if status, raw := two.call(t, "GET", casePath, head, nil); status != http.StatusOK || !strings.Contains(string(raw), `"accept"`) {
		t.Fatalf("before the revocation instance 2 shows the head %d %s, want 200 with accept allowed", status, raw)
	}

	userPath := func() string {
		var id int64
		if err := b.db.Get(&id, `SELECT id FROM users WHERE login = 'transport.head'`); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("/api/v1/users/%d", id)
	}()
	revokeAndCheck := func(step string) {
		t.Helper()
		if status, raw := one.call(t, "PATCH", userPath, admin, map[string]any{"roles": []any{}}); status != http.StatusOK {
			t.Fatalf("%s: revoke through instance 1: %d %s", step, status, raw)
		}
		revoked := time.Now()
		status, _ := two.call(t, "POST", fmt.Sprintf("/api/v1/assignments/%d/actions/accept", a.ID), head, map[string]any{})
		t.Logf("%s: instance 2 answered %d to the first request, %s after the revocation committed", step, status, time.Since(revoked))
		if status != http.StatusNotFound {
			t.Fatalf("%s: instance 2 let a revoked head act: %d, want 404 (the case is no longer theirs to see)", step, status)
		}
		if status, _ := two.call(t, "GET", casePath, head, nil); status != http.StatusNotFound {
			t.Fatalf("%s: instance 2 still shows the case to a revoked head: %d", step, status)
		}
		// Restore the role for the next step.
		if status, raw := one.call(t, "PATCH", userPath, admin, map[string]any{"roles": []any{map[string]string{"role": "dept_head", "department": "transport"}}}); status != http.StatusOK {
			t.Fatalf("%s: restore: %d %s", step, status, raw)
		}
		if status, raw := two.call(t, "GET", casePath, head, nil); status != http.StatusOK || !strings.Contains(string(raw), `"accept"`) {
			t.Fatalf("%s: after the role came back instance 2 answers %d %s", step, status, raw)
		}
	}
	revokeAndCheck("with LISTEN")

	// Kill every LISTEN connection: instance 2's listener must reconnect, and
	// enforcement must hold meanwhile.
	var killed int
	if err := b.db.Get(&killed, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query ILIKE 'LISTEN%'`); err != nil || killed < 2 {
		t.Fatalf("killed %d LISTEN connections (%v), want both instances'", killed, err)
	}
	revokeAndCheck("LISTEN killed")
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(two.logs.String(), `"event":"reconnected"`) {
		if time.Now().After(deadline) {
			t.Fatalf("instance 2's role listener did not reconnect; its log:\n%s", two.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
