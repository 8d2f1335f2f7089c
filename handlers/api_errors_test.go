package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
)

// wantProblem checks a problem+json answer: its status and type.
func wantProblem(t *testing.T, r *response, status int, typ string) problem {
	t.Helper()
	r.want(t, status)
	p := r.problem(t)
	if p.Type != "https://casetrack.dev/problems/"+typ {
		t.Fatalf("problem type %q, want %s: %s", p.Type, typ, r.body)
	}
	return p
}

func TestMalformedRequestsAre400(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.caseWithLead("沙坡站斑马线缺失")
	caseURL := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	bodies := map[string]string{
		"truncated":   `{"title":`,
		"wrong type":  `{"title": 5}`,
		"not object":  `[1, 2]`,
		"trailing":    `{"title": "a"} {}`,
		"NUL in text": `{"title": "a\u0000b"}`,
		"bad time":    `{"department": "ndrc", "role": "support", "due_at": "next week"}`,
	}
	for name, body := range bodies {
		t.Run("body "+name, func(t *testing.T) {
			path := "/api/v1/cases"
			if name == "bad time" {
				path = caseURL + "/assignments"
			}
			p := wantProblem(t, e.call("coordinator", http.MethodPost, path, body), http.StatusBadRequest, "bad-request")
			if strings.Contains(p.Detail, body) {
				t.Errorf("the detail echoes the body: %q", p.Detail)
			}
		})
	}
	queries := map[string]string{
		"limit=0": "limit", "limit=201": "limit", "limit=ten": "limit", "overdue=maybe": "overdue",
		"status=done": "status", "cursor=not-a-cursor": "cursor", "department=nowhere": "department",
		"q=%00": "q", "department=%FF": "department",
	}
	for query, field := range queries {
		t.Run("query "+query, func(t *testing.T) {
			p := wantProblem(t, e.call("coordinator", http.MethodGet, "/api/v1/cases?"+query, nil), http.StatusBadRequest, "bad-request")
			if !slices.ContainsFunc(p.Errors, func(f workflow.FieldError) bool { return f.Field == field }) {
				t.Errorf("errors %+v do not name %s", p.Errors, field)
			}
		})
	}
	t.Run("query encoding", func(t *testing.T) {
		wantProblem(t, e.call("coordinator", http.MethodGet, "/api/v1/cases?q=%zz", nil), http.StatusBadRequest, "bad-request")
	})
	t.Run("If-Match", func(t *testing.T) {
		wantProblem(t, e.call("coordinator", http.MethodPost, caseURL+"/actions/triage", nil, "If-Match", "yesterday"), http.StatusBadRequest, "bad-request")
	})
	t.Run("Idempotency-Key", func(t *testing.T) {
		wantProblem(t, e.call("operator", http.MethodPost, "/api/v1/cases", map[string]string{"title": "x"}, "Idempotency-Key", "two words"), http.StatusBadRequest, "bad-request")
	})
}

