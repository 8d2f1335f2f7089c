package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"casetrack/handlers"
	"casetrack/policy"
	"casetrack/workflow"
	"casetrack/workflow/digest"
	"casetrack/workflow/workflowtest"

	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// password is every test user's password.
const password = "demo-password"

// tokenLifetime is how long the tokens of an env last; tests move the clock
// by days and stay signed in.
const tokenLifetime = 30 * 24 * time.Hour

// roomyLimits keep the login throttle out of the way of tests about something else.
var roomyLimits = workflow.LoginLimits{PerLogin: 1000, PerClient: 1000, Window: time.Minute}

// fixtureUsers are the users of every env: one per global role, and a head
// and an officer of department A (transport) and of department B (police).
var fixtureUsers = map[string]workflow.Grant{
	"admin":             {Role: workflow.RoleAdmin},
	"coordinator":       {Role: workflow.RoleCoordinator},
	"viewer":            {Role: workflow.RoleViewer},
	"operator":          {Role: workflow.RoleReporter},
	"transport.head":    {Role: workflow.RoleDeptHead, Department: "transport"},
	"transport.officer": {Role: workflow.RoleDeptOfficer, Department: "transport"},
	"police.head":       {Role: workflow.RoleDeptHead, Department: "police"},
	"police.officer":    {Role: workflow.RoleDeptOfficer, Department: "police"},
}

// env is a casetrack server over its own freshly migrated database, with
// the four demo departments and fixtureUsers, each signed in.
type env struct {
	t      testing.TB
	db     *sqlx.DB
	svc    *workflow.Service
	mail   *digest.Digester // the server's digests and outbox; it sends nothing (no SMTP)
	echo   *echo.Echo
	srv    *httptest.Server
	client *http.Client // does not follow redirects: a redirect is an answer to check
	logs   *syncBuffer
	offset *atomic.Int64     // added to the wall clock, so tests can move time on
	tokens map[string]string // login → bearer token
	ids    map[string]int64  // login → user id
}

// envOptions change how an env's server is configured.
type envOptions struct {
	limits  workflow.LoginLimits
	proxies []netip.Prefix
	ready   func(context.Context) error
}

// newEnv starts a server over a new database.
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, workflowtest.NewDB(t), envOptions{})
}

// newEnvOn starts a server whose service uses db.
func newEnvOn(t testing.TB, db *sqlx.DB, opts envOptions) *env {
	t.Helper()
	enforcer, err := policy.New()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, logs: &syncBuffer{}, offset: &atomic.Int64{}, tokens: map[string]string{}, ids: map[string]int64{}}
	e.svc = workflow.NewService(workflow.Config{DB: db, Authorizer: enforcer, RefPrefix: "CT", Location: time.UTC,
		Now: e.now, PasswordCost: bcrypt.MinCost})
	if opts.limits == (workflow.LoginLimits{}) {
		opts.limits = roomyLimits
	}
	if opts.ready == nil {
		opts.ready = db.PingContext
	}
	e.mail = newDigester(t, db, enforcer, e.now, "")
	e.echo, err = handlers.New(handlers.Config{
		Service: e.svc, Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseURL: "http://casetrack.test", Location: time.UTC, TokenLifetime: tokenLifetime,
		Ready: opts.ready, TrustedProxies: opts.proxies, LoginLimits: opts.limits, Digests: e.mail,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.echo)
	t.Cleanup(e.srv.Close)
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e.client = &client
	e.seed()
	return e
}

// seed adds the departments and users and signs every user in.
func (e *env) seed() {
	e.t.Helper()
	ctx := workflow.Trusted(context.Background())
	for code, name := range map[string]string{"transport": "区交通局", "ndrc": "区发展改革委", "police": "区公安局", "citymgmt": "区城市管理局"} {
		if _, err := e.svc.CreateDepartment(ctx, workflow.Department{Code: code, Name: name}); err != nil {
			e.t.Fatal(err)
		}
	}
	for login, grant := range fixtureUsers {
		e.addUser(login, grant)
	}
}

// addUser creates a user holding grant (none for the zero Grant) and signs them in.
func (e *env) addUser(login string, grant workflow.Grant) {
	e.t.Helper()
	var grants []workflow.Grant
	if grant.Role != "" {
		grants = append(grants, grant)
	}
	ctx := workflow.Trusted(context.Background())
	u, err := e.svc.CreateUser(ctx, workflow.NewUser{Login: login, Name: login, Password: password, Roles: grants})
	if err != nil {
		e.t.Fatal(err)
	}
	e.ids[login] = u.ID
	e.tokens[login] = e.newToken(login)
}

// newToken signs login in once more and returns the new token.
func (e *env) newToken(login string) string {
	e.t.Helper()
	sess, err := e.svc.Login(context.Background(), login, password, workflow.TokenAPI, tokenLifetime)
	if err != nil {
		e.t.Fatal(err)
	}
	return sess.Token
}

// now is the service's clock: the wall clock moved on by offset.
func (e *env) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

// as is a context acting as login, for preparing fixtures through the Service.
func (e *env) as(login string) context.Context {
	e.t.Helper()
	a, err := e.svc.Authenticate(context.Background(), e.tokens[login])
	if err != nil {
		e.t.Fatalf("authenticate %s: %v", login, err)
	}
	return workflow.WithActor(context.Background(), a)
}