func TestMissingOrDeadCredentialsAre401(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	logoutToken := e.newToken("operator")
	e.call("", http.MethodPost, "/api/v1/auth/logout", nil, "Authorization", "Bearer "+logoutToken).want(t, http.StatusNoContent)
	e.addUser("leaver", fixtureUsers["transport.officer"])
	e.call("admin", http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", e.ids["leaver"]), map[string]bool{"active": false}).want(t, http.StatusOK)

	cases := map[string]string{
		"no header":          "",
		"unknown token":      "Bearer not-a-token",
		"other scheme":       "Basic b3BlcmF0b3I6ZGVtby1wYXNzd29yZA==",
		"logged out":         "Bearer " + logoutToken,
		"deactivated user":   "Bearer " + e.tokens["leaver"],
		"bearer without one": "Bearer ",
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.call("", http.MethodGet, "/api/v1/me", nil, "Authorization", header)
			wantProblem(t, r, http.StatusUnauthorized, "unauthenticated")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate")
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		wantProblem(t, e.call("", http.MethodPost, "/api/v1/auth/login", map[string]string{"login": "operator", "password": "wrong-password"}),
			http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("expired", func(t *testing.T) {
		// Runs last: it moves the clock past every token's lifetime.
		e.offset.Store(int64(tokenLifetime + time.Minute))
		wantProblem(t, e.call("operator", http.MethodGet, "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated")
	})
}

func TestRolesThatMayNotActAre403(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, lead := e.leadAt("in_progress")
	cases := []struct {
		name, login, method, path string
		body                      any
	}{
		{"a viewer files a case", "viewer", http.MethodPost, "/api/v1/cases", map[string]string{"title": "领导视察"}},
		{"an officer completes", "transport.officer", http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/complete", lead.ID), map[string]string{"resolution": "已完成"}},
		{"a reporter lists users", "operator", http.MethodGet, "/api/v1/users", nil},
		{"a coordinator adds a department", "coordinator", http.MethodPost, "/api/v1/departments", map[string]string{"code": "water", "name": "区水利局"}},
		{"a head confirms", "transport.head", http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/confirm", lead.ID), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.call(tc.login, tc.method, tc.path, tc.body), http.StatusForbidden, "forbidden")
		})
	}
}

func TestInvisibleAndMissingObjectsAre404Alike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.caseWithLead("秀湖公园站警示标志缺失")
	missing := c.ID + 1000
	for _, path := range []string{"/api/v1/cases/%d", "/api/v1/cases/%d/events"} {
		hidden := wantProblem(t, e.call("police.head", http.MethodGet, fmt.Sprintf(path, c.ID), nil), http.StatusNotFound, "not-found")
		absent := wantProblem(t, e.call("police.head", http.MethodGet, fmt.Sprintf(path, missing), nil), http.StatusNotFound, "not-found")
		if strings.ReplaceAll(hidden.Detail, fmt.Sprint(c.ID), "N") != strings.ReplaceAll(absent.Detail, fmt.Sprint(missing), "N") {
			t.Errorf("a hidden case reads differently from a missing one: %q vs %q", hidden.Detail, absent.Detail)
		}
	}
	wantProblem(t, e.call("police.head", http.MethodGet, fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil), http.StatusNotFound, "not-found")
	for _, path := range []string{
		fmt.Sprintf("/api/v1/cases/%d/actions/approve", c.ID),
		fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", c.ID),
		fmt.Sprintf("/api/v1/assignments/%d/actions/finish", a.ID),
		"/api/v1/cases/abc/actions/triage",
	} {
		wantProblem(t, e.call("coordinator", http.MethodPost, path, nil), http.StatusNotFound, "not-found")
	}
	wantProblem(t, e.call("coordinator", http.MethodGet, "/api/v1/cases/0", nil), http.StatusNotFound, "not-found")
	wantProblem(t, e.call("coordinator", http.MethodGet, "/api/v1/nothing/here", nil), http.StatusNotFound, "not-found")
	wantProblem(t, e.call("admin", http.MethodPatch, fmt.Sprintf("/api/v1/users/%d", e.ids["admin"]+1000), map[string]string{"name": "x"}), http.StatusNotFound, "not-found")
}

func TestActionsTheStateDoesNotAllowAre409WithAllowedActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.caseWithLead("沙坡站信号灯缺失")
	p := wantProblem(t, e.call("coordinator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/actions/triage", c.ID), nil), http.StatusConflict, "conflict")
	if !slices.Equal(p.AllowedActions, []workflow.Action{workflow.ActionDispatch}) {
		t.Errorf("allowed_actions %v, want [dispatch]", p.AllowedActions)
	}
	e.call("transport.officer", http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/accept", a.ID), nil).want(t, http.StatusOK)
	p = wantProblem(t, e.call("transport.head", http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/accept", a.ID), nil), http.StatusConflict, "conflict")
	want := []workflow.Action{workflow.ActionProgress, workflow.ActionRequestExtension, workflow.ActionComplete}
	if !slices.Equal(p.AllowedActions, want) {
		t.Errorf("allowed_actions %v, want %v", p.AllowedActions, want)
	}
	p = wantProblem(t, e.call("coordinator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/assignments", c.ID),
		map[string]string{"department": "ndrc", "role": "lead"}), http.StatusConflict, "conflict")
	if p.AllowedActions == nil {
		t.Error("a 409 without allowed_actions")
	}
	// Nothing is allowed on a rejected case: the 409 still lists it, as [].
	other := e.fileCase("operator", "重复上报的工单")
	e.call("coordinator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/actions/reject", other.ID), map[string]string{"reason": "重复"}).want(t, http.StatusOK)
	p = wantProblem(t, e.call("coordinator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/actions/triage", other.ID), nil), http.StatusConflict, "conflict")
	if p.AllowedActions == nil || len(p.AllowedActions) != 0 {
		t.Errorf("allowed_actions %#v on a rejected case, want []", p.AllowedActions)
	}
}

func TestStaleIfMatchIs412AndChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, a := e.caseWithLead("刘家嘴站护栏缺失")
	stale := `"1"` // both have moved on since: the dispatch changed the case, nothing the assignment
	if c.Version != 1 {
		t.Fatalf("fixture: case version %d", c.Version)
	}
	eventsBefore := e.call("coordinator", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/events", c.ID), nil).body
	for name, req := range map[string]struct {
		path string
		body any
	}{
		"case action": {fmt.Sprintf("/api/v1/cases/%d/actions/reject", c.ID), map[string]string{"reason": "重复"}},
		"dispatch":    {fmt.Sprintf("/api/v1/cases/%d/assignments", c.ID), map[string]string{"department": "ndrc", "role": "support"}},
		"comment":     {fmt.Sprintf("/api/v1/cases/%d/comments", c.ID), map[string]string{"body": "请加快"}},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, e.call("coordinator", http.MethodPost, req.path, req.body, "If-Match", stale), http.StatusPreconditionFailed, "precondition-failed")
		})
	}
	t.Run("assignment action", func(t *testing.T) {
		e.call("transport.officer", http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/accept", a.ID), nil, "If-Match", `"1"`).want(t, http.StatusOK)
		wantProblem(t, e.call("coordinator", http.MethodPost, fmt.Sprintf("/api/v1/assignments/%d/actions/urge", a.ID),
			map[string]string{"note": "请加快"}, "If-Match", `"1"`), http.StatusPreconditionFailed, "precondition-failed")
	})
	var after struct{ Items []workflow.Event }
	e.call("coordinator", http.MethodGet, fmt.Sprintf("/api/v1/cases/%d/events", c.ID), nil).decode(t, &after)
	var before struct{ Items []workflow.Event }
	(&response{body: eventsBefore}).decode(t, &before)
	if len(after.Items) != len(before.Items)+2 { // the accept and its automatic transition
		t.Errorf("events: %d before, %d after; a refused request wrote something", len(before.Items), len(after.Items))
	}
}