// withT is the env seen from another test (a subtest or a fuzz iteration).
func (e *env) withT(t testing.TB) *env {
	c := *e
	c.t = t
	return &c
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v.
func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// problem is the problem+json body of an error response.
type problem struct {
	Type           string                `json:"type"`
	Title          string                `json:"title"`
	Status         int                   `json:"status"`
	Detail         string                `json:"detail"`
	Errors         []workflow.FieldError `json:"errors"`
	AllowedActions []workflow.Action     `json:"allowed_actions"`
}

// problem decodes an error body and checks that its status matches the response's.
func (r *response) problem(t testing.TB) problem {
	t.Helper()
	var p problem
	r.decode(t, &p)
	if p.Status != r.status || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("not a problem for %d: %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	return p
}

// request builds a request to path as login ("" for anonymous). A body that
// is a string or []byte is sent as it is, anything else as JSON; headers
// come in name, value pairs.
func (e *env) request(login, method, path string, body any, headers ...string) *http.Request {
	e.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		reader = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, reader)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if login != "" {
		token, ok := e.tokens[login]
		if !ok {
			e.t.Fatalf("no user %s", login)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// call sends a request (see request) and returns the response, which must
// match openapi.yaml.
func (e *env) call(login, method, path string, body any, headers ...string) *response {
	e.t.Helper()
	return e.send(e.request(login, method, path, body, headers...))
}

// send sends req and checks the response against openapi.yaml.
func (e *env) send(req *http.Request) *response {
	e.t.Helper()
	r := e.sendUnchecked(req)
	checkAgainstSpec(e.t, req, r)
	return r
}

// sendUnchecked sends req and reads the whole response; for requests to
// addresses that the API description does not hold.
func (e *env) sendUnchecked(req *http.Request) *response {
	e.t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: body}
}

// want fails the test unless the response has status.
func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// syncBuffer is a log destination that concurrent requests may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything logged so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLines returns the JSON log lines whose msg is msg.
func (e *env) logLines(msg string) []map[string]any {
	e.t.Helper()
	var lines []map[string]any
	for line := range strings.Lines(e.logs.String()) {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			e.t.Fatalf("log line is not JSON: %q", line)
		}
		if entry["msg"] == msg {
			lines = append(lines, entry)
		}
	}
	return lines
}

// Fixtures prepared through the Service, for tests about what comes after.

// fileCase files a case as login.
func (e *env) fileCase(login, title string) *workflow.Case {
	e.t.Helper()
	c, _, err := e.svc.CreateCase(e.as(login), workflow.NewCase{Title: title, Description: "站前广场共享单车乱停放",
		Location: workflow.Location{Address: "璧山区刘家嘴站"}}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// dispatchTo sends case id to dept as the coordinator.
func (e *env) dispatchTo(caseID int64, dept string, role workflow.AssignmentRole) *workflow.Assignment {
	e.t.Helper()
	a, err := e.svc.DispatchAssignment(e.as("coordinator"), caseID, workflow.Dispatch{Department: dept, Role: role, Instructions: "请于本周内拆除围栏"}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// act applies an assignment command as login.
func (e *env) act(login string, assignmentID int64, cmd workflow.AssignmentCommand) *workflow.Assignment {
	e.t.Helper()
	a, err := e.svc.ActOnAssignment(e.as(login), assignmentID, cmd, 0)
	if err != nil {
		e.t.Fatalf("%s %s: %v", login, cmd.Action(), err)
	}
	return a
}

// actOnCase applies a case command as login.
func (e *env) actOnCase(login string, caseID int64, cmd workflow.CaseCommand) *workflow.Case {
	e.t.Helper()
	c, err := e.svc.ActOnCase(e.as(login), caseID, cmd, 0)
	if err != nil {
		e.t.Fatalf("%s %s: %v", login, cmd.Action(), err)
	}
	return c
}

// comment adds a comment to case id as login.
func (e *env) comment(login string, caseID int64, visibility workflow.Visibility) {
	e.t.Helper()
	if _, err := e.svc.AddComment(e.as(login), caseID, workflow.NewComment{Body: "请尽快处理", Visibility: visibility}, 0); err != nil {
		e.t.Fatal(err)
	}
}

// caseWithLead files a case as the operator and dispatches it to transport as lead.
func (e *env) caseWithLead(title string) (*workflow.Case, *workflow.Assignment) {
	e.t.Helper()
	c := e.fileCase("operator", title)
	return c, e.dispatchTo(c.ID, "transport", workflow.RoleLead)
}

// leadAt returns a case whose transport lead assignment is in state (with
// an extension request pending for "extension"), or whose case is resolved
// or closed for "resolved" and "closed".
func (e *env) leadAt(state string) (*workflow.Case, *workflow.Assignment) {
	e.t.Helper()
	c, a := e.caseWithLead("刘家嘴站围栏阻挡行人")
	steps := []struct {
		state string
		login string
		cmd   workflow.AssignmentCommand
	}{
		{"pending", "", nil},
		{"in_progress", "transport.officer", workflow.Accept{}},
		{"extension", "transport.officer", workflow.RequestExtension{Until: e.now().Add(20 * 24 * time.Hour), Reason: "需协调施工单位"}},
		{"completed", "transport.head", workflow.Complete{Resolution: "围栏已拆除"}},
		{"resolved", "coordinator", workflow.Confirm{}},
	}
	for _, step := range steps {
		if step.cmd != nil {
			a = e.act(step.login, a.ID, step.cmd)
		}
		if step.state == state {
			return c, a
		}
	}
	if state != "closed" {
		e.t.Fatalf("no fixture state %q", state)
	}
	e.actOnCase("coordinator", c.ID, workflow.Close{Note: "已结案"})
	return c, a
}