func TestBodiesAbove1MiBAre413ChunkedOrNot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// exactly builds a JSON case body of exactly n bytes.
	exactly := func(n int) []byte {
		head, tail := `{"title":"大","description":"`, `"}`
		return []byte(head + strings.Repeat("x", n-len(head)-len(tail)) + tail)
	}
	t.Run("1 MiB is read", func(t *testing.T) {
		p := wantProblem(t, e.call("operator", http.MethodPost, "/api/v1/cases", exactly(1<<20)), http.StatusUnprocessableEntity, "invalid")
		if p.Errors[0].Field != "description" {
			t.Errorf("errors %+v", p.Errors)
		}
	})
	t.Run("1 MiB and a byte is not", func(t *testing.T) {
		wantProblem(t, e.call("operator", http.MethodPost, "/api/v1/cases", exactly(1<<20+1)), http.StatusRequestEntityTooLarge, "request-entity-too-large")
	})
	t.Run("chunked", func(t *testing.T) {
		req := e.request("operator", http.MethodPost, "/api/v1/cases", nil, "Content-Type", "application/json")
		req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(exactly(1<<20)), strings.NewReader("  ")))
		req.ContentLength = -1 // unknown: the client sends it chunked
		wantProblem(t, e.send(req), http.StatusRequestEntityTooLarge, "request-entity-too-large")
		if len(req.TransferEncoding) > 0 && req.TransferEncoding[0] != "chunked" {
			t.Errorf("sent as %v", req.TransferEncoding)
		}
	})
}

func TestBodiesThatAreNotJSONAre415(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/xml", "json"} {
		t.Run(ct, func(t *testing.T) {
			wantProblem(t, e.call("operator", http.MethodPost, "/api/v1/cases", `{"title":"x"}`, "Content-Type", ct),
				http.StatusUnsupportedMediaType, "unsupported-media-type")
		})
	}
	t.Run("no Content-Type, chunked", func(t *testing.T) {
		req := e.request("operator", http.MethodPost, "/api/v1/cases", nil)
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(`{"title":"x"}`)), -1
		wantProblem(t, e.send(req), http.StatusUnsupportedMediaType, "unsupported-media-type")
	})
	t.Run("problem+json is JSON", func(t *testing.T) {
		e.call("operator", http.MethodPost, "/api/v1/cases", `{"title":"x"}`, "Content-Type", "application/merge-patch+json; charset=utf-8").want(t, http.StatusCreated)
	})
}

func TestInvalidInputIs422WithFieldErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fields := func(p problem) []string {
		var names []string
		for _, f := range p.Errors {
			names = append(names, f.Field)
		}
		return names
	}
	p := wantProblem(t, e.call("operator", http.MethodPost, "/api/v1/cases", map[string]any{
		"title": " ", "priority": "someday", "location": map[string]any{"lat": 91}}), http.StatusUnprocessableEntity, "invalid")
	for _, field := range []string{"title", "priority", "location"} {
		if !slices.Contains(fields(p), field) {
			t.Errorf("errors %v do not name %s", fields(p), field)
		}
	}
	c, _ := e.caseWithLead("沙坡站照明不足")
	p = wantProblem(t, e.call("operator", http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/comments", c.ID),
		map[string]string{"body": "", "visibility": "secret"}), http.StatusUnprocessableEntity, "invalid")
	if !slices.Equal(fields(p), []string{"body", "visibility"}) {
		t.Errorf("errors %v", fields(p))
	}
	e.call("operator", http.MethodPost, "/api/v1/cases", map[string]string{"title": "一"}, "Idempotency-Key", "k-1").want(t, http.StatusCreated)
	p = wantProblem(t, e.call("operator", http.MethodPost, "/api/v1/cases", map[string]string{"title": "二"}, "Idempotency-Key", "k-1"),
		http.StatusUnprocessableEntity, "invalid")
	if !slices.Equal(fields(p), []string{"Idempotency-Key"}) {
		t.Errorf("errors %v", fields(p))
	}
}

func TestTooManyFailedLoginsAre429(t *testing.T) {
	t.Parallel()
	limits := workflow.LoginLimits{PerLogin: 3, PerClient: 100, Window: time.Hour}
	e := newEnvOn(t, workflowtest.NewDB(t), envOptions{limits: limits})
	wrong := map[string]string{"login": "operator", "password": "wrong-password"}
	for range limits.PerLogin {
		e.call("", http.MethodPost, "/api/v1/auth/login", wrong).want(t, http.StatusUnauthorized)
	}
	r := e.call("", http.MethodPost, "/api/v1/auth/login", map[string]string{"login": "operator", "password": password})
	wantProblem(t, r, http.StatusTooManyRequests, "too-many-requests")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestAnUnavailableDatabaseIs503(t *testing.T) {
	t.Parallel()
	target, err := url.Parse(workflowtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startProxy(t, target.Host)
	viaProxy := *target
	viaProxy.Host = proxy.addr()
	db, err := sqlx.Open("postgres", viaProxy.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e := newEnvOn(t, db, envOptions{})
	e.call("", http.MethodGet, "/readyz", nil).want(t, http.StatusOK)
	e.call("operator", http.MethodGet, "/api/v1/me", nil).want(t, http.StatusOK)

	proxy.cut()
	requests := []struct {
		login, method, path string
		body                any
	}{
		{"", http.MethodGet, "/readyz", nil},
		{"operator", http.MethodGet, "/api/v1/me", nil},
		{"operator", http.MethodPost, "/api/v1/cases", map[string]string{"title": "断网期间登记"}},
		{"coordinator", http.MethodGet, "/api/v1/cases", nil},
		{"", http.MethodPost, "/api/v1/auth/login", map[string]string{"login": "operator", "password": password}},
	}
	for _, req := range requests {
		wantProblem(t, e.call(req.login, req.method, req.path, req.body), http.StatusServiceUnavailable, "unavailable")
	}

	direct, err := sqlx.Open("postgres", target.String())
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	var n int
	if err := direct.Get(&n, `SELECT count(*) FROM cases`); err != nil || n != 0 {
		t.Errorf("cases after the outage: %d (%v)", n, err)
	}
}

// dbProxy forwards TCP connections to the database until it is cut.
type dbProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func startProxy(t *testing.T, target string) *dbProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{ln: ln, target: target}
	t.Cleanup(p.cut)
	go p.accept()
	return p
}

func (p *dbProxy) addr() string { return p.ln.Addr().String() }

func (p *dbProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
		go func() { _, _ = io.Copy(client, server); _ = client.Close() }()
	}
}

// cut stops accepting connections and breaks the open ones, as a database
// that went away would.
func (p *dbProxy) cut() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}
